"""Bulk creation and ingestion against an earlier commit, same run, same database.

    nice -n 10 python bench/creation_baseline.py [--base 5b6f546] [--new HEAD]
                                                 [--database postgres|sqlite] [--start 10000]
                                                 [--articles 3000] [--rounds 3] [--reuse]
                                                 [--grow-to N] [--writers N]
                                                 [--base-writers N] [--database-name NAME]

The base commit's tree is exported (git archive) under bench/var/, and so is `--new` when given
(else the new tree is this checkout, as it is on disk while the run goes on); both run on this
checkout's virtualenv, alternately, on one corpus (a fresh PostgreSQL database
`masthead_creation_baseline`, or SQLite under bench/var/; `--reuse` keeps the one a previous
run left, already grown): first `--start` articles, then
`--rounds` times each tree's `masthead generate --articles N` (new seeds each time, so the corpus
keeps growing the same way for both), then each tree's ingestion probe (300 wire items stored).
Prints the medians of the rate the command reports and of the command's CPU per article (its
worker processes included) net of its fixed cost (start-up and twenty articles: the median of
`--rounds` runs of `generate --articles 20` of the same tree), of the PostgreSQL server's CPU per
article (the backends serving the benchmark's database, read from /proc while the command runs),
the projection for two idle cores (2 / total CPU per article), and the ratios. The machine is
shared: read the ratios and the CPU figures. `--grow-to N` instead grows the corpus (with
`--reuse`, the one a previous run left) to N articles with the new tree in ten equal steps and
prints each step's figures: whether creation stays flat as the corpus grows. `--writers N`
passes `generate --writers N` to the new tree (and to `--grow-to`), `--base-writers N` to the
base tree. `--separate` runs each tree on its own copy of the corpus (a PostgreSQL database
`NAME_new` made from the first, then migrated by the new tree): for a new tree that changes the
schema, which would otherwise change what the base tree writes too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

import psycopg
from harness import ROOT, VAR, environment, psql

DATABASE = "masthead_creation_baseline"
# Articles of the run that measures a command's fixed cost (start-up): enough to spread over
# every channel, so that each writer process starts, as in a long run.
FIXED = 20


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ServerCPU:
    """CPU seconds of the PostgreSQL backends connected to `database` while a command runs:
    each backend's /proc counters, sampled every 0.1 s (the last sample of a backend counts)."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self.seen: dict[int, float] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerCPU:
        if self.database:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        if self.database:
            self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:5432/{self.database}", autocommit=True
        ) as db:
            while True:
                pids = [
                    pid
                    for (pid,) in db.execute(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ]
                for pid in pids:
                    try:
                        with open(f"/proc/{pid}/stat") as stat:
                            fields = stat.read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick
                if self.done.wait(0.1):
                    return


def run(env: dict, tree, *args: str) -> tuple[float, float, str, float]:
    """(wall s, CPU s, stdout, server CPU s) of a command of `tree`."""
    began, used = time.perf_counter(), cpu()
    with ServerCPU(env.get("BENCH_DATABASE")) as server:
        out = subprocess.run(
            [sys.executable, *args],
            env={**env, "PYTHONPATH": f"{tree}:{tree / 'bench'}"},
            cwd=tree,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return time.perf_counter() - began, cpu() - used, out, server.seconds


def generate(
    env: dict, tree, articles: int, seed: int, processes: int | None, writers: int = 0
) -> dict:
    extra = ["--processes", str(processes)] if processes else []
    extra += ["--writers", str(writers)] if writers else []
    command = ["-m", "masthead.cli", "generate", "--articles", str(articles), "--seed", str(seed)]
    command += ["--no-images", "--no-discovery", *extra]
    wall, used, out, server = run(env, tree, *command)
    seconds = float(out.split(" in ")[1].split(" s")[0])
    return {
        "rate": articles / seconds,
        "cpu_ms": used * 1000 / articles,
        "server_ms": server * 1000 / articles,
        "wall": wall,
        "load": os.getloadavg()[0],
    }


def exported(commit: str, name: str):
    """The tree of `commit`, exported under bench/var/ once (named by its hash, so that runs
    side by side never replace each other's tree)."""
    full = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", commit], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = VAR / f"{name}-{full[:10]}"
    if not tree.exists():
        partial = VAR / f"{tree.name}.partial-{os.getpid()}"
        partial.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", full], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive, check=True)
        partial.rename(tree)
    return tree


def grow(env: dict, tree, args) -> None:
    """Grow the corpus to `--grow-to` articles with `tree` in ten equal steps, printing each
    step's rate and CPU per article (the command's net of one start-up, and the server's)."""
    _, _, out, _ = run(env, tree, "-m", "masthead.cli", "shell", "-c", ARTICLE_COUNT)
    have = int(out.strip().splitlines()[-1])
    step = (args.grow_to - have) // 10
    fixed = generate(env, tree, FIXED, 900, 2, args.writers)["cpu_ms"] * FIXED
    print(f"\n{args.database}, {have:,} to {args.grow_to:,} articles in steps of {step:,}\n")
    print(
        "| step | articles after | articles/s | command CPU ms/article | server CPU ms/article | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for number in range(1, 11):
        done = generate(env, tree, step, 900 + number, 2, args.writers)
        have += step
        print(
            f"| {number} | {have:,} | {done['rate']:,.1f} | {done['cpu_ms'] - fixed / step:.2f} "
            f"| {done['server_ms']:.2f} | {done['load']:.1f} |",
            flush=True,
        )


ARTICLE_COUNT = "from masthead.news.models import ArticlePage; print(ArticlePage.objects.count())"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="5b6f546")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--start", type=int, default=10000)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new", default="", help="A commit to run instead of this checkout.")
    parser.add_argument("--reuse", action="store_true", help="Keep the previous run's corpus.")
    parser.add_argument(
        "--grow-to", type=int, default=0, help="Instead: grow the corpus to N in ten steps."
    )
    parser.add_argument("--no-ingest", action="store_true", help="Skip the ingestion probe.")
    parser.add_argument(
        "--writers", type=int, default=0, help="The new tree's `generate --writers` (PostgreSQL)."
    )
    parser.add_argument(
        "--database-name", default=DATABASE, help="The PostgreSQL database to create and use."
    )
    parser.add_argument(
        "--base-writers", type=int, default=0, help="The base tree's `generate --writers`."
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="Each tree on its own copy of the corpus (PostgreSQL), migrated by that tree.",
    )
    args = parser.parse_args()
    base = exported(args.base, "base")
    new = exported(args.new, "new") if args.new else ROOT
    var = VAR / f"creation-baseline-{args.database}-{args.database_name}"
    name = args.database_name
    url = f"postgres://postgres@127.0.0.1:5432/{name}" if args.database == "postgres" else ""
    env = environment(var, url, BENCH_DATABASE=name if url else "")
    if not args.reuse:
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        if url:
            psql(f"DROP DATABASE IF EXISTS {name}")
            psql(f"CREATE DATABASE {name}")
        # With --separate the base tree lays the first corpus: the new tree's copy is then
        # migrated on from the base tree's schema, and the base tree's own stays as it was.
        first = base if args.separate and not args.grow_to else new
        run(env, first, "-m", "masthead.cli", "migrate", "--noinput", "-v0")
        generate(env, first, args.start, 1, 2)
    if args.grow_to:
        grow(env, new, args)
        return
    envs = {"base": env, "new": env}
    if args.separate and url:
        copy = f"{name}_new"
        psql(f"DROP DATABASE IF EXISTS {copy}")
        psql(f"CREATE DATABASE {copy} TEMPLATE {name}")
        envs["new"] = environment(
            var, f"postgres://postgres@127.0.0.1:5432/{copy}", BENCH_DATABASE=copy
        )
        run(envs["new"], new, "-m", "masthead.cli", "migrate", "--noinput", "-v0")
    results: dict[str, list[dict]] = {"base": [], "new": []}
    fixed: dict[str, list[float]] = {"base": [], "new": []}
    seed = 10
    for _ in range(args.rounds):
        for name, tree, processes, writers in (
            ("base", base, None, args.base_writers),
            ("new", new, 2, args.writers),
        ):
            seed += 1
            results[name].append(
                generate(envs[name], tree, args.articles, seed, processes, writers)
            )
            fixed[name].append(
                generate(envs[name], tree, FIXED, seed + 500, processes, writers)["cpu_ms"] * FIXED
            )
            print(name, json.dumps(results[name][-1]), fixed[name][-1], file=sys.stderr)
    ingest = {}
    for name, tree in () if args.no_ingest else (("base", base), ("new", new)):
        _, _, out, _ = run(env, tree, str(tree / "bench" / "scale_probes.py"), "ingest")
        ingest[name] = json.loads(out.strip().splitlines()[-1])
        print(name, json.dumps(ingest[name]), file=sys.stderr, flush=True)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    first = "the corpus a previous run left" if args.reuse else f"{args.start:,} articles first"
    print(
        f"\n{args.database}, {first}, {args.rounds} rounds of {args.articles:,} each, "
        f"base {args.base}, new {args.new or 'this checkout'}\n"
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
    if args.database == "postgres":
        b, n = median("base", "server_ms"), median("new", "server_ms")
        print(
            f"| ms of server CPU per article (PostgreSQL backends) | {b:.2f} | {n:.2f} | {n / b:.2f} |"
        )
        b, n = (
            2000
            / (
                median(name, "cpu_ms")
                - statistics.median(fixed[name]) / args.articles
                + median(name, "server_ms")
            )
            for name in ("base", "new")
        )
        print(f"| projection for 2 idle cores, articles/s | {b:,.0f} | {n:,.0f} | {n / b:.2f} |")
    loads = [r["load"] for name in results for r in results[name]]
    print(f"| load average (1 min) during the rounds | {min(loads):.1f}–{max(loads):.1f} | | |")
    if ingest:
        b, n = ingest["base"]["items_per_s"], ingest["new"]["items_per_s"]
        print(f"| ingestion items/s (300 items) | {b:.1f} | {n:.1f} | {n / b:.2f} |")


if __name__ == "__main__":
    main()
