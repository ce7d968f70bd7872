"""What a served Ranking list costs: the list as it was served before (the cached list read, then
one query for the articles still live and their pages built, on every serve) against the list
kept in the process while its cached list and articles stay the same, alternating, in one
process, on a site `bench/scale.py` grew.

    MASTHEAD_VAR_DIR=... DATABASE_URL=... REDIS_URL=... DJANGO_SETTINGS_MODULE=masthead.settings \\
    python bench/ranking_serve.py [--views 100000000] [--serves 2000] [--block 100]
                                  [--purge-every 50] [--keep-history]

`--views` of history as the scale probe writes it (bench/scale_probes.py `ranking_history`),
then the 7-day site list refreshed once, then `--serves` serves of each path in alternating
blocks of `--block`, three times: garbage collection as in a plain process, after `gc.freeze()`
(as a gunicorn worker does, masthead/wsgi.py), and frozen with an unrelated purge (another
article published somewhere on the site) every `--purge-every` serves. Prints wall and CPU
(this thread's) p50 / p95 / p99 / max per serve, in ms, and the load average, as JSON lines.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time

from scale_probes import pct, ranking_history


def serve_stats(samples: list[tuple[float, float]]) -> dict:
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    return {
        "serves": len(samples),
        **{
            f"wall_{n}": round(pct(wall, q), 3)
            for n, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "wall_max": round(max(wall), 3),
        **{
            f"cpu_{n}": round(pct(cpu, q), 3)
            for n, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--views", type=int, default=100_000_000)
    parser.add_argument("--serves", type=int, default=2000)
    parser.add_argument("--block", type=int, default=100)
    parser.add_argument("--purge-every", type=int, default=50)
    parser.add_argument("--keep-history", action="store_true", help="use the history already there")
    args = parser.parse_args()

    from django.conf import settings
    from django.db import connection

    from masthead.engagement import selectors, services
    from masthead.news.cache import article_key, keys_purge
    from masthead.news.models import ArticlePage, HomePage

    if not args.keep_history:
        history = ranking_history(args.views)
        print(json.dumps({"history": history}), flush=True)
    home = HomePage.objects.get()
    services.ranking_refresh()
    # Articles not in the list, whose purges stand for publishing elsewhere on the site.
    top = selectors.ranking_cached_top(window="7d", within_path=home.path)
    listed = {pk for pk, _ in top}
    elsewhere = [
        pk
        for pk in ArticlePage.objects.live().order_by("-pk").values_list("pk", flat=True)[:500]
        if pk not in listed
    ]

    def old() -> list:
        # The served list before: the cached list, then the live articles, every time.
        return selectors._live_ranked(
            selectors.ranking_cached_top(window="7d", within_path=home.path), 8
        )

    def new() -> list:
        return selectors.ranking_list(window="7d", within_path=home.path, limit=8)

    assert [r.article.pk for r in old()] == [r.article.pk for r in new()]
    info = {
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[1],
        "pid": os.getpid(),
        "articles": ArticlePage.objects.count(),
        "list": [r.article.pk for r in new()],
    }
    print(json.dumps(info), flush=True)
    for mode in ("plain", "frozen", "frozen+purges"):
        if mode == "frozen":
            gc.collect()
            gc.freeze()
        samples: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        purges = 0
        load_before = os.getloadavg()[0]
        for block in range(2 * args.serves // args.block):
            name, serve = (("old", old), ("new", new))[block % 2]
            for i in range(args.block):
                if mode == "frozen+purges" and i % args.purge_every == 0:
                    keys_purge([article_key(elsewhere[purges % len(elsewhere)])])
                    purges += 1
                wall, cpu = time.perf_counter(), time.thread_time()
                serve()
                samples[name].append(
                    ((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000)
                )
        print(
            json.dumps(
                {
                    "mode": mode,
                    "purges": purges,
                    "load": [load_before, os.getloadavg()[0]],
                    **{name: serve_stats(s) for name, s in samples.items()},
                }
            ),
            flush=True,
        )
    # For comparison: the Ranking API as a browser's ranking.js asks for it (in process, no
    # network): the site list, its items cached with their keys, and the JSON.
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    url = "/api/v1/ranking?window=7d&limit=8"
    assert client.get(url).status_code == 200
    api = []
    for _ in range(args.serves // 4):
        wall, cpu = time.perf_counter(), time.thread_time()
        client.get(url)
        api.append(((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000))
    print(json.dumps({"mode": "api, frozen", "api": serve_stats(api)}), flush=True)


if __name__ == "__main__":
    main()
