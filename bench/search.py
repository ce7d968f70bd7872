"""Search side by side in one run: Masthead on SQLite and on PostgreSQL at 100,000 articles, and
the stock Wagtail site's search at its own size (10,000).

    python bench/search.py [--prepare] [--sqlite-var DIR] [--postgres URL] [--redis URL]
                           [--peer DIR] [--queries 200] [--seed 2] [--duration 10]

Queries are drawn the same way on every site from that site's own articles: the titles of
`--queries` random live articles (seeded), one word of five letters or more from each for
"1 word", two such words of the same title for "2 words". The `--seed` used while tuning was 1;
report another (held-out) seed. For each site and query kind:

- service time with one connection: every query once, in turn, on one keep-alive connection
  (no query repeats, so no answer comes from a cache); p50 and p95 in ms;
- throughput under load: `wrk -t2 -c8` asking for the same queries at random, gunicorn with
  2 workers, DEBUG off; req/s and its ratio to the stock Wagtail search's. Masthead is measured
  with its search result cache off, then again with it on (emptied first): popular queries
  repeat, and a cached page lasts until an article changes.

`--prepare` builds a missing corpus with `masthead generate --articles 100000 --no-discovery` and
stores the generator's own stories (what story clustering finds on this corpus) so that results
are grouped one per story as on a live site. The stock Wagtail site is built with
`bash ../shared/peers/wagtail-stock/build.sh DIR` (its rows are skipped when DIR is missing).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from harness import ROOT, VAR, environment, gunicorn, masthead, masthead_print
from pages import UNIT
from serving import cpu_seconds, random_paths_script, start_peer, stop

ARTICLES = 100_000
WORD = re.compile(r"[^\W\d_]{5,}")
# The generator's own stories: `masthead generate` writes each batch of articles channel by
# channel, so replaying it in that order lines its articles up with the pages by id.
STORIES = """
from collections import defaultdict
from masthead.demo.corpus import CorpusGenerator
from masthead.news.models import ArticlePage
from masthead.news.stories import story_entries_replace
from django.utils import timezone
pages = list(ArticlePage.objects.order_by("pk").values_list("pk", "title"))
order, batch = [], defaultdict(list)
for n, article in enumerate(CorpusGenerator(seed={seed}, now=timezone.now()).articles(len(pages))):
    batch[article.channel].append((article.story, article.title))
    if (n + 1) % {batch_size} == 0 or n + 1 == len(pages):
        order += [row for rows in batch.values() for row in rows]
        batch.clear()
stories, matched = defaultdict(list), 0
for (pk, title), (story, expected) in zip(pages, order):
    stories[story].append(pk)
    matched += title == expected
print(story_entries_replace(stories=stories), matched, len(pages))
"""


def prepare(env: dict, articles: int) -> None:
    """Generate the corpus if the site has fewer articles, then store its stories."""
    have = int(
        masthead_print(
            env, "from masthead.news.models import ArticlePage; print(ArticlePage.objects.count())"
        )
    )
    if have < articles:
        masthead(
            env,
            "generate",
            "--articles",
            str(articles - have),
            "--seed",
            "1",
            "--no-images",
            "--no-discovery",
        )
        stored, matched, total = masthead_print(
            env, STORIES.format(seed=1, batch_size=2000)
        ).split()
        print(f"({stored} stories stored; {matched} of {total} titles as generated)")


def queries(titles: list[str], count: int, seed: int) -> dict[str, list[str]]:
    """One-word and two-word queries from random titles (words of five letters or more)."""
    rng = random.Random(seed)
    one, two = [], []
    for title in rng.sample(titles, min(len(titles), count * 4)):
        words = sorted({w.lower() for w in WORD.findall(title)})
        if len(one) < count and words:
            one.append(rng.choice(words))
        if len(two) < count and len(words) >= 2:
            two.append(" ".join(rng.sample(words, 2)))
    return {"1 word": one, "2 words": two}


def masthead_titles(env: dict) -> list[str]:
    code = (
        "import json, random; from masthead.news.models import ArticlePage;"
        "ids = list(ArticlePage.objects.live().values_list('pk', flat=True)); random.seed(0);"
        "pick = random.sample(ids, min(5000, len(ids)));"
        "print(json.dumps(list(ArticlePage.objects.filter(pk__in=pick).values_list('title', flat=True))))"
    )
    return json.loads(masthead_print(env, code))


def peer_titles(peer: Path) -> list[str]:
    with sqlite3.connect(f"file:{peer / 'peersite' / 'db.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT p.title FROM wagtailcore_page p JOIN news_articlepage a"
            " ON a.page_ptr_id = p.id WHERE p.live ORDER BY random() LIMIT 5000"
        ).fetchall()
    return [title for (title,) in rows]


WORKER_TIMEOUT_SECONDS = 30  # gunicorn's --timeout for every site here


def one_connection(base: str, paths: list[str], budget: float) -> tuple[float, float, int]:
    """p50 and p95 ms of the paths asked in turn on one connection (stops after `budget` s); a
    request whose worker was killed for running past gunicorn's timeout counts with its time."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    samples = []
    deadline = time.monotonic() + budget
    for path in paths:
        start = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except http.client.RemoteDisconnected:  # gunicorn killed a worker past its 30 s timeout
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
        else:
            # Past its timeout gunicorn may answer 500 for the killed worker instead of closing.
            timed_out = time.perf_counter() - start >= WORKER_TIMEOUT_SECONDS
            if response.status != 200 and not (response.status == 500 and timed_out):
                raise RuntimeError(f"{base}{path}: {response.status}")
        samples.append((time.perf_counter() - start) * 1000)
        if time.monotonic() > deadline:
            break
    connection.close()
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return statistics.median(samples), p95, len(samples)


def wrk(url: str, duration: float, script: Path) -> dict[str, float]:
    """req/s and p99 ms of `wrk -t2 -c8`, waiting up to 60 s per request (the stock site's
    search takes seconds; wrk's default 2 s would drop its slow answers from the count)."""
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--timeout", "60s", "--latency"]
    out = subprocess.run(
        [*command, "-s", str(script), url], check=True, capture_output=True, text=True
    ).stdout
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99": float(p99.group(1)) * UNIT[p99.group(2)] if p99 else 0.0,
    }


def database_backends(database_url: str) -> list[int]:
    """Process ids of the PostgreSQL server processes serving `database_url`'s database."""
    sql = (
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'"
        " AND datname = current_database() AND pid <> pg_backend_pid()"
    )
    out = subprocess.run(
        ["psql", database_url, "-Atc", sql],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [int(pid) for pid in out.split()]


def service_cpu(server: subprocess.Popen | None, database_url: str) -> float:
    """CPU seconds used so far by the site's gunicorn processes plus, on PostgreSQL, by its
    database's server processes (those alive now)."""
    total = cpu_seconds(server.pid) if server is not None else 0.0
    if database_url:
        total += sum(cpu_seconds(pid) for pid in database_backends(database_url))
    return total


def measure(
    name: str,
    base: str,
    parameter: str,
    sets: dict[str, list[str]],
    args,
    work: Path,
    server: subprocess.Popen | None = None,
    database_url: str = "",
) -> list[dict]:
    rows = []
    for kind, texts in sets.items():
        paths = [f"/search/?{urllib.parse.urlencode({parameter: text})}" for text in texts]
        # CPU per query of the one-connection pass (gunicorn and, on PostgreSQL, its server
        # processes): steadier than wall time on a shared machine. Backends opened during the
        # pass started at zero, so the difference of the two sums counts them whole.
        cpu_before = service_cpu(server, database_url)
        p50, p95, asked = one_connection(base, paths, args.sequential_seconds)
        cpu = (service_cpu(server, database_url) - cpu_before) * 1000 / max(asked, 1)
        load = wrk(base, args.duration, random_paths_script(paths, work))
        rows.append(
            {
                **load,
                "site": name,
                "kind": kind,
                "one_p50": p50,
                "one_p95": p95,
                "asked": asked,
                "cpu": cpu,
            }
        )
        print(
            f"  {name} {kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({asked} queries;"
            f" {cpu:.1f} ms CPU per query); {load['rps']:.1f} req/s",
            flush=True,
        )
    return rows


def measure_cached(base: str, sets: dict[str, list[str]], rows: list[dict], args, work) -> None:
    """Throughput with the result cache on, starting empty, for the same queries."""
    for kind, texts in sets.items():
        paths = [f"/search/?{urllib.parse.urlencode({'q': text})}" for text in texts]
        load = wrk(base, args.duration, random_paths_script(paths, work))
        row = next(r for r in rows if r["kind"] == kind and "cached_rps" not in r)
        row["cached_rps"] = load["rps"]
        print(f"  {row['site']} {kind}, result cache: {load['rps']:.1f} req/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--sqlite-var", type=Path, default=VAR / "search-sqlite")
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432/masthead_search_bench"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "peer-stock")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--sequential-seconds",
        type=float,
        default=60,
        help="time budget of the one-connection pass per site and query kind",
    )
    parser.add_argument("--skip", default="", help="comma list: sqlite,postgres,stock")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    sites = []
    if "sqlite" not in skip:
        sites.append(("Masthead SQLite", environment(args.sqlite_var)))
    if "postgres" not in skip:
        database = args.postgres.rsplit("/", 1)[1]
        if args.prepare:  # createdb fails, harmlessly, when the database exists
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=False)
        env = environment(args.sqlite_var.with_name(args.sqlite_var.name + "-pg"), args.postgres)
        sites.append(("Masthead PostgreSQL", {**env, "REDIS_URL": args.redis}))
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, env in sites:
            masthead(env, "migrate", "--noinput", "-v0")
            masthead(env, "collectstatic", "--noinput", "-v0")
            if args.prepare:
                prepare(env, args.articles)
            count = masthead_print(
                env,
                "from masthead.news.models import ArticlePage; print(ArticlePage.objects.live().count())",
            )
            print(f"({name}: {int(count):,} articles)", flush=True)
            sets = queries(masthead_titles(env), args.queries, args.seed)
            # Every query once on one connection, then under load, with the result cache off;
            # then under load again with it on (emptied first: a purge of every key).
            server, base = gunicorn({**env, "MASTHEAD_SEARCH_CACHE_SECONDS": "0"})
            try:
                site_rows = measure(
                    name, base, "q", sets, args, work, server, env.get("DATABASE_URL", "")
                )
            finally:
                stop(server)
            masthead_print(
                env, "from masthead.news.cache import content_generation_bump as b; b(); print(1)"
            )
            server, base = gunicorn(env)
            try:
                measure_cached(base, sets, site_rows, args, work)
            finally:
                stop(server)
            rows += site_rows
        if "stock" not in skip and (args.peer / "peersite").is_dir():
            titles = peer_titles(args.peer)
            print(f"(stock Wagtail: {_peer_count(args.peer):,} articles)", flush=True)
            server, base = start_peer(args.peer)
            try:
                rows += measure(
                    "stock Wagtail",
                    base,
                    "query",
                    queries(titles, args.queries, args.seed),
                    args,
                    work,
                    server,
                )
            finally:
                stop(server)
    stock = {r["kind"]: r["rps"] for r in rows if r["site"] == "stock Wagtail"}

    def times(rps: float | None, kind: str) -> str:
        return f"{rps / stock[kind]:.1f}" if rps and stock.get(kind) else "-"

    print(
        f"\nSearch, query seed {args.seed}: one connection (each query once, result cache off),"
        f" then wrk -t2 -c8 -d{args.duration}s over the same queries, gunicorn 2 workers;"
        " Masthead again with its result cache on (starting empty). CPU ms/query: the"
        " one-connection pass's CPU (gunicorn, and the PostgreSQL server processes of its"
        " database) per query; load average at the end:"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    print(
        "| site | query | p50 ms | p95 ms | CPU ms/query | queries | req/s | p99 ms | x stock"
        " | req/s, result cache | x stock |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        cached = r.get("cached_rps")
        print(
            f"| {r['site']} | {r['kind']} | {r['one_p50']:.1f} | {r['one_p95']:.1f} |"
            f" {r['cpu']:.1f} | {r['asked']} |"
            f" {r['rps']:,.1f} | {r['p99']:.0f} | {times(r['rps'], r['kind'])} |"
            f" {f'{cached:,.1f}' if cached else '-'} | {times(cached, r['kind'])} |"
        )


def _peer_count(peer: Path) -> int:
    with sqlite3.connect(f"file:{peer / 'peersite' / 'db.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM news_articlepage").fetchone()[0]


if __name__ == "__main__":
    main()
