"""Counts that cannot be bought: one abusive client against the production server.

    python bench/abuse.py [--seconds 60] [--threads 2] [--articles 60]

A fresh site (SQLite, gunicorn with 2 workers, DEBUG off, production budgets) is attacked by one
client for --seconds per scenario, with --threads threads, every request without the cookies of
the one before it:

  api-views     POST /api/v1/events beacons, no cookie, over every article
  pixel-views   GET the <noscript> pixel, no cookie, our page as Referer
  api-react     the strongest cookie-dropper: GET reader-context (a new reader id and CSRF
                token), PUT a reaction with them, drop both; over 5 chosen articles
  form-react    the same through the no-JavaScript form: GET the form, POST it, drop cookies
  v6-views      api-views, every request from another address inside one IPv6 /64
  v6-react      api-react, every cycle from another address inside the same kind of /64

then `genuine`: 200 readers, each on its own address, keeping its cookie, view 3 articles and
react to one; its counts must be exact.

Addresses: the site runs with MASTHEAD_BEHIND_PROXY=1 and this script plays the trusted proxy,
writing the client address into X-Forwarded-For (the last entry, as a real proxy appends it).
Each scenario uses its own network, so budgets spent in one do not hide abuse in the next. The
loopback interface cannot hold a /64 of source addresses without reconfiguring the machine, and
X-Forwarded-For from a trusted proxy is exactly what the site reads in such a deployment.
"""

import argparse
import itertools
import json
import random
import shutil
import sqlite3
import sys
import threading
import time
from collections import Counter

import httpx
from harness import VAR, environment, gunicorn, masthead, masthead_print, stop

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
# The site is on SQLite (views are written before the beacon is answered, nothing is queued):
# read the totals straight from the file instead of paying a Django start-up per reading.
COUNTS = {
    "views": "SELECT COALESCE(SUM(count), 0) FROM engagement_articlecounter WHERE name = 'view'",
    "reactions": "SELECT COALESCE(SUM(count), 0) FROM engagement_articlecounter "
    "WHERE name LIKE 'reaction:%'",
    "history": "SELECT COUNT(*) FROM engagement_readerview",
}


def site(articles: int) -> tuple[dict, list[tuple[int, str]]]:
    var = VAR / "abuse"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = environment(
        var,
        MASTHEAD_BEHIND_PROXY="1",
        # Production limits (the harness lifts the event limit for throughput benchmarks).
        MASTHEAD_EVENT_RATE_IP="600/m",
    )
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(env, "collectstatic", "--noinput", "-v0")
    masthead(
        env, "generate", "--articles", str(articles), "--seed", "1", "--no-images", "--no-discovery"
    )
    listing = masthead_print(
        env,
        "import json; from masthead.news.models import ArticlePage; "
        "print(json.dumps([(a.pk, a.url) for a in ArticlePage.objects.live().order_by('pk')]))",
    )
    return env, [tuple(row) for row in json.loads(listing)]


def counts(env: dict) -> dict:
    with sqlite3.connect(
        f"file:{env['MASTHEAD_VAR_DIR']}/masthead.sqlite3?mode=ro", uri=True
    ) as db:
        return {name: db.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


class Attack:
    """One client: each step is a fresh connection state (no cookies carried over)."""

    def __init__(self, base: str, articles: list[tuple[int, str]], address):
        self.base, self.articles, self.address = base, articles, address
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base,
            headers={"User-Agent": UA, "X-Forwarded-For": self.address()},
            timeout=10,
        )

    def note(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1

    def api_view(self, n: int) -> None:
        article_id, _ = self.articles[n % len(self.articles)]
        with self.client() as c:
            self.note(c.post("/api/v1/events", json={"type": "view", "article": article_id}))

    def pixel_view(self, n: int) -> None:
        article_id, url = self.articles[n % len(self.articles)]
        with self.client() as c:
            referer = {"Referer": self.base + url}
            self.note(c.get(f"/events/pixel/{article_id}.gif", headers=referer))

    def api_react(self, n: int) -> None:
        article_id, _ = self.articles[n % 5]
        with self.client() as c:
            context = c.get(f"/api/v1/articles/{article_id}/reader-context")
            token = context.json()["csrf_token"]
            self.note(
                c.put(
                    f"/api/v1/articles/{article_id}/reactions/verygood",
                    json={"active": True},
                    headers={"X-CSRFToken": token, "Referer": self.base + "/"},
                )
            )

    def form_react(self, n: int) -> None:
        article_id, _ = self.articles[n % 5]
        with self.client() as c:
            form = c.get(f"/articles/{article_id}/react/").text
            token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            posted = c.post(
                f"/articles/{article_id}/react/",
                data={"csrfmiddlewaretoken": token, "kind": "verygood", "active": "1"},
                headers={"Referer": self.base + "/"},
            )
            self.note(posted)

    def run(self, step, seconds: float, threads: int) -> int:
        deadline = time.monotonic() + seconds
        numbers = itertools.count()

        def loop() -> None:
            while time.monotonic() < deadline:
                try:
                    step(next(numbers))
                except (httpx.HTTPError, IndexError, ValueError, KeyError):
                    with self.lock:
                        self.statuses["error"] += 1

        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sum(self.statuses.values())


def fixed(address: str):
    return lambda: address


def rotating(prefix: str):
    return lambda: (
        f"{prefix}:{random.getrandbits(16):x}:{random.getrandbits(16):x}:{random.getrandbits(16):x}:{random.getrandbits(16):x}"
    )


SCENARIOS = [
    ("api-views", "api_view", fixed("198.51.100.1")),
    ("pixel-views", "pixel_view", fixed("198.51.100.2")),
    ("api-react", "api_react", fixed("198.51.100.3")),
    ("form-react", "form_react", fixed("198.51.100.4")),
    ("v6-views", "api_view", rotating("2001:db8:1:1")),
    ("v6-react", "api_react", rotating("2001:db8:1:2")),
]


def genuine(base: str, articles: list[tuple[int, str]], readers: int) -> None:
    for n in range(readers):
        with httpx.Client(
            base_url=base,
            headers={
                "User-Agent": UA,
                "X-Forwarded-For": f"203.0.113.{n % 250 + 1}"
                if n < 250
                else f"2001:db8:2:{n:x}::1",
            },
            timeout=10,
        ) as c:
            first = articles[n % len(articles)][0]
            token = c.get(f"/api/v1/articles/{first}/reader-context").json()["csrf_token"]
            for k in range(3):
                article_id = articles[(n + k) % len(articles)][0]
                c.post("/api/v1/events", json={"type": "view", "article": article_id})
            c.put(
                f"/api/v1/articles/{first}/reactions/verygood",
                json={"active": True},
                headers={"X-CSRFToken": token},
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    args = parser.parse_args()
    started = time.monotonic()
    env, articles = site(args.articles)
    server, base = gunicorn(env, workers=2)
    print(f"site ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    rows = []
    try:
        for name, method, address in SCENARIOS:
            if args.only and name not in args.only:
                continue
            before = counts(env)
            attack = Attack(base, articles, address)
            sent = attack.run(getattr(attack, method), args.seconds, args.threads)
            after = counts(env)
            rows.append(
                (
                    name,
                    sent,
                    dict(attack.statuses),
                    after["views"] - before["views"],
                    after["reactions"] - before["reactions"],
                    after["history"] - before["history"],
                )
            )
            print(f"{name}: done", file=sys.stderr)
        before = counts(env)
        genuine(base, articles, args.readers)
        after = counts(env)
    finally:
        stop(server)
    print(
        f"\nOne client, {args.seconds:.0f} s per scenario, {args.threads} threads, cookies dropped:"
    )
    print("| scenario | requests | answers | counted views | counted reactions | history rows |")
    print("|---|---:|---|---:|---:|---:|")
    for name, sent, statuses, views, reactions, history in rows:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
        print(f"| {name} | {sent} | {answers} | {views} | {reactions} | {history} |")
    views = after["views"] - before["views"]
    reactions = after["reactions"] - before["reactions"]
    print(
        f"\nGenuine readers: {args.readers} readers x 3 views + 1 reaction each: "
        f"counted views {views} (expected {3 * args.readers}), "
        f"reactions {reactions} (expected {args.readers})"
    )


if __name__ == "__main__":
    main()
