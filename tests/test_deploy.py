import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sqlite_only


def run_check(**env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "news.example.org",
        "MASTHEAD_HTTPS": "1",
        **env,
    }
    environment.pop("MASTHEAD_VAR_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check(SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
