"""Text similarity: unit vectors whose dot product follows the TF-IDF cosine of the texts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from matching.prepare import TEXT_DIMENSIONS, TextSpace, _latent, text_vectors, tfidf, tfidf_matrix
from matching.taxonomy import Taxonomy

#: Words as coaches and employers type them: capitals, accents, punctuation, numbers, one-letter words,
#: and letters whose lower case depends on their place or is longer (İ, ß, a final Σ).
WORDS = (
    "timmerman", "Metselaar", "schoonmaker", "magazijnmedewerker", "heftruck", "rijbewijs", "VCA", "Coördinator",
    "café", "één", "reïntegratie", "zorg", "groenvoorziening", "onderhoud", "lassen", "BHV", "(m/v/x)", "36",
    "uur", "p/w", "ervaring!", "e.v.a.", "a", "de", "én", "İJssel", "STRAßE", "ΟΔΟΣ", "x", "--", "straatmaker,",
    "zelfstandig.",
)  # fmt: skip
#: White space as it comes: runs of it, tabs, line ends, a non-breaking space.
SPACES = (" ", " ", " ", "  ", "\t", "\n", "\xa0", " \r\n ")


def _docs(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    labels = [c.label for kind in ("skill", "occupation") for c in Taxonomy.builtin().of_kind(kind)]
    return [" ".join(rng.choice(labels, size=int(rng.integers(2, 9)), replace=False)) for _ in range(n)]


def _messy_docs(n: int, seed: int) -> list[str]:
    """Short texts of job words and labels, some empty or blank, some with a word repeated."""
    rng = np.random.default_rng(seed)
    labels = [c.label for kind in ("skill", "occupation") for c in Taxonomy.builtin().of_kind(kind)]
    docs = []
    for _ in range(n):
        pool = WORDS if rng.random() < 0.5 else labels
        words = [str(pool[int(rng.integers(len(pool)))]) for _ in range(int(rng.integers(0, 10)))]
        if words and rng.random() < 0.2:
            words += [words[0]] * int(rng.integers(1, 4))
        docs.append("".join(str(rng.choice(SPACES)) + w for w in words) + str(rng.choice(["", " ", "."])))
    return docs


@pytest.mark.parametrize("max_features", [2**16, 100], ids=["whole vocabulary", "vocabulary cut"])
def test_fast_tfidf_is_the_tfidf_of_sklearn(max_features: int) -> None:
    docs = _messy_docs(300, seed=7)
    assert sum(not d.strip() for d in docs) >= 5
    expected = tfidf(max_features).fit(docs).transform(docs)
    got = tfidf_matrix(docs, max_features)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert got.dtype == expected.dtype == np.float32
    assert got.data.tobytes() == expected.data.tobytes()  # the same to the bit
    if max_features < 2**16:  # the cut falls among n-grams equally frequent: sklearn's order of ties is kept
        assert got.shape[1] == max_features
        counts = CountVectorizer(analyzer="char_wb", ngram_range=(3, 4), min_df=2).fit_transform(docs)
        frequencies = np.sort(np.asarray(counts.sum(axis=0)).ravel())[::-1]
        assert len(frequencies) > max_features
        assert frequencies[max_features - 1] == frequencies[max_features]


@pytest.mark.parametrize(
    "docs", [[], ["", "  ", "\t\n\xa0"], ["abc", "xyz"]], ids=["no documents", "blank", "no n-gram twice"]
)
def test_fast_tfidf_refuses_no_text_as_sklearn_does(docs: list[str]) -> None:
    with pytest.raises(ValueError, match=r"empty vocabulary|no terms remain"):
        tfidf().fit(docs)
    with pytest.raises(ValueError, match=r"empty vocabulary|no terms remain"):
        tfidf_matrix(docs)


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


def test_a_few_texts_get_the_numbers_they_get_among_all() -> None:
    docs = _docs(1200, 3)
    space = TextSpace.fit(docs)
    assert space is not None
    assert space.svd is not None
    every, _ = space.vectors(docs)
    for i in (0, 7, 1199):
        one, _ = space.vectors([docs[i]])
        assert np.array_equal(one[0], every[i])
    # the projection reads only the components of the n-grams it meets, with TruncatedSVD's numbers
    weights = tfidf_matrix(docs)[:40]
    assert weights.shape[1] == space.svd.components_.shape[1]
    assert np.array_equal(_latent(weights, space.svd.components_), space.svd.transform(weights))
