"""The `masthead` command on a machine with no secret and no DEBUG: what works, what refuses."""

import os
import subprocess
import sys
import tempfile

import pytest

pytestmark = pytest.mark.sqlite_only


def masthead(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "REDIS_URL"}
    }
    environment["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    environment["MASTHEAD_VAR_DIR"] = tempfile.mkdtemp(prefix="masthead-cli-")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_works_without_debug_or_a_secret():
    result = masthead("--help")
    assert result.returncode == 0, result.stderr
    assert "ensure_admin" in result.stdout and "Traceback" not in result.stderr


def test_check_works_without_debug_or_a_secret():
    result = masthead("check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_command_that_serves_says_in_one_line_that_it_needs_the_secret():
    result = masthead("runserver", "127.0.0.1:8799", "--noreload")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_the_web_server_refuses_to_start_without_the_secret():
    result = subprocess.run(
        [sys.executable, "-c", "import masthead.wsgi"],
        env={
            **{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}},
            "DJANGO_SETTINGS_MODULE": "masthead.settings",
            "MASTHEAD_VAR_DIR": tempfile.mkdtemp(prefix="masthead-cli-"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "masthead: SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off; "
        "for local development set DEBUG=1."
    )


def test_an_unreadable_secret_file_is_one_clear_line():
    result = masthead("check", SECRET_KEY_FILE="/nonexistent/masthead-secret")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "masthead: SECRET_KEY_FILE=/nonexistent/masthead-secret cannot be read: "
        "No such file or directory."
    )


def test_with_a_secret_the_server_command_gets_past_the_check():
    result = masthead("runserver", "--help", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_traceback_shows_the_full_error_for_debugging():
    result = masthead("check", "--traceback", SECRET_KEY_FILE="/nonexistent/masthead-secret")
    assert "Traceback" in result.stderr
