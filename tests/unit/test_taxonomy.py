"""The built-in taxonomy: its package files in Koppelaar's own shape, and the ESCO export loader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matching.taxonomy import Taxonomy, builtin_tables

TIMMERMAN_URI = "http://data.europa.eu/esco/occupation/2a22ff9e-de3b-408d-b312-5034896cc4f4"
OCC = "http://data.europa.eu/esco/occupation/"


def test_the_builtin_files_load_to_the_expected_counts() -> None:
    taxonomy = Taxonomy.builtin()
    assert taxonomy.name == "built-in"
    assert taxonomy.counts() == {"occupation": 53, "skill": 189, "certificate": 16}
    assert sum(len(c.labels) for kind in ("occupation", "skill", "certificate") for c in taxonomy.of_kind(kind)) == 1371
    assert sum(map(len, taxonomy.essential.values())) == 215
    assert sum(map(len, taxonomy.optional.values())) == 211
    assert len({frozenset((a, b)) for a, others in taxonomy.related.items() for b in others}) == 322
    assert {kind: len(table) for kind, table in taxonomy.aliases.items()} == {
        "occupation": 48,  # 51 occupations have an ESCO URI; three share one with another occupation
        "skill": 166,
        "certificate": 0,
    }
    assert Taxonomy.builtin() is taxonomy  # cached


def test_a_builtin_concept_has_every_label_in_order() -> None:
    taxonomy = Taxonomy.builtin()
    timmerman = taxonomy.get("timmerman", "occupation")
    assert timmerman is not None
    # preferred labels (Dutch, English), then the job titles, then the code as words
    assert timmerman.labels == (
        "Timmerman",
        "site carpenter",
        "Timmerman (m/v)",
        "Allround timmerman",
        "timmerman/bekister",
        "Medewerker timmerwerk",
        "Timmerman m/v/x 36 uur",
        "Carpenter",
        "timmerman",
    )
    assert (timmerman.uri, timmerman.sector, timmerman.trainable) == (TIMMERMAN_URI, "bouw", False)
    assert taxonomy.resolve(TIMMERMAN_URI, "occupation") == "timmerman"
    vca = taxonomy.get("vca_basis", "certificate")
    assert vca is not None
    assert vca.labels[-1] == "vca basis"  # the hidden label
    assert (vca.uri, vca.trainable) == (None, True)
    assert taxonomy.get("vca_vol", "certificate") is not None
    assert taxonomy.essential["timmerman"][:2] == ("timmeren", "hout_zagen")


def test_skills_sharing_an_essential_profile_are_related() -> None:
    taxonomy = Taxonomy.builtin()
    profile = taxonomy.essential["timmerman"]
    for skill in profile:
        assert set(profile) - {skill} <= taxonomy.related[skill]
        assert skill not in taxonomy.related[skill]


def test_the_builtin_tables_have_one_file_per_kind_in_koppelaars_shape() -> None:
    tables = builtin_tables()
    for kind in ("occupation", "skill", "certificate"):
        frame = tables.of_kind(kind)
        assert {"code", "label", "englishLabel", "synonyms", "hiddenLabels"} <= set(frame.columns)
        assert frame["code"].is_unique
        assert (frame["label"] != "").all()
        assert (frame["englishLabel"] != "").all()
    skills = set(tables.skills["code"])
    for column in ("essentialSkills", "optionalSkills"):
        for cell in tables.occupations[column]:
            assert set(filter(None, cell.split(";"))) <= skills
    assert (tables.occupations["essentialSkills"] != "").all()


def test_no_builtin_english_name_is_an_esco_preferred_label(shared_data: Path) -> None:
    """The built-in taxonomy's English names are Koppelaar's own words, not ESCO's labels copied."""
    esco = shared_data / "esco"
    preferred = {
        label.strip().lower()
        for name in ("occupations_en.csv", "skills_en.csv")
        for label in pd.read_csv(esco / name, usecols=["preferredLabel"], dtype=str)["preferredLabel"].dropna()
    }
    assert len(preferred) > 15_000  # the whole export was read
    tables = builtin_tables()
    copied = [
        (kind, code, english)
        for kind in ("occupation", "skill", "certificate")
        for code, english in zip(tables.of_kind(kind)["code"], tables.of_kind(kind)["englishLabel"], strict=True)
        if english.strip().lower() in preferred
    ]
    assert copied == []


def test_esco_labels_put_every_preferred_label_before_the_alternatives() -> None:
    frames = {
        "en": pd.DataFrame({"conceptUri": [OCC + "a"], "preferredLabel": ["carpenter"], "altLabels": ["joiner"]}),
        "nl": pd.DataFrame(
            {"conceptUri": [OCC + "a"], "preferredLabel": ["timmerman"], "altLabels": ["schrijnwerker"]}
        ),
    }
    skills = {"en": pd.DataFrame({"conceptUri": [], "preferredLabel": []})}
    taxonomy = Taxonomy.from_esco(frames, skills)
    concept = taxonomy.get(OCC + "a", "occupation")
    assert concept is not None
    assert concept.labels == ("timmerman", "carpenter", "schrijnwerker", "joiner")
    assert (concept.label, concept.uri, concept.sector) == ("timmerman", OCC + "a", None)
    assert taxonomy.aliases == {"occupation": {}, "skill": {}, "certificate": {}}
    assert taxonomy.counts()["certificate"] == 16  # the built-in certificates
    assert taxonomy.name == "ESCO (en, nl)"
