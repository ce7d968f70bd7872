import json
import os
import subprocess
import sys
import tempfile

import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.settings import envbool, envint


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", False)],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("MASTHEAD_SOMETHING", value)
    assert envbool("MASTHEAD_SOMETHING", "0") is expected


def test_envbool_refuses_a_typo_instead_of_reading_it_as_no(monkeypatch):
    monkeypatch.setenv("MASTHEAD_HTTPS", "ture")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_HTTPS='ture'"):
        envbool("MASTHEAD_HTTPS", "1")


def test_envint_refuses_a_value_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("MASTHEAD_PAGE_SIZE", "20 articles")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_PAGE_SIZE"):
        envint("MASTHEAD_PAGE_SIZE", 20)


def printed_in_a_fresh_process(code: str, **env: str):
    """The JSON value the last line of `code` prints, run in a new Python process with the
    site's settings (DEBUG on, a fresh var directory, no S3 settings but those in `env`)."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MASTHEAD_S3")},
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "MASTHEAD_VAR_DIR": tempfile.mkdtemp(prefix="masthead-settings-"),
        "DEBUG": "1",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def settings_of(**env: str) -> dict:
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'storage': s.STORAGES['default'], 'serve_media': s.MASTHEAD_SERVE_MEDIA}))"
    )
    return printed_in_a_fresh_process(code, **env)


@pytest.mark.sqlite_only
def test_media_stay_on_the_local_disk_by_default():
    found = settings_of()
    assert found["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert found["serve_media"] is True


@pytest.mark.sqlite_only
def test_a_bucket_moves_media_to_s3_compatible_storage():
    found = settings_of(
        MASTHEAD_S3_BUCKET="news-media",
        MASTHEAD_S3_ENDPOINT_URL="https://s3.example.net",
        MASTHEAD_S3_CUSTOM_DOMAIN="media.example.org",
    )
    assert found["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = found["storage"]["OPTIONS"]
    assert options["bucket_name"] == "news-media"
    assert options["endpoint_url"] == "https://s3.example.net"
    assert options["custom_domain"] == "media.example.org"
    assert options["querystring_auth"] is False and options["file_overwrite"] is False
    assert found["serve_media"] is False


def test_a_web_worker_starts_without_the_libraries_only_ingestion_and_discovery_use():
    """The screening lexicon (wordfreq, babel), the fetcher and the front cache's HTTP client
    (httpx with its command-line tool) and discovery's numeric stack: about half a second of
    CPU of a start-up whose first page needs none of them."""
    code = (
        "import json, sys; import masthead.wsgi; "
        "heavy = ('wordfreq', 'babel', 'httpx', 'sklearn', 'scipy', 'faiss', 'datasketch', "
        "'trafilatura', 'masthead.discovery.services', 'masthead.ingest.pipeline'); "
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    assert printed_in_a_fresh_process(code) == []


def test_a_web_worker_loads_without_running_the_garbage_collector():
    """Start-up keeps what it loads: collecting while it loads (hundreds of times, a few of them
    full) is wasted; it is frozen instead."""
    code = (
        "import gc, json; before = [s['collections'] for s in gc.get_stats()]; "
        "import masthead.wsgi; after = [s['collections'] for s in gc.get_stats()]; "
        "print(json.dumps([a - b for a, b in zip(after, before)] + [gc.isenabled()]))"
    )
    young, middle, full, enabled = printed_in_a_fresh_process(code)
    assert young + middle + full <= 1  # 447, 41 and 3 when it ran
    assert enabled


def test_the_wsgi_application_keeps_what_it_loaded_out_of_the_garbage_collector():
    """A worker's modules, URL conf and settings live as long as it does: frozen, a full
    collection does not walk them (tens of milliseconds on one request, every few dozen)."""
    code = (
        "import gc, json, sys; import masthead.wsgi; "
        "print(json.dumps([gc.get_freeze_count(), 'masthead.news.views' in sys.modules]))"
    )
    frozen, views_loaded = printed_in_a_fresh_process(code)
    assert views_loaded
    assert frozen > 50_000
