"""Normalisation against the built-in taxonomy: typos, English labels, synonyms, URIs and job titles."""

from __future__ import annotations

import math
import pickle

import pytest

from data.synthetic import vocabulary
from data.synthetic.surface import Forms, certificate_forms, occupation_forms, skill_forms, typo_variants
from matching.normalise import DEFAULT_THRESHOLD, Normaliser
from matching.taxonomy import Kind, Taxonomy

TIMMERMAN_URI = "http://data.europa.eu/esco/occupation/2a22ff9e-de3b-408d-b312-5034896cc4f4"
LAY_BRICKS_URI = "http://data.europa.eu/esco/skill/13e1c0a2-b90d-46f4-be51-11730360b38d"


@pytest.fixture
def normaliser() -> Normaliser:
    return Normaliser(Taxonomy.builtin())


@pytest.mark.parametrize(
    ("text", "kind", "title", "code"),
    [
        # job titles: gender tags, hours and filler words
        ("Timmerman (m/v) 36 uur", "occupation", True, "timmerman"),
        ("Timmerman m/v/x 40 uur per week", "occupation", True, "timmerman"),
        ("medewerker grondwerk", "occupation", True, "grondwerker"),
        ("Allround Straatmaker (m/v) 40 uur", "occupation", True, "straatmaker"),
        # typos
        ("Tmmerman", "occupation", False, "timmerman"),
        ("Timmermna", "occupation", False, "timmerman"),
        ("metselne", "skill", False, "metselen"),
        ("heftruckcertificat", "certificate", False, "heftruck"),
        # English: Koppelaar's own names, and a title employers write in English
        ("site carpenter", "occupation", False, "timmerman"),
        ("carpenter", "occupation", False, "timmerman"),
        ("build brick walls", "skill", False, "metselen"),
        ("Forklift licence", "certificate", False, "heftruck"),
        # synonyms and other spellings
        ("metselwerk", "skill", False, "metselen"),
        ("B-VCA", "certificate", False, "vca_basis"),
        ("VCA-B", "certificate", False, "vca_basis"),
        ("heftruckcertificaat", "certificate", False, "heftruck"),
        ("Heftruckdiploma", "certificate", False, "heftruck"),
        # codes and ESCO URIs
        ("vca_basis", "certificate", False, "vca_basis"),
        ("  Timmerman ", "occupation", False, "timmerman"),
        (TIMMERMAN_URI, "occupation", False, "timmerman"),
        (LAY_BRICKS_URI, "skill", False, "metselen"),
    ],
)
def test_known_forms_normalise_to_their_concept(
    normaliser: Normaliser, text: str, kind: Kind, title: bool, code: str
) -> None:
    match = normaliser.normalise([text], kind, title=title)[0]
    assert match.code == code, match
    assert match.confidence >= DEFAULT_THRESHOLD
    assert match.text == text


@pytest.mark.parametrize(
    ("text", "kind"),
    [("quantumchromodynamica", "skill"), ("xyzzy", "occupation"), ("astronaut", "occupation"), ("PADI", "certificate")],
)
def test_unknown_terms_stay_free_text(normaliser: Normaliser, text: str, kind: Kind) -> None:
    match = normaliser.normalise([text], kind, title=kind == "occupation")[0]
    assert match.code is None
    assert match.confidence < DEFAULT_THRESHOLD
    assert normaliser.code(text, kind) is None


def test_text_that_is_only_filler_has_no_code(normaliser: Normaliser) -> None:
    for match in normaliser.normalise(["", "  ", "(m/v) 36 uur", "Medewerker (m/v)"], "occupation", title=True):
        assert match.code is None
        assert match.confidence == 0.0
    assert normaliser.top("(m/v) 36 uur", "occupation", title=True) == []


def test_a_stricter_threshold_keeps_typos_as_free_text() -> None:
    strict = Normaliser(Taxonomy.builtin(), threshold=0.99)
    assert strict.code("Tmmerman", "occupation") is None
    assert strict.code("timmerman", "occupation") == "timmerman"  # exact matches ignore the threshold


def test_certificate_and_occupation_verkeersregelaar_are_distinct(normaliser: Normaliser) -> None:
    taxonomy = normaliser.taxonomy
    cert = taxonomy.get("verkeersregelaar", "certificate")
    occupation = taxonomy.get("verkeersregelaar", "occupation")
    assert cert is not None
    assert occupation is not None
    assert cert != occupation
    assert (cert.kind, occupation.kind) == ("certificate", "occupation")
    assert cert.trainable
    assert cert.label == "Verkeersregelaarspas"
    assert normaliser.code("verkeersregelaar", "certificate") == "verkeersregelaar"
    assert normaliser.code("verkeersregelaar", "occupation") == "verkeersregelaar"
    assert normaliser.code("pas verkeersregelaar", "certificate") == "verkeersregelaar"
    assert normaliser.code("traffic controller", "occupation") == "verkeersregelaar"


def test_top_returns_distinct_concepts_best_first(normaliser: Normaliser) -> None:
    cases: list[tuple[str, Kind, bool]] = [
        ("Timmerman (m/v) 36 uur", "occupation", True),
        ("metselen", "skill", False),
        ("heftruck", "certificate", False),
        ("Tmmerman", "occupation", False),
        ("schoonmaak", "skill", False),
    ]
    for text, kind, title in cases:
        hits = normaliser.top(text, kind, k=5, title=title)
        codes = [code for code, _ in hits]
        scores = [score for _, score in hits]
        assert len(hits) == 5
        assert len(set(codes)) == len(codes), hits
        assert scores == sorted(scores, reverse=True), hits
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert all(normaliser.taxonomy.get(code, kind) is not None for code in codes)
        best = normaliser.normalise([text], kind, title=title)[0]
        assert codes[0] == best.code
    assert normaliser.top("build brick walls", "skill", k=1) == [("metselen", 1.0)]
    assert len(normaliser.top("metselen", "skill", k=3)) == 3


def test_repeated_texts_are_served_from_the_cache(normaliser: Normaliser) -> None:
    first = normaliser.normalise(["Tmmerman", "carpenter", "Tmmerman"], "occupation")
    assert first[0] is first[2]
    again = normaliser.normalise(["carpenter", "Tmmerman"], "occupation")
    assert again[0] is first[1]
    assert again[1] is first[0]
    # the cache is per kind: the same text as a skill is resolved on its own
    assert normaliser.normalise(["Tmmerman"], "skill")[0] is not first[0]


def test_cache_keeps_title_and_plain_lookups_apart(normaliser: Normaliser) -> None:
    plain = normaliser.normalise(["medewerker grondwerk"], "occupation")[0]  # no filler stripped
    as_title = normaliser.normalise(["medewerker grondwerk"], "occupation", title=True)[0]
    assert plain.code != "grondwerker"
    assert as_title.code == "grondwerker"


def test_the_cache_keeps_the_most_recently_used_texts_only() -> None:
    bounded = Normaliser(Taxonomy.builtin(), cache_size=2)
    first = bounded.normalise(["Tmmerman", "carpenter"], "occupation")
    assert bounded.normalise(["Tmmerman"], "occupation")[0] is first[0]  # now the most recently used
    bounded.normalise(["metselne"], "skill")
    assert len(bounded._recent) == 2
    assert ("occupation", False, "Tmmerman") in bounded._recent
    assert ("occupation", False, "carpenter") not in bounded._recent
    assert bounded.normalise(["Tmmerman"], "occupation")[0] is first[0]
    again = bounded.normalise(["carpenter"], "occupation")[0]
    assert again == first[1]
    assert again is not first[1]  # worked out anew


def test_a_normaliser_pickles_with_what_it_keeps(normaliser: Normaliser) -> None:
    """A prepared dataset travels to Dask's workers with its normaliser (the cache's lock stays behind)."""
    first = normaliser.normalise(["Tmmerman", "carpenter"], "occupation")
    copy = pickle.loads(pickle.dumps(normaliser))
    assert len(copy._recent) == 2
    skills = ["carpenter", "metselne"]
    assert copy.normalise(skills, "skill") == normaliser.normalise(skills, "skill")
    assert copy.normalise(["Tmmerman"], "occupation") == first[:1]
    assert len(copy._recent) == 4


def test_a_call_with_more_texts_than_the_cache_holds_matches_each(normaliser: Normaliser) -> None:
    bounded = Normaliser(Taxonomy.builtin(), cache_size=2)
    texts = ["Tmmerman", "carpenter", "Timmerman (m/v) 36 uur", "xyzzy", "carpenter", "Tmmerman"]
    got = bounded.normalise(texts, "occupation", title=True)
    assert got == normaliser.normalise(texts, "occupation", title=True)
    assert [m.code for m in got] == ["timmerman", "timmerman", "timmerman", None, "timmerman", "timmerman"]
    assert len(bounded._recent) == 2


def test_every_vacancy_title_normalises_to_its_occupation(normaliser: Normaliser) -> None:
    """The synthetic world's titles (real-world titles plus one misspelt title each, see surface.py)."""
    titles = [(occ.code, title) for occ in vocabulary.OCCUPATIONS for title in occ.titles]
    matches = normaliser.normalise([t for _, t in titles], "occupation", title=True)
    misses = [(code, m) for (code, _), m in zip(titles, matches, strict=True) if m.code != code]
    assert len(titles) > 300
    assert len(misses) <= 2, misses


def test_the_generators_typos_of_occupation_labels_mostly_normalise(normaliser: Normaliser) -> None:
    """surface.typo_variants drops a letter and swaps two: short labels (6 letters) fall below the threshold."""
    pairs = [(occ.code, typo) for occ in vocabulary.OCCUPATIONS for typo in typo_variants(occ.nl)]
    matches = normaliser.normalise([t for _, t in pairs], "occupation")
    misses = [(code, m) for (code, _), m in zip(pairs, matches, strict=True) if m.code != code]
    assert len(pairs) > 80
    assert len(misses) <= 3, misses
    assert all(m.code is None for _, m in misses), misses  # a miss is free text, never another occupation


@pytest.mark.parametrize(
    ("kind", "max_misses"),
    [("skill", 10), ("certificate", 0), ("occupation", 6)],
)
def test_the_generators_surface_forms_normalise(normaliser: Normaliser, kind: Kind, max_misses: int) -> None:
    """Every form the generator writes (label, code, synonym, English, URI, typo) maps back, bar a few."""
    forms = {"skill": skill_forms, "certificate": certificate_forms, "occupation": occupation_forms}[kind]()
    pairs = [(code, form) for code, f in forms.items() for form in f.all()]
    matches = normaliser.normalise([form for _, form in pairs], kind)
    misses = [(code, m) for (code, _), m in zip(pairs, matches, strict=True) if m.code != code]
    assert len(misses) <= max_misses, misses


@pytest.mark.parametrize(
    ("text", "kind"),
    [("metselwerk", "skill"), ("schoonmaak", "skill"), ("VCA", "certificate"), ("Tmmerman", "occupation")],
)
def test_top_finds_the_k_best_concepts_by_brute_force(normaliser: Normaliser, text: str, kind: Kind) -> None:
    """top() picks the best concepts, not just sorts what it picked (a uint8 sort once wrapped around)."""
    from matching.normalise import SCORERS
    from matching.taxonomy import label_index
    from matching.text import clean_label

    labels, codes = label_index(normaliser.taxonomy, kind)
    query = clean_label(text)
    best: dict[str, int] = {}
    for label, code in zip(labels, codes, strict=True):
        score = max(math.floor(scorer(query, label) + 0.5) for scorer in SCORERS[kind])
        best[code] = max(best.get(code, 0), score)
    expected = sorted(best.values(), reverse=True)[:5]
    got = [round(score * 100) for _, score in normaliser.top(text, kind, k=5)]
    assert got == expected


def test_a_shortlist_finds_what_a_comparison_with_every_label_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The surface forms the synthetic world writes (labels, synonyms, English, URIs, titles) get the
    same match and confidence through the shortlist a large taxonomy uses as against every label;
    typos, which break the trigrams the shortlist is found by, nearly always."""
    full = Normaliser(Taxonomy.builtin())
    monkeypatch.setattr("matching.normalise.SHORTLIST_FROM", 0)
    shortlisted = Normaliser(Taxonomy.builtin())
    assert set(shortlisted._shortlists) == {"occupation", "skill", "certificate"}
    typos_agree, typos = 0, 0
    kinds: list[tuple[Kind, bool, dict[str, Forms]]] = [
        ("skill", False, skill_forms()),
        ("certificate", False, certificate_forms()),
        ("occupation", True, occupation_forms()),
    ]
    for kind, title, by_code in kinds:
        texts = [label for f in by_code.values() for label in f.all()]
        if kind == "occupation":
            texts += [f"Allround {o.nl} (m/v) 36 uur" for o in vocabulary.OCCUPATIONS]
        got, expected = shortlisted.normalise(texts, kind, title=title), full.normalise(texts, kind, title=title)
        assert [m.code for m in got] == [m.code for m in expected]
        # the confidence of a match is the same; of no match, only below the threshold as well
        assert [(m.code, m.confidence) for m in got if m.code] == [(m.code, m.confidence) for m in expected if m.code]
        assert all(m.confidence < DEFAULT_THRESHOLD for m in got if m.code is None)
        misspelt = [t for text in texts for t in typo_variants(text)]
        got, expected = shortlisted.normalise(misspelt, kind, title=title), full.normalise(misspelt, kind, title=title)
        typos += len(misspelt)
        typos_agree += sum(a.code == b.code for a, b in zip(got, expected, strict=True))
    assert typos > 1000
    assert typos_agree >= 0.99 * typos


def test_normalisers_of_one_taxonomy_share_its_label_index() -> None:
    taxonomy = Taxonomy.builtin()
    first, second = Normaliser(taxonomy), Normaliser(taxonomy, threshold=0.99)
    assert first._labels is second._labels
    assert first._exact is second._exact
    assert second.code("Tmmerman", "occupation") is None  # each keeps its own threshold and cache
    assert first.code("Tmmerman", "occupation") == "timmerman"
