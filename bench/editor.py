"""An editor publishing one article at a time, for bench/serving.py.

    python bench/editor.py FRONT_URL --every 10

Runs in the benchmark site's environment (the caller sets it), beside a task worker. Each publish
goes through Wagtail's normal path (revision + publish, signals, purges; the search-index,
reference-index and discovery updates are queued for the worker, as when an editor publishes in
the admin); a watcher polls the article's channel page and the home page through the front cache
from the moment the publish starts and records when the new headline shows on each.

A newsroom's worker has published before: the editor first publishes one bulletin unwatched and
waits until the worker has done its tasks, and prints "ready". Then, for each line on its
standard input, it waits half of `--every` seconds, publishes one article, and prints one JSON
line (delays, and the CPU the publish call and the watchers took).
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

import django

TOPICS = (
    "glacier orchard tariff harbour lithium vaccine drought pension ferry satellite opera "
    "refinery wheat tunnel senate jazz coral bauxite monsoon locomotive vineyard quarry "
    "cathedral avalanche bandwidth cobalt dialysis estuary falconry geyser hydrofoil "
    "insulin jetty kiln lagoon meteor nickel oboe pier quinoa rugby saffron trawler "
    "uranium volcano walrus yacht zinc"
).split()
POLL_SECONDS = 0.01
WORDS = random.Random()
GIVE_UP_SECONDS = 10.0


def watch(url: str, text: str, start: float, out: dict, name: str) -> None:
    """Poll `url` until it shows `text`, on one kept connection (a reader's browser would keep
    it too; a new connection and a decoded page per poll cost the benchmark's own CPU)."""
    cpu = time.thread_time()
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    wanted = html.escape(text).encode()
    out[name] = None
    try:
        while time.monotonic() - start < GIVE_UP_SECONDS:
            connection.request("GET", parts.path)
            if wanted in connection.getresponse().read():
                out[name] = time.monotonic() - start
                break
            time.sleep(POLL_SECONDS)
    finally:
        connection.close()
        out[name + "_cpu"] = time.thread_time() - cpu


def publish_one(front: str, channel, n: int) -> dict:
    from masthead.news.models import ArticlePage

    # Each bulletin its own story: copies of one text would be grouped, and a listing shows a
    # story once, by its lead copy, so a second copy's headline would never appear there.
    # Words from an unseeded generator: a bulletin of an earlier run on the same site would be
    # the same story, and its headline would already show.
    words = WORDS.sample(TOPICS, 12)
    title = f"Editor desk bulletin {n}: {' '.join(words[:3])} {WORDS.randrange(10**9)}"
    article = ArticlePage(
        title=title,
        dek=f"A bulletin on {words[3]} and {words[4]}, published while readers load the site.",
        body=[("paragraph", f"<p>{' '.join(words[5:]).capitalize()} moved in early trading.</p>")],
        live=False,
    )
    cpu = time.thread_time()
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
    # This thread's CPU for creating and publishing the article (the watchers run in others).
    delays["publish_cpu"] = time.thread_time() - cpu
    for watcher in watchers:
        watcher.join()
    delays["watch_cpu"] = delays.pop("channel_cpu") + delays.pop("home_cpu")
    delays["channel_url"] = channel.url
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
    args = parser.parse_args()
    django.setup()
    from masthead.news.models import ChannelPage

    channels = [c for c in ChannelPage.objects.live() if c.numchild]
    random.seed(7)
    front = args.front.rstrip("/")
    publish_one(front, random.choice(channels), -1)
    tasks_done()
    print("ready", flush=True)
    cpu = time.process_time()
    for n, _ in enumerate(sys.stdin):
        time.sleep(args.every / 2)
        delays = publish_one(front, random.choice(channels), n)
        # The whole process's CPU since the timed publishes started (for the benchmark's table).
        delays["process_cpu"] = time.process_time() - cpu
        print(json.dumps(delays), flush=True)


if __name__ == "__main__":
    main()
