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

Behind Varnish, quiet and publishing rounds alternate (`--publishes` pairs of `--publish-every`
seconds each; one publish in the middle of each publishing round), and the run ends with the CPU
each process spent per round and what each publish added (editor, task worker, gunicorn, Varnish;
from /proc), which is steadier than throughput on a shared machine. `--wrk-cpus 1` pins wrk to
those CPUs (taskset) in every row; `--worker-nice 10` runs the task worker niced;
MASTHEAD_BENCH_PORTS=8120-8139 keeps every server's port in that range.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
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


# `--wrk-cpus`: the CPUs wrk is pinned to (taskset), the same for every row of a run.
WRK_CPUS = ""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: float, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency"]
    if WRK_CPUS:
        command = ["taskset", "-c", WRK_CPUS, *command]
    if script:
        command += ["-s", str(script)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped here
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    requests = int(re.search(r"(\d+) requests in", out).group(1))
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
        "requests": requests,
        "wrk_cpu": cpu,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and every live process below it, plus the
    children it has already reaped; 0 once it is gone."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, ... utime (14th field), stime, cutime, cstime.
        ticks = sum(int(f) for f in fields[11:15])
        stats[int(entry.name)] = (int(fields[1]), ticks / CLOCK_TICKS)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total


def cpu_snapshot(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    return {name: cpu_seconds(process.pid) for name, process in processes.items()}


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


def varnish_counters(where: Path) -> dict[str, int]:
    """Varnish's hits, misses and requests to the backend (gunicorn) so far."""
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
            "-f",
            "MAIN.backend_req",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: int(v) for k, v in re.findall(r"MAIN\.(\w+)\s+(\d+)", out)}


def counters_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


def hit_ratio(delta: dict[str, int]) -> float:
    return delta["cache_hit"] / max(1, delta["cache_hit"] + delta["cache_miss"])


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
    parser.add_argument(
        "--wrk-cpus", default="", help="pin wrk to these CPUs (taskset list, e.g. 1) in every row"
    )
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="run the task worker at this nice value"
    )
    args = parser.parse_args()
    global WRK_CPUS
    WRK_CPUS = args.wrk_cpus
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

    every = round(args.publish_every)
    cache_env = environment(var, MASTHEAD_PAGE_CACHE_SECONDS="3600")
    server, base = gunicorn(cache_env)
    varnish, front = start_varnish(base, work)
    cache_env["MASTHEAD_FRONT_CACHE_URLS"] = front + "/"
    worker_command = [sys.executable, "-m", "masthead.cli", "db_worker"]
    if args.worker_nice:
        worker_command = ["nice", "-n", str(args.worker_nice), *worker_command]
    with open(var / "worker.log", "w") as log:  # the worker's line per task, and any error
        worker = subprocess.Popen(
            worker_command, env=cache_env, stdout=log, stderr=subprocess.STDOUT
        )
    editor = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "editor.py"), front, "--every", str(every)],
        env=cache_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    processes = {"editor": editor, "task worker": worker, "gunicorn": server, "varnish": varnish}
    try:
        if editor.stdout.readline().strip() != "ready":
            raise RuntimeError("the editor did not start")
        warm(front, paths)
        # Alternating rounds of equal length: quiet, then one publish in the middle of the next
        # `every` seconds, so a drift in the machine's other work falls on both alike.
        quiet, newsroom, publishes = [], [], []
        for _ in range(args.publishes):
            quiet.append(front_phase(work, processes, lambda: wrk(front, every, script)))
            editor.stdin.write("go\n")
            editor.stdin.flush()
            newsroom.append(front_phase(work, processes, lambda: wrk(front, every, script)))
            publishes.append(json.loads(editor.stdout.readline()))
            # The editor's CPU for the round is what it reports (its watchers may outlast wrk).
            done = publishes[-1]["process_cpu"] - sum(p["editor_cpu"] for p in publishes[:-1])
            publishes[-1]["editor_cpu"] = done
            newsroom[-1]["cpu"]["editor"] = done
        editor.stdin.close()
        for name, rounds in (("quiet", quiet), ("newsroom", newsroom)):
            results["varnish " + name] = phases_total(rounds)
        row(
            "Masthead behind Varnish",
            "article (random)",
            results["varnish quiet"],
            f"{hit_ratio(results['varnish quiet']['varnish']):.1%}",
            f"{results['varnish quiet']['rps'] / results['nginx']['rps']:.0%} of nginx",
        )
        ratios = [n["wrk"]["rps"] / q["wrk"]["rps"] for q, n in zip(quiet, newsroom, strict=True)]
        row(
            "... while an editor publishes",
            "article (random)",
            results["varnish newsroom"],
            f"{hit_ratio(results['varnish newsroom']['varnish']):.1%}",
            f"{statistics.median(ratios):.0%} of quiet (median of rounds: "
            + ", ".join(f"{r:.0%}" for r in ratios)
            + ")",
        )
        worst = {
            where: max((p[where] if p[where] is not None else float("inf")) for p in publishes)
            for where in ("channel", "home")
        }
        print(
            f"\n{len(publishes)} publishes, one every {every:.0f} s: worst visible after "
            f"{worst['channel'] * 1000:.0f} ms on the channel page, {worst['home'] * 1000:.0f} ms on "
            f"the home page (from the start of the publish call; the call itself took "
            f"{max(p['publish_call'] for p in publishes) * 1000:.0f} ms at most)"
        )
        for p in publishes:
            print(
                "  "
                + p["channel_url"]
                + ": "
                + ", ".join(
                    f"{k} {p[k] * 1000:.0f} ms" if p[k] is not None else f"{k} never"
                    for k in ("publish_call", "channel", "home")
                )
            )
        cpu_table(quiet, newsroom, publishes, every)
    finally:
        for process in (editor, worker, varnish, server):
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


def phases_total(rounds: list[dict]) -> dict:
    """The rounds of one kind taken together: requests per second over all of them; the p50
    and p99 are the medians of the rounds'."""
    seconds = sum(r["wrk"]["requests"] / r["wrk"]["rps"] for r in rounds)
    requests = sum(r["wrk"]["requests"] for r in rounds)
    return {
        "rps": requests / seconds,
        "p50": statistics.median(r["wrk"]["p50"] for r in rounds),
        "p99": statistics.median(r["wrk"]["p99"] for r in rounds),
        "requests": requests,
        "varnish": {k: sum(r["varnish"][k] for r in rounds) for k in rounds[0]["varnish"]},
    }


def front_phase(work: Path, processes: dict[str, subprocess.Popen], load) -> dict:
    """One phase behind Varnish: wrk's figures, Varnish's counters and each process's CPU."""
    counters, cpu = varnish_counters(work), cpu_snapshot(processes)
    result = load()
    cpu_after = cpu_snapshot(processes)
    return {
        "wrk": result,
        "varnish": counters_delta(counters, varnish_counters(work)),
        "cpu": {name: cpu_after[name] - cpu[name] for name in cpu},
    }


def cpu_table(quiet: list[dict], newsroom: list[dict], publishes: list[dict], every: float) -> None:
    """Where the CPU went, per process: each publishing round beside the quiet round before
    it (same length), the difference being what the publish added; medians over the rounds.
    CPU time is steadier than throughput on a shared machine."""
    print(
        f"\nCPU seconds per round of {every:.0f} s (user + system; /proc, wrk from its rusage), "
        f"medians of {len(publishes)} rounds; load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"{'process':<40}{'quiet':>9}{'publishing':>12}{'per publish':>13}")
    print("-" * 74)
    median = statistics.median
    names = ["editor", "task worker", "gunicorn", "varnish"]
    for name in names:
        q = [r["cpu"][name] for r in quiet]
        n = [r["cpu"][name] for r in newsroom]
        added = median(b - a for a, b in zip(q, n, strict=True))
        print(f"{name:<40}{median(q):>9.3f}{median(n):>12.3f}{added:>13.3f}")
    publish_cpu = median(p["publish_cpu"] for p in publishes)
    watch_cpu = median(p["watch_cpu"] for p in publishes)
    print(f"{'  editor: the publish call':<40}{'':>21}{publish_cpu:>13.3f}")
    print(f"{'  editor: its two watchers (benchmark)':<40}{'':>21}{watch_cpu:>13.3f}")
    server_side = median(
        sum(n["cpu"][k] - q["cpu"][k] for k in names[1:3])
        for q, n in zip(quiet, newsroom, strict=True)
    )
    print(f"{'task worker + gunicorn':<40}{'':>21}{server_side:>13.3f}")
    print(
        f"{'site: publish call + worker + gunicorn':<40}{'':>21}{publish_cpu + server_side:>13.3f}"
    )
    for rounds, name in ((quiet, "quiet"), (newsroom, "publishing")):
        requests = sum(r["wrk"]["requests"] for r in rounds)
        varnish = sum(r["cpu"]["varnish"] for r in rounds)
        client = sum(r["wrk"]["wrk_cpu"] for r in rounds)
        backend = sum(r["varnish"]["backend_req"] for r in rounds)
        print(
            f"{name}: {requests:,} requests, {backend} sent to gunicorn; per 1,000 requests "
            f"varnish {varnish / requests * 1000:.3f} s, wrk {client / requests * 1000:.3f} s CPU"
        )


if __name__ == "__main__":
    random.seed(1)
    main()
