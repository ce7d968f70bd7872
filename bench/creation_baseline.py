"""Bulk creation and ingestion against an earlier commit, same run, same database.

    nice -n 10 python bench/creation_baseline.py [--base 5b6f546] [--database postgres|sqlite]
                                                 [--start 10000] [--articles 3000] [--rounds 3]

The base commit's tree is exported (git archive) under bench/var/; both trees run on this
checkout's virtualenv, alternately, on one corpus (a fresh PostgreSQL database
`masthead_creation_baseline`, or SQLite under bench/var/): first `--start` articles, then
`--rounds` times each tree's `masthead generate --articles N` (new seeds each time, so the corpus
keeps growing the same way for both), then each tree's ingestion probe (300 wire items stored).
Prints the medians of the rate the command reports and of the command's CPU per article (its
worker processes included, the database server's not) net of its fixed cost (start-up and one
article: the median of `--rounds` runs of `generate --articles 1` of the same tree), and the
ratios. The machine is shared: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time

from harness import ROOT, VAR, environment, psql

DATABASE = "masthead_creation_baseline"


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(env: dict, tree, *args: str) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of a command of `tree`."""
    began, used = time.perf_counter(), cpu()
    out = subprocess.run(
        [sys.executable, *args],
        env={**env, "PYTHONPATH": f"{tree}:{tree / 'bench'}"},
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - began, cpu() - used, out


def generate(env: dict, tree, articles: int, seed: int, processes: int | None) -> dict:
    extra = ["--processes", str(processes)] if processes else []
    command = ["-m", "masthead.cli", "generate", "--articles", str(articles), "--seed", str(seed)]
    command += ["--no-images", "--no-discovery", *extra]
    wall, used, out = run(env, tree, *command)
    seconds = float(out.split(" in ")[1].split(" s")[0])
    return {"rate": articles / seconds, "cpu_ms": used * 1000 / articles, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="5b6f546")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--start", type=int, default=10000)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = VAR / f"base-{args.base}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.base], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    var = VAR / "creation-baseline"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    url = ""
    if args.database == "postgres":
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")
        psql(f"CREATE DATABASE {DATABASE}")
        url = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    env = environment(var, url)
    run(env, ROOT, "-m", "masthead.cli", "migrate", "--noinput", "-v0")
    generate(env, ROOT, args.start, 1, 2)
    results: dict[str, list[dict]] = {"base": [], "new": []}
    fixed: dict[str, list[float]] = {"base": [], "new": []}
    seed = 10
    for _ in range(args.rounds):
        for name, tree, processes in (("base", base, None), ("new", ROOT, 2)):
            seed += 1
            results[name].append(generate(env, tree, args.articles, seed, processes))
            fixed[name].append(generate(env, tree, 1, seed + 500, processes)["cpu_ms"])
            print(name, json.dumps(results[name][-1]), fixed[name][-1], file=sys.stderr)
    ingest = {}
    for name, tree in (("base", base), ("new", ROOT)):
        _, _, out = run(env, tree, str(tree / "bench" / "scale_probes.py"), "ingest")
        ingest[name] = json.loads(out.strip().splitlines()[-1])
        print(name, json.dumps(ingest[name]), file=sys.stderr, flush=True)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print(
        f"\n{args.database}, {args.start:,} articles first, {args.rounds} rounds of "
        f"{args.articles:,} each, base {args.base}\n"
    )
    print("| | base | new | new / base |")
    print("|---|---:|---:|---:|")
    b, n = median("base", "rate"), median("new", "rate")
    print(f"| creation articles/s (median) | {b:,.1f} | {n:,.1f} | {n / b:.2f} |")
    b, n = (
        median(name, "cpu_ms") - statistics.median(fixed[name]) / args.articles
        for name in ("base", "new")
    )
    print(f"| ms of command CPU per article, net of start-up | {b:.2f} | {n:.2f} | {n / b:.2f} |")
    b, n = ingest["base"]["items_per_s"], ingest["new"]["items_per_s"]
    print(f"| ingestion items/s (300 items) | {b:.1f} | {n:.1f} | {n / b:.2f} |")


if __name__ == "__main__":
    main()
