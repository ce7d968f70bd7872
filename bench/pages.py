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
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(var: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "MASTHEAD_VAR_DIR": str(var),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "z" * 40,
        "MASTHEAD_HTTPS": "0",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def masthead(var: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        env=environment(var),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def prepare_site(articles: int) -> Path:
    var = ROOT / "bench" / "var" / f"pages-{articles}"
    marker = var / "ready"
    if not marker.exists():
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        masthead(var, "migrate", "--noinput", "-v0")
        masthead(var, "collectstatic", "--noinput", "-v0")
        print(masthead(var, "generate", "--articles", str(articles), "--seed", "1").strip())
        marker.touch()
    return var


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


def serve(var: Path, cache_seconds: int):
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "masthead.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "error",
        ],
        env=environment(var, MASTHEAD_PAGE_CACHE_SECONDS=str(cache_seconds)),
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def article_path(var: Path) -> str:
    return (
        masthead(
            var,
            "shell",
            "-c",
            "from masthead.news.models import ArticlePage;"
            "print(ArticlePage.objects.live().filter(lead_image__isnull=False)"
            ".order_by('-published_at')[10].url)",
        )
        .strip()
        .splitlines()[-1]
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
        server, base = serve(var, cache_seconds)
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
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
