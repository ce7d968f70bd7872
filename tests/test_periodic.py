from io import StringIO

from django.core.management import call_command, get_commands

from masthead import periodic


def test_every_app_registers_its_periodic_jobs():
    commands = {job.command for job in periodic.jobs()}
    assert commands == {
        "publish_scheduled",
        "flush_events",
        "refresh_ranking",
        "purge_history",
        "refresh_like",
        "rebuild_discovery",
        "ingest",
        "dashboard_rollup",
    }


def test_each_job_names_a_command_that_exists_for_cron():
    known = get_commands()
    assert [job.command for job in periodic.jobs() if job.command not in known] == []


def test_run_periodic_lists_the_jobs_with_their_period_and_command():
    out = StringIO()
    call_command("run_periodic", list=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(periodic.jobs())
    assert "flush queued events: every 5 s (`masthead flush_events`)" in lines


def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []
    monkeypatch.setattr(periodic, "_jobs", {})
    periodic.register("broken", every_seconds=1, run=lambda: 1 / 0, command="broken")
    periodic.register("fine", every_seconds=1, run=lambda: ran.append(1), command="fine")
    err = StringIO()
    call_command("run_periodic", once=True, stderr=err)
    assert ran == [1]
    assert "broken failed: ZeroDivisionError" in err.getvalue()
