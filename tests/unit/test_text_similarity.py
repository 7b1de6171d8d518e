"""Text similarity: unit vectors whose dot product follows the TF-IDF cosine of the texts."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import normalize

from matching.prepare import TEXT_DIMENSIONS, text_vectors, tfidf
from matching.taxonomy import Taxonomy


def _docs(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    labels = [c.label for kind in ("skill", "occupation") for c in Taxonomy.builtin().of_kind(kind)]
    return [" ".join(rng.choice(labels, size=int(rng.integers(2, 9)), replace=False)) for _ in range(n)]


def test_latent_similarity_follows_the_tfidf_cosine() -> None:
    c_docs, v_docs = _docs(1500, 1), _docs(300, 2)
    c, v, has = text_vectors(c_docs, v_docs)
    assert c.shape == (1500, TEXT_DIMENSIONS)
    assert v.shape == (300, TEXT_DIMENSIONS)
    assert has.all()
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, rtol=1e-5)
    vec = tfidf().fit(c_docs + v_docs)
    exact = normalize(vec.transform(c_docs)) @ normalize(vec.transform(v_docs)).T
    approx = c @ v.T
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, 1500, 5000), rng.integers(0, 300, 5000)
    e, a = np.asarray(exact[pairs]).ravel(), approx[pairs]
    assert np.corrcoef(e, a)[0, 1] > 0.8
    # the same text is the most similar one
    twins = text_vectors([*c_docs[:50], *c_docs[:50]], c_docs[:50])[0]
    assert (np.argmax(twins[:50] @ twins[:50].T, axis=1) == np.arange(50)).all()


def test_small_inputs_use_the_exact_cosine_and_no_text_is_marked() -> None:
    c, v, has = text_vectors(["metselaar voegen", "", "schoonmaak kantoor"], ["metselaar voegen", "kantoor schoonmaak"])
    assert has.tolist() == [True, False, True]
    sim = c @ v.T
    assert sim[0, 0] > 0.99  # the same text
    assert sim[1].tolist() == [0.0, 0.0]
    assert sim[2, 1] > sim[2, 0]
    empty_c, empty_v, none = text_vectors(["", ""], [""])
    assert not none.any()
    assert (empty_c @ empty_v.T == 0).all()
