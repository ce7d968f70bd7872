import io
import re

from masthead.progress import Progress, StageProgress, duration, progress_line


def test_a_plain_line_has_count_share_rate_and_eta():
    line = progress_line(label="Articles", done=40_000, total=100_000, seconds=20)
    assert line == "Articles: 40,000/100,000 (40%), 2,000/s, ETA 30 s"


def test_a_finished_or_open_ended_count_has_no_eta():
    assert "ETA" not in progress_line(label="A", done=10, total=10, seconds=1)
    assert progress_line(label="Items", done=1_500, total=None, seconds=3) == "Items: 1,500, 500/s"


def test_durations_read_naturally():
    assert [duration(s) for s in (42, 200, 3_900)] == ["42 s", "3 min 20 s", "1 h 05 min"]


def test_output_to_a_file_gets_periodic_plain_lines_and_a_last_one():
    out = io.StringIO()
    with Progress(label="Articles", total=3, stream=out, every=0) as progress:
        for _ in range(3):
            progress.advance()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # one per advance (every=0); closing repeats no line
    assert lines[-1].startswith("Articles: 3/3 (100%), ")
    assert "\r" not in out.getvalue()


def test_output_to_a_file_stays_quiet_between_periods():
    out = io.StringIO()
    with Progress(label="Articles", total=1000, stream=out, every=3600) as progress:
        for _ in range(1000):
            progress.advance()
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[-1]]


def test_a_terminal_gets_a_redrawn_bar():
    out = io.StringIO()
    with Progress(label="Articles", total=5, stream=out, is_terminal=True) as progress:
        progress.advance(5)
    assert "\r" in out.getvalue() and re.search(r"Articles: 100%.*5/5", out.getvalue())


def test_stages_each_get_their_own_lines():
    out = io.StringIO()
    stages = StageProgress(out)
    stages("Signatures", 2, 4)
    stages("Signatures", 4, 4)
    stages("Stories", 4, 4)
    stages.close()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Signatures", "Stories"]
    assert lines[0].startswith("Signatures: 4/4 (100%)")
