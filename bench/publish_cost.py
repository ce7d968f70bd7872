"""CPU of one publish, step by step, in one process (the steady figure behind bench/serving.py).

    python bench/publish_cost.py [--publishes 8]

Works on a copy of the site of bench/pages.py (10,000 articles; built first if missing), made
under bench/var/publish-cost/ on every run. Each publish is the editor's of bench/serving.py (a
bulletin of its own story, through Wagtail's normal path), with the page cache on and a local
HTTP server taking the purges. For each: the publish call; the first render of the home page
and of the article's channel after it; each task the publish queued, run as the task worker runs
it; the home and channel pages asked for again after the tasks (a hit unless a task purged
them). Prints the median CPU of each step over the publishes and their total.
"""

from __future__ import annotations

import argparse
import http.server
import os
import random
import shutil
import sqlite3
import statistics
import threading
import time
from collections import defaultdict

import django
from editor import TOPICS
from harness import VAR, environment
from pages import prepare_site


class PurgeSink(http.server.BaseHTTPRequestHandler):
    def do_PURGE(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def site_copy() -> str:
    source = prepare_site(10_000)
    var = VAR / "publish-cost"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    for name in ("discovery", "media", "static"):
        shutil.copytree(source / name, var / name)
    with (
        sqlite3.connect(source / "masthead.sqlite3") as db,
        sqlite3.connect(var / "masthead.sqlite3") as copy,
    ):
        db.backup(copy)
    return str(var)


def cpu(step):
    start = time.process_time()
    value = step()
    return time.process_time() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--publishes", type=int, default=8)
    args = parser.parse_args()
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PurgeSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    os.environ.update(
        environment(
            site_copy(),
            MASTHEAD_PAGE_CACHE_SECONDS="3600",
            MASTHEAD_FRONT_CACHE_URLS=f"http://127.0.0.1:{sink.server_address[1]}/",
            ALLOWED_HOSTS="127.0.0.1",
        )
    )
    django.setup()
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from masthead.discovery import services
    from masthead.news.models import ArticlePage, ChannelPage

    services.index_warm()
    DBTaskResult.objects.all().delete()
    client = Client(HTTP_HOST="127.0.0.1")
    channels = [c for c in ChannelPage.objects.live() if c.numchild]
    words = random.Random()
    cost: dict[str, list[float]] = defaultdict(list)
    for n in range(args.publishes):
        channel = channels[n % len(channels)]
        for url in ("/", channel.url, "/", channel.url):
            client.get(url)
        picked = words.sample(TOPICS, 12)
        article = ArticlePage(
            title=f"Editor desk bulletin {n}: {' '.join(picked[:3])} {words.randrange(10**9)}",
            dek=f"A bulletin on {picked[3]} and {picked[4]}, published while readers load it.",
            body=[("paragraph", f"<p>{' '.join(picked[5:]).capitalize()} moved.</p>")],
            live=False,
        )
        spent = {}

        def publish(article=article, channel=channel):
            channel.add_child(instance=article)
            article.save_revision().publish()

        spent["publish call"], _ = cpu(publish)
        for url, name in (("/", "home, first render after"), (channel.url, "channel, same")):
            spent[name], response = cpu(lambda url=url: client.get(url))
            assert article.title in response.content.decode(), url
        for row in DBTaskResult.objects.order_by("enqueued_at"):
            task, result = row.task, row.task_result
            name = "task " + task.name
            seconds, _ = cpu(
                lambda task=task, result=result: task.call(*result.args, **result.kwargs)
            )
            spent[name] = spent.get(name, 0.0) + seconds
        DBTaskResult.objects.all().delete()
        for url, name in (("/", "home, after the tasks"), (channel.url, "channel, same")):
            spent[name + " "], _ = cpu(lambda url=url: client.get(url))
        spent["total"] = sum(spent.values())
        for name, seconds in spent.items():
            cost[name].append(seconds)
    sink.shutdown()
    print(f"CPU per publish, medians of {args.publishes} (ms; load {os.getloadavg()[0]:.1f}):")
    for name, values in cost.items():
        print(f"  {name:<50}{statistics.median(values) * 1000:>8.1f}")


if __name__ == "__main__":
    main()
