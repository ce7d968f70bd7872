"""The numbers behind Related, Like, Recommendation and story clusters.

Plain numpy/scipy/scikit-learn and datasketch over arrays; no Django, so the evaluation and the
benchmarks run the very code the site runs.

- Article vectors: hashed TF-IDF (sublinear tf, idf from the corpus, unseen words count as rare)
  plus a dense vector: a 128-dimension LSA projection of the TF-IDF row, joined, when a sentence
  embedding model is configured (`embeddings.py`), by the text's embedding. Content similarity
  is the mean of the two cosines: TF-IDF rewards shared names, the dense vector shared subject
  (docs/evaluation.md has the figures).
- Related: LSA candidates by exact blocked matrix products, re-scored with TF-IDF, tag overlap,
  closeness in time and topic agreement (the share of the model's k-means partitions of the LSA
  space that put both articles in one topic, lifting their content score); one item per story.
- Stories: online clustering in publication order. A MinHash/LSH near-duplicate joins its story;
  otherwise the story of the closest article within the time window, if close enough in content.
  With embeddings, recent headline-only articles are also regrouped all at once every hour.
- Co-visitation: item-to-item cosine over reader sessions.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from datasketch import MinHash, MinHashLSH
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from masthead.discovery.embeddings import Encoder
from masthead.discovery.text import shingles, terms

N_FEATURES = 2**20
DIMENSIONS = 128
LSA_VOCABULARY = 50_000
FIT_SAMPLE = 100_000
CANDIDATES = 50  # LSA neighbours re-scored per article
RELATED_KEEP = 20  # stored per article, so pins, blocks and unpublishing still leave 10
BLOCK = 512
BLOCK_CELLS = 2**26

# Related score = content * (1 - TIME_WEIGHT + TIME_WEIGHT * 2^(-gap/TIME_HALF_LIFE)) + TAG_WEIGHT * tag Jaccard
TIME_WEIGHT = 0.2
TIME_HALF_LIFE = 30 * 86400.0
TAG_WEIGHT = 0.15
# ... with content * recency multiplied by (1 + TOPIC_WEIGHT * the share of these k-means
# partitions of the LSA space, 4 topics, 8, ..., that put both articles in one topic): a broad
# subject shared is evidence a close word match across subjects lacks, and it lifts only what
# shares content. Several sizes, so no single number of topics has to suit every site; chosen
# on the tuning half of BBC (docs/evaluation.md).
TOPIC_PARTITIONS = (4, 8, 16, 32)
TOPIC_WEIGHT = 1.0

NUM_PERM = 64
NEAR_DUPLICATE = 0.6  # estimated Jaccard of word 3-gram shingles
SHORT_NEAR_DUPLICATE = 0.9  # ... for texts of fewer than SHORT_SHINGLES shingles
SHORT_SHINGLES = 60
STORY_THRESHOLD = 0.82  # content similarity to the closest article of the story
HEADLINE_THRESHOLD = 0.4  # the same when one of the two is no longer than a headline
SHORT_TERMS = 10  # distinct terms below which a text counts as headline-only
HEADLINE_TERMS = 20  # ... for average linkage, which holds headlines to a consensus (articles: 60+)
STORY_CANDIDATES = 20  # closest articles in the window (by LSA) compared in full
STORY_WINDOW = 3 * 86400.0
# The same bars when the dense vector is a sentence embedding (its cosines run higher than
# LSA's between unrelated texts); tuned on half the UCI stories, docs/evaluation.md.
EMBEDDING_STORY_THRESHOLD = 0.82
# Headline-only texts under average linkage: mean cosine to a story's members, over the
# embedding (weight EMBEDDING_SHARE) and LSA (the rest) joined; two headline stories whose
# members are this close on average merge. Both tuned on half the UCI stories.
EMBEDDING_HEADLINE_THRESHOLD = 0.27
EMBEDDING_SHARE = 0.8
# Headline-only articles of the last REGROUP_WINDOW clustered again all at once each time
# publication time crosses a multiple of REGROUP_EVERY (at most the REGROUP_LIMIT latest: the
# pairwise distances take 4 bytes x LIMIT^2 / 2). Hourly: tuned on half the UCI stories.
REGROUP_EVERY = 3600.0
REGROUP_WINDOW = STORY_WINDOW
REGROUP_LIMIT = 4000

_hasher = HashingVectorizer(
    analyzer=terms, n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32
)


def term_column(term: str) -> int:
    """The column `_hasher` gives a term (scikit-learn's FeatureHasher: the absolute signed
    32-bit MurmurHash3 of its UTF-8 bytes, seed 0, modulo the feature count)."""
    h = murmurhash3_32(term.encode("utf-8"), seed=0)
    if h == -(2**31):
        return (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES
    return abs(h) % N_FEATURES


def dense_join(lsa: np.ndarray, embedded: np.ndarray) -> np.ndarray:
    """LSA and embedding side by side, each scaled by 1/sqrt(2): the cosine of two such rows is
    the mean of the two cosines. Related gains from both (the corpus' own subjects and the
    encoder's paraphrases), docs/evaluation.md."""
    return np.hstack([lsa, embedded]).astype(np.float32) * np.float32(1 / np.sqrt(2))


def encoder_text(document: str) -> str:
    """What the sentence encoder reads of a document: a line repeated to weigh it in TF-IDF (the
    title) once only, since a mean of token vectors gains nothing from it but length."""
    lines: list[str] = []
    for line in document.split("\n"):
        if not (lines and line.strip() and line == lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


@dataclass
class Topics:
    """k-means partitions of the LSA space, fitted with the model: `sizes[p]` topics in
    partition p, their centroids stacked in that order."""

    centroids: np.ndarray  # float32, sum(sizes) x LSA dimensions
    sizes: np.ndarray  # int64 topics per partition

    def of(self, Z: np.ndarray) -> np.ndarray:
        """Each row's topic in each partition (rows x partitions; -1 for a row without LSA
        terms). Reads the leading LSA columns of dense rows, joined or not, rescaled to unit
        length as the k-means rows were."""
        # In float64, so that a row's topic does not depend on the rows scored with it (BLAS
        # sums a float32 product in an order that varies with the matrix shapes).
        lsa = normalize(np.asarray(Z[:, : self.centroids.shape[1]], dtype=np.float64))
        centroids = self.centroids.astype(np.float64)
        # Nearest centroid: the largest z.c - |c|^2 / 2.
        closeness = lsa @ centroids.T - 0.5 * np.einsum("ij,ij->i", centroids, centroids)
        bounds = np.cumsum(self.sizes)[:-1]
        out = np.stack(
            [part.argmax(axis=1) for part in np.split(closeness, bounds, axis=1)], axis=1
        )
        out[~lsa.any(axis=1)] = -1
        return out

    def agreement(self, Z: np.ndarray, rows: np.ndarray, cands: np.ndarray) -> np.ndarray:
        """The share of partitions that put row and candidate (positions in `Z`) in one topic."""
        needed, at = np.unique(np.concatenate([rows, cands]), return_inverse=True)
        topic = self.of(Z[needed])
        a, b = topic[at[: len(rows)]], topic[at[len(rows) :]]
        return ((a == b) & (a >= 0)).mean(axis=1)


def topics_fit(Z: np.ndarray, *, seed: int = 0) -> Topics | None:
    """k-means of unit LSA rows into each of TOPIC_PARTITIONS numbers of topics (those smaller
    than the number of distinct rows; None when none is)."""
    # Imported here: only a rebuild fits, and web workers never import scikit-learn's clustering.
    from sklearn.cluster import KMeans

    Z = np.unique(Z[Z.any(axis=1)], axis=0)  # copies would leave some topics empty
    sizes = [k for k in TOPIC_PARTITIONS if k < len(Z)]
    if not sizes:
        return None
    centroids = [KMeans(k, n_init=1, random_state=seed).fit(Z).cluster_centers_ for k in sizes]
    return Topics(np.vstack(centroids).astype(np.float32), np.array(sizes, np.int64))


@dataclass
class Model:
    """What a corpus teaches: word rarity and the LSA projection. Refitted by a full rebuild.

    With `embedding` set, the dense vectors come from that sentence-embedding model instead of
    LSA; `encoder` is the loaded model (attached after loading, never stored).
    """

    idf: np.ndarray  # float32 per hashed feature
    columns: np.ndarray  # int32 features the projection uses
    components: np.ndarray  # float32, dims x len(columns)
    documents: int
    embedding: str = ""  # the MASTHEAD_EMBEDDINGS name the dense vectors came from ("": LSA)
    encoder: Encoder | None = field(default=None, repr=False, compare=False)
    topics: Topics | None = field(default=None, repr=False, compare=False)  # None: fitted before

    @property
    def dimensions(self) -> int:
        lsa = int(self.components.shape[0])
        return lsa + self._encoder().dimensions if self.embedding else lsa

    @property
    def embedding_dimensions(self) -> int:
        """The trailing columns of the dense vectors that are the embedding (0: none)."""
        return self._encoder().dimensions if self.embedding else 0

    def _encoder(self) -> Encoder:
        if self.encoder is None:
            raise ValueError(
                f"the model was fitted with embeddings {self.embedding!r}: attach them"
            )
        return self.encoder

    def vectors(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """TF-IDF rows and dense rows (LSA, or the configured embeddings) of `texts`."""
        X = self.sparse(texts)
        if not self.embedding:
            return X, self.dense(X)
        return X, dense_join(
            self.dense(X), self._encoder().encode([encoder_text(t) for t in texts])
        )

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows."""
        X = _hasher.transform(texts).tocsr()
        np.log(X.data, out=X.data)
        X.data += 1
        # Each stored value times its column's idf: what multiplying by the diagonal matrix of
        # the idf gives, without building a 2^20-square matrix for every call.
        X.data *= self.idf[X.indices]
        X = normalize(X, copy=False).astype(np.float32).tocsr()
        X.sort_indices()
        return X

    def dense(self, X: sp.csr_matrix) -> np.ndarray:
        """L2-normalised LSA rows (zero rows stay zero)."""
        Z = np.asarray(X[:, self.columns] @ self.components.T, dtype=np.float32)
        return normalize(Z, copy=False)

    def has_seen(self, word: str) -> bool:
        """Whether the fitted corpus had the word (idf below that of an unseen word). Hashes
        the word's terms as `_hasher` does, without building a matrix: screening asks this of
        hundreds of spellings per unknown token."""
        columns = [term_column(t) for t in terms(word)]
        return bool(columns) and bool(np.all(self._seen[columns]))

    @functools.cached_property
    def _seen(self) -> np.ndarray:
        return self.idf < self.idf.max()

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {
            "idf": self.idf,
            "columns": self.columns,
            "components": self.components,
            "documents": np.array(self.documents),
            "embedding": np.array(self.embedding),
        }
        if self.topics is not None:
            arrays["topic_centroids"] = self.topics.centroids
            arrays["topic_sizes"] = self.topics.sizes
        out = io.BytesIO()
        np.savez(out, **arrays)  # type: ignore[arg-type]  # numpy's stub reads ** as allow_pickle
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, encoder: Encoder | None = None) -> Model:
        """The stored model; `encoder` is attached when it is the one the model was fitted with."""
        with np.load(io.BytesIO(data)) as f:
            embedding = str(f["embedding"]) if "embedding" in f.files else ""
            model = cls(f["idf"], f["columns"], f["components"], int(f["documents"]), embedding)
            if "topic_centroids" in f.files:
                model.topics = Topics(f["topic_centroids"], f["topic_sizes"])
        if encoder is not None and encoder.name == embedding:
            model.encoder = encoder
        return model


def model_fit(
    texts: Sequence[str], *, dims: int = DIMENSIONS, seed: int = 0, encoder: Encoder | None = None
) -> Model:
    """Fit word rarity and the LSA projection on `texts` (a sample of them when there are many);
    with an `encoder`, its embeddings are the dense vectors."""
    rng = np.random.default_rng(seed)
    if len(texts) > FIT_SAMPLE:
        texts = [texts[i] for i in sorted(rng.choice(len(texts), FIT_SAMPLE, replace=False))]
    counts = _hasher.transform(texts).tocsc()
    n = max(len(texts), 1)
    df = np.diff(counts.indptr).astype(np.float64)
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    usable = np.flatnonzero((df >= 2) & (df <= max(2, 0.5 * n)))
    if len(usable) < 2:
        usable = np.flatnonzero(df >= 1)
    columns = usable[np.argsort(-df[usable], kind="stable")[:LSA_VOCABULARY]].astype(np.int32)
    columns.sort()
    model = Model(idf, columns, np.zeros((0, len(columns)), np.float32), len(texts))
    X = model.sparse(texts)[:, columns]
    k = max(1, min(dims, X.shape[0] - 1, X.shape[1] - 1))
    if X.nnz and k >= 1 and min(X.shape) > 1:
        svd = TruncatedSVD(k, algorithm="randomized", n_iter=4, random_state=seed).fit(X)
        model.components = svd.components_.astype(np.float32)
        model.topics = topics_fit(normalize(X @ model.components.T), seed=seed)
    else:
        model.components = np.eye(1, len(columns), dtype=np.float32)
    if encoder is not None:
        model.embedding, model.encoder = encoder.name, encoder
    return model


def story_options(embedding_dimensions: int) -> dict[str, Any]:
    """The StoryIndex bars (and headline linkage) that suit a model's dense vectors: LSA alone,
    or LSA and an embedding of `embedding_dimensions` (Model.embedding_dimensions)."""
    if embedding_dimensions:
        return {
            "threshold": EMBEDDING_STORY_THRESHOLD,
            "headline_threshold": EMBEDDING_HEADLINE_THRESHOLD,
            "headline_linkage": "average",
            "headline_columns": embedding_dimensions,
            "regroup_every": REGROUP_EVERY,
        }
    return {"threshold": STORY_THRESHOLD, "headline_threshold": HEADLINE_THRESHOLD}


@dataclass
class Corpus:
    """Articles as rows: vectors and what scoring needs besides text."""

    ids: np.ndarray  # int64 article ids
    X: sp.csr_matrix  # TF-IDF rows
    Z: np.ndarray  # LSA rows
    published: np.ndarray  # float64 epoch seconds
    tags: sp.csr_matrix  # binary article x tag
    story: np.ndarray  # int64 story id per row (-1: none)
    topics: Topics | None = None  # the model's (None: no topic agreement in the score)

    @property
    def size(self) -> int:
        return len(self.ids)


def untagged_corpus(
    X: sp.csr_matrix,
    Z: np.ndarray,
    published: np.ndarray,
    story: np.ndarray | None = None,
    *,
    topics: Topics | None = None,
) -> Corpus:
    """Rows numbered 0..n-1 without tags: the corpus offline measurements build (`topics`: the
    model's, as the site passes them)."""
    n = X.shape[0]
    return Corpus(
        ids=np.arange(n),
        X=X,
        Z=Z,
        published=np.asarray(published, dtype=np.float64),
        tags=sp.csr_matrix((n, 0), dtype=np.float32),
        story=np.full(n, -1, np.int64) if story is None else np.asarray(story, np.int64),
        topics=topics,
    )


def pair_scores(corpus: Corpus, rows: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Related score of each (row, candidate) pair; both arrays of row positions, same shape."""
    rows, cands = rows.ravel(), cands.ravel()
    sparse_cos = np.asarray(corpus.X[rows].multiply(corpus.X[cands]).sum(axis=1)).ravel()
    dense_cos = np.einsum("ij,ij->i", corpus.Z[rows], corpus.Z[cands])
    content = 0.5 * sparse_cos + 0.5 * dense_cos
    gap = np.abs(corpus.published[rows] - corpus.published[cands])
    recency = 1 - TIME_WEIGHT + TIME_WEIGHT * np.exp2(-gap / TIME_HALF_LIFE)
    T = corpus.tags
    if T.shape[1]:
        shared = np.asarray(T[rows].multiply(T[cands]).sum(axis=1)).ravel()
        sizes = np.diff(T.indptr)
        union = sizes[rows] + sizes[cands] - shared
        jaccard = np.divide(
            shared, union, out=np.zeros_like(shared, dtype=np.float64), where=union > 0
        )
    else:
        jaccard = 0.0
    topics = 0.0 if corpus.topics is None else corpus.topics.agreement(corpus.Z, rows, cands)
    lift = 1 + TOPIC_WEIGHT * topics
    return (content * recency * lift + TAG_WEIGHT * jaccard).astype(np.float32)


@dataclass
class Neighbours:
    items: list[list[tuple[int, float]]] = field(default_factory=list)  # (row, score), best first
    floors: list[float] = field(default_factory=list)  # LSA similarity of the last candidate


@dataclass
class Scored:
    """Rows' Related candidates before stories are known: candidate rows and their Related
    scores, one row of `count` per article, and each article's floor (the LSA similarity of
    its last candidate)."""

    cands: np.ndarray
    scores: np.ndarray
    floors: np.ndarray


def related_scored(
    corpus: Corpus,
    block: np.ndarray,
    count: int,
    candidates: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Scored:
    """The `count` candidates of each row of `block`, scored (what `related_rows` chooses
    from); none of it depends on the rows' stories."""
    if candidates is None:
        S = corpus.Z[block] @ corpus.Z.T
        S[np.arange(len(block)), block] = -np.inf
        cands = np.argpartition(-S, count - 1, axis=1)[:, :count]
        lsa = np.take_along_axis(S, cands, axis=1)
    else:
        cands, lsa = candidates(block, count)
    scores = pair_scores(corpus, np.repeat(block, count), cands).reshape(len(block), count)
    return Scored(cands, scores, lsa.min(axis=1))


def related_block_rows(corpus: Corpus, *, graph: bool) -> int:
    """Rows scored at once: an exact search's similarity matrix and its partition stay near
    64 M cells; a graph search forms no such matrix, and larger blocks keep its threads busy."""
    return BLOCK if graph else max(16, min(BLOCK, BLOCK_CELLS // max(corpus.size, 1)))


def related_chosen(
    corpus: Corpus, block: np.ndarray, scored: Scored, *, keep: int = RELATED_KEEP
) -> Neighbours:
    """Each row's Related list from its scored candidates: best first, at most one article
    per story and none of its own story."""
    result = Neighbours()
    cands, scores, floors = scored.cands, scored.scores, scored.floors
    for i, row in enumerate(block):
        order = np.lexsort((corpus.ids[cands[i]], -scores[i]))
        own = corpus.story[row]
        seen: set[int] = set()
        chosen: list[tuple[int, float]] = []
        for j in order:
            cand = int(cands[i, j])
            story = int(corpus.story[cand])
            if story >= 0 and (story == own or story in seen):
                continue
            if story >= 0:
                seen.add(story)
            chosen.append((cand, float(scores[i, j])))
            if len(chosen) == keep:
                break
        result.items.append(chosen)
        result.floors.append(float(floors[i]))
    return result


def related_rows(
    corpus: Corpus,
    rows: Iterable[int],
    *,
    keep: int = RELATED_KEEP,
    candidates: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Neighbours:
    """Related neighbours of the given rows, over the whole corpus. `candidates(block, count)`
    gives each row's `count` nearest rows by LSA and their exact similarities (default: exact
    blocked matrix products; an approximate index in production)."""
    rows = np.fromiter(rows, dtype=np.int64)
    result = Neighbours()
    c = min(CANDIDATES, corpus.size - 1)
    step = related_block_rows(corpus, graph=candidates is not None)
    for start in range(0, len(rows), step):
        block = rows[start : start + step]
        if c <= 0:
            result.items.extend([] for _ in block)
            result.floors.extend(-1.0 for _ in block)
            continue
        chosen = related_chosen(
            corpus, block, related_scored(corpus, block, c, candidates), keep=keep
        )
        result.items.extend(chosen.items)
        result.floors.extend(chosen.floors)
    return result


AFFECTED_CHUNK = 1 << 16  # corpus rows per product of `affected_rows` (a few MB each)


def affected_rows(corpus: Corpus, z: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """Rows whose candidate set a vector `z` enters (its LSA similarity beats their floor);
    with `z` a matrix, the rows that any of its vectors enters: one matrix product per chunk of
    the corpus for a batch instead of one pass over the corpus per vector."""
    if z.ndim == 1:
        return np.flatnonzero(corpus.Z @ z >= floors)
    Zt = np.ascontiguousarray(z.T, corpus.Z.dtype)
    hits = [np.zeros(0, np.int64)]
    for start in range(0, corpus.size, AFFECTED_CHUNK):
        stop = start + AFFECTED_CHUNK
        entered = corpus.Z[start:stop] @ Zt >= floors[start:stop, None]
        hits.append(start + np.flatnonzero(entered.any(axis=1)))
    return np.concatenate(hits)


MINHASH_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=MINHASH_SCHEME).permutations


def minhash(text: str) -> MinHash:
    """The text's signature; `.shingles` says how many shingles it summarises."""
    found = shingles(text)
    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=MINHASH_SCHEME, permutations=_PERMUTATIONS)
    m.update_batch([s.encode("utf-8") for s in found])
    m.shingles = len(found)
    return m


def near_duplicate_bar(signature: MinHash) -> float:
    """The Jaccard a copy must reach: short texts (templated briefs, results tables) share most
    of their few shingles by template alone, so they must be nearly identical."""
    short = getattr(signature, "shingles", SHORT_SHINGLES) < SHORT_SHINGLES
    return max(NEAR_DUPLICATE, SHORT_NEAR_DUPLICATE) if short else NEAR_DUPLICATE


def minhash_bytes(m: MinHash) -> bytes:
    return m.hashvalues.astype(np.uint32).tobytes()


def minhash_load(data: bytes) -> MinHash:
    return MinHash(
        num_perm=NUM_PERM,
        seed=1,
        hashvalues=np.frombuffer(data, np.uint32),
        permutations=_PERMUTATIONS,
        scheme=MINHASH_SCHEME,
    )


def _sparse_dots(rows: list[sp.csr_matrix], x: sp.csr_matrix) -> np.ndarray:
    """Dot products of single-row sparse vectors with `x` (sorted indices), in one pass."""
    indices = np.concatenate([r.indices for r in rows])
    data = np.concatenate([r.data for r in rows])
    return row_dots(indices, data, np.array([r.nnz for r in rows]), x)


def row_dots(
    indices: np.ndarray, data: np.ndarray, sizes: np.ndarray, x: sp.csr_matrix
) -> np.ndarray:
    """Dot products with `x` of sparse rows given as their concatenated column indices and
    values and each row's length."""
    owner = np.repeat(np.arange(len(sizes)), sizes)
    if not x.nnz or not len(indices):
        return np.zeros(len(sizes))
    pos = np.searchsorted(x.indices, indices).clip(max=x.nnz - 1)
    hit = x.indices[pos] == indices
    return np.bincount(owner[hit], weights=data[hit] * x.data[pos[hit]], minlength=len(sizes))


@dataclass
class Link:
    """The earlier article a new one is closest to, and how close."""

    other: int | None  # its key (None: nothing comparable yet)
    how: str  # "duplicate" (MinHash), "event" (content) or "new"
    similarity: float  # estimated Jaccard for a duplicate, content similarity for an event
    short: bool  # one of the two is headline-only, so the headline bar applies


def links_stories(
    links: Sequence[Link], keys: Sequence[int], *, threshold: float, headline_threshold: float
) -> list[int]:
    """The stories StoryIndex.add would give articles with these links under these bars (links
    do not depend on the bars, so bars can be tuned on links computed once; single linkage)."""
    story_of: dict[int, int] = {}
    out = []
    for key, link in zip(keys, links, strict=True):
        bar = headline_threshold if link.short else threshold
        joins = link.how == "duplicate" or (link.how == "event" and link.similarity >= bar)
        story = story_of[link.other] if joins and link.other is not None else len(story_of) + 1
        story_of.setdefault(key, story)
        out.append(story)
    return out


class StoryRows:
    """What a `StoryIndex` compares its articles by, one row per article in the order it took
    them: MinHash signatures (and their LSH bands), TF-IDF rows, dense rows and publication
    times. This one keeps its own copies (datasketch objects, one sparse row per article);
    `CorpusIndex` offers rows that are views of arrays it already holds (a rebuild)."""

    def __init__(self, near_duplicate: float = NEAR_DUPLICATE):
        self.lsh = MinHashLSH(threshold=near_duplicate, num_perm=NUM_PERM)
        self.signatures: list[MinHash] = []
        self.rows: list[sp.csr_matrix] = []
        self._Z = np.zeros((0, 0), np.float32)
        self._times = np.zeros(0)

    def __len__(self) -> int:
        return len(self.rows)

    def append(self, key: int, signature: MinHash, x, z: np.ndarray, published: float) -> None:
        self.lsh.insert(key, signature)
        self.signatures.append(signature)
        n = len(self.rows)
        if n >= len(self._Z):
            grow = max(64, n)
            self._Z = np.vstack([self._Z.reshape(-1, len(z)), np.zeros((grow, len(z)), np.float32)])
            self._times = np.concatenate([self._times, np.full(grow, np.inf)])
        self._Z[n], self._times[n] = z, published
        self.rows.append(x)

    @property
    def Z(self) -> np.ndarray:
        return self._Z[: len(self.rows)]

    @property
    def times(self) -> np.ndarray:
        return self._times[: len(self.rows)]

    def sharing_band(self, signature: MinHash) -> list[int]:
        """Keys of the rows sharing an LSH band with `signature`, in datasketch's order (which
        decides between equally close near-copies)."""
        return self.lsh.query(signature)

    def jaccard(self, row: int, signature: MinHash) -> float:
        return signature.jaccard(self.signatures[row])

    def nnz(self, row: int) -> int:
        return self.rows[row].nnz

    def dots(self, rows: np.ndarray, x: sp.csr_matrix) -> np.ndarray:
        """Dot products of the TF-IDF rows `rows` with `x`."""
        return _sparse_dots([self.rows[i] for i in rows], x)


class StoryIndex:
    """Online story clustering; feed articles in publication order.

    An article joins the story of an earlier one within the time window when it is a
    near-duplicate of it (MinHash/LSH) or close enough in content (single link). Articles of
    headline length only are held to a lower bar: short texts share fewer words. With
    `headline_linkage="average"` (sentence embeddings), a headline-only article instead joins
    the story whose members it is closest to on average (mean cosine of the dense vectors):
    one similar headline is weak evidence, a story's consensus strong. Its story then merges
    with any other story of headlines whose members are as close to its members on average
    (online average-link agglomeration); `merges` lists each (merged, kept) story for the
    caller to relabel. Stories holding a longer text are held to the article bar and never
    merge this way. With `regroup_every`, the recent headlines are also clustered again all at
    once each period (`regroup`); `moves` lists each (article, story) it changed.
    """

    def __init__(
        self,
        *,
        threshold: float = STORY_THRESHOLD,
        headline_threshold: float = HEADLINE_THRESHOLD,
        window: float = STORY_WINDOW,
        near_duplicate: float = NEAR_DUPLICATE,
        headline_linkage: str = "single",
        headline_columns: int = 0,
        merge_threshold: float | None = None,
        regroup_every: float = 0.0,
        rows: StoryRows | None = None,
    ):
        self.threshold, self.headline_threshold = threshold, headline_threshold
        # Two headline stories merge at this mean cosine (default: the headline bar).
        self.merge_threshold = headline_threshold if merge_threshold is None else merge_threshold
        self.window, self.near_duplicate = window, near_duplicate
        self.headline_linkage = headline_linkage
        self.headline_columns = headline_columns  # trailing columns average linkage compares
        # Per story: sum of its members' dense vectors, count, latest time, first member.
        self._story_row: dict[int, int] = {}
        self._sums = np.zeros((0, 0), np.float32)
        self._counts = np.zeros(0)
        self._latest = np.zeros(0)
        self._first: list[int] = []
        self._row_story: list[int] = []
        self._long = np.zeros(0, bool)  # the story has a member longer than a headline
        self.merges: list[tuple[int, int]] = []
        self.regroup_every = regroup_every  # seconds of publication time; 0: never
        self._period: float | None = None  # the last period an article was added in
        self.moves: list[tuple[int, int]] = []  # (article, story) a regroup moved
        # Signatures, TF-IDF and dense rows and times, row k being the article keys[k].
        self.rows = StoryRows(near_duplicate) if rows is None else rows
        self.story_of: dict[int, int] = {}
        self.keys: list[int] = []
        self._row_of: dict[int, int] = {}
        self._next = 1

    def __len__(self) -> int:
        return len(set(self.story_of.values()))

    def restore(self, key: int, story: int, signature: MinHash, x, z, published: float) -> None:
        """Put back an article already assigned to `story` (loading stored state)."""
        self._remember(key, story, signature, x, z, published)
        self._next = max(self._next, story + 1)
        if self.regroup_every:  # the next article of a later period regroups
            period = published // self.regroup_every
            self._period = period if self._period is None else max(self._period, period)

    def add(
        self, key: int, signature: MinHash, x, z, published: float, candidates=None
    ) -> tuple[int, str]:
        """Assign `key` to a story; returns (story id, how: "duplicate" | "event" | "new").
        `candidates` (see `nearest`) limits the content comparison to those articles. The
        first article of a new `regroup_every` period first regroups the recent headlines."""
        if self.regroup_every:
            period = published // self.regroup_every
            if self._period is not None and period > self._period:
                self.regroup(period * self.regroup_every)
            self._period = period if self._period is None else max(self._period, period)
        link = self.nearest(key, signature, x, z, published, candidates)
        joins = link.how == "duplicate" or (
            link.how == "event" and link.similarity >= self.bar(link.short)
        )
        if joins and link.other is not None:
            story, how = self.story_of[link.other], link.how
        else:
            story, how = self._next, "new"
            self._next += 1
        self._remember(key, story, signature, x, z, published)
        if self.headline_linkage == "average" and x.nnz < HEADLINE_TERMS:
            story = self._merge(story, published)
        return story, how

    def _merge(self, story: int, published: float) -> int:
        """Merge `story` with the headline stories in the window whose members are, on
        average, at least the headline bar close to its own; returns the story kept (the
        older)."""
        while not self.is_closed(story):
            row = self._story_row[story]
            m = len(self._first)
            candidates = (
                (np.abs(self._latest[:m] - published) <= self.window)
                & ~self._long[:m]
                & (np.asarray(self._row_story) >= 0)
            )
            candidates[row] = False
            live = np.flatnonzero(candidates)
            if self._long[row] or not len(live):
                return story
            means = (self._sums[live] @ self._sums[row]) / (self._counts[live] * self._counts[row])
            best = int(np.argmax(means))
            if means[best] < self.merge_threshold:
                return story
            other = self._row_story[live[best]]
            keep, drop = min(story, other), max(story, other)
            kept, dropped = self._story_row[keep], self._story_row.pop(drop)
            self._sums[kept] += self._sums[dropped]
            self._counts[kept] += self._counts[dropped]
            self._latest[kept] = max(self._latest[kept], self._latest[dropped])
            self._latest[dropped] = np.inf  # never in a window again
            for key, of in self.story_of.items():
                if of == drop:
                    self.story_of[key] = keep
            self.merges.append((drop, keep))
            story = keep
        return story

    def regroup(self, now: float, *, window: float = REGROUP_WINDOW) -> list[tuple[int, int]]:
        """Cluster again, all at once, the headline-only articles published in the `window`
        before `now` whose stories hold only headlines (and are not an editor's): average
        linkage over the same vectors, cut at the headline bar. Publication order costs the
        online clustering (an early headline decides a story before its consensus exists);
        run periodically (`regroup_every`), this repairs it. Each new group keeps the story
        number most of its members had (largest overlaps first), the others get new numbers;
        returns the (article, story) moves, also appended to `moves` for the caller."""
        if self.headline_linkage != "average":
            return []
        m = len(self._first)
        rows, times = self._story_row, self.rows.times
        keys = [
            k
            for i, k in enumerate(self.keys)
            if now - window <= times[i] <= now
            and self.rows.nnz(i) < HEADLINE_TERMS
            and not self.is_closed(self.story_of[k])
            and not self._long[rows[self.story_of[k]]]
        ][-REGROUP_LIMIT:]
        if len(keys) < 2 or not m:
            return []
        Z = self.rows.Z
        H = np.array([self._headline_part(Z[self._row_of[k]]) for k in keys])
        distances = np.clip(1 - H @ H.T, 0, None)
        np.fill_diagonal(distances, 0)
        tree = linkage(squareform((distances + distances.T) / 2, checks=False), "average")
        groups = fcluster(tree, 1 - self.headline_threshold, "distance")
        overlap: dict[tuple[int, int], int] = {}
        for k, g in zip(keys, groups, strict=True):
            pair = (int(g), self.story_of[k])
            overlap[pair] = overlap.get(pair, 0) + 1
        story_of_group: dict[int, int] = {}
        taken: set[int] = set()
        for (g, story), _ in sorted(overlap.items(), key=lambda o: (-o[1], o[0])):
            if g not in story_of_group and story not in taken:
                story_of_group[g] = story
                taken.add(story)
        moves = []
        for k, g in zip(keys, groups, strict=True):
            if int(g) not in story_of_group:
                story_of_group[int(g)] = self._next
                self._next += 1
            story = story_of_group[int(g)]
            if self.story_of[k] != story:
                moves.append((k, story))
        touched = {self.story_of[k] for k, _ in moves} | {s for _, s in moves}
        for k, story in moves:
            self.story_of[k] = story
        self._stories_recount(touched)
        self.moves.extend(moves)
        return moves

    def _stories_recount(self, stories: set[int]) -> None:
        """Recompute the sums, counts, latest times and first members of `stories` from their
        members (after a regroup moved some)."""
        Z, times = self.rows.Z, self.rows.times
        members: dict[int, list[int]] = {s: [] for s in stories}
        for k, s in self.story_of.items():
            if s in members:
                members[s].append(k)
        for story, keys in members.items():
            row = self._story_row.get(story)
            if row is None:
                if not keys:
                    continue
                first = min(keys, key=lambda k: self._row_of[k])
                z = Z[self._row_of[first]]
                self._story_add(story, first, z, float(times[self._row_of[first]]), False)
                row = self._story_row[story]
            if not keys:  # emptied: never a candidate again
                self._sums[row], self._counts[row], self._latest[row] = 0, 1, np.inf
                continue
            held = sorted(self._row_of[k] for k in keys)
            self._sums[row] = np.sum([self._headline_part(Z[i]) for i in held], axis=0)
            self._counts[row] = len(held)
            self._latest[row] = float(times[held].max())
            self._first[row] = self.keys[held[0]]
            self._long[row] = any(self.rows.nnz(i) >= HEADLINE_TERMS for i in held)

    @staticmethod
    def is_closed(story: int) -> bool:
        """Stories numbered below zero are editors' locked groupings: nothing joins them here."""
        return story < 0

    def bar(self, short: bool) -> float:
        """The content similarity an article must reach to join the closest one's story."""
        return self.headline_threshold if short else self.threshold

    def nearest(
        self, key: int, signature: MinHash, x, z, published: float, candidates=None
    ) -> Link:
        """The earlier article `key` would join: a near-duplicate, else the closest in content
        within the window (whatever the bars: `add` applies them).

        Without `candidates` every article in the window is compared, a cost that grows with
        the corpus. With them (article ids, e.g. the nearest rows of an HNSW graph), only those
        already held and within the window are: a rebuild of a large corpus passes them."""
        best, best_j = None, max(self.near_duplicate, near_duplicate_bar(signature))
        for other in self.rows.sharing_band(signature):
            if self.is_closed(self.story_of[other]):
                continue
            j = self.rows.jaccard(self._row_of[other], signature)
            if other != key and j >= best_j:
                best, best_j = other, j
        if best is not None:
            return Link(best, "duplicate", best_j, False)
        average = self.headline_linkage == "average"
        if average and x.nnz < HEADLINE_TERMS and np.any(self._headline_part(z)):
            return self._nearest_story(z, published)
        n = len(self.keys)
        if not n or not np.any(z):
            return Link(None, "new", 0.0, False)
        Z, times = self.rows.Z, self.rows.times
        if candidates is None:
            window = np.flatnonzero(np.abs(times[:n] - published) <= self.window)
        else:
            held = [self._row_of[k] for k in candidates if k in self._row_of and k != key]
            rows = np.array(held, np.int64)
            window = rows[np.abs(times[rows] - published) <= self.window]
        if not len(window):
            return Link(None, "new", 0.0, False)
        dense = Z[window] @ z
        top = window[np.argsort(-dense)[:STORY_CANDIDATES]]
        sparse = self.rows.dots(top, x)
        sims = 0.5 * sparse + 0.5 * (Z[top] @ z)
        closed = [self.is_closed(self.story_of[self.keys[j]]) for j in top]
        sims = np.where(closed, -np.inf, sims)
        i = int(np.argmax(sims))
        # Under average linkage the headline bar is a mean, so longer texts keep the article bar.
        short = not average and min(x.nnz, self.rows.nnz(top[i])) < SHORT_TERMS
        return Link(self.keys[top[i]], "event", float(sims[i]), short)

    def _nearest_story(self, z: np.ndarray, published: float) -> Link:
        """The story within the window with the highest mean cosine of its members to `z`."""
        m = len(self._first)
        open_ = np.asarray(self._row_story) >= 0  # an editor's locked story takes no one
        live = np.flatnonzero((np.abs(self._latest[:m] - published) <= self.window) & open_)
        if not len(live):
            return Link(None, "new", 0.0, True)
        means = (self._sums[live] @ self._headline_part(z)) / self._counts[live]
        i = int(np.argmax(means))
        return Link(self._first[live[i]], "event", float(means[i]), True)

    def _headline_part(self, z: np.ndarray) -> np.ndarray:
        """What average linkage compares: the unit embedding part of a dense vector and its unit
        LSA part, weighted EMBEDDING_SHARE and the rest, so the dot product of two is the
        weighted mean of the two cosines (the whole vector when no columns are set)."""
        if not self.headline_columns:
            norm = float(np.linalg.norm(z))
            return z / norm if norm else z
        parts = []
        for part, share in (
            (z[: -self.headline_columns], 1 - EMBEDDING_SHARE),
            (z[-self.headline_columns :], EMBEDDING_SHARE),
        ):
            norm = float(np.linalg.norm(part))
            parts.append(part * np.float32(np.sqrt(share) / norm) if norm else part)
        return np.concatenate(parts).astype(np.float32)

    def _story_add(self, story: int, key: int, z: np.ndarray, published: float, long: bool) -> None:
        z = self._headline_part(z)
        row = self._story_row.get(story)
        if row is None:
            row = self._story_row[story] = len(self._first)
            if row >= len(self._sums):
                grow = max(64, row)
                self._sums = np.vstack(
                    [self._sums.reshape(-1, len(z)), np.zeros((grow, len(z)), np.float32)]
                )
                self._counts = np.concatenate([self._counts, np.ones(grow)])
                self._latest = np.concatenate([self._latest, np.full(grow, np.inf)])
                self._long = np.concatenate([self._long, np.zeros(grow, bool)])
            self._counts[row] = 0
            self._latest[row] = published
            self._first.append(key)
            self._row_story.append(story)
        self._long[row] |= long
        self._sums[row] += z
        self._counts[row] += 1
        self._latest[row] = max(self._latest[row], published)

    def _remember(self, key, story, signature, x, z, published) -> None:
        self.story_of[key] = story
        if key in self._row_of:
            return
        if self.headline_linkage == "average":
            self._story_add(story, key, z, published, x.nnz >= HEADLINE_TERMS)
        self._row_of[key] = len(self.keys)
        self.rows.append(key, signature, x, z, published)
        self.keys.append(key)


def covisitation(
    sessions: Iterable[Sequence[int]], *, keep: int = RELATED_KEEP, min_count: int = 2
) -> dict[int, list[tuple[int, float]]]:
    """Item-to-item cosine over sessions: for each item, the items read in the same sessions."""
    rows: list[int] = []
    cols: list[int] = []
    items: dict[int, int] = {}
    for s, session in enumerate(sessions):
        for item in set(session):
            rows.append(s)
            cols.append(items.setdefault(item, len(items)))
    if not items:
        return {}
    ids = np.empty(len(items), np.int64)
    for item, i in items.items():
        ids[i] = item
    B = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(max(rows) + 1, len(items))
    )
    C = (B.T @ B).tocsr()
    pop = C.diagonal().copy()
    C.setdiag(0)
    C.data[C.data < min_count] = 0
    C.eliminate_zeros()
    C = C.tocoo()
    sims = C.data / np.sqrt(pop[C.row] * pop[C.col])
    out: dict[int, list[tuple[int, float]]] = {}
    order = np.lexsort((ids[C.col], -sims, C.row))
    for k in order:
        lst = out.setdefault(int(ids[C.row[k]]), [])
        if len(lst) < keep:
            lst.append((int(ids[C.col[k]]), float(sims[k])))
    return out


class ChannelClassifier:
    """Nearest centroid of the site's articles per channel, in the LSA space."""

    def __init__(self, vectors: np.ndarray, channels: list[str]):
        self.channels = sorted(set(channels))
        index = {c: i for i, c in enumerate(self.channels)}
        sums = np.zeros((len(self.channels), vectors.shape[1] if len(vectors) else 1), np.float32)
        if len(vectors):
            np.add.at(sums, [index[c] for c in channels], vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self.centroids = sums / np.maximum(norms, 1e-9)

    def predict(self, z: np.ndarray) -> str | None:
        if not self.channels or not np.any(z):
            return None
        return self.channels[int(np.argmax(self.centroids @ z))]
