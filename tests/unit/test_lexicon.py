"""The Dutch→English lexicon: stems, learning from parallel text, telling Dutch from English, glosses,
and how the normaliser compares a Dutch text by its gloss."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from api import lexicon_io
from api.lexicon_io import parallel_text
from matching.lexicon import ENGLISH_FILE, Lexicon, dutch_stem, learn
from matching.normalise import Normaliser
from matching.semantic import SemanticIndex
from matching.taxonomy import Concept, Taxonomy
from models.errors import KoppelaarError


@pytest.mark.parametrize(
    "forms",
    [
        ("beheert", "beheren", "beheer"),
        ("bestelt", "bestellen"),
        ("geeft", "geven"),
        ("controleert", "controleren"),
        ("maakt", "maken"),
        ("verzorgt", "verzorgen"),
        ("klanten", "klant"),
    ],
)
def test_the_forms_of_a_verb_or_noun_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({dutch_stem(form) for form in forms}) == 1


def test_a_short_word_keeps_its_ending() -> None:
    assert dutch_stem("zet") == "zet"
    assert dutch_stem("de") == "de"


def test_learning_aligns_each_dutch_word_with_its_english_word() -> None:
    pairs = [
        ("de kok beheert de voorraad", "the cook manages the stock"),
        ("de kok bestelt de groente", "the cook orders the vegetables"),
        ("de chauffeur beheert de planning", "the driver manages the schedule"),
        ("de chauffeur controleert de voorraad", "the driver checks the stock"),
        ("zij beheren de groente", "they manage the vegetables"),
        ("de kok controleert de planning", "the cook checks the schedule"),
    ]
    lexicon = learn(pairs)
    english_of = lexicon.english_of
    assert english_of[dutch_stem("voorraad")] == "stock"
    assert english_of[dutch_stem("kok")] == "cook"
    assert english_of[dutch_stem("chauffeur")] == "driver"
    assert english_of[dutch_stem("controleert")] == "checks"
    assert english_of[dutch_stem("beheert")] in {"manages", "manage"}
    assert english_of["de"] == "the"
    assert lexicon.english_words >= {"the", "cook", "manages", "manage", "they", "vegetables"}


def test_a_stem_is_glossed_by_the_best_english_word_of_each_way_of_the_model() -> None:
    # Dutch generating English says "care" and "monitor"; English generating Dutch says rare words seen
    # with the stem ("training", "clothing"): both are kept, the first first
    lexicon = Lexicon.builtin()
    assert lexicon.english_of[dutch_stem("verzorgt")].split()[0] == "care"
    assert lexicon.english_of[dutch_stem("bewaakt")].split()[0] == "monitor"
    two_words = Lexicon({dutch_stem("verzorgt"): "care training", dutch_stem("oogst"): "harvest"})
    assert two_words.gloss("Verzorgt oogst") == "care training harvest"


def test_the_shipped_lexicon_glosses_dutch_work_processes() -> None:
    lexicon = Lexicon.builtin()
    assert len(lexicon.english_of) > 10_000
    assert lexicon.gloss("Beheert gegevens") == "manage data"
    assert lexicon.gloss("Onderhoudt apparatuur") == "maintain equipment"
    assert lexicon.gloss("Verkoopt producten") == "sell products"
    assert lexicon.gloss("Reinigt de werkplek") == "clean the workplace"


def test_a_compound_is_glossed_by_its_parts_and_an_unknown_word_kept() -> None:
    lexicon = Lexicon({"teelt": "cultivation", "plan": "plan", "stel": "prepare"})
    assert lexicon.gloss("stelt teeltplan op") == "prepare cultivation plan op"
    assert lexicon.gloss("xyzzy") == "xyzzy"


@pytest.mark.parametrize(
    ("text", "dutch"),
    [
        ("Voert verkoopgesprekken", True),
        ("Stelt de factuur op", True),
        ("Verzorgt oogst", True),
        ("Beheert contacten met de klant", True),
        ("Legt tegels", True),
        ("Draagt persoonlijke beschermingsmiddelen", True),
        ("manage data", False),
        ("communication and collaboration skills", False),
        ("experience with Python and SQL", False),
        ("install drainage systems", False),
        ("teamwork", False),
        ("train managers", False),
        ("deploy apps", False),
        ("developing multithreaded scalable concurrent applications", False),
    ],
)
def test_dutch_text_is_told_from_english(text: str, dutch: bool) -> None:
    assert Lexicon.builtin().is_dutch(text) is dutch


def test_english_words_besides_the_translations_count_as_english() -> None:
    # "apps" has a Dutch stem and "deploy" is no translation: Dutch, unless "deploy" is known English
    english_of = {dutch_stem("apps"): "application"}
    assert Lexicon(english_of).is_dutch("deploy apps")
    assert not Lexicon(english_of, english_words=["deploy"]).is_dutch("deploy apps")


class _BagOfWords:
    """A stand-in model: a text's vector is its words hashed into 256 dimensions, unit length."""

    name = "bag of words"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.encode()) % 256] += 1.0
        unit: np.ndarray = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return unit

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


def _taxonomy() -> Taxonomy:
    skills = {
        "data": Concept("data", "skill", "manage data", ("manage data",)),
        "archief": Concept("archief", "skill", "gegevens archiveren en bewaren", ("gegevens archiveren en bewaren",)),
    }
    return Taxonomy("two skills", {"occupation": {}, "skill": skills, "certificate": {}})


def test_a_dutch_text_scores_a_concept_by_the_mean_of_its_own_and_its_glosss_cosine() -> None:
    taxonomy = _taxonomy()
    index = SemanticIndex.build(taxonomy, "skill", _BagOfWords())
    lexicon = Lexicon({"beher": "manage", "gegeven": "data"})
    normaliser = Normaliser(taxonomy, semantic={"skill": index}, lexicon=lexicon)
    top = normaliser.top("Beheert gegevens", "skill", 2)
    assert [code for code, _ in top] == ["data", "archief"]
    # "manage data" is the gloss's own text (cosine 1) and shares no word with the text (0)
    assert top[0][1] == pytest.approx(0.5)
    # without a lexicon the text is English to the normaliser: the shared word "gegevens" wins
    plain = Normaliser(taxonomy, semantic={"skill": index}, lexicon=Lexicon({}))
    assert plain.top("Beheert gegevens", "skill", 1)[0][0] == "archief"
    assert normaliser.top("manage data", "skill", 1) == [("data", 1.0)]


def test_a_dutch_text_ranks_the_skill_more_occupations_list_first_among_equally_near_ones() -> None:
    skills = {
        code: Concept(code, "skill", label, (label,))
        for code, label in (("rare", "manage data records"), ("common", "manage data files"))
    }
    occupations = {"o": Concept("o", "occupation", "clerk", ("clerk",))}
    lexicon = Lexicon({"beher": "manage", "gegeven": "data"})
    ranked: dict[str, list[tuple[str, float]]] = {}
    profiles: dict[str, dict[str, tuple[str, ...]]] = {"unlisted": {}, "listed": {"o": ("common",)}}
    for name, essential in profiles.items():
        taxonomy = Taxonomy(name, {"occupation": occupations, "skill": skills, "certificate": {}}, essential)
        index = SemanticIndex.build(taxonomy, "skill", _BagOfWords())
        ranked[name] = Normaliser(taxonomy, semantic={"skill": index}, lexicon=lexicon).top("Beheert gegevens", "skill")
    assert [code for code, _ in ranked["unlisted"]] == ["rare", "common"]  # a tie: the taxonomy's order
    assert [code for code, _ in ranked["listed"]] == ["common", "rare"]
    assert ranked["listed"][0][1] == pytest.approx(ranked["unlisted"][1][1])  # the score stays the cosine


def test_the_lexicon_is_learned_from_an_esco_folders_parallel_occupations(tmp_path: Path) -> None:
    header = "conceptUri,preferredLabel,description\n"
    (tmp_path / "occupations_nl.csv").write_text(
        header
        + 'o1,kok,"De kok bereidt maaltijden. Hij beheert de voorraad."\n'
        + 'o2,chauffeur,"De chauffeur beheert de planning. Hij rijdt. Veel."\n',
        encoding="utf-8",
    )
    (tmp_path / "occupations_en.csv").write_text(
        header
        + 'o1,cook,"The cook prepares meals. He manages the stock."\n'
        + 'o2,driver,"The driver manages the schedule and drives."\n',
        encoding="utf-8",
    )
    pairs = list(parallel_text(tmp_path))
    assert ("De kok bereidt maaltijden.", "The cook prepares meals.") in pairs  # as many sentences: each
    unequal = ("De chauffeur beheert de planning. Hij rijdt. Veel.", "The driver manages the schedule and drives.")
    assert unequal in pairs  # not as many sentences: the whole descriptions
    assert ("kok", "cook") in pairs
    out = tmp_path / "words.csv"
    lexicon_io.main([str(tmp_path), str(out)])
    learned = Lexicon.from_frames(
        *(pd.read_csv(f, dtype=str, keep_default_na=False) for f in (out, tmp_path / ENGLISH_FILE))
    )
    assert learned.english_of["kok"] == "cook"
    assert "drives" in learned.english_words  # an English word of the text that translates no stem
    (tmp_path / "occupations_nl.csv").unlink()
    with pytest.raises(KoppelaarError, match=r"occupations_nl\.csv and occupations_en\.csv"):
        list(parallel_text(tmp_path))
