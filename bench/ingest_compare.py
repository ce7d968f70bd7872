"""Ingestion end to end with storing, this checkout against another, on one existing site.

    python bench/ingest_compare.py --baseline ../other-checkout [--rounds 2]

Settings come from the environment (DATABASE_URL, MASTHEAD_VAR_DIR, ...), so it measures
whatever site they name. Each round runs `bench/scale_probes.py ingest` (300 new wire items
through `entries_ingest`, stored as published pages, then the discovery tasks they queued run
by a fresh `masthead db_worker --batch`) once with the baseline's code and once with this
checkout's, alternating, in fresh processes. Prints one JSON line per run and a markdown table
of medians: items/s, CPU ms per item of the ingesting process, the task worker and the
PostgreSQL server processes each of them used, queries per item, tasks queued.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from harness import ROOT

KEYS = (
    ("items/s (end to end, stored)", "items_per_s", "{:.0f}"),
    ("command CPU ms per item", "cpu_ms_per_item", "{:.1f}"),
    ("queries per item", "queries_per_item", "{:.1f}"),
    ("de-duplication ms per item", "dedup_ms", "{:.2f}"),
    ("database server CPU ms per item, ingesting", "server_cpu_ms_per_item", "{:.1f}"),
    ("discovery tasks queued", "tasks_queued", "{:.0f}"),
    ("task worker s to run them (start included)", "worker_s", "{:.1f}"),
    ("task worker CPU ms per item (start included)", "worker_cpu_ms_per_item", "{:.0f}"),
    ("task worker CPU s to start", "worker_start_cpu_s", "{:.1f}"),
    ("task worker CPU ms per item (tasks only)", "worker_task_cpu_ms_per_item", "{:.1f}"),
    ("database server CPU ms per item, task worker", "worker_server_cpu_ms_per_item", "{:.1f}"),
    ("peak MB of the ingesting process", "peak_mb", "{:.0f}"),
)


def run(code: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{code}"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_probes.py"), "ingest"],
        env=env,
        cwd="/",
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"baseline": [], "this": []}
    for _ in range(args.rounds):
        for name, code in (("baseline", args.baseline.resolve()), ("this", ROOT)):
            result = run(code)
            print(json.dumps({"code": name, **result}), flush=True)
            runs[name].append(result)
    print(f"\n| median of {args.rounds} | baseline | this | ratio |\n|---|---:|---:|---:|")
    for label, key, shown in KEYS:
        a = statistics.median(r[key] for r in runs["baseline"])
        b = statistics.median(r[key] for r in runs["this"])
        ratio = f"{b / a:.2f}x" if a else "-"
        print(f"| {label} | {shown.format(a)} | {shown.format(b)} | {ratio} |")


if __name__ == "__main__":
    main()
