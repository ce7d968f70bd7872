"""Every operation a newsroom runs, as one corpus grows: 10,000 -> 100,000 (-> 1,000,000) articles.

    nice -n 10 python bench/scale.py [--database sqlite|postgres] [--sizes 10000,100000]
                                     [--views 1000000] [--probes rebuild,start,...]
                                     [--processes N] [--writers N] [--keep]

One corpus per database (SQLite under bench/var/scale-sqlite/, or a fresh PostgreSQL database
`masthead_scale_bench` on 127.0.0.1), grown step by step with `masthead generate` (the same
command, continuing the same corpus: seed = step). At each size, in fresh processes
(bench/scale_probes.py):

- creation: articles/s over the step and over its last tenth, database size per article;
- pages: queries and server time (in process, no network) of article, channel, home, tag and
  search pages, median / p95 / p99 of 40 requests each;
- discovery: full rebuild time and peak memory; ANN recall@10 of the final Related lists
  against exact search (300 sampled articles); incremental update after one publish (median and
  max of 5); worker start-up to the first served list, and opening the corpus index;
- ingestion: 300 wire items end to end through the pipeline, stored as published pages;
- Ranking: `--views` of history as hourly activity, decayed sums rebuilt from it, the 7-day site
  list refreshed (one indexed query) against the per-query scan it replaced, and served.

`--probes` runs only the named probes after each step (creation runs whenever the corpus is
below the step's size: it grows the corpus); a row of a probe not run reads "-". With `--keep`
and a corpus already at the size, only the probes run, so a long probe can have its own
invocation. `MASTHEAD_SCALE_REDIS` gives the PostgreSQL corpus the scale configuration's Redis. `--processes` is `masthead generate --processes`
(text generation in that many worker processes), `--writers` its `--writers` (channels written
from that many processes at once on PostgreSQL; SQLite has one writer). `--keep` continues the corpus already in the
database (or under bench/var/) instead of starting afresh: the first size is then the size to
grow to from the articles already there.

Prints one table per database (markdown, for docs/benchmarks.md). The machine is shared: read
ratios within one run, not absolute figures across runs; the CPU seconds per article of the
command (the database server's not included) are steadier than the rates.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

from harness import ROOT, VAR, environment, masthead, masthead_print, psql

# The PostgreSQL database the run drops and recreates (MASTHEAD_SCALE_DATABASE to use another).
POSTGRES_NAME = os.environ.get("MASTHEAD_SCALE_DATABASE", "masthead_scale_bench")
POSTGRES = f"postgres://postgres@127.0.0.1:5432/{POSTGRES_NAME}"
# The scale configuration's Redis (cache, counters) for the PostgreSQL corpus, e.g.
# redis://127.0.0.1:6379/1; unset, the probes use the disk cache and SQL counters.
REDIS = os.environ.get("MASTHEAD_SCALE_REDIS", "")


PROBES = ("rebuild", "start", "discovery", "pages", "ingest", "ranking")


def fresh(database: str, *, keep: bool = False) -> dict:
    var = VAR / f"scale-{database}"
    if not keep:
        shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True, exist_ok=True)
    url = redis = ""
    if database == "postgres":
        if not keep:
            psql(f"DROP DATABASE IF EXISTS {POSTGRES_NAME}")
            psql(f"CREATE DATABASE {POSTGRES_NAME}")
        url, redis = POSTGRES, REDIS
    env = environment(var, url, redis, PYTHONPATH=f"{ROOT / 'bench'}:{ROOT}")
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "collectstatic", "--noinput", "-v0")
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def article_count(env: dict) -> int:
    return int(
        masthead_print(
            env,
            "from masthead.news.models import ArticlePage; print(ArticlePage.objects.count())",
        )
    )


def generate(
    env: dict, articles: int, seed: int, processes: int, writers: int
) -> tuple[float, float, float]:
    """(seconds, database MB, CPU seconds of the command, the database server's not included)
    of one `masthead generate` run."""
    cpu = children_cpu()
    out = masthead(
        env,
        "generate",
        "--articles",
        str(articles),
        "--seed",
        str(seed),
        "--no-images",
        "--no-discovery",
        "--processes",
        str(processes),
        "--writers",
        str(writers),
    )
    match = re.search(r"in ([\d.]+) s .* database ([\d,.]+) MB", out)
    return float(match.group(1)), float(match.group(2).replace(",", "")), children_cpu() - cpu


def analyze(env: dict) -> None:
    """Planner statistics after a bulk write, as docs/deployment.md tells operators: without
    them PostgreSQL guesses (the benchmark server runs with autovacuum off, and a bulk load
    outruns autovacuum anyway), e.g. sorting every article of a channel for its first page."""
    if env["DATABASE_URL"]:
        started = time.perf_counter()
        psql("ANALYZE", database=POSTGRES_NAME)
        print(f"  ANALYZE: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def probe(env: dict, *args: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_probes.py"), *args],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    print(f"  {args[0]}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return json.loads(out.strip().splitlines()[-1])


def creation(env: dict, grow: int, size: int, seed: int, processes: int, writers: int) -> dict:
    tail = max(grow // 10, 1)
    head_s, _, head_cpu = generate(env, grow - tail, seed, processes, writers)
    tail_s, mb, tail_cpu = generate(env, tail, seed + 100, processes, writers)
    print(f"{size}: generated in {head_s + tail_s:.0f} s", file=sys.stderr, flush=True)
    return {
        "rate": grow / (head_s + tail_s),
        "tail_rate": tail / tail_s,
        "cpu_rate": grow / (head_cpu + tail_cpu),
        "tail_cpu_rate": tail / tail_cpu,
        "kb_per_article": mb * 1000 / size,
        "head_rate": (grow - tail) / head_s,
        "head_cpu_ms": head_cpu * 1000 / (grow - tail),
        "tail_cpu_ms": tail_cpu * 1000 / tail,
    }


def step(
    env: dict,
    have: int,
    size: int,
    seed: int,
    views: int,
    probes: set[str],
    processes: int,
    writers: int,
) -> dict:
    row: dict = {"size": size}
    grow = size - have
    # A kept corpus already at this size: only the probes run (their rows, a step's, apart).
    if grow > 0:
        row.update(creation(env, grow, size, seed, processes, writers))
        analyze(env)
    if "rebuild" in probes:
        started = time.perf_counter()
        row["rebuild"] = probe(env, "rebuild")
        row["rebuild"]["wall_s"] = time.perf_counter() - started
        analyze(env)  # every profile row was rewritten
    for name, key, args in (
        ("start", "start", ["worker_start"]),
        ("discovery", "discovery", ["discovery_checks"]),
        ("pages", "pages", ["pages"]),
        ("ingest", "ingest", ["ingest"]),
        ("ranking", "ranking", ["ranking", str(views)]),
    ):
        if name in probes:
            row[key] = probe(env, *args)
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def table(database: str, rows: list[dict], seconds: float) -> None:
    print(f"\n### {database} (whole run {seconds / 60:.0f} min)\n")
    sizes = [f"{r['size']:,}" for r in rows]
    print("| | " + " | ".join(sizes) + " |")
    print("|---|" + "---:|" * len(rows))

    def line(name: str, cell) -> None:
        def shown(row: dict) -> str:
            try:
                return cell(row)
            except KeyError:  # the probe did not run
                return "-"

        print(f"| {name} | " + " | ".join(shown(r) for r in rows) + " |")

    line("creation, articles/s (step)", lambda r: f"{r['rate']:,.0f}")
    line("creation, articles/s (first nine tenths)", lambda r: f"{r['head_rate']:,.0f}")
    line("creation, articles/s (last tenth)", lambda r: f"{r['tail_rate']:,.0f}")
    line(
        "creation, ms of command CPU per article (first nine tenths / last tenth)",
        lambda r: f"{r['head_cpu_ms']:.2f} / {r['tail_cpu_ms']:.2f}",
    )
    line(
        "creation, articles per CPU second of the command (step / last tenth)",
        lambda r: f"{r['cpu_rate']:,.0f} / {r['tail_cpu_rate']:,.0f}",
    )
    line("database KB per article", lambda r: f"{r['kb_per_article']:.1f}")
    for page in ("article", "channel", "home", "tag", "search"):
        line(
            f"{page} page: queries; ms p50 / p95 / p99",
            lambda r, p=page: (
                f"{r['pages'][p]['queries']}; {r['pages'][p]['p50_ms']:.1f} / "
                f"{r['pages'][p]['p95_ms']:.1f} / {r['pages'][p]['p99_ms']:.1f}"
            ),
        )
    line("web worker peak memory MB", lambda r: f"{r['pages']['peak_mb']:.0f}")
    line(
        "discovery rebuild s (peak MB)",
        lambda r: f"{r['rebuild']['seconds']:.0f} ({r['rebuild']['peak_mb']:,.0f})",
    )
    line(
        "Related recall@10 vs exact",
        lambda r: (
            f"{r['discovery']['recall10']:.3f}" + ("" if r["discovery"]["graph"] else " (exact)")
        ),
    )
    line(
        "update after one publish s, median / max",
        lambda r: f"{r['discovery']['update_median_s']:.2f} / {r['discovery']['update_max_s']:.2f}",
    )
    line("task worker peak memory MB", lambda r: f"{r['discovery']['peak_mb']:.0f}")
    line("worker start to first Related list s", lambda r: f"{r['start']['first_list_s']:.2f}")
    line("corpus index open s", lambda r: f"{r['start']['index_open_s']:.2f}")
    line("ingestion end to end, items/s", lambda r: f"{r['ingest']['items_per_s']:.0f}")
    line(
        "ingestion: queries per item; de-duplication ms per item",
        lambda r: f"{r['ingest']['queries_per_item']:.1f}; {r['ingest']['dedup_ms']:.2f}",
    )
    line(
        "Ranking history: views (hourly rows)",
        lambda r: f"{r['ranking']['views']:,} ({r['ranking']['activity_rows']:,})",
    )
    line("Ranking 7-day site list refresh ms", lambda r: f"{r['ranking']['refresh_ms']:.1f}")
    line("... the per-query scan it replaced, ms", lambda r: f"{r['ranking']['scan_ms']:.0f}")
    line(
        "Ranking served list ms p50 / p99",
        lambda r: f"{r['ranking']['serve_p50_ms']:.2f} / {r['ranking']['serve_p99_ms']:.2f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--views", type=int, default=1_000_000)
    parser.add_argument("--probes", default=",".join(PROBES))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    probes = set(filter(None, args.probes.split(",")))
    if probes - set(PROBES):
        parser.error(f"--probes takes some of {', '.join(PROBES)}")
    started = time.perf_counter()
    env = fresh(args.database, keep=args.keep)
    rows, have = [], article_count(env) if args.keep else 0
    for seed, size in enumerate(int(s) for s in args.sizes.split(",")):
        # A continued corpus keeps growing with seeds it has not used yet.
        seed_base = (have // 1000 + 1) * 1000 if args.keep else 0
        rows.append(
            step(
                env,
                have,
                size,
                seed_base + seed + 1,
                args.views,
                probes,
                args.processes,
                args.writers,
            )
        )
        have = size
    table(args.database, rows, time.perf_counter() - started)


if __name__ == "__main__":
    main()
