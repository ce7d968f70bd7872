"""Reader events: how many views per second are accepted, and how fast Ranking answers.

    python bench/events.py [--views 20000] [--http-seconds 10] [--ranking-articles 100000]

1. Backend only: N views from distinct readers through `services.view_record` (the code path of
   the beacon endpoint, minus HTTP), on SQLite, PostgreSQL and Redis (PostgreSQL and Redis when
   reachable), then a flush; the total in SQL must equal N.
2. End to end: `wrk` POSTs view beacons to /api/v1/events on gunicorn (2 workers, DEBUG off) on
   loopback, each from another established reader (a signed cookie); then `masthead flush_events`,
   and the stored total must equal the 202 answers (acknowledged).
3. Ranking: hourly activity equivalent to 10,000,000 views spread over the articles of a
   100,000-article site (built with `bench/generate.py` under bench/var/), then the Ranking
   query: the scan the periodic refresh pays per list, and what a page request pays (a cache
   lookup plus one query for the articles still live).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile

from harness import VAR, environment, gunicorn, masthead, masthead_print, psql, reachable, stop

POSTGRES = "postgres://postgres@127.0.0.1:5432/masthead_events_bench"
REDIS = "redis://127.0.0.1:6379/14"
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"


def fresh_site(name: str, database_url: str, redis_url: str, articles: int = 2000) -> dict:
    var = VAR / f"events-{name}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if database_url:
        database = database_url.rsplit("/", 1)[1]
        psql(f"DROP DATABASE IF EXISTS {database}")
        psql(f"CREATE DATABASE {database}")
    env = environment(var, database_url, redis_url)
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "collectstatic", "--noinput", "-v0")
    masthead(
        env, "generate", "--articles", str(articles), "--seed", "1", "--no-images", "--no-discovery"
    )
    return env


BACKEND_SCRIPT = """
import time, django
django.setup()
from django.conf import settings
from masthead.engagement import counters, selectors, services
from masthead.engagement.readers import Reader
from masthead.news.models import ArticlePage
ids = list(ArticlePage.objects.live().values_list("pk", flat=True))
n = {views}
start = time.perf_counter()
for i in range(n):
    services.view_record(reader=Reader(id=f"{{i:032x}}", is_private=False, is_new=False), article_id=ids[i % len(ids)])
accepted = time.perf_counter() - start
start = time.perf_counter()
counters.backend().flush()
flushed = time.perf_counter() - start
total = sum(c for c in selectors.ArticleCounter.objects.filter(name="view").values_list("count", flat=True))
print(f"RESULT {{n}} {{accepted:.6f}} {{flushed:.6f}} {{total}}")
"""


def backend_only(name: str, env: dict, views: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", BACKEND_SCRIPT.format(views=views)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    n, accepted, flushed, total = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) (\d+)", out).groups()
    return {
        "name": name,
        "rate": int(n) / float(accepted),
        "flush": float(flushed),
        "lost": int(n) - int(total),
    }


WRK_SCRIPT = """
local ids = {{{ids}}}
local cookies = {{{cookies}}}
offset, sent = 0, 0  -- globals: setup() sets each thread's offset
setup = function(thread)
  thread:set("offset", offset)
  offset = offset + {per_thread}
end
request = function()
  sent = sent + 1
  local headers = {{
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "{ua}",
    ["Cookie"] = "mh_reader=" .. cookies[(offset + sent) % #cookies + 1],
  }}
  return wrk.format("POST", "/api/v1/events", headers, '{{"type":"view","article":' .. ids[math.random(#ids)] .. '}}')
end
done = function(summary, latency, requests)
  io.write("NON202 ", summary.errors.status, "\\n")
end
"""
# Established readers (cookies issued earlier, as a returning reader's browser sends them): a
# beacon without one counts only within its network's small anonymous budget.
COOKIES = 60_000
COOKIE_SCRIPT = (
    "import time; from masthead.engagement.readers import reader_cookie; now = int(time.time()); "
    "print(','.join(repr(reader_cookie(f'{{i:032x}}', now)) for i in range({n})))"
)


def end_to_end(name: str, env: dict, seconds: int) -> dict:
    ids = masthead_print(
        env,
        "from masthead.news.models import ArticlePage;"
        "print(','.join(map(str, ArticlePage.objects.live().values_list('pk', flat=True)[:500])))",
    )
    cookies = masthead_print(env, COOKIE_SCRIPT.format(n=COOKIES)).replace("'", '"')
    server, base = gunicorn(env)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                WRK_SCRIPT.format(ua=UA, ids=ids, cookies=cookies, per_thread=COOKIES // 2)
            )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        stop(server)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    masthead(env, "flush_events")
    total = int(
        masthead_print(
            env,
            "from django.db.models import Sum;from masthead.engagement.models import ArticleCounter;"
            "print(ArticleCounter.objects.filter(name='view').aggregate(s=Sum('count'))['s'] or 0)",
        )
    )
    scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p99[1]]
    return {
        "name": name,
        "rate": rate,
        "p99": float(p99[0]) * scale,
        "requests": requests,
        "errors": int(errors.group(1)) if errors else 0,
        "acknowledged": requests - (int(errors.group(1)) if errors else 0),
        "stored": total,
    }


CONNECTIONS = 8


def _all_stored(result: dict) -> str:
    """Every acknowledged view stored, none twice: the stored total is the acknowledged count
    plus at most the requests still in flight when wrk stopped counting (one per connection)."""
    extra = result["stored"] - result["acknowledged"]
    return f"yes (+{extra} in flight)" if 0 <= extra <= CONNECTIONS else f"NO ({extra:+})"


RANKING_SCRIPT = """
import random, statistics, time, django
django.setup()
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from masthead.engagement import counters, ranking, selectors
from masthead.engagement.models import ArticleActivity
from masthead.news.models import ArticlePage, ChannelPage
rng = random.Random(1)
now = timezone.now()
ArticleActivity.objects.all().delete()
rows = []
articles = list(ArticlePage.objects.live().values_list("pk", "path", "published_at"))
recent = [a for a in articles if a[2] and a[2] > now - timedelta(days=8)]
# 10,000,000 views: each recent article is read for 48 hours after publication, Zipf-like appeal.
weights = [1 / (rank ** 1.1) for rank in range(1, len(recent) + 1)]
rng.shuffle(weights)
def hours(published):
    start = ranking.hour_start(published)
    return [start + timedelta(hours=h) for h in range(48) if start + timedelta(hours=h) <= now]
mass = sum(w * sum(0.5 ** (h / 12) for h in range(len(hours(p)))) for (_, _, p), w in zip(recent, weights))
scale = {events} / mass
for (pk, path, published), w in zip(recent, weights):
    for h, hour in enumerate(hours(published)):
        views = int(w * scale * 0.5 ** (h / 12) + rng.random())
        if views:
            rows.append(ArticleActivity(article_id=pk, hour=hour, path=path, view_count=views, reaction_count=views // 50))
ArticleActivity.objects.bulk_create(rows, batch_size=5000)
total = sum(r.view_count for r in rows)
backend = counters.backend()
if backend.name == "redis":
    backend.redis.flushdb()
counters.ranking_scores_rebuild(now=now)
home = ArticlePage.objects.first().get_ancestors().get(depth=2)
markets = ChannelPage.objects.get(slug="markets")
def timed(fn, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter(); fn(); samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.99) - 1)]
for window in ("1h", "24h", "7d"):
    for scope, page in (("site", home), ("markets", markets)):
        compute = timed(lambda: selectors.ranking_top(window=window, within_path=page.path), 5 if window == "7d" else 20)
        selectors.ranking_list(window=window, within_path=page.path, limit=8)
        served = timed(lambda: selectors.ranking_list(window=window, within_path=page.path, limit=8), 2000)
        print(f"ROW {{window}} {{scope}} {{compute[0]:.2f}} {{compute[1]:.2f}} {{served[0]:.3f}} {{served[1]:.3f}}")
print(f"EVENTS {{total}} ROWS {{len(rows)}}")
"""


def ranking_bench(name: str, env: dict, events: int) -> list[str]:
    masthead(env, "migrate", "--noinput", "-v0")
    out = subprocess.run(
        [sys.executable, "-c", RANKING_SCRIPT.format(events=events)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    meta = re.search(r"EVENTS (\d+) ROWS (\d+)", out).groups()
    lines = [
        f"\nRanking on {name}: {int(meta[0]):,} views of history in {int(meta[1]):,} hourly rows"
    ]
    lines.append(
        f"{'window':<7}{'scope':<9}{'refresh p50':>13}{'max ms':>9}{'served p50':>12}{'p99 ms':>9}"
    )
    for window, scope, c50, c99, s50, s99 in re.findall(
        r"ROW (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)", out
    ):
        lines.append(
            f"{window:<7}{scope:<9}{float(c50):>13.1f}{float(c99):>9.1f}{float(s50):>12.3f}{float(s99):>9.3f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--views", type=int, default=20_000)
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--ranking-articles", type=int, default=100_000)
    parser.add_argument("--ranking-events", type=int, default=10_000_000)
    parser.add_argument(
        "--skip",
        default="",
        help="comma list of parts and setups to skip: backend,http,ranking,sqlite,postgresql,redis",
    )
    parser.add_argument("--postgres", default=POSTGRES, help="a database the run drops and makes")
    parser.add_argument("--redis", default=REDIS, help="a Redis database the run empties")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    setups = [("SQLite", "", "")]
    if reachable(5432):
        setups.append(("PostgreSQL", args.postgres, ""))
        if reachable(6379):
            setups.append(("Redis + PostgreSQL", args.postgres, args.redis))
    setups = [s for s in setups if s[0].split()[0].lower() not in skip]
    sites = {}
    if "backend" not in skip:
        print(f"\nBackend only: {args.views:,} views from distinct readers, one process\n")
        print(f"{'backend':<22}{'views/s':>10}{'flush s':>9}{'lost':>6}")
        for name, database_url, redis_url in setups:
            sites[name] = fresh_site(name.split()[0].lower(), database_url, redis_url)
            r = backend_only(name, sites[name], args.views)
            print(f"{r['name']:<22}{r['rate']:>10,.0f}{r['flush']:>9.2f}{r['lost']:>6}")
    if "http" not in skip and shutil.which("wrk"):
        print(
            f"\nEnd to end: wrk -t2 -c8 -d{args.http_seconds}s POST /api/v1/events, gunicorn 2 workers\n"
        )
        print(
            f"{'backend':<22}{'events/s':>10}{'p99 ms':>8}{'requests':>10}{'errors':>8}"
            f"{'acked':>9}{'stored':>9}  every acked stored"
        )
        for name, database_url, redis_url in setups:
            env = fresh_site(name.split()[0].lower(), database_url, redis_url)
            r = end_to_end(name, env, args.http_seconds)
            print(
                f"{r['name']:<22}{r['rate']:>10,.0f}{r['p99']:>8.1f}{r['requests']:>10,}{r['errors']:>8}"
                f"{r['acknowledged']:>9,}{r['stored']:>9,}  {_all_stored(r)}"
            )
    if "ranking" not in skip:
        var = VAR / "generate-sqlite"
        if not (var / "masthead.sqlite3").exists():
            print(
                f"\nRanking: run `python bench/generate.py --sizes {args.ranking_articles}` first."
            )
            return
        for line in ranking_bench("SQLite", environment(var), args.ranking_events):
            print(line)
        if reachable(6379):
            for line in ranking_bench(
                "Redis (SQLite site)", environment(var, "", args.redis), args.ranking_events
            ):
                print(line)


if __name__ == "__main__":
    main()
