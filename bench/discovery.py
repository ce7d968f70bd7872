"""Discovery: rebuild cost at scale, serving latency and the incremental update on a real site.

    python bench/discovery.py [--sizes 100000,1000000] [--site-articles 100000] [--lookups 2000]

1. Engine, per size (each in its own process, so peak memory is that size's): synthetic articles
   from the demo corpus generator, model fit (on at most 100,000 of them), vectors, story
   clustering and Related neighbours for every article: seconds, articles/s, peak RSS. Above
   200,000 articles the two quadratic-ish phases are timed on a measured share (the first
   100,000 story assignments; Related for 5,000 rows against all rows) and scaled to the whole,
   marked "projected".
2. Site, SQLite, DEBUG off: a generated site (`masthead generate`, reused under bench/var/), the
   full `rebuild_discovery`, some simulated reader traffic, then in-process timings of what a page
   request pays: Related + Like + story lookup (`interface.article_lists`), a personal
   Recommendation (`interface.recommend` for readers with history), the non-personal one, and
   `services.article_update` after publishing one new article (warm worker), as medians and p99.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from harness import VAR, environment, masthead, masthead_print

SCALE_SAMPLE_STORIES = 100_000
SCALE_SAMPLE_RELATED = 5_000


def engine_run(n: int) -> dict:
    """Runs inside a fresh process (see main)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from datetime import UTC, datetime

    import numpy as np
    import scipy.sparse as sp

    from masthead.demo.corpus import CorpusGenerator
    from masthead.discovery import engine
    from masthead.discovery.services import document

    out = {"articles": n}
    t = time.perf_counter()
    generator = CorpusGenerator(seed=1, now=datetime(2026, 1, 1, tzinfo=UTC), days=365)
    articles = sorted(generator.articles(n), key=lambda a: a.published_at)
    texts = [
        document(title=a.title, dek=a.dek, body=" ".join(a.paragraphs), tags=a.tags)
        for a in articles
    ]
    published = np.array([a.published_at.timestamp() for a in articles])
    del articles
    out["generate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    model = engine.model_fit(texts)
    out["fit_s"] = time.perf_counter() - t
    t = time.perf_counter()
    X = sp.vstack([model.sparse(texts[i : i + 20_000]) for i in range(0, n, 20_000)], format="csr")
    Z = model.dense(X)
    out["vectors_s"] = time.perf_counter() - t

    t = time.perf_counter()
    index = engine.StoryIndex()
    measured = min(n, SCALE_SAMPLE_STORIES if n > 200_000 else n)
    story = np.arange(n, dtype=np.int64)
    for i in range(measured):
        story[i] = index.add(i, engine.minhash(texts[i]), X[i], Z[i], published[i])[0]
    out["stories_s"] = (time.perf_counter() - t) * n / measured
    out["stories_projected"] = measured < n
    out["stories"] = len(set(story[:measured].tolist()))
    out["stories_per_article_measured"] = out["stories"] / measured

    corpus = engine.untagged_corpus(X, Z, published, story, topics=model.topics)
    rows = range(n) if n <= 200_000 else range(0, n, n // SCALE_SAMPLE_RELATED)
    t = time.perf_counter()
    engine.related_rows(corpus, rows)
    out["related_s"] = (time.perf_counter() - t) * n / len(rows)
    out["related_projected"] = len(rows) < n
    out["total_s"] = sum(out[k] for k in ("fit_s", "vectors_s", "stories_s", "related_s"))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


SITE_TIMINGS = """
import json, random, statistics, time
from django.utils import timezone
from masthead.discovery import interface, services
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.news.models import ArticlePage, ChannelPage

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

rng = random.Random(1)
ids = list(ArticlePage.objects.live().values_list("id", flat=True))
pages = list(ArticlePage.objects.filter(pk__in=rng.sample(ids, min(LOOKUPS, len(ids)))))
lists, cached = [], []
for page in pages:
    t = time.perf_counter(); interface._article_lists(page); lists.append(time.perf_counter() - t)
for page in pages:
    interface.article_lists(page)
    t = time.perf_counter(); interface.article_lists(page); cached.append(time.perf_counter() - t)
readers = list(ReaderView.objects.values_list("reader_id", flat=True).distinct()[:LOOKUPS])
personal = []
for reader_id in readers:
    page = rng.choice(pages)
    t = time.perf_counter()
    interface.recommend(Reader(reader_id, False, False), page)
    personal.append(time.perf_counter() - t)
shared = []
for page in pages[:500]:
    t = time.perf_counter(); interface.recommend(None, page); shared.append(time.perf_counter() - t)
channel = ChannelPage.objects.live().order_by("path").last()
services.article_update(article_id=ids[0])  # warm the worker's corpus in memory
load_t = time.perf_counter(); services.index_forget(); services.corpus_reader(); load_s = time.perf_counter() - load_t
updates = []
for i in range(7):
    article = ArticlePage(title=f"Copper smelters cut output {i}", dek="Copper prices rose.",
                          body=[("paragraph", "<p>Copper futures climbed in London as smelters cut output.</p>")],
                          live=False)
    channel.add_child(instance=article)
    article.save_revision().publish()
    t = time.perf_counter(); services.article_update(article_id=article.pk); updates.append(time.perf_counter() - t)
    article.delete()
    services.article_update(article_id=article.pk)
print(json.dumps({
    "lookups": len(lists), "lists_p50_ms": pct(lists, .5), "lists_p99_ms": pct(lists, .99),
    "cached_p50_ms": pct(cached, .5), "cached_p99_ms": pct(cached, .99),
    "personal_readers": len(personal), "personal_p50_ms": pct(personal, .5), "personal_p99_ms": pct(personal, .99),
    "shared_p50_ms": pct(shared, .5), "shared_p99_ms": pct(shared, .99),
    "update_median_ms": statistics.median(updates) * 1000, "update_max_ms": max(updates) * 1000,
    "worker_load_s": load_s,
}))
"""


def site_run(articles: int, lookups: int) -> dict:
    var = VAR / f"discovery-{articles}"
    var.mkdir(parents=True, exist_ok=True)
    env = environment(var)
    masthead(env, "migrate", "--noinput", "-v0")
    out = {"articles": articles}
    t = time.perf_counter()
    masthead(
        env,
        "generate",
        "--articles",
        str(articles),
        "--seed",
        "1",
        "--no-images",
        "--if-empty",
        "--no-discovery",
    )
    out["generate_s"] = time.perf_counter() - t
    masthead(env, "simulate", "--readers", "2000", "--hours", "48", "--seed", "1")
    t = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "masthead.cli", "rebuild_discovery"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    out["rebuild_s"] = time.perf_counter() - t
    out["rebuild_report"] = proc.stdout.strip()
    out["rebuild_peak_rss_mb"] = int(proc.stderr.strip().splitlines()[-1]) / 1024
    out.update(json.loads(masthead_print(env, SITE_TIMINGS.replace("LOOKUPS", str(lookups)))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--site-articles", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--site-only", action="store_true")
    parser.add_argument("--_engine", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._engine:
        print(json.dumps(engine_run(args._engine)))
        return

    if not args.site_only:
        print(
            "| articles | fit s | vectors s | stories s | Related s | total s | articles/s | "
            "stories | peak RSS MB |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in (int(s) for s in args.sizes.split(",")):
            proc = subprocess.run(
                [sys.executable, __file__, "--_engine", str(n)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            mark = " (projected)" if r["stories_projected"] or r["related_projected"] else ""
            print(
                f"| {n:,} | {r['fit_s']:.0f} | {r['vectors_s']:.0f} | {r['stories_s']:.0f} | "
                f"{r['related_s']:.0f} | {r['total_s']:.0f}{mark} | {n / r['total_s']:,.0f} | "
                f"{r['stories_per_article_measured']:.2f}/article | {r['peak_rss_mb']:,.0f} |",
                flush=True,
            )
    if not args.engine_only:
        r = site_run(args.site_articles, args.lookups)
        print(f"\nSite, SQLite, {r['articles']:,} articles: {r['rebuild_report']}")
        print(
            f"full rebuild {r['rebuild_s']:.0f} s, peak RSS {r['rebuild_peak_rss_mb']:,.0f} MB; "
            f"worker loads the stored state in {r['worker_load_s']:.1f} s\n"
        )
        print("| what a request or the worker pays | median ms | p99 ms | target p99 |")
        print("|---|---:|---:|---:|")
        print(
            f"| Related + Like + story from the database ({r['lookups']:,} articles) | "
            f"{r['lists_p50_ms']:.2f} | {r['lists_p99_ms']:.2f} | 2 |"
        )
        print(
            f"| the same, from the cache (as pages and the API get it) | "
            f"{r['cached_p50_ms']:.2f} | {r['cached_p99_ms']:.2f} | 2 |"
        )
        print(
            f"| personal Recommendation ({r['personal_readers']:,} readers with history) | "
            f"{r['personal_p50_ms']:.2f} | {r['personal_p99_ms']:.2f} | 20 |"
        )
        print(
            f"| non-personal Recommendation (cached page) | {r['shared_p50_ms']:.2f} | "
            f"{r['shared_p99_ms']:.2f} | |"
        )
        print(
            f"| incremental update after one publish (7 runs; max) | "
            f"{r['update_median_ms']:.0f} | {r['update_max_ms']:.0f} | 500 |"
        )


if __name__ == "__main__":
    main()
