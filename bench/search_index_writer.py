"""Search-index rows on PostgreSQL: Wagtail's own writer against Masthead's, same run, same rows.

    python bench/search_index_writer.py [--articles 2000] [--rounds 3]

A fresh PostgreSQL database `masthead_index_bench` gets `--articles` generated articles; then,
`--rounds` times and alternately, the same articles are indexed (rows replaced in place) by
Wagtail's PostgreSQL `add_items` and by `news/search_index.py`'s `_postgres_rows`, each without
the title-norm step (both then run the same one). Prints the median wall and CPU seconds per
1,000 articles of each and their ratio, and checks that both leave identical rows. The machine
is shared: read the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from harness import ROOT, VAR, environment, masthead, psql

DATABASE = "masthead_index_bench"

MEASURE = """
import copy, statistics, time
import django
django.setup()
from django.db import connection
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry
from masthead.news.models import ArticlePage
from masthead.news.search_index import POSTGRES_ROWS, _postgres_rows

backend = get_search_backend()
ids = list(ArticlePage.objects.order_by("pk").values_list("pk", flat=True)[:{articles}])


def rows():
    return sorted(
        IndexEntry.objects.filter(object_id__in=[str(i) for i in ids]).values_list(
            "object_id", "title", "body", "autocomplete", "title_text", "body_text"
        )
    )


def wagtail(objects):
    flat = copy.copy(backend.get_index_for_model(ArticlePage))
    flat._refresh_title_norms = lambda full=False: None
    for start in range(0, len(objects), POSTGRES_ROWS):
        flat.add_items(ArticlePage, objects[start : start + POSTGRES_ROWS])


def masthead(objects):
    for start in range(0, len(objects), POSTGRES_ROWS):
        _postgres_rows(backend, ArticlePage, objects[start : start + POSTGRES_ROWS])


times = {{"wagtail": [], "masthead": []}}
written = {{}}
for _ in range({rounds}):
    for name, write in (("wagtail", wagtail), ("masthead", masthead)):
        objects = list(ArticlePage.objects.filter(pk__in=ids).prefetch_related("tags"))
        objects.sort(key=lambda page: page.pk)
        for page in objects:
            page.body_text  # the body's text is extracted once per page on both paths
        wall, cpu = time.perf_counter(), time.process_time()
        write(objects)
        times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        written[name] = rows()
assert written["wagtail"] == written["masthead"], "the two writers left different rows"
for name, samples in times.items():
    wall = statistics.median(s[0] for s in samples) * 1000 / len(ids)
    cpu = statistics.median(s[1] for s in samples) * 1000 / len(ids)
    print(f"RESULT {{name}} {{wall:.3f}} {{cpu:.3f}}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    var = VAR / "index-writer"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    env = environment(var, f"postgres://postgres@127.0.0.1:5432/{DATABASE}", PYTHONPATH=str(ROOT))
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "generate", "--articles", str(args.articles), "--no-images", "--no-discovery")
    out = subprocess.run(
        [sys.executable, "-c", MEASURE.format(articles=args.articles, rounds=args.rounds)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    results = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            _, name, wall, cpu = line.split()
            results[name] = (float(wall), float(cpu))
    print(f"{args.articles:,} articles, median of {args.rounds} rounds, per 1,000 articles:\n")
    print("| writer | wall s | CPU s (this process) |")
    print("|---|---:|---:|")
    for name, (wall, cpu) in results.items():
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    w, m = results["wagtail"], results["masthead"]
    print(f"| ratio Wagtail / Masthead | {w[0] / m[0]:.1f}x | {w[1] / m[1]:.1f}x |")
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
