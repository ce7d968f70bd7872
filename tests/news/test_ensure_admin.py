import io

from django.conf import settings
from django.core.management import call_command


def test_the_second_run_points_to_the_saved_login(db):
    first = io.StringIO()
    call_command("ensure_admin", username="chief", stdout=first)
    assert "Password:" in first.getvalue()
    second = io.StringIO()
    call_command("ensure_admin", username="chief", stdout=second)
    login = settings.VAR_DIR / "admin-login.txt"
    assert f"its login is in {login}" in second.getvalue()
    assert "Password:" not in second.getvalue()


def test_without_the_login_file_the_second_run_says_how_to_reset(db):
    call_command("ensure_admin", username="chief", stdout=io.StringIO())
    (settings.VAR_DIR / "admin-login.txt").unlink()
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "masthead changepassword" in out.getvalue()
