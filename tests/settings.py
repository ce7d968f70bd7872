"""Test settings: production defaults with a handful of overrides."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "masthead-tests-only-" + "x" * 40)
os.environ.setdefault("MASTHEAD_HTTPS", "0")
# A fixed folder inside the checkout, so `--reuse-db` finds the test database of the last run
# (Wagtail's migrations dominate start-up) and nothing is left in the system temporary folder.
os.environ.setdefault(
    "MASTHEAD_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)

from masthead.settings import *  # noqa: E402,F403

# Tasks run inline so a publish is indexed before the test looks for it.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A file, not memory, so that test processes and subprocesses share the test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "masthead-test"  # noqa: F405
# The ingestion tests serve their feeds from 127.0.0.1; one test turns this off again.
MASTHEAD_INGEST_ALLOW_PRIVATE = True
# Every test client is a new reader on 127.0.0.1: one new id a minute would starve them. The
# tests of the budgets themselves set the production rate again.
MASTHEAD_READER_MINT_RATE = "100000/m"
# Pages are rendered afresh unless a test turns the page cache on (tests/news/test_invalidation.py).
MASTHEAD_PAGE_CACHE_SECONDS = 0
