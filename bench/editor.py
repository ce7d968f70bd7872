"""An editor publishing one article every few seconds, for bench/serving.py.

    python bench/editor.py FRONT_URL --every 10 --count 3

Runs in the benchmark site's environment (the caller sets it), beside a task worker. Each publish
goes through Wagtail's normal path (revision + publish, signals, purges; the search-index,
reference-index and discovery updates are queued for the worker, as when an editor publishes in
the admin); a watcher polls the article's channel page and the home page through the front cache
from the moment the publish starts and records when the new headline shows on each.

A newsroom's worker has published before: the editor first publishes one bulletin unwatched and
waits until the worker has done its tasks, prints "ready", and starts the timed publishes when a
line arrives on its standard input. Then it prints one JSON line per publish.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import urllib.request

import django

TOPICS = (
    "glacier orchard tariff harbour lithium vaccine drought pension ferry satellite opera "
    "refinery wheat tunnel senate jazz coral bauxite monsoon locomotive vineyard quarry "
    "cathedral avalanche bandwidth cobalt dialysis estuary falconry geyser hydrofoil "
    "insulin jetty kiln lagoon meteor nickel oboe pier quinoa rugby saffron trawler "
    "uranium volcano walrus yacht zinc"
).split()
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 10.0


def shows(url: str, text: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return text in response.read().decode()


def watch(url: str, text: str, start: float, out: dict, name: str) -> None:
    while time.monotonic() - start < GIVE_UP_SECONDS:
        if shows(url, text):
            out[name] = time.monotonic() - start
            return
        time.sleep(POLL_SECONDS)
    out[name] = None


def publish_one(front: str, channel, n: int) -> dict:
    from masthead.news.models import ArticlePage

    # Each bulletin its own story: copies of one text would be grouped, and a listing shows a
    # story once, by its lead copy, so a second copy's headline would never appear there.
    words = random.sample(TOPICS, 12)
    title = f"Editor desk bulletin {n}: {' '.join(words[:3])} {random.randrange(10**9)}"
    article = ArticlePage(
        title=title,
        dek=f"A bulletin on {words[3]} and {words[4]}, published while readers load the site.",
        body=[("paragraph", f"<p>{' '.join(words[5:]).capitalize()} moved in early trading.</p>")],
        live=False,
    )
    channel.add_child(instance=article)
    revision = article.save_revision()
    delays: dict = {}
    start = time.monotonic()
    watchers = [
        threading.Thread(target=watch, args=(front + channel.url, title, start, delays, "channel")),
        threading.Thread(target=watch, args=(front + "/", title, start, delays, "home")),
    ]
    for watcher in watchers:
        watcher.start()
    revision.publish()
    delays["publish_call"] = time.monotonic() - start
    for watcher in watchers:
        watcher.join()
    return delays


def tasks_done(*, timeout: float = 120.0) -> None:
    """Wait until the task worker has run every queued task."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    unfinished = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    give_up = time.monotonic() + timeout
    while DBTaskResult.objects.filter(status__in=unfinished).exists():
        if time.monotonic() > give_up:
            raise RuntimeError("the task worker did not finish its tasks")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("front")
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args()
    django.setup()
    from masthead.news.models import ChannelPage

    channels = [c for c in ChannelPage.objects.live() if c.numchild]
    random.seed(7)
    front = args.front.rstrip("/")
    publish_one(front, random.choice(channels), -1)
    tasks_done()
    print("ready", flush=True)
    sys.stdin.readline()
    next_at = time.monotonic() + args.every / 2
    for n in range(args.count):
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += args.every
        print(json.dumps(publish_one(front, random.choice(channels), n)), flush=True)


if __name__ == "__main__":
    main()
