"""The static first stage of semantic search: token vectors fitted to a model's label vectors."""

from __future__ import annotations

import numpy as np

from matching.static import StaticEmbedding, fit_static


def _unit(rows: np.ndarray) -> np.ndarray:
    out: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def _tokenize(text: str) -> list[int]:
    """Token ids written as numbers: ``"3 5"`` holds tokens 3 and 5."""
    return [int(word) for word in text.split()]


def test_fitting_brings_the_label_texts_near_the_model_s_vectors_and_keeps_other_tokens() -> None:
    rng = np.random.default_rng(7)
    token_ids = np.arange(40)
    true = _unit(rng.normal(size=(40, 16)))
    distilled = _unit(true + rng.normal(scale=0.8, size=true.shape))
    texts = [f"{a} {b}" for a in range(30) for b in range(a + 1, 30) if (a + b) % 3 == 0]
    label_vectors = _unit(np.stack([true[_tokenize(text)].mean(axis=0) for text in texts]))
    fitted = fit_static(token_ids, distilled, [_tokenize(text) for text in texts], label_vectors, ridge=0.01)

    def agreement(vectors: np.ndarray) -> float:
        static = StaticEmbedding(token_ids, vectors, _tokenize).encode(texts)
        return float(np.mean(np.sum(static * label_vectors, axis=1)))

    assert agreement(fitted) > 0.99 > agreement(distilled)
    assert np.array_equal(fitted[30:], distilled[30:].astype(np.float32))  # in no label text: as distilled


def test_a_text_is_the_unit_mean_of_its_known_tokens() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    static = StaticEmbedding(np.array([4, 9]), vectors, _tokenize)
    encoded = static.encode(["4 9 9", "4 7", "7", ""])
    assert np.allclose(encoded[0], _unit(np.array([[1.0, 2.0]]))[0])
    assert np.allclose(encoded[1], [1.0, 0.0])  # token 7 has no vector: left out
    assert not encoded[2].any()
    assert not encoded[3].any()
