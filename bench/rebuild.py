"""Discovery at scale on an existing site: full rebuild, worker start-up, update after a publish.

    python bench/rebuild.py rebuild [--dump FILE]   full rebuild: seconds and RSS per stage, peak
    python bench/rebuild.py entries                 the story-entry step alone, from no entries
    python bench/rebuild.py start [--web]           fresh worker: first served Related list, index open
                                                    (--web: started as gunicorn starts one, from
                                                    masthead.wsgi, URL conf included)
    python bench/rebuild.py update [--count 7] [--warm]  fresh worker: article_update after each
                                                    publish (--warm: after db_worker's warm-up)
    python bench/rebuild.py recall [--sample 300] [--settings 192:2,128:2]
                                                    ANN recall@10 of Related against exact search
                                                    (per efSearch:over-fetch pair tried)
    python bench/rebuild.py compare A B             overlap of two --dump files' Related lists

Settings come from the environment (DATABASE_URL, MASTHEAD_VAR_DIR, DJANGO_SETTINGS_MODULE=
masthead.settings), so it measures whatever site they name, e.g. one grown with
`masthead generate --articles N --no-discovery`. Each probe prints one JSON line; run each in
its own process so start-up and peak memory are that probe's alone.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import statistics
import sys
import threading
import time

STARTED = time.perf_counter()

from harness import article_published  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def cpu_s() -> float:
    """CPU seconds of this process (user and system): on a shared machine, steadier than wall
    time."""
    times = os.times()
    return times.user + times.system


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loading():
    """What the `masthead` command and the task worker load under (the cyclic collector paused
    while loading, where the code measured has that; a plain block where it has not)."""
    try:
        from masthead.collector import paused_while_loading
    except ImportError:  # code from before it
        return contextlib.nullcontext()
    return paused_while_loading()


def setup() -> None:
    """Django's setup as the `masthead` command does it."""
    import django

    with loading():
        django.setup()


def rebuild(dump: str | None) -> dict:
    setup()
    from masthead.discovery import services
    from masthead.discovery.models import ArticleProfile

    stages: dict[str, dict] = {}
    started = time.perf_counter()
    # The stage under way when resident memory peaked, sampled twice a second.
    peak: dict = {"rss_mb": 0.0, "during": "Articles listed", "current": "Articles listed"}

    def sample() -> None:
        while True:
            now = rss_mb()
            if now > peak["rss_mb"]:
                peak["rss_mb"], peak["during"] = now, peak["current"]
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()

    def progress(stage: str, done: int, total: int) -> None:
        peak["current"] = f"after {stage} {done}/{total}"
        if done == total:
            stages[stage] = {
                "at_s": round(time.perf_counter() - started, 1),
                "cpu_s": round(cpu_s(), 1),
                # the reporting thread's own CPU so far (faiss's worker threads not included)
                "thread_cpu_s": round(time.thread_time(), 1),
                "thread": threading.current_thread().name,
                "rss_mb": round(rss_mb()),
            }
            print(stage, stages[stage], file=sys.stderr, flush=True)

    cpu = cpu_s()
    result = services.index_rebuild(progress=progress)
    seconds = time.perf_counter() - started
    cpu = cpu_s() - cpu
    rebuild_peak = {k: peak[k] for k in ("rss_mb", "during")}
    if dump:  # streamed, so the dump adds nothing to the peak
        lists = ArticleProfile.objects.values_list("article_id", "related")
        with open(dump, "w") as f:
            f.write("{")
            for n, (article, related) in enumerate(lists.iterator(chunk_size=2000)):
                f.write(("," if n else "") + f'"{article}": {[item[0] for item in related]}')
            f.write("}")
    return {**result, "seconds": seconds, "cpu_s": cpu, "stages": stages, "peak": rebuild_peak}


def entries() -> dict:
    """The story-entry step of a rebuild alone: every story's members, as the stored profiles
    group them, written in place of no entries (as on a first rebuild), with its purge."""
    setup()
    from masthead.discovery.models import ArticleProfile
    from masthead.news.models import StoryEntry
    from masthead.news.stories import story_entries_replace

    members: dict[int, list[int]] = {}
    rows = ArticleProfile.objects.values_list("article_id", "story").order_by("article_id")
    for article_id, story in rows.iterator(chunk_size=5000):
        members.setdefault(story, []).append(article_id)
    StoryEntry.objects.all().delete()
    before_mb, cpu, started = rss_mb(), cpu_s(), time.perf_counter()
    stories = story_entries_replace(stories=members)
    return {
        "stories": stories,
        "articles": sum(len(m) for m in members.values()),
        "seconds": time.perf_counter() - started,
        "cpu_s": cpu_s() - cpu,
        "rss_before_mb": before_mb,
        "rss_after_mb": rss_mb(),
    }


def start(*, web: bool = False) -> dict:
    """What a fresh web or task worker pays before its first Related list, then the index.
    With `web`, started as gunicorn starts a web worker: `masthead.wsgi` (settings, apps, the
    URL conf) instead of Django's setup alone."""
    if web:
        importlib.import_module("masthead.wsgi")
    else:
        setup()
    ready = time.perf_counter() - STARTED
    ready_cpu = cpu_s()
    from masthead.discovery import interface
    from masthead.news.models import ArticlePage

    article = ArticlePage.objects.live().order_by("-published_at").first()
    items = interface.related(article)
    first_list = time.perf_counter() - STARTED
    cpu = cpu_s()
    imported = time.perf_counter()
    # Timed apart from the opening: scikit-learn, scipy, faiss and datasketch come with it.
    from masthead.discovery import services

    import_cpu, opened = cpu_s(), time.perf_counter()
    services.corpus_reader()
    return {
        "django_setup_s": ready,
        "django_setup_cpu_s": ready_cpu,
        "first_list_s": first_list,
        "first_list_cpu_s": cpu,
        "services_import_s": opened - imported,
        "services_import_cpu_s": import_cpu - cpu,
        "index_open_s": time.perf_counter() - opened,
        "index_open_cpu_s": cpu_s() - import_cpu,
        "items": len(items),
    }


def update(count: int, *, warm: bool = False) -> dict:
    """A fresh task worker: `count` articles published one after another, each updated; with
    `warm`, after the warm-up `masthead db_worker` does before its first task."""
    setup()
    from masthead.discovery import services
    from masthead.news.models import ArticlePage, ChannelPage

    warm_cpu = cpu_s()
    if warm:
        with loading():
            services.index_warm()
    warm_cpu = cpu_s() - warm_cpu
    channel = ChannelPage.objects.live().filter(depth=4).first()
    times, cpu, made = [], [], []
    for i in range(count):
        article = article_published(channel, i)
        made.append(article.pk)
        started, started_cpu = time.perf_counter(), cpu_s()
        services.article_update(article_id=article.pk)
        times.append(time.perf_counter() - started)
        cpu.append(cpu_s() - started_cpu)
    for pk in made:  # leave the corpus as it was
        ArticlePage.objects.get(pk=pk).delete()
        services.article_update(article_id=pk)
    return {
        "updates_s": [round(t, 3) for t in times],
        "median_s": statistics.median(times),
        "max_s": max(times),
        "cpu_s": [round(t, 3) for t in cpu],
        "median_cpu_s": statistics.median(cpu),
        "max_cpu_s": max(cpu),
        "warm_cpu_s": warm_cpu,
    }


def recall(sample: int, settings: list[tuple[int, int]]) -> dict:
    """Related recall@10 against exact search; for each (efSearch, over-fetch) in `settings`
    (the module's own when empty), with the CPU seconds of the graph path per row."""
    setup()
    import random

    from masthead.discovery import ann, engine, services

    services.corpus_reader()
    index = services._current()
    assert index is not None
    rows = sorted(random.Random(3).sample(range(index.size), min(sample, index.size)))
    exact = engine.related_rows(index.corpus, rows).items
    index.neighbours(rows[:10])  # the graph read from its file, outside the timing
    results = []
    for ef, overfetch in settings or [(ann.EF_SEARCH, ann.OVERFETCH)]:
        ann.EF_SEARCH, ann.OVERFETCH = ef, overfetch
        cpu = cpu_s()
        approximate = index.neighbours(rows).items
        cpu = cpu_s() - cpu
        results.append(
            {
                "ef_search": ef,
                "overfetch": overfetch,
                "recall10": statistics.mean(
                    len({j for j, _ in a[:10]} & {j for j, _ in e[:10]}) / max(1, min(10, len(e)))
                    for a, e in zip(approximate, exact, strict=True)
                ),
                "cpu_ms_per_row": 1000 * cpu / len(rows),
            }
        )
    return {
        "settings": results,
        "recall10": results[0]["recall10"],
        "graph": index.vectors.graph is not None,
        "size": index.size,
    }


def compare(before: str, after: str) -> dict:
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    common = sorted(a.keys() & b.keys())
    top10 = [
        len(set(a[k][:10]) & set(b[k][:10])) / max(1, min(10, len(a[k]))) for k in common if a[k]
    ]
    identical = sum(a[k] == b[k] for k in common)
    return {
        "articles": len(common),
        "only_before": len(a.keys() - b.keys()),
        "only_after": len(b.keys() - a.keys()),
        "identical_lists": identical,
        "identical_share": identical / max(1, len(common)),
        "top10_overlap_mean": statistics.mean(top10) if top10 else 1.0,
        "top10_overlap_min": min(top10) if top10 else 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "probe", choices=["rebuild", "entries", "start", "update", "recall", "compare"]
    )
    parser.add_argument("files", nargs="*")
    parser.add_argument("--dump")
    parser.add_argument("--count", type=int, default=7)
    parser.add_argument("--warm", action="store_true", help="update: warm up as db_worker does")
    parser.add_argument("--web", action="store_true", help="start: from masthead.wsgi")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument(
        "--settings",
        default="",
        help="recall: efSearch:over-fetch pairs to try, e.g. 192:2,128:2 (default: the module's)",
    )
    args = parser.parse_args()
    if args.probe == "rebuild":
        out = rebuild(args.dump)
    elif args.probe == "entries":
        out = entries()
    elif args.probe == "start":
        out = start(web=args.web)
    elif args.probe == "update":
        out = update(args.count, warm=args.warm)
    elif args.probe == "recall":
        pairs = [tuple(int(v) for v in p.split(":")) for p in args.settings.split(",") if p]
        out = recall(args.sample, [(ef, over) for ef, over in pairs])
    else:
        out = compare(*args.files)
    print(json.dumps({**out, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
