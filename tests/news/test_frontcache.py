"""Masthead behind a real Varnish (deploy/varnish/masthead.vcl, xkey): a publish refreshes every
page that showed the article, or should now, within a second; unrelated pages stay cached."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.frontcache_setup import VARNISHD, installed

VCL = Path(__file__).resolve().parents[2] / "deploy" / "varnish" / "masthead.vcl"
VISIBLE_WITHIN_SECONDS = 1.0

pytestmark = pytest.mark.sqlite_only


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), ""


def wait_for(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn (2 workers, DEBUG off) on its own SQLite site, Varnish in front of it."""
    if not installed():
        pytest.skip(
            "Debian's varnish and varnish-modules are not installed (make test installs them)."
        )
    var = tmp_path_factory.mktemp("frontcache-site")
    backend_port, cache_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "MASTHEAD_VAR_DIR": str(var),
        "DEBUG": "0",
        "SECRET_KEY": "frontcache-test-secret-key-" + "z" * 40,
        "MASTHEAD_HTTPS": "0",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "MASTHEAD_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "MASTHEAD_FRONT_CACHE_URLS": f"http://127.0.0.1:{cache_port}/",
    }
    masthead = [sys.executable, "-m", "masthead.cli"]
    subprocess.run([*masthead, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*masthead, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*masthead, "generate", "--articles", "40", "--seed", "5"], env=env, check=True)
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "masthead.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{backend_port}",
        ],
        env=env,
    )
    vcl = var / "masthead.vcl"
    vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{backend_port}"'))
    varnish = subprocess.Popen(
        [
            VARNISHD,
            "-F",
            "-j",
            "none",
            "-n",
            str(var / "varnish"),
            "-a",
            f"127.0.0.1:{cache_port}",
            "-f",
            str(vcl),
            "-s",
            "malloc,64m",
            "-T",
            "none",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{backend_port}/robots.txt")
        wait_for(f"http://127.0.0.1:{cache_port}/robots.txt")
        yield {"url": f"http://127.0.0.1:{cache_port}", "env": env, "masthead": masthead}
    finally:
        for process in (varnish, gunicorn):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def manage(site, code: str) -> str:
    """Run Python in the site's Django process environment (an editor's action in the admin)."""
    done = subprocess.run(
        [*site["masthead"], "shell", "-c", code],
        env=site["env"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def cached(site, path: str) -> str:
    fetch(site["url"] + path)
    status, headers, _ = fetch(site["url"] + path)
    assert status == 200, path
    return headers["X-Cache"]


def visible_after(site, paths: list[str], text: str) -> float:
    """Seconds until every path shows `text` through the cache (each watched by its own reader)."""
    start = time.monotonic()

    def watch(path: str) -> float:
        while time.monotonic() - start < 5:
            if text in fetch(site["url"] + path)[2]:
                return time.monotonic() - start
            time.sleep(0.02)
        raise AssertionError(f"{text!r} never showed on {path}")

    with ThreadPoolExecutor(len(paths)) as pool:
        return max(pool.map(watch, paths))


PUBLISH = """
from masthead.news.models import ChannelPage, ArticlePage
stocks = ChannelPage.objects.get(slug="stocks")
article = ArticlePage(title={title!r}, dek="Copper rose.", live=False,
    body=[("paragraph", "<p>Traders bought copper futures.</p>")])
stocks.add_child(instance=article)
article.save_revision().publish()
print(article.url_path)
"""

SECOND_IN_STOCKS = """
from masthead.news.models import ArticlePage, ChannelPage
stocks = ChannelPage.objects.get(slug="stocks")
article = ArticlePage.objects.live().child_of(stocks).order_by("-published_at")[1]
print(article.pk, article.url)
"""

EDIT = """
from masthead.news.models import ArticlePage
article = ArticlePage.objects.get(pk={pk})
article.title = {title!r}
article.save_revision().publish()
"""


def test_a_publish_shows_on_every_page_listing_it_within_a_second_and_nothing_else_is_purged(site):
    paths = ["/", "/markets/", "/markets/stocks/", "/feed/"]
    unrelated = ["/world/", "/sports/", "/markets/currencies/"]
    for path in paths + unrelated:
        assert cached(site, path) == "HIT", path

    manage(site, PUBLISH.format(title="Copper hits a record high"))
    delay = visible_after(site, paths, "Copper hits a record high")

    assert delay < VISIBLE_WITHIN_SECONDS
    for path in unrelated:
        assert fetch(site["url"] + path)[1]["X-Cache"] == "HIT", path


def test_an_edit_refreshes_the_article_and_the_pages_that_list_it(site):
    pk, url_path = manage(site, SECOND_IN_STOCKS).splitlines()[-1].split()
    assert cached(site, url_path) == "HIT"
    assert cached(site, "/markets/stocks/") == "HIT"
    assert cached(site, "/world/") == "HIT"

    manage(site, EDIT.format(pk=pk, title="A corrected headline about copper"))
    delay = visible_after(site, [url_path, "/markets/stocks/"], "A corrected headline about copper")

    assert delay < VISIBLE_WITHIN_SECONDS
    assert fetch(site["url"] + "/world/")[1]["X-Cache"] == "HIT"


def purge(site, keys: str, *, hard: bool = False) -> None:
    headers = {"xkey-purge": keys, **({"xkey-hard": "1"} if hard else {})}
    request = urllib.request.Request(site["url"] + "/", method="PURGE", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def page_key(headers: dict[str, str]) -> str:
    """The page's own key (`page-<id>`) among the surrogate keys it carries."""
    return next(k for k in headers["Surrogate-Key"].split() if k.startswith("page-"))


def test_a_purged_page_is_served_from_the_cache_while_one_fetch_renders_it_again(site):
    """Readers of a page purged under load do not queue behind gunicorn: the purged copy answers
    until its replacement, fetched once in the background, lands (well within the second)."""
    path = "/sports/"
    assert cached(site, path) == "HIT"
    time.sleep(1.1)  # the cached copy is now at least a second old (its Age)
    purge(site, page_key(fetch(site["url"] + path)[1]))

    status, headers, _ = fetch(site["url"] + path)
    assert status == 200
    assert headers["X-Cache"] == "HIT"  # the purged copy, at once
    assert int(headers["Age"]) >= 1
    start = time.monotonic()
    while int(fetch(site["url"] + path)[1]["Age"]) >= 1:  # the new copy
        assert time.monotonic() - start < VISIBLE_WITHIN_SECONDS
        time.sleep(0.02)


def test_a_purged_page_is_not_served_once_a_second_has_passed(site):
    path = "/world/"
    assert cached(site, path) == "HIT"
    purge(site, page_key(fetch(site["url"] + path)[1]))
    time.sleep(1.2)

    status, headers, _ = fetch(site["url"] + path)
    assert status == 200
    assert headers["X-Cache"] == "MISS"  # rendered again, not the copy from before the purge


def test_a_hard_purge_serves_no_copy_from_before_it(site):
    """The repeat purge removes a copy that may have been rendered before the change: the next
    reader gets a page rendered after it, not that copy in grace."""
    path = "/culture/"
    assert cached(site, path) == "HIT"
    purge(site, page_key(fetch(site["url"] + path)[1]), hard=True)

    status, headers, _ = fetch(site["url"] + path)
    assert status == 200
    assert headers["X-Cache"] == "MISS"
