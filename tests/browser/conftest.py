"""A real Masthead server (gunicorn, DEBUG off) on its own SQLite database for browser tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def site_env(tmp_path_factory) -> dict[str, str]:
    """The environment of the test site's server, for commands against its database."""
    var = tmp_path_factory.mktemp("browser-site")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "MASTHEAD_VAR_DIR": str(var),
        "DEBUG": "0",
        "SECRET_KEY": "browser-test-secret-key-" + "y" * 40,
        "MASTHEAD_HTTPS": "0",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        # Every test browser is a new reader on 127.0.0.1; production issues one id a minute.
        "MASTHEAD_READER_MINT_RATE": "100000/m",
    }


@pytest.fixture(scope="session")
def site_url(site_env):
    env = site_env
    masthead = [sys.executable, "-m", "masthead.cli"]
    subprocess.run([*masthead, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*masthead, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*masthead, "generate", "--articles", "40", "--seed", "3"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "masthead.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/robots.txt", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop, which must be gone before the
    database tests that follow (Django refuses synchronous queries inside a running loop)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
