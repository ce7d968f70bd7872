"""Throughput and latency of the public pages, served the way production serves them.

    python bench/pages.py [--articles 10000] [--duration 10] [--connections 8]

Builds (once, then reuses) a SQLite site with N synthetic articles under bench/var/, starts
gunicorn with 2 workers and DEBUG off on loopback, and drives it with wrk (Debian's `wrk`) from a
separate process: home, channel, article and search pages, with the full-page cache off and on.
A static file served by the same server is measured in the same run as the baseline, so the
table shows each page's throughput as a share of what the server itself can do here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

from harness import VAR, environment, gunicorn, masthead, masthead_print, stop


def prepare_site(articles: int) -> Path:
    var = VAR / f"pages-{articles}"
    marker = var / "ready"
    env = environment(var)
    if not marker.exists():
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        masthead(env, "migrate", "--noinput", "-v0")
        print(masthead(env, "generate", "--articles", str(articles), "--seed", "1").strip())
        marker.touch()
    # A site built by an earlier version catches up with its schema and static files.
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "collectstatic", "--noinput", "-v0")
    return var


UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        latency[pct] = float(value) * UNIT[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"]}


def article_path(var: Path) -> str:
    return masthead_print(
        environment(var),
        "from masthead.news.models import ArticlePage;"
        "print(ArticlePage.objects.live().filter(lead_image__isnull=False)"
        ".order_by('-published_at')[10].url)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="median of this many runs per URL")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk).")

    var = prepare_site(args.articles)
    pages = {
        "static file (baseline)": "/static/news/site.css",
        "home": "/",
        "channel": "/markets/",
        "article": article_path(var),
        "search": "/search/?q=investors",
    }
    print(
        f"\n{args.articles:,} articles, SQLite, gunicorn 2 workers, wrk -t2 -c{args.connections} "
        f"-d{args.duration}s, median of {args.rounds} rounds\n"
    )
    header = f"{'page':<24}{'cache':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs static':>11}"
    print(header)
    print("-" * len(header))
    for cache_seconds in (0, 300):
        server, base = gunicorn(environment(var, MASTHEAD_PAGE_CACHE_SECONDS=str(cache_seconds)))
        try:
            baseline = None
            for name, path in pages.items():
                url = base + path
                urllib.request.urlopen(url).read()  # warm
                runs = [wrk(url, args.duration, args.connections) for _ in range(args.rounds)]
                result = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                baseline = baseline or result["rps"]
                print(
                    f"{name:<24}{'on' if cache_seconds else 'off':<7}{result['rps']:>9,.0f}"
                    f"{result['p50']:>9.1f}{result['p99']:>9.1f}{result['rps'] / baseline:>10.1%}"
                )
        finally:
            stop(server)


if __name__ == "__main__":
    main()
