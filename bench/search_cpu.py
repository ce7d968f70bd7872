"""Search pages in process: CPU and wall time per page, and the answers, for comparing two trees.

    python bench/search_cpu.py --var DIR [--database-url URL --redis-url URL] [--seed 1]
                               [--queries 60] [--rounds 1] [--answers FILE]

Runs inside one Python process with the site's settings (DEBUG off, result cache off): each
query of `bench/search.py`'s draw for `--seed` (one word, two words) is asked once through
Django's test client (middleware, view, SQL, template), page 1. Prints p50 / p95 ms of the
process's CPU time (`time.process_time`: on SQLite it includes the database, on PostgreSQL the
server's CPU is not in it, and is printed apart as a mean per page) and of wall time. `--answers FILE` writes each query's count and
first page of story ids as JSON, so that two trees' answers can be compared. To measure another
tree (say an export of main), run this file with PYTHONPATH on that tree.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import queries  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--answers", type=Path)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="masthead.settings",
        MASTHEAD_VAR_DIR=str(args.var),
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DEBUG="0",
        SECRET_KEY="benchmark-only-secret-key-" + "z" * 40,
        MASTHEAD_HTTPS="0",
        LOG_LEVEL="ERROR",
        MASTHEAD_SEARCH_CACHE_SECONDS="0",
    )
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client then keeps each response's context

    from masthead.news.models import ArticlePage

    ids = list(ArticlePage.objects.live().values_list("pk", flat=True))
    random.seed(0)  # the same titles as bench/search.py draws
    pick = random.sample(ids, min(5000, len(ids)))
    titles = list(ArticlePage.objects.filter(pk__in=pick).values_list("title", flat=True))
    sets = {kind: texts[: args.queries] for kind, texts in queries(titles, 100, args.seed).items()}
    from masthead.news import search as code

    print(f"({args.label}: {code.__file__})", file=sys.stderr)
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/search/", {"q": "warm"})  # imports, templates, the channel menu
    from django.db import connection

    backend = 0
    if connection.vendor == "postgresql":  # the server process of this one connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]

    def server_cpu_ms() -> float:
        """CPU time of the connection's PostgreSQL server process (/proc: 10 ms ticks, so
        only a mean over many pages is worth printing)."""
        if not backend:
            return 0.0
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    answers: dict[str, dict] = {}
    for kind, texts in sets.items():
        cpu, wall = [], []
        server_before = server_cpu_ms()
        for _ in range(args.rounds):
            for text in texts:
                c0, w0 = time.process_time(), time.perf_counter()
                response = client.get("/search/", {"q": text})
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
                assert response.status_code == 200, (text, response.status_code)
                page = response.context["results"]
                answers[text] = {
                    "count": page.paginator.count,
                    "capped": bool(page.paginator.object_list.is_capped),
                    "ids": [a.pk for a in page],
                }
        (c50, c95), (w50, w95) = percentiles(cpu), percentiles(wall)
        server = ""
        if connection.vendor == "postgresql":
            per_page = (server_cpu_ms() - server_before) / len(cpu)
            server = f"\tserver CPU {per_page:.1f} ms/page (mean)"
        print(
            f"{args.label}\tseed {args.seed}\t{kind}\tCPU {c50:.1f} / {c95:.1f} ms"
            f"\twall {w50:.1f} / {w95:.1f} ms{server}\t({len(cpu)} pages)",
            flush=True,
        )
    if args.answers:
        args.answers.write_text(json.dumps(answers, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
