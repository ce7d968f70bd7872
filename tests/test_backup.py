"""deploy/backup: back up a demo site, restore it into a fresh directory, compare the two."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "deploy" / "backup"
MASTHEAD = Path(sys.executable).with_name("masthead")

# Printed by the site itself: counts, a few pages' main content, every image file's digest.
SNAPSHOT = """
import hashlib, json
from django.test import Client
from wagtail.images import get_image_model
from wagtail.models import Page
from masthead.news.models import ArticlePage, Author

client = Client()
articles = list(ArticlePage.objects.live().filter(lead_image__isnull=False).order_by("pk")[:3])
author = Author.objects.order_by("pk").first()
paths = ["/", "/markets/", "/markets/stocks/", f"/authors/{author.slug}/"]
paths += [article.url for article in articles]
pages = {}
for path in paths:
    response = client.get(path)
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    pages[path] = [response.status_code, hashlib.sha256(main.encode()).hexdigest()]
images = {}
for image in get_image_model().objects.order_by("pk"):
    with image.file.open("rb") as handle:
        images[image.file.name] = hashlib.sha256(handle.read()).hexdigest()
print(json.dumps({
    "pages": Page.objects.count(),
    "articles": ArticlePage.objects.live().count(),
    "authors": Author.objects.count(),
    "html": pages,
    "images": images,
}))
"""


def site_env(var_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        MASTHEAD_VAR_DIR=str(var_dir),
        MASTHEAD=str(MASTHEAD),
        SECRET_KEY="backup-test-" + "k" * 50,
        ALLOWED_HOSTS="*",
        MASTHEAD_HTTPS="0",
        DJANGO_SETTINGS_MODULE="masthead.settings",
    )
    return env


def run(args: list, env: dict) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(var_dir: Path) -> dict:
    # DEBUG=1: pages render without a collectstatic manifest.
    env = {**site_env(var_dir), "DEBUG": "1"}
    output = run([str(MASTHEAD), "shell", "--no-imports", "-c", SNAPSHOT], env)
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def demo_site(home, tmp_path) -> Path:
    """The session's demo corpus as a site directory of its own (database file and media)."""
    site = tmp_path / "site"
    site.mkdir()
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(site / "masthead.sqlite3")
    source.backup(target)
    source.close()
    target.close()
    shutil.copytree(settings.MEDIA_ROOT, site / "media")
    return site


def test_a_backup_restores_into_a_fresh_directory_with_the_same_site(demo_site, tmp_path):
    # Pages first: rendering creates image renditions, which the backup must then carry.
    before = snapshot(demo_site)
    backups = tmp_path / "backups"
    output = run([str(SCRIPTS / "masthead-backup"), str(backups)], site_env(demo_site))
    backup = Path(output.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == [
        "MANIFEST",
        "SHA256SUMS",
        "database.sqlite3",
        "media.tar.gz",
    ]
    fresh = tmp_path / "restored"
    restored = run([str(SCRIPTS / "masthead-restore"), str(backup)], site_env(fresh))
    after = snapshot(fresh)
    assert before["pages"] > 60 and before["authors"] > 0 and before["images"]
    assert f"Restored {before['pages']} pages" in restored
    assert after == before


def restore(backup: Path, var_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "masthead-restore"), str(backup)],
        env=site_env(var_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_restore_never_overwrites_a_site_nor_uses_a_damaged_backup(demo_site, tmp_path):
    output = run([str(SCRIPTS / "masthead-backup"), str(tmp_path / "b")], site_env(demo_site))
    backup = Path(output.strip().splitlines()[-1])
    existing = restore(backup, demo_site)
    assert existing.returncode == 1 and "pass --force" in existing.stderr
    with (backup / "database.sqlite3").open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 64)
    damaged = restore(backup, tmp_path / "fresh")
    assert damaged.returncode == 1 and "checksums" in damaged.stderr
    assert not (tmp_path / "fresh" / "masthead.sqlite3").exists()
