"""Serving side by side in one run: stock Wagtail, Masthead uncached, Masthead behind Varnish,
nginx serving a static copy, and Masthead behind Varnish while an editor publishes.

    python bench/serving.py [--articles 10000] [--urls 2000] [--duration 10] [--peer DIR]

Needs Debian's wrk, varnish, varnish-modules and nginx, and the stock Wagtail site built once with
`bash ../shared/peers/wagtail-stock/build.sh DIR` (default DIR: ../peer-stock next to this
checkout; its rows are skipped when it is missing). Every server runs on loopback with 2 workers
and DEBUG off; wrk -t2 -c8 asks for random articles out of --urls different ones. Masthead's
uncached rows start from an empty cache: each article once (first renders), then wrk over the same
URLs (the articles' shells and sidebars cached, the page cache off). The machine is shared, so
read the ratios within the run, not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import ROOT, environment, free_port, gunicorn, masthead, masthead_print
from pages import UNIT, prepare_site

VCL = ROOT / "deploy" / "varnish" / "masthead.vcl"
PEER_LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", "/news/article-" .. math.random(0, %d - 1) .. "/")
end
"""
RANDOM_PATHS_LUA = """
local paths = {%s}
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
"""


def wrk(url: str, duration: float, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        pct: float(value) * UNIT[unit]
        for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def started(server: subprocess.Popen, url: str) -> None:
    try:
        wait_for(url)
    except RuntimeError:
        stop(server)
        raise


def wait_for(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def random_paths_script(paths: list[str], where: Path) -> Path:
    script = where / "random_paths.lua"
    script.write_text(RANDOM_PATHS_LUA % ", ".join(json.dumps(p) for p in paths))
    return script


def prepare_traffic(env: dict, var: Path) -> None:
    """A day of simulated readers (once), so pages carry a Ranking and reaction counts."""
    marker = var / "traffic"
    if not marker.exists():
        print(masthead(env, "simulate", "--readers", "200", "--hours", "24", "--seed", "1").strip())
        marker.touch()


def masthead_article_paths(env: dict, count: int) -> list[str]:
    line = masthead_print(
        env,
        "import json, random; from masthead.news.models import ArticlePage;"
        "paths = list(ArticlePage.objects.live().values_list('url_path', flat=True));"
        f"random.seed(1); print(json.dumps(random.sample(paths, min({count}, len(paths)))))",
    )
    # url_path starts with the home page's slug ("/home/..."); the site serves it from "/".
    return ["/" + p.split("/", 2)[2] for p in json.loads(line)]


def peer_script(peer: Path, where: Path) -> Path:
    """Random articles of the stock site, out of the ones it has (article-0 ... article-N-1)."""
    with sqlite3.connect(peer / "peersite" / "db.sqlite3") as db:
        count = db.execute("SELECT COUNT(*) FROM news_articlepage").fetchone()[0]
    script = where / "peer_random.lua"
    script.write_text(PEER_LUA % count)
    print(f"(stock Wagtail site: {count:,} articles)")
    return script


def start_peer(peer: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(peer / "venv" / "bin" / "gunicorn"),
            "peersite.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
        ],
        cwd=peer / "peersite",
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "peersite.settings.production"},
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/")
    return server, base


def start_varnish(backend: str, where: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    vcl = where / "masthead.vcl"
    backend_port = backend.rsplit(":", 1)[1]
    vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{backend_port}"'))
    server = subprocess.Popen(
        [
            "varnishd",
            "-F",
            "-j",
            "none",
            "-n",
            str(where / "varnish"),
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-s",
            "malloc,512m",
            "-T",
            "none",
            "-p",
            "thread_pool_min=20",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    started(server, base + "/robots.txt")
    return server, base


def varnish_hits(where: Path) -> tuple[int, int]:
    out = subprocess.run(
        [
            "varnishstat",
            "-n",
            str(where / "varnish"),
            "-1",
            "-f",
            "MAIN.cache_hit",
            "-f",
            "MAIN.cache_miss",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    counts = dict(re.findall(r"MAIN\.(cache_hit|cache_miss)\s+(\d+)", out))
    return int(counts["cache_hit"]), int(counts["cache_miss"])


def start_nginx(html: bytes, where: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    root = where / "static"
    root.mkdir()
    (root / "article.html").write_bytes(html)
    conf = where / "nginx.conf"
    conf.write_text(
        f"worker_processes 2; daemon off; pid {where}/nginx.pid; error_log {where}/nginx.err;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
    )
    server = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(where)])
    base = f"http://127.0.0.1:{port}"
    started(server, base + "/article.html")
    return server, base


def warm(base: str, paths: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: urllib.request.urlopen(base + p, timeout=30).read(), paths))


def row(setup: str, page: str, result: dict, hits: str, note: str = "") -> None:
    print(
        f"{setup:<32}{page:<20}{result['rps']:>9,.0f}{result['p50']:>8.1f}{result['p99']:>8.1f}"
        f"{hits:>8}  {note}",
        flush=True,
    )


def first_renders(base: str, paths: list[str]) -> dict[str, float]:
    """Each path asked for once by 8 concurrent clients, on an empty cache: every request is a
    first render (no page, shell, fragment or list cached yet for that article)."""
    latencies: list[float] = []

    def fetch(path: str) -> None:
        start = time.perf_counter()
        urllib.request.urlopen(base + path, timeout=60).read()
        latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fetch, paths))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(paths) / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "errors": 0,
    }


def ratio_note(results: dict[str, dict], name: str, reference: str) -> str:
    if reference not in results:
        return ""
    return f"{results[name]['rps'] / results[reference]['rps']:.1f}x {reference}"


def measure_uncached(base: str, paths: list[str], script: Path, d: int, results: dict) -> None:
    """Masthead with the page cache off. First every article once on an empty cache (cold first
    renders), then random articles again: each request still routes the URL in the database,
    reads the article's cached shell (everything but the volatile parts; valid until a key it
    recorded is purged) and renders the reaction counts and the sidebar (Ranking and
    Recommendation, cached 60 s per article) anew."""
    results["cold article"] = first_renders(base, paths)
    row(
        "Masthead, no page cache",
        "article, 1st render",
        results["cold article"],
        "0%",
        "every cache cold; " + ratio_note(results, "cold article", "stock article"),
    )
    for name, target in (
        ("article", (base, script)),
        ("channel", (base + "/markets/", None)),
        ("home", (base + "/", None)),
    ):
        wrk(target[0], min(d, 3), target[1])  # the sidebars and widgets of the first pass
        results[name] = wrk(target[0], d, target[1])
        reference = "stock home" if name == "home" else "stock article"
        inner = {
            "article": "shell+lists warm",
            "channel": "listing warm",
            "home": "lists warm",
        }[name]
        row(
            "Masthead, no page cache",
            name + (" (random)" if name == "article" else ""),
            results[name],
            "0%",
            f"{inner}; {ratio_note(results, name, reference)}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--urls", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--publish-every", type=float, default=10.0)
    parser.add_argument("--publishes", type=int, default=3)
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "peer-stock")
    parser.add_argument(
        "--parts", default="stock,uncached,front", help="which comparisons to run (comma-separated)"
    )
    args = parser.parse_args()
    for tool in ("wrk", "varnishd", "nginx"):
        if not shutil.which(tool):
            sys.exit(
                f"{tool} is not installed (apt-get install wrk varnish varnish-modules nginx)."
            )
    var = prepare_site(args.articles)
    env = environment(var, MASTHEAD_PAGE_CACHE_SECONDS="0")
    prepare_traffic(env, var)
    paths = masthead_article_paths(env, args.urls)
    work = Path(tempfile.mkdtemp(prefix="masthead-serving-"))
    work.chmod(0o755)  # nginx's workers run as www-data
    script = random_paths_script(paths, work)
    peer_ok = (args.peer / "peersite").is_dir()
    print(
        f"\n{args.articles:,} articles each, SQLite, gunicorn 2 workers, DEBUG off, wrk -t2 -c8 "
        f"-d{args.duration}s, random articles from {len(paths):,} URLs; one run on a shared machine\n"
    )
    header = f"{'setup':<32}{'page':<20}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'hits':>8}  note"
    print(header + "\n" + "-" * (len(header) + 30))
    results: dict[str, dict] = {}
    d = args.duration

    parts = set(args.parts.split(","))
    if peer_ok and "stock" in parts:
        peer, peer_base = start_peer(args.peer)
        try:
            results["stock article"] = wrk(peer_base, d, peer_script(args.peer, work))
            row("stock Wagtail", "article (random)", results["stock article"], "-", "no cache")
            results["stock home"] = wrk(peer_base + "/", d)
            row("stock Wagtail", "home", results["stock home"], "-", "no cache")
        finally:
            stop(peer)
    elif "stock" in parts:
        print(f"(stock Wagtail rows skipped: build it with build.sh into {args.peer})")

    if "uncached" in parts:
        shutil.rmtree(var / "cache", ignore_errors=True)  # every inner cache starts cold
    server, base = gunicorn(env)
    try:
        if "uncached" in parts:
            measure_uncached(base, paths, script, d, results)
        article_html = urllib.request.urlopen(base + paths[0]).read()
    finally:
        stop(server)
    if "front" not in parts:
        return

    nginx, nginx_base = start_nginx(article_html, work)
    try:
        results["nginx"] = wrk(nginx_base + "/article.html", d)
        row("nginx, static copy", "article", results["nginx"], "-", "static file")
    finally:
        stop(nginx)

    cache_env = environment(var, MASTHEAD_PAGE_CACHE_SECONDS="3600")
    server, base = gunicorn(cache_env)
    varnish, front = start_varnish(base, work)
    cache_env["MASTHEAD_FRONT_CACHE_URLS"] = front + "/"
    with open(var / "worker.log", "w") as log:  # the worker's line per task, and any error
        worker = subprocess.Popen(
            [sys.executable, "-m", "masthead.cli", "db_worker"],
            env=cache_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    editor = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "editor.py"),
            front,
            "--every",
            str(args.publish_every),
            "--count",
            str(args.publishes),
        ],
        env=cache_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if editor.stdout.readline().strip() != "ready":
            raise RuntimeError("the editor did not start")
        warm(front, paths)
        hit0 = varnish_hits(work)
        results["varnish quiet"] = wrk(front, d, script)
        hit1 = varnish_hits(work)
        ratio = (hit1[0] - hit0[0]) / max(1, sum(hit1) - sum(hit0))
        row(
            "Masthead behind Varnish",
            "article (random)",
            results["varnish quiet"],
            f"{ratio:.1%}",
            f"{results['varnish quiet']['rps'] / results['nginx']['rps']:.0%} of nginx",
        )
        duration = round(args.publish_every * args.publishes)
        editor.stdin.write("go\n")
        editor.stdin.flush()
        hit0 = varnish_hits(work)
        results["varnish newsroom"] = wrk(front, duration, script)
        hit1 = varnish_hits(work)
        publishes = [json.loads(line) for line in editor.communicate(timeout=120)[0].splitlines()]
        ratio = (hit1[0] - hit0[0]) / max(1, sum(hit1) - sum(hit0))
        row(
            "... while an editor publishes",
            "article (random)",
            results["varnish newsroom"],
            f"{ratio:.1%}",
            f"{results['varnish newsroom']['rps'] / results['varnish quiet']['rps']:.0%} of quiet",
        )
        worst = {
            where: max((p[where] if p[where] is not None else float("inf")) for p in publishes)
            for where in ("channel", "home")
        }
        print(
            f"\n{len(publishes)} publishes, one every {args.publish_every:.0f} s: worst visible after "
            f"{worst['channel'] * 1000:.0f} ms on the channel page, {worst['home'] * 1000:.0f} ms on "
            f"the home page (from the start of the publish call; the call itself took "
            f"{max(p['publish_call'] for p in publishes) * 1000:.0f} ms at most)"
        )
    finally:
        for process in (editor, worker, varnish, server):
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    random.seed(1)
    main()
