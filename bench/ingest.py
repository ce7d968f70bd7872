"""Ingestion: throughput per stage, de-duplication cost as the archive grows, and quality.

    python bench/ingest.py [--site-articles 10000] [--items 600] [--stored 10000,100000,1000000]

1. Throughput, network excluded, on a generated SQLite site (DEBUG off, reused under bench/var/):
   600 wire items (new stories, 10 % exact copies, 10 % near-copies, 10 % content-farm spam) as
   one RSS document, timed stage by stage (parse, sanitize + text, de-duplicate, screen, tag) on
   one core, then end to end through `entries_ingest` (which also stores each article as a
   Wagtail page with a revision, published).
2. De-duplication cost against N stored articles: one MinHash LSH query (the near-duplicate
   check) and the indexed key and content-hash lookups, median of 2,000, for N from 10,000 to
   1,000,000 (signatures and item rows synthetic).
3. Quality on the shared datasets (skipped with a message when absent): near-duplicate detection
   on the exact-duplicate groups of BBC and Reuters and on near-copies derived from their texts;
   story grouping of the UCI headlines; suggested tags against Reuters labels; spam screening on
   the labelled set in tests/ingest/spam_cases.py.
4. Screening (`--screening` runs only this, without the generated site): recall per pattern on
   the generator's train and test splits, the share of clean items held on every clean text in
   the shared datasets (BBC, Reuters, AG News, UCI headlines, MIND news) on its tuning quarter,
   a second tuning sample (a third of the rest, by a second salted hash) and the held-out half
   apart (held examples are printed for the tuning parts only), recall when the patterns are
   injected into real BBC articles, and items/s. `--fresh-seed A B C` pools the recall of
   several fresh samples of the test split (each seed one sample of 3,000 items); `--unseen
   NAME=PATH` (repeatable) adds the hold rate of a clean corpus nobody tuned on, one article per
   line, read where it lies (never copied into the repository).

    python bench/ingest.py --screening [--fresh-seed N ...] [--unseen NAME=PATH ...]
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

from harness import ROOT, VAR, environment, masthead

sys.path.insert(0, str(ROOT))


def setup(site_articles: int) -> None:
    var = VAR / f"ingest-{site_articles}"
    var.mkdir(parents=True, exist_ok=True)
    env = environment(var)
    masthead(env, "migrate", "--noinput", "-v0")
    masthead(
        env,
        "generate",
        "--articles",
        str(site_articles),
        "--seed",
        "1",
        "--no-images",
        "--if-empty",
    )
    os.environ.update(
        {
            k: v
            for k, v in env.items()
            if k.startswith(("MASTHEAD", "DJANGO", "SECRET", "DEBUG", "DATABASE", "REDIS"))
        }
    )
    import django

    django.setup()


def wire_items(n: int, seed: int = 5):
    """RSS of n items: new stories, exact copies, near-copies and spam."""
    from datetime import UTC, datetime
    from html import escape

    from masthead.demo.corpus import CorpusGenerator
    from tests.ingest.spam_cases import _inject

    rng = random.Random(seed)
    generator = CorpusGenerator(seed=seed + int(time.time()), now=datetime.now(UTC))
    articles = list(generator.articles(n))
    items = []
    for i, a in enumerate(articles):
        body = "".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
        title, kind = a.title, i % 10
        if kind == 7 and items:  # exact copy of an earlier item under another link
            title, body = items[-1][1], items[-1][2]
        elif kind == 8 and items:  # near copy
            title, body = "UPDATE 1-" + items[-1][1], items[-1][2] + "<p>Markets were steady.</p>"
        elif kind == 9:
            title, _, body = _inject(
                rng.choice(["title", "navigation", "links"]),
                title,
                " ".join(a.paragraphs),
                body,
                rng,
            )
        items.append((f"bench-{seed}-{i}-{time.time_ns()}", title, body))
    xml = "".join(
        f"<item><title>{escape(t)}</title><guid>{g}</guid><link>https://wire.example/{g}</link>"
        f"<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><category>Markets</category>"
        f"<description>{escape(b)}</description></item>"
        for g, t, b in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{xml}</channel></rss>'.encode()


def throughput(items: int) -> None:
    from masthead.discovery import engine
    from masthead.discovery import services as discovery
    from masthead.ingest import clean, parse, pipeline, spam
    from masthead.ingest.models import Source

    source, _ = Source.objects.get_or_create(
        name="Bench wire",
        defaults={"url": "https://wire.example/rss", "policy": Source.PUBLISH, "full_text": False},
    )
    ctx = pipeline.Context()
    body = wire_items(items)
    rows = []

    def timed(name, fn):
        started = time.process_time()
        out = fn()
        seconds = time.process_time() - started
        rows.append((name, items / seconds if seconds else float("inf")))
        return out

    entries = timed("parse (feedparser, defusedxml check)", lambda: parse.parse(body, "rss"))
    cleaned = timed(
        "sanitize (nh3) + text",
        lambda: [
            (e, clean.sanitize(e.summary), clean.text_of(clean.sanitize(e.summary)))
            for e in entries
        ],
    )
    timed(
        "de-duplicate (hashes, MinHash, LSH query)",
        lambda: [
            (
                clean.content_hash(e.title + t),
                ctx.near_duplicate(
                    engine.minhash(discovery.document(title=e.title, dek="", body=t, tags=[]))
                ),
            )
            for e, _, t in cleaned
        ],
    )
    timed(
        "screen (content-farm model)",
        lambda: [
            spam.screen(title=e.title, text=t, raw_html=e.summary, known=ctx.known)
            for e, _, t in cleaned
        ],
    )
    timed(
        "tag (categories, gazetteer, YAKE)",
        lambda: [
            ctx.tagger.suggest(title=e.title, text=t, categories=e.categories)
            for e, _, t in cleaned
        ],
    )
    started = time.perf_counter()
    report = pipeline.entries_ingest(source, entries, ctx=ctx)
    end_to_end = items / (time.perf_counter() - started)
    print(f"\n{items} items: {report}\n")
    print("| stage | items/s (one core) |")
    print("|---|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")
    pure = 1 / sum(1 / r for _, r in rows)
    print(f"| all stages before storing | {pure:,.0f} |")
    print(f"| end to end incl. storing published Wagtail pages | {end_to_end:,.0f} |")


def dedup_cost(sizes: list[int]) -> None:
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    from masthead.discovery import engine

    print("\n| stored articles | LSH query median µs | p99 µs | key lookup median µs | build s |")
    print("|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(1)
    for n in sizes:
        lsh = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
        started = time.perf_counter()
        with lsh.insertion_session() as session:
            for i in range(n):
                values = rng.integers(0, 2**32 - 1, engine.NUM_PERM, dtype=np.uint64).astype(
                    np.uint32
                )
                session.insert(
                    i,
                    MinHash(
                        num_perm=engine.NUM_PERM,
                        hashvalues=values,
                        scheme=engine.MINHASH_SCHEME,
                        seed=1,
                        permutations=engine._PERMUTATIONS,
                    ),
                )
        build = time.perf_counter() - started
        probes = [
            engine.minhash(f"probe text number {i} about rates and copper prices today")
            for i in range(2000)
        ]
        times = []
        for probe in probes:
            t = time.perf_counter()
            lsh.query(probe)
            times.append(time.perf_counter() - t)
        key_us = _key_lookup_us(n)
        times.sort()
        print(
            f"| {n:,} | {statistics.median(times) * 1e6:,.0f} | {times[int(0.99 * len(times))] * 1e6:,.0f} | "
            f"{key_us:,.0f} | {build:,.0f} |",
            flush=True,
        )
        del lsh


def _key_lookup_us(n: int) -> float:
    """The indexed per-item checks (source+key, content hash) with n item rows stored."""
    from masthead.ingest.clean import digest
    from masthead.ingest.models import Item, Source

    source, _ = Source.objects.get_or_create(
        name="Bench keys", defaults={"url": "https://k.example/"}
    )
    have = Item.objects.filter(source=source).count()
    batch = []
    for i in range(have, n):
        batch.append(
            Item(source=source, key=digest(f"k{i}"), status=Item.NEW, content_hash=digest(f"c{i}"))
        )
        if len(batch) == 20_000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)
    times = []
    for i in random.Random(2).sample(range(n), 500):
        t = time.perf_counter()
        Item.objects.filter(source=source, key=digest(f"k{i}")).exists()
        Item.objects.filter(content_hash=digest(f"c{i}")).exists()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def quality() -> None:
    from masthead.discovery import engine
    from masthead.evaluation import datasets, quality
    from masthead.ingest import spam
    from masthead.ingest.tagging import Tagger
    from tests.ingest.spam_cases import cases, vocabulary

    print("\n| near-duplicates | docs | pairs found | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for name, load in (
        ("BBC exact-duplicate groups", datasets.bbc),
        ("Reuters exact-duplicate groups", datasets.reuters),
    ):
        try:
            texts = load()
        except datasets.DatasetMissing as error:
            print(f"| {name} | skipped: {error} |")
            continue
        _near_duplicates(name, texts, engine)
        _near_duplicates(name.split()[0] + " derived near-copies", _derived(texts), engine)
    try:
        uci = sorted(datasets.uci_headlines(), key=lambda t: t.published)
        q = quality.story_quality(uci)
        print(
            f"\nStory grouping, UCI headlines: B-cubed precision {q['precision']:.3f}, "
            f"recall {q['recall']:.3f}, F1 {q['f1']:.3f} ({q['clusters']} clusters, 87 gold)"
        )
    except datasets.DatasetMissing as error:
        print(f"\nStory grouping: skipped: {error}")
    try:
        _tagging(datasets, Tagger)
    except datasets.DatasetMissing as error:
        print(f"\nTagging: skipped: {error}")
    vocab = vocabulary()
    labelled = cases()
    started = time.process_time()
    flags = [
        bool(spam.screen(title=t, text=x, raw_html=r, known=vocab.__contains__))
        for t, x, r, _, _ in labelled
    ]
    rate = len(labelled) / (time.process_time() - started)
    truth = [c[3] for c in labelled]
    tp = sum(f and s for f, s in zip(flags, truth, strict=True))
    print(
        f"\nSpam screening on the labelled set ({len(labelled)} items, {sum(truth)} spam): "
        f"precision {tp / max(sum(flags), 1):.3f}, recall {tp / max(sum(truth), 1):.3f}, "
        f"{rate:,.0f} items/s on one core"
    )


def _near_duplicates(name, texts, engine):
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
    signatures = {}
    found = correct = 0
    expected = 0
    seen_groups = set()
    for i, t in enumerate(texts):
        m = engine.minhash(f"{t.title}\n{t.body}")
        best = None
        for key in lsh.query(m):
            j = m.jaccard(signatures[key])
            if j >= engine.near_duplicate_bar(m) and (best is None or j > best[1]):
                best = (key, j)
        if t.group and t.group in seen_groups:
            expected += 1
        if best is not None:
            found += 1
            correct += bool(t.group) and texts[best[0]].group == t.group
        if t.group:
            seen_groups.add(t.group)
        signatures[i] = m
        lsh.insert(i, m)
    print(
        f"| {name} | {len(texts):,} | {found:,} | {correct / max(found, 1):.3f} | "
        f"{correct / max(expected, 1):.3f} |"
    )


def _derived(texts):
    """Each of 400 texts, then one near-copy of it: light edits, re-ordered paragraphs, added
    boilerplate or a changed headline."""
    from masthead.evaluation.datasets import Text

    rng = random.Random(3)
    out = []
    for k, t in enumerate(rng.sample([t for t in texts if len(t.body) > 400], 400)):
        paragraphs = [p for p in t.body.split("\n") if p.strip()]
        change = k % 4
        if change == 0:
            words = t.body.split()
            for i in rng.sample(range(len(words)), max(1, len(words) // 25)):
                words[i] = rng.choice(["said", "the", "new", "also", "percent"])
            body, title = " ".join(words), t.title
        elif change == 1 and len(paragraphs) > 2:
            rng.shuffle(paragraphs)
            body, title = "\n".join(paragraphs), t.title
        elif change == 2:
            body, title = (
                t.body
                + "\nRelated: Markets wrap. Most read: Oil prices. Sign up for our newsletter.",
                t.title,
            )
        else:
            body, title = t.body, "UPDATE 2-" + t.title.upper()
        out.append(Text(f"{t.id}", t.title, t.body, t.labels, 0.0, f"d{k}"))
        out.append(Text(f"{t.id}-copy", title, body, t.labels, 0.0, f"d{k}"))
    return out


def _tagging(datasets, Tagger):
    texts = [t for t in datasets.reuters() if t.labels and t.body][:3000]
    data_dir = datasets.data_dir() / "reuters-21578"
    names = []
    for kind in ("places", "people", "orgs", "topics"):
        names += [
            line.strip().replace("-", " ")
            for line in (data_dir / f"all-{kind}-strings.lc.txt").read_text().splitlines()
            if line.strip()
        ]
    import gzip
    import json

    labels = {}
    with gzip.open(data_dir / "reuters21578.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            labels[str(r["newid"])] = {
                x.replace("-", " ")
                for k in ("topics", "places", "people", "orgs")
                for x in r.get(k) or []
            }
    tagger = Tagger(names)
    runs = (
        (
            "gazetteer of the label names only",
            texts,
            lambda t: tagger.gazetteer.find(f"{t.title}\n{t.body}"),
        ),
        (
            "full suggestion (gazetteer hits seen twice or in the title, plus YAKE names)",
            texts[:1000],
            lambda t: tagger.suggest(title=t.title, text=t.body, categories=[]),
        ),
    )
    for name, sample, predict in runs:
        tp = fp = fn = 0
        for t in sample:
            gold, found = labels[t.id], {s.lower() for s in predict(t)}
            tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
        print(
            f"\nTagging, {len(sample):,} Reuters stories, {name}: "
            f"precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn, 1):.3f}"
        )


def screening(fresh_seeds: list[int], unseen: list[str]) -> None:
    from masthead.evaluation import datasets
    from masthead.evaluation import screening as ev
    from masthead.ingest.screening.model import shipped

    print(f"\nScreening model: one logistic regression per group, threshold {shipped().threshold}")
    seeds = ", ".join(str(s) for s in fresh_seeds)
    print(
        f"\n| pattern | train recall | test recall | fresh test samples (seeds {seeds}, pooled) "
        "| test: reason names the keyword |"
    )
    print("|---|---:|---:|---:|---:|")
    train = {r.name: r for r in ev.pattern_recall("train")}
    fresh = {r.name: r for r in ev.pooled_recall("test", fresh_seeds)}
    for row in ev.pattern_recall("test"):
        named = (
            f"{row.named / row.held:.3f}"
            if row.held and row.name not in ("clean", "navigation", "links")
            else "–"
        )
        label = "clean (held)" if row.name == "clean" else row.name
        print(
            f"| {label} | {train[row.name].rate:.3f} | {row.rate:.3f} "
            f"| {fresh[row.name].rate:.3f} ({fresh[row.name].held} of {fresh[row.name].items}) "
            f"| {named} |"
        )
    corpora = ev.clean_corpora()
    print("\n| clean corpus (never used in training) | part | items | held | hold rate | items/s |")
    print("|---|---|---:|---:|---:|---:|")
    totals = {part: ev.Row("all") for part in ev.PARTS}
    examples = []
    for name, items in corpora.items():
        whole = ev.Row(name)
        for part, row in ev.corpus_hold_rate(name, items).items():
            whole.items, whole.held = whole.items + row.items, whole.held + row.held
            whole.seconds += row.seconds
            total = totals[part]
            total.items, total.held = total.items + row.items, total.held + row.held
            total.seconds += row.seconds
            examples += [(name, *e) for e in row.examples[:3]]
            print(
                f"| {name} | {part} | {row.items:,} | {row.held} | {row.rate:.2%} "
                f"| {row.items / row.seconds:,.0f} |"
            )
        print(
            f"| {name} | whole set | {whole.items:,} | {whole.held} | {whole.rate:.2%} "
            f"| {whole.items / whole.seconds:,.0f} |"
        )
    for part, row in totals.items():
        if row.items:
            print(
                f"| all | {part} | {row.items:,} | {row.held} | {row.rate:.2%} "
                f"| {row.items / row.seconds:,.0f} |"
            )
    # Only the tuning parts' false positives are shown: the held-out part stays unread.
    for name, title, reason in examples:
        print(f"  held in {name} (a tuning part): {title!r}: {reason}")
    if unseen:
        print(
            "\n| clean corpus nobody tuned on (one article per line) | items | held | hold rate |"
        )
        print("|---|---:|---:|---:|")
    for spec in unseen:
        name, _, path = spec.rpartition("=")
        texts = datasets.plain_lines(Path(path))
        row = ev.unseen_hold_rate(name or Path(path).stem, [(t.title, t.body) for t in texts])
        print(f"| {row.name} | {row.items:,} | {row.held} | {row.rate:.2%} |")
    if "BBC News" in corpora:
        print("\n| patterns injected into real BBC articles | items | recall |")
        print("|---|---:|---:|")
        for row in ev.injected_recall("BBC", corpora["BBC News"]):
            print(f"| {row.name} | {row.items} | {row.rate:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-articles", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--stored", default="10000,100000,1000000")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--screening", action="store_true", help="only the screening tables")
    parser.add_argument(
        "--fresh-seed",
        type=int,
        nargs="+",
        default=[20261130],
        help="seeds of fresh samples of the test split (their recall is pooled)",
    )
    parser.add_argument(
        "--unseen",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a clean corpus nobody tuned on, one article per line; its hold rate is printed",
    )
    args = parser.parse_args()
    if args.screening:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
        os.environ.setdefault("DEBUG", "1")
        import django

        django.setup()
        screening(args.fresh_seed, args.unseen)
        return
    setup(args.site_articles)
    throughput(args.items)
    dedup_cost([int(s) for s in args.stored.split(",")])
    if not args.skip_quality:
        quality()
        screening(args.fresh_seed, args.unseen)


if __name__ == "__main__":
    main()
