"""Speed of bulk corpus creation, and the database size it leaves, at growing corpus sizes.

    python bench/generate.py [--sizes 10000,100000] [--database sqlite|postgres]

Each size starts from a fresh database (SQLite under bench/var/, or a fresh PostgreSQL database
`masthead_bench` on 127.0.0.1) and runs `masthead generate --articles N` without images. The table
shows articles per second over the whole run, the rate of the last tenth of it (to see whether
creation slows down as the tree and the search index grow), and the database size.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from harness import VAR, environment, masthead, psql

POSTGRES = "postgres://postgres@127.0.0.1:5432/masthead_bench"


def fresh_database(database: str, var: Path) -> str:
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if database == "sqlite":
        return ""
    psql("DROP DATABASE IF EXISTS masthead_bench")
    psql("CREATE DATABASE masthead_bench")
    return POSTGRES


def generated(out: str) -> tuple[int, float, float]:
    """(articles, seconds, database MB) from the report line of `masthead generate`."""
    match = re.search(r"Generated ([\d,]+) articles in ([\d.]+) s .* database ([\d,.]+) MB", out)
    count, seconds, size = match.groups()
    return int(count.replace(",", "")), float(seconds), float(size.replace(",", ""))


def measure(size: int, database: str) -> dict:
    var = VAR / f"generate-{database}"
    env = environment(var, fresh_database(database, var))
    masthead(env, "migrate", "--noinput", "-v0")
    head = size - max(size // 10, 1)
    _, head_seconds, _ = generated(
        masthead(
            env, "generate", "--articles", str(head), "--seed", "1", "--no-images", "--no-discovery"
        )
    )
    tail, tail_seconds, size_mb = generated(
        masthead(
            env,
            "generate",
            "--articles",
            str(size - head),
            "--seed",
            "2",
            "--no-images",
            "--no-discovery",
        )
    )
    seconds = head_seconds + tail_seconds
    return {
        "size": size,
        "rate": size / seconds,
        "tail_rate": tail / tail_seconds,
        "seconds": seconds,
        "mb": size_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    header = f"{'articles':>10}{'seconds':>10}{'articles/s':>12}{'last 10 %/s':>13}{'db MB':>9}{'KB/article':>12}"
    print(f"\nbulk corpus creation on {args.database} (as timed by `masthead generate`)\n")
    print(header)
    print("-" * len(header))
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.database)
        print(
            f"{r['size']:>10,}{r['seconds']:>10.1f}{r['rate']:>12,.0f}{r['tail_rate']:>13,.0f}"
            f"{r['mb']:>9,.1f}{r['mb'] * 1000 / r['size']:>12.1f}"
        )


if __name__ == "__main__":
    main()
