"""A soak: mixed traffic on the production server, one worker killed midway.

    python bench/soak.py [--seconds 600] [--readers 6] [--articles 300]

A fresh site (SQLite, gunicorn with 2 workers, DEBUG off) gets, for --seconds: readers (each on
its own address through the trusted-proxy header, keeping its cookie) opening the home page,
article pages and searches, sending view beacons and reacting; an editor publishing an article
every 10 s; the "Demo wire" source polled every minute. Halfway, one gunicorn worker is killed
with SIGKILL (the master starts another). Reported: errors (anything but the expected answers,
and failed connections), worker memory (RSS) at start and end, and views and reactions stored
against those the server acknowledged (`{"counted": true}`, a 200 for a first reaction).
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from harness import VAR, environment, gunicorn, masthead, stop

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
WORDS = ["copper", "rates", "election", "storm", "market", "court", "energy", "football"]
# The site is on SQLite (views are written before the beacon is answered, nothing is queued):
# read the totals straight from the file instead of paying a Django start-up per reading.
COUNTS = {
    "views": "SELECT COALESCE(SUM(count), 0) FROM engagement_articlecounter WHERE name = 'view'",
    "reactions": "SELECT COALESCE(SUM(count), 0) FROM engagement_articlecounter "
    "WHERE name LIKE 'reaction:%'",
    "history": "SELECT COUNT(*) FROM engagement_readerview",
}
# The newsroom: one long-lived process publishing every 10 s and polling the source every 60 s
# until the stop file appears; prints how many it did.
NEWSROOM = """
import os, time, django
django.setup()
from masthead.ingest.models import Source
from masthead.ingest.pipeline import source_poll
from masthead.news.models import ArticlePage, ChannelPage
stop, published, polls, started = {stop!r}, 0, 0, time.monotonic()
channels = list(ChannelPage.objects.live())
source = Source.objects.get(name="Demo wire")
next_publish, next_poll = started, started
while not os.path.exists(stop):
    now = time.monotonic()
    if now >= next_publish:
        article = ArticlePage(title=f"Soak story {{published}}", dek="A story for the soak.", live=False,
                              body=[("paragraph", "<p>Published during the soak.</p>")])
        channels[published % len(channels)].add_child(instance=article)
        article.save_revision().publish()
        published += 1
        next_publish += 10
    if now >= next_poll:
        source.refresh_from_db()
        source_poll(source)
        polls += 1
        next_poll += 60
    time.sleep(0.2)
print(published, polls)
"""


def counts(var: Path) -> dict:
    with sqlite3.connect(f"file:{var}/masthead.sqlite3?mode=ro", uri=True) as db:
        return {name: db.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


class Traffic:
    def __init__(self, base: str, articles: list[tuple[int, str]]):
        self.base, self.articles = base, articles
        self.lock = threading.Lock()
        self.answers: Counter = Counter()
        self.errors: Counter = Counter()
        self.views_acknowledged = 0
        self.reactions_acknowledged = 0

    def tally(self, what: str, response: httpx.Response, expected: tuple[int, ...]) -> None:
        with self.lock:
            self.answers[response.status_code] += 1
            if response.status_code not in expected:
                self.errors[f"{what} {response.status_code}"] += 1

    def reader(self, number: int, deadline: float) -> None:
        rng = random.Random(number)
        reacted: set[int] = set()
        headers = {"User-Agent": UA, "X-Forwarded-For": f"2001:db8:5:{number:x}::1"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=20) as c:
            while time.monotonic() < deadline:
                try:
                    self.visit(c, rng, reacted)
                except httpx.HTTPError as error:
                    with self.lock:
                        self.errors[type(error).__name__] += 1

    def visit(self, c: httpx.Client, rng: random.Random, reacted: set[int]) -> None:
        self.tally("home", c.get("/"), (200,))
        article_id, url = rng.choice(self.articles)
        self.tally("article", c.get(url), (200,))
        beacon = c.post("/api/v1/events", json={"type": "view", "article": article_id})
        self.tally("beacon", beacon, (202,))
        if beacon.status_code == 202 and beacon.json()["counted"]:
            with self.lock:
                self.views_acknowledged += 1
        context = c.get(f"/api/v1/articles/{article_id}/reader-context")
        self.tally("context", context, (200,))
        if context.status_code == 200 and article_id not in reacted and rng.random() < 0.2:
            reaction = c.put(
                f"/api/v1/articles/{article_id}/reactions/verygood",
                json={"active": True},
                headers={"X-CSRFToken": context.json()["csrf_token"]},
            )
            self.tally("reaction", reaction, (200, 403))  # 403: no established id yet
            if reaction.status_code == 200:
                reacted.add(article_id)
                with self.lock:
                    self.reactions_acknowledged += 1
        self.tally("search", c.get("/search/", params={"q": rng.choice(WORDS)}), (200,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    var = VAR / "soak"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    # The source is the site's own demo feed on 127.0.0.1, so the fetcher may reach loopback.
    env = environment(
        var,
        MASTHEAD_BEHIND_PROXY="1",
        MASTHEAD_EVENT_RATE_IP="600/m",
        MASTHEAD_INGEST_ALLOW_PRIVATE="1",
    )
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "collectstatic", "--noinput", "-v0")
    masthead(env, "generate", "--articles", str(args.articles), "--seed", "1", "--no-images")
    server, base = gunicorn(env, workers=2)
    stop_file = var / "stop"
    try:
        masthead(env, "ensure_demo_source", "--base-url", base)
        listing = masthead(
            env,
            "shell",
            "-c",
            "import json; from masthead.news.models import ArticlePage; "
            "print(json.dumps([(a.pk, a.url) for a in ArticlePage.objects.live()[:500]]))",
        )
        articles = [tuple(row) for row in json.loads(listing.strip().splitlines()[-1])]
        before = counts(var)
        newsroom = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "masthead.cli",
                "shell",
                "-c",
                NEWSROOM.format(stop=str(stop_file)),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        traffic = Traffic(base, articles)
        time.sleep(2)
        start_rss = {pid: rss_kb(pid) for pid in workers(server.pid)}
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=traffic.reader, args=(n, deadline)) for n in range(args.readers)
        ]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 2)
        victim = workers(server.pid)[0]
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join()
        end_rss = {pid: rss_kb(pid) for pid in workers(server.pid)}
        stop_file.touch()
        published, polls = newsroom.communicate(timeout=300)[0].split()[-2:]
        after = counts(var)
    finally:
        stop(server)
    survivor = [pid for pid in start_rss if pid in end_rss]
    print(
        f"\nSoak: {args.seconds:.0f} s, {args.readers} readers, worker {victim} killed at half time"
    )
    print(
        f"requests answered: {sum(traffic.answers.values())} ({dict(sorted(traffic.answers.items()))})"
    )
    print(f"errors: {sum(traffic.errors.values())} {dict(traffic.errors)}")
    print(f"editor published {published} articles, source polled {polls} times")
    for pid in survivor:
        growth = (end_rss[pid] - start_rss[pid]) / start_rss[pid] * 100
        print(
            f"surviving worker {pid}: RSS {start_rss[pid] / 1024:.0f} MB -> {end_rss[pid] / 1024:.0f} MB ({growth:+.1f} %)"
        )
    for pid in end_rss:
        if pid not in start_rss:
            print(f"replacement worker {pid}: RSS at end {end_rss[pid] / 1024:.0f} MB")
    print(
        f"views stored {after['views'] - before['views']} / acknowledged {traffic.views_acknowledged}; "
        f"reactions stored {after['reactions'] - before['reactions']} / acknowledged {traffic.reactions_acknowledged}"
    )


if __name__ == "__main__":
    main()
