"""Today's TF-IDF + LSA against sentence embeddings, on the measures discovery is held to.

Embeddings are computed once per text and kept under a cache folder (the evaluation passes
`var/embeddings/`), one file per model and token limit keyed by each text's digest, so a second
run, or a sample of texts encoded before, costs no encoding. No Django.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from masthead.discovery import embeddings, engine
from masthead.evaluation import datasets, quality
from masthead.evaluation.datasets import Text

Embed = Callable[[Sequence[Text]], np.ndarray]


def embedding_text(t: Text) -> str:
    """What the encoder reads, as on the site: the headline once, then the body (cut at the
    token limit)."""
    return engine.encoder_text(quality.document(t))


def sample(texts: Sequence[Text], size: int, *, seed: int = 0) -> list[Text]:
    """`size` texts drawn at random, kept in their order (a smaller corpus where encoding all
    of it would cost too much CPU)."""
    if len(texts) <= size:
        return list(texts)
    keep = np.sort(np.random.default_rng(seed).choice(len(texts), size, replace=False))
    return [texts[i] for i in keep]


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


def cached_embed(encoder: embeddings.Encoder, folder: Path, *, log=print) -> Embed:
    """An `Embed` that encodes only the texts `folder` holds no row for yet, and keeps them."""
    name = re.sub(r"\W+", "_", encoder.name).strip("_")
    path = folder / f"{name}-{encoder.max_tokens}.npz"

    def embed(texts: Sequence[Text]) -> np.ndarray:
        docs = [embedding_text(t) for t in texts]
        keys = [_digest(d) for d in docs]
        known: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as f:
                known = dict(zip(f["keys"].tolist(), f["rows"], strict=True))
        missing = sorted({k: d for k, d in zip(keys, docs, strict=True) if k not in known}.items())
        if missing:
            started = time.perf_counter()
            rows = encoder.encode([d for _, d in missing])
            seconds = time.perf_counter() - started
            log(
                f"encoded {len(missing):,} texts in {seconds:.0f} s ({len(missing) / seconds:.1f}/s)"
            )
            known.update(zip([k for k, _ in missing], rows, strict=True))
            if path.exists():  # another run may have added rows meanwhile: keep them
                with np.load(path) as f:
                    known = {**dict(zip(f["keys"].tolist(), f["rows"], strict=True)), **known}
            folder.mkdir(parents=True, exist_ok=True)
            np.savez(path, keys=np.array(list(known)), rows=np.array(list(known.values())))
        return np.array([known[k] for k in keys], np.float32)

    return embed


WINDOWS = 4  # windows of a text encoded (the first 4 x 62 word pieces: 4x the lead's cost)


def cached_windows(encoder: embeddings.Encoder, folder: Path, *, chunks: int = WINDOWS, log=print):
    """Each text's window vectors (`Encoder.chunk_ids`: the whole text in windows of the token
    limit), encoded once and kept in `folder` beside the lead embeddings; the first window of a
    text is its lead, which also fills the `cached_embed` file so that is never encoded twice.
    At most `chunks` windows per text. Returns `windows(texts) -> list of (windows x
    dimensions) arrays`."""
    name = re.sub(r"\W+", "_", encoder.name).strip("_")
    path = folder / f"{name}-{encoder.max_tokens}-windows.npz"
    lead_path = folder / f"{name}-{encoder.max_tokens}.npz"

    def load_leads() -> dict[str, np.ndarray]:
        if not lead_path.exists():
            return {}
        with np.load(lead_path) as f:
            return dict(zip(f["keys"].tolist(), f["rows"], strict=True))

    def load() -> dict[str, np.ndarray]:
        if not path.exists():
            return {}
        with np.load(path) as f:
            parts = np.split(f["rows"], np.cumsum(f["counts"])[:-1])
            return dict(zip(f["keys"].tolist(), parts, strict=True))

    def windows(texts: Sequence[Text], *, chunk: int = 100) -> list[np.ndarray]:
        docs = [embedding_text(t) for t in texts]
        keys = [_digest(d) for d in docs]
        known = load()
        todo = sorted({k: d for k, d in zip(keys, docs, strict=True) if k not in known}.items())
        for start in range(0, len(todo), chunk):  # saved as it goes: a long run can stop
            part = todo[start : start + chunk]
            began = time.perf_counter()
            split = encoder.chunk_ids([d for _, d in part], chunks=chunks)
            rows = encoder.encode_ids([w for text in split for w in text])
            seconds = time.perf_counter() - began
            at = 0
            leads = load_leads()
            for (k, _), text in zip(part, split, strict=True):
                known[k] = rows[at : at + len(text)]
                leads.setdefault(k, rows[at])
                at += len(text)
            log(
                f"encoded {len(part):,} texts ({len(rows):,} windows) in {seconds:.0f} s "
                f"({len(rows) / seconds:.1f} windows/s); {start + len(part):,}/{len(todo):,}"
            )
            folder.mkdir(parents=True, exist_ok=True)
            known = {**load(), **known}  # another run may have added texts meanwhile
            np.savez(
                path,
                keys=np.array(list(known)),
                counts=np.array([len(v) for v in known.values()]),
                rows=np.concatenate(list(known.values())),
            )
            np.savez(lead_path, keys=np.array(list(leads)), rows=np.array(list(leads.values())))
        return [known[k][:chunks] for k in keys]

    return windows


def hash_half(t: Text) -> bool:
    """A stable half of a corpus by each text's id (True: the part mixes may be tuned on)."""
    return int(hashlib.sha1(t.id.encode(), usedforsecurity=False).hexdigest(), 16) % 2 == 0


def windows_embed(windows, chunks: int = WINDOWS) -> Embed:
    """An `Embed` reading whole texts: the normalised mean of each text's first `chunks`
    window vectors (`cached_windows`)."""

    def embed(texts: Sequence[Text]) -> np.ndarray:
        out = []
        for rows in windows(texts):
            mean = rows[:chunks].sum(axis=0)
            out.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        return np.array(out, np.float32)

    return embed


def story_split(texts: Sequence[Text], *, seed: int = 0) -> tuple[list[Text], list[Text]]:
    """The texts of half the gold stories (for tuning) and of the other half (held out), each
    in the given order; texts without a story go with their own id."""
    groups = sorted({t.group or f"own:{t.id}" for t in texts})
    tuned = set(np.random.default_rng(seed).permutation(groups)[: len(groups) // 2])
    tune = [t for t in texts if (t.group or f"own:{t.id}") in tuned]
    held = [t for t in texts if (t.group or f"own:{t.id}") not in tuned]
    return tune, held


@dataclass
class JudgedPair:
    corpus: str
    a: str
    b: str
    score: int  # 0 unrelated, 1 same broad subject, 2 same specific topic, 3 same story


JUDGED_PAIRS = Path(__file__).with_name("judged_pairs.csv")


def judged_pairs(path: Path = JUDGED_PAIRS) -> list[JudgedPair]:
    with path.open(newline="") as f:
        return [
            JudgedPair(r["corpus"], r["id_a"], r["id_b"], int(r["score"]))
            for r in csv.DictReader(f)
        ]


def pair_similarities(
    texts: Sequence[Text], pairs: Sequence[tuple[int, int]], embed: Embed | None
) -> dict[str, np.ndarray]:
    """Each measure's similarity of the given pairs of rows of `texts`: plain TF-IDF cosine,
    today's content score (TF-IDF and LSA), and with an `embed`, the embedding cosine and the
    content score the engine computes with embeddings configured (LSA and embedding joined)."""
    model, X, Z = quality.vectors(texts)
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    judged = sorted(set(a) | set(b))  # only these are encoded: the corpus fits TF-IDF and LSA
    tfidf = np.asarray(X[a].multiply(X[b]).sum(axis=1)).ravel()
    lsa = np.einsum("ij,ij->i", Z[a], Z[b])
    out = {"tf-idf cosine": tfidf, "tf-idf + lsa (today)": 0.5 * tfidf + 0.5 * lsa}
    if embed is not None:
        E = dict(zip(judged, embed([texts[i] for i in judged]), strict=True))
        cos = np.array([float(E[i] @ E[j]) for i, j in zip(a, b, strict=True)])
        out["embedding cosine"] = cos
        out["tf-idf + lsa + embedding (engine)"] = 0.5 * tfidf + 0.25 * lsa + 0.25 * cos
    return out


def judged_quality(corpora: dict[str, Sequence[Text]], embed: Embed | None) -> dict[str, dict]:
    """Spearman correlation of each measure with the human scores, over all judged pairs."""
    pairs = judged_pairs()
    scores: list[int] = []
    measured: dict[str, list[float]] = {}
    for name, texts in corpora.items():
        row = {t.id: i for i, t in enumerate(texts)}
        mine = [p for p in pairs if p.corpus == name and p.a in row and p.b in row]
        if not mine:
            continue
        sims = pair_similarities(texts, [(row[p.a], row[p.b]) for p in mine], embed)
        scores.extend(p.score for p in mine)
        for measure, values in sims.items():
            measured.setdefault(measure, []).extend(values.tolist())
    return {
        measure: {"pairs": len(values), "spearman": float(spearmanr(values, scores)[0])}
        for measure, values in measured.items()
    }


def corpora(*, samples: int = 0) -> dict[str, list[Text]]:
    """The labelled sets of the comparison, each in time order: UCI and BBC whole, Reuters'
    labelled articles whole or as a random sample of `samples` (0: whole; encoding all 11,367
    takes about half an hour of a free core)."""

    def by_time(texts: list[Text]) -> list[Text]:
        return sorted(texts, key=lambda t: t.published)

    reuters = [t for t in by_time(datasets.reuters()) if t.labels]
    bbc = by_time(datasets.bbc())
    return {
        "uci": by_time(datasets.uci_headlines()),
        "bbc": bbc,
        "bbc, all": bbc,
        "reuters": sample(reuters, samples) if samples else reuters,
    }


HEADLINE_GRID = tuple(round(x, 2) for x in np.arange(0.30, 0.86, 0.05))  # single linkage
AVERAGE_GRID = tuple(round(x, 2) for x in np.arange(0.18, 0.345, 0.01))  # mean cosine


def tuned_headline_threshold(
    texts: Sequence[Text], embed: Embed | None, options: dict
) -> tuple[float, float]:
    """The headline bar with the best story F1 on `texts`, and that F1."""
    gold = [t.group or f"own:{t.id}" for t in texts]
    best = (0.0, -1.0)
    if options.get("headline_linkage", "single") == "single":
        _, X, Z = quality.vectors(texts, embed)
        links = quality.story_links(texts, X, Z)
        for bar in HEADLINE_GRID:
            predicted = engine.links_stories(
                links, range(len(texts)), threshold=options["threshold"], headline_threshold=bar
            )
            best = max(best, (bar, quality.bcubed(predicted, gold)[2]), key=lambda b: b[1])
        return best
    for bar in AVERAGE_GRID:  # decisions depend on earlier ones: a full run per bar
        f1 = quality.story_quality(texts, embed, **{**options, "headline_threshold": bar})["f1"]
        best = max(best, (bar, f1), key=lambda b: b[1])
    return best


def embed_subsets(texts: Sequence[Text], embed: Embed) -> Embed:
    """An `Embed` for any subset of `texts`, from the rows of all of them (one cache entry)."""
    rows = embed(texts)
    position = {t.id: i for i, t in enumerate(texts)}

    def subset(some: Sequence[Text]) -> np.ndarray:
        return rows[[position[t.id] for t in some]]

    return subset


def comparison(
    corpora: dict[str, list[Text]], embed: Embed | None, *, windows: Embed | None = None, log=print
) -> dict:
    """Every measure for today's model and, given `embed`, for the embeddings in LSA's place;
    given `windows` (whole texts read in windows, `windows_embed`), BBC's Related with those."""
    models: dict[str, Embed | None] = {"tf-idf + lsa (today)": None}
    if embed is not None:
        models["tf-idf + lsa + embedding"] = embed_subsets(corpora["uci"], embed)
    tune, held = story_split(corpora["uci"])
    embed_dimensions = embed(corpora["uci"][:1]).shape[1] if embed else 0
    out: dict = {}
    for name, model in models.items():
        started = time.perf_counter()
        # Each article set encoded once (one cache entry), its subsets taken from those rows.
        articles = {
            c: embed_subsets(corpora[c], embed) if model and embed else None
            for c in ("bbc", "reuters")
        }
        defaults = engine.story_options(embed_dimensions if model else 0)
        bar, tune_f1 = tuned_headline_threshold(tune, model, defaults)
        row = {
            "uci story f1, tuning half": tune_f1,
            "tuned headline bar": bar,
            "uci story f1, held-out half": quality.story_quality(
                held, model, **{**defaults, "headline_threshold": bar}
            )["f1"],
            "uci story f1, held-out half, engine's bar": quality.story_quality(
                held, model, **defaults
            )["f1"],
            "uci story f1, held-out half, no hourly regroup": quality.story_quality(
                held, model, **{**defaults, "headline_threshold": bar, "regroup_every": 0.0}
            )["f1"],
            "bbc duplicate-story f1": quality.story_quality(
                corpora["bbc"], articles["bbc"], **defaults
            )["f1"],
        }
        for corpus in ("bbc", "reuters"):
            q = quality.related_quality(
                corpora[corpus], embed=articles[corpus], split=hash_half, **defaults
            )
            row[f"{corpus} related p@5"] = q["precision@5"]
            row[f"{corpus} related p@5, tuning half (id hash)"] = q["precision@5, tuning part"]
            row[f"{corpus} related p@5, held-out half"] = q["precision@5, held-out part"]
            row[f"{corpus} related p@10"] = q["precision@10"]
            q = quality.related_quality(
                corpora[corpus], embed=articles[corpus], split=hash_half, topics=False, **defaults
            )
            row[f"{corpus} related p@5 without topic agreement"] = q["precision@5"]
            row[f"{corpus} ... tuning half"] = q["precision@5, tuning part"]
            row[f"{corpus} ... held-out half"] = q["precision@5, held-out part"]
        if model is not None and windows is not None:
            q = quality.related_quality(corpora["bbc"], embed=windows, split=hash_half, **defaults)
            row["bbc related p@5, whole-article embedding"] = q["precision@5"]
            row["bbc ..., tuning half"] = q["precision@5, tuning part"]
            row["bbc ..., held-out half"] = q["precision@5, held-out part"]
        row["seconds"] = time.perf_counter() - started
        out[name] = row
    out["judged pairs (spearman)"] = judged_quality(
        {"uci": corpora["uci"], "bbc": corpora["bbc, all"]}, embed
    )
    _print(out, corpora, log)
    return out


def _print(out: dict, corpora: dict[str, list[Text]], log) -> None:
    names = [n for n in out if n != "judged pairs (spearman)"]
    log(
        f"UCI: {len(corpora['uci']):,} headlines; BBC: {len(corpora['bbc']):,}; "
        f"Reuters: {len(corpora['reuters']):,} labelled\n"
    )
    log("| measure | " + " | ".join(names) + " |")
    log("|---|" + "---:|" * len(names))
    for measure in out[names[-1]]:
        log(
            f"| {measure} | "
            + " | ".join(f"{out[n][measure]:.3f}" if measure in out[n] else "" for n in names)
            + " |"
        )
    log("\n| judged pairs: measure | pairs | Spearman |")
    log("|---|---:|---:|")
    for measure, row in out["judged pairs (spearman)"].items():
        log(f"| {measure} | {row['pairs']} | {row['spearman']:.3f} |")


def related_cost(texts: Sequence[Text], *, runs: int = 3, log=print) -> dict:
    """Milliseconds per article of the engine's Related lists (exact candidates) for every one of
    `texts`, with and without topic agreement, alternating on one corpus: medians of `runs`."""
    model, X, Z = quality.vectors(texts)
    corpus = engine.untagged_corpus(X, Z, np.zeros(len(texts)), topics=model.topics)
    plain = dataclasses.replace(corpus, topics=None)
    timings: dict[str, list[float]] = {"without topics": [], "with topics": []}
    for _ in range(runs):
        for name, c in (("without topics", plain), ("with topics", corpus)):
            started = time.perf_counter()
            engine.related_rows(c, range(c.size))
            timings[name].append((time.perf_counter() - started) * 1000 / c.size)
    out = {name: float(np.median(t)) for name, t in timings.items()}
    log(
        f"\nRelated lists, ms per article ({len(texts):,} articles, exact candidates, median of "
        f"{runs}): without topic agreement {out['without topics']:.2f}, "
        f"with {out['with topics']:.2f} (x{out['with topics'] / out['without topics']:.2f})"
    )
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def cost(encoder: embeddings.Encoder, corpora: dict[str, list[Text]], *, log=print) -> dict:
    """Install size, memory and speed of the embeddings against TF-IDF + LSA, same texts."""
    import safetensors
    import tokenizers

    install = sum(
        _folder_mb(p)
        for p in (
            embeddings.model_directory(encoder.name),
            Path(tokenizers.__file__).parent,
            Path(safetensors.__file__).parent,
        )
    )
    articles = [quality.document(t) for t in corpora["bbc"][:64]]
    headlines = [quality.document(t) for t in corpora["uci"][:256]]
    model = engine.model_fit([quality.document(t) for t in corpora["bbc"]])
    out: dict = {"install_mb": install}
    before = _rss_mb()
    fresh = embeddings.encoder_load(encoder.name)
    for label, docs in (("articles", articles), ("headlines", headlines)):
        started = time.perf_counter()
        model.vectors(docs)
        lsa = len(docs) / (time.perf_counter() - started)
        started = time.perf_counter()
        fresh.encode([engine.encoder_text(d) for d in docs])
        emb = len(docs) / (time.perf_counter() - started)
        out[f"{label}_per_second"] = {"tf-idf + lsa": lsa, "embedding": emb}
    out["memory_mb"] = _rss_mb() - before
    del fresh
    log(
        f"\nembedding cost: install {install:.0f} MB (model, tokenizers, safetensors); "
        f"+{out['memory_mb']:.0f} MB resident after loading and encoding"
    )
    for label in ("articles", "headlines"):
        r = out[f"{label}_per_second"]
        log(
            f"{label}/s: tf-idf + lsa {r['tf-idf + lsa']:,.0f}, embedding {r['embedding']:.1f} "
            f"(x{r['tf-idf + lsa'] / r['embedding']:,.0f} slower; one core, shared machine)"
        )
    return out
