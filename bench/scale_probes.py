"""Measurements `bench/scale.py` runs in a fresh process against the site it is growing.

    python bench/scale_probes.py PROBE   (environment from bench/scale.py)

Each probe prints one JSON line, including the process's peak resident memory.
"""

from __future__ import annotations

import cProfile
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from harness import ROOT, article_published  # noqa: E402

sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def worker_start() -> dict:
    """A fresh worker: settings loaded, then the first Related list served, then the corpus
    index opened (what the task worker and ingestion need)."""
    from masthead.discovery import interface
    from masthead.discovery import services as discovery
    from masthead.news.models import ArticlePage

    article = ArticlePage.objects.live().order_by("-published_at").first()
    items = interface.related(article)
    first_list = time.perf_counter() - STARTED
    opened = time.perf_counter()
    discovery.corpus_reader()
    index_open = time.perf_counter() - opened
    return {"first_list_s": first_list, "index_open_s": index_open, "items": len(items)}


def rebuild() -> dict:
    from masthead.discovery import services as discovery

    started = time.perf_counter()
    result = discovery.index_rebuild()
    return {"seconds": time.perf_counter() - started, **result}


def discovery_checks() -> dict:
    """ANN recall@10 of the final Related lists against exact search on a sample, and the
    incremental update after publishing an article (the task worker's job)."""
    from masthead.discovery import engine
    from masthead.discovery import services as discovery
    from masthead.news.models import ChannelPage

    discovery.corpus_reader()
    index = discovery._current()
    rng = random.Random(3)
    rows = sorted(rng.sample(range(index.size), min(300, index.size)))
    approximate = index.neighbours(rows).items
    exact = engine.related_rows(index.corpus, rows).items
    recall = statistics.mean(
        len({j for j, _ in a[:10]} & {j for j, _ in e[:10]}) / max(1, min(10, len(e)))
        for a, e in zip(approximate, exact, strict=True)
    )
    channel = ChannelPage.objects.live().filter(depth=4).first()
    times = []
    for i in range(5):
        article = article_published(channel, i)
        started = time.perf_counter()
        discovery.article_update(article_id=article.pk)
        times.append(time.perf_counter() - started)
    return {
        "recall10": recall,
        "graph": index.vectors.graph is not None,
        "update_median_s": statistics.median(times),
        "update_max_s": max(times),
    }


def pages() -> dict:
    """Queries and server time (in process, no network) per page type: median and p99."""
    from taggit.models import Tag

    from masthead.news.models import ArticlePage, ChannelPage

    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(5)
    newest = ArticlePage.objects.live().order_by("-published_at")
    count = newest.count()
    articles = [newest[rng.randrange(count)].url for _ in range(40)]
    channels = [c.url for c in ChannelPage.objects.live()]
    tags = list(Tag.objects.order_by("pk").values_list("slug", flat=True)[:200])
    words = ["copper", "rates", "storm", "election", "shares", "harbour", "league", "chip"]
    urls = {
        "article": articles,
        "channel": channels,
        "home": ["/"],
        "tag": [f"/tags/{slug}/" for slug in tags],
        "search": [f"/search/?q={w}" for w in words],
    }
    out = {}
    for name, choices in urls.items():
        client.get(choices[0])  # warm caches a real worker would have warm
        times, queries = [], []
        for i in range(40):
            url = choices[i % len(choices)]
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(captured))
        out[name] = {
            "queries": f"{min(queries)}-{max(queries)}"
            if min(queries) != max(queries)
            else str(queries[0]),
            "p50_ms": statistics.median(times),
            "p95_ms": pct(times, 0.95),
            "p99_ms": pct(times, 0.99),
        }
    return out


def ingest() -> dict:
    """End to end through the pipeline, storing published Wagtail pages, 300 wire items."""
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest import wire_items

    from masthead.ingest import parse, pipeline
    from masthead.ingest.models import Source

    source, _ = Source.objects.get_or_create(
        name="Scale wire",
        defaults={"url": "https://wire.example/rss", "policy": Source.PUBLISH, "full_text": False},
    )
    from django.db import connection

    entries = parse.parse(wire_items(300, seed=int(time.time()) % 1000), "rss")
    ctx = pipeline.Context()
    spent = {"dedup": 0.0, "queries": 0}
    near_duplicate = ctx.near_duplicate

    def timed_near_duplicate(signature):
        began = time.perf_counter()
        try:
            return near_duplicate(signature)
        finally:
            spent["dedup"] += time.perf_counter() - began

    def timed_query(execute, sql, params, many, context):
        # De-duplication's own lookups: an item's key, text hash or link among the items.
        lookup = sql.startswith("SELECT") and '"ingest_item"' in sql.split("WHERE")[0]
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["queries"] += 1
            if lookup:
                spent["dedup"] += time.perf_counter() - began

    ctx.near_duplicate = timed_near_duplicate
    tasks_drain()  # what earlier runs left queued is not this run's
    started, started_cpu, server_before = time.perf_counter(), cpu_s(), server_cpu_s()
    with connection.execute_wrapper(timed_query):
        report = pipeline.entries_ingest(source, entries, ctx=ctx)
    seconds, cpu = time.perf_counter() - started, cpu_s() - started_cpu
    server = server_cpu_s() - server_before
    queued = tasks_ready()
    worker = tasks_drain()
    n = len(entries)
    return {
        "items_per_s": n / seconds,
        "report": str(report),
        "queries_per_item": spent["queries"] / n,
        "dedup_ms": spent["dedup"] * 1000 / n,
        "cpu_ms_per_item": cpu * 1000 / n,
        "server_cpu_ms_per_item": server * 1000 / n,
        "tasks_queued": queued,
        "worker_s": worker["wall_s"],
        "worker_cpu_ms_per_item": worker["cpu_s"] * 1000 / n,
        "worker_start_cpu_s": worker["start_cpu_s"],
        "worker_task_cpu_ms_per_item": worker["task_cpu_s"] * 1000 / n,
        "worker_server_cpu_ms_per_item": worker["server_cpu_s"] * 1000 / n,
    }


def cpu_s() -> float:
    times = os.times()
    return times.user + times.system


_backends: set[int] = set()


def _backend_opened(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backends.add(cursor.fetchone()[0])


def server_cpu_s() -> float:
    """CPU seconds the PostgreSQL server processes of this process's connections have used
    (read from /proc: the server runs on this machine); 0 on SQLite."""
    from django.db import connection

    connection.ensure_connection()
    total = 0.0
    for pid in _backends:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # closed since
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def tasks_ready() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


def tasks_drain() -> dict:
    """Run the queued background tasks with a fresh task worker (the `worker` probe): its wall
    and CPU seconds, start-up included, and its database server's CPU."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "worker"], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return {"wall_s": time.perf_counter() - started, **json.loads(out.strip().splitlines()[-1])}


def worker() -> dict:
    """`masthead db_worker --batch` in this process: CPU to start (imports, settings, opening
    discovery's index) and to run what is queued, and its database server's CPU."""
    from django.core.management import call_command

    from masthead.discovery import services as discovery

    discovery.index_warm()
    start_cpu, server_before = cpu_s(), server_cpu_s()
    # MASTHEAD_PROFILE_WORKER=FILE: a cProfile (CPU clock) of the tasks, for pstats.
    profile = os.environ.get("MASTHEAD_PROFILE_WORKER")
    profiler = cProfile.Profile(time.process_time) if profile else None
    if profiler:
        profiler.enable()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    return {
        "cpu_s": cpu_s(),
        "start_cpu_s": start_cpu,
        "task_cpu_s": cpu_s() - start_cpu,
        "server_cpu_s": server_cpu_s() - server_before,
    }


def ranking_history(views: int) -> dict:
    """`views` of history as hourly activity over the last 8 days (12 random hours for each of
    up to 20,000 articles, Zipf-like), and the decayed sums rebuilt from it."""
    from datetime import timedelta

    from django.utils import timezone

    from masthead.engagement import counters, ranking
    from masthead.engagement.models import ArticleActivity
    from masthead.news.models import ArticlePage

    rng = random.Random(1)
    now = timezone.now()
    ArticleActivity.objects.all().delete()
    articles = list(ArticlePage.objects.live().values_list("pk", "path")[:20000])
    hours = [ranking.hour_start(now - timedelta(hours=h)) for h in range(8 * 24)]
    weights = [1 / (r**1.1) for r in range(1, len(articles) + 1)]
    scale = views / sum(weights) / 12
    rows = []
    for (pk, path), w in zip(articles, weights, strict=True):
        for hour in rng.sample(hours, 12):
            count = int(w * scale + rng.random())
            if count:
                rows.append(
                    ArticleActivity(
                        article_id=pk,
                        hour=hour,
                        path=path,
                        view_count=count,
                        reaction_count=count // 50,
                    )
                )
    ArticleActivity.objects.bulk_create(rows, batch_size=5000)
    started = time.perf_counter()
    counters.ranking_scores_rebuild(now=now)
    return {
        "activity_rows": len(rows),
        "views": sum(r.view_count for r in rows),
        "rebuild_s": time.perf_counter() - started,
    }


def ranking(views: int) -> dict:
    """`views` of history (`ranking_history`), then one 7-day site list and the served (cached)
    list, against the per-query scan."""
    from django.db.models import Case, F, FloatField, Sum, Value, When
    from django.utils import timezone

    from masthead.engagement import ranking, selectors
    from masthead.engagement.models import ArticleActivity
    from masthead.news.models import HomePage

    history = ranking_history(views)
    now = timezone.now()
    home = HomePage.objects.get()
    window = ranking.WINDOWS["7d"]
    refresh = []
    for _ in range(20):
        started = time.perf_counter()
        selectors.ranking_top(window="7d", within_path=home.path)
        refresh.append((time.perf_counter() - started) * 1000)
    weights_by_hour = ranking.hour_weights(window=window, now=now)
    weight = Case(
        *[When(hour=h, then=Value(w)) for h, w in weights_by_hour.items()],
        output_field=FloatField(),
    )
    scan = []
    for _ in range(3):
        started = time.perf_counter()
        list(
            ArticleActivity.objects.filter(
                hour__in=list(weights_by_hour), path__startswith=home.path
            )
            .values("article_id")
            .annotate(
                score=Sum(
                    (F("view_count") + 5 * F("reaction_count")) * weight, output_field=FloatField()
                )
            )
            .order_by("-score")[:50]
        )
        scan.append((time.perf_counter() - started) * 1000)
    selectors.ranking_list(window="7d", within_path=home.path, limit=8)
    served, served_cpu = [], []
    for _ in range(2000):
        started, started_cpu = time.perf_counter(), time.thread_time()
        selectors.ranking_list(window="7d", within_path=home.path, limit=8)
        served.append((time.perf_counter() - started) * 1000)
        served_cpu.append((time.thread_time() - started_cpu) * 1000)
    return {
        **history,
        "refresh_ms": statistics.median(refresh),
        "scan_ms": statistics.median(scan),
        "serve_p50_ms": statistics.median(served),
        "serve_p95_ms": pct(served, 0.95),
        "serve_p99_ms": pct(served, 0.99),
        "serve_cpu_p50_ms": statistics.median(served_cpu),
        "serve_cpu_p99_ms": pct(served_cpu, 0.99),
        "load": os.getloadavg()[0],
    }


PROBES = {
    "worker_start": worker_start,
    "rebuild": rebuild,
    "discovery_checks": discovery_checks,
    "pages": pages,
    "ingest": ingest,
    "worker": worker,
}

connection_created.connect(_backend_opened)

if __name__ == "__main__":
    name = sys.argv[1]
    result = ranking(int(sys.argv[2])) if name == "ranking" else PROBES[name]()
    print(json.dumps({**result, "peak_mb": peak_mb()}))
