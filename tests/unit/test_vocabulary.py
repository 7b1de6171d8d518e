"""Consistency of the hand-made synthetic vocabulary, and its real parts against the shared data.

The first group of tests needs nothing but the module. The last group reads the public
reference data in ``shared/data`` (PC4 centroids, CBS region codes, ESCO) and is skipped when
that folder is not there.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from data.synthetic import vocabulary as vocab
from models.enums import DrivingLicence, EducationLevel, LanguageLevel, PhysicalLoad
from models.valuation import BUILTIN_SCHEMES
from tests.paths import SHARED_DATA

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PC4_RE = re.compile(r"^[1-9][0-9]{3}$")
ESCO_OCCUPATION_RE = re.compile(r"^http://data\.europa\.eu/esco/occupation/[0-9a-f-]{36}$")
ESCO_SKILL_RE = re.compile(r"^http://data\.europa\.eu/esco/skill/[0-9a-f-]{36}$")


def _shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared reference data not available: {path}")
    return path


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _duplicates(values: list[str]) -> list[str]:
    return [v for v, n in Counter(values).items() if n > 1]


# ---------------------------------------------------------------------------
# Codes and references
# ---------------------------------------------------------------------------


def test_codes_are_unique() -> None:
    assert _duplicates([s.code for s in vocab.SKILLS]) == []
    assert _duplicates([c.code for c in vocab.CERTIFICATES]) == []
    assert _duplicates([o.code for o in vocab.OCCUPATIONS]) == []
    assert _duplicates([r.name for r in vocab.REGIONS]) == []
    assert _duplicates([r.code for r in vocab.REGIONS]) == []
    assert _duplicates(list(vocab.SECTORS)) == []


def test_codes_are_snake_case_ascii() -> None:
    codes = [s.code for s in vocab.SKILLS] + [c.code for c in vocab.CERTIFICATES] + [o.code for o in vocab.OCCUPATIONS]
    assert [c for c in codes if not CODE_RE.match(c)] == []


def test_every_referenced_skill_and_certificate_exists() -> None:
    for occ in vocab.OCCUPATIONS:
        for code in occ.essential_skills + occ.optional_skills:
            assert code in vocab.SKILLS_BY_CODE, f"{occ.code}: unknown skill {code!r}"
        for code in occ.certificates:
            assert code in vocab.CERTIFICATES_BY_CODE, f"{occ.code}: unknown certificate {code!r}"


def test_every_skill_is_used_by_some_occupation() -> None:
    used = {code for occ in vocab.OCCUPATIONS for code in occ.essential_skills + occ.optional_skills}
    assert sorted(set(vocab.SKILLS_BY_CODE) - used) == []


def test_skill_lists_have_realistic_sizes_and_no_overlap() -> None:
    for occ in vocab.OCCUPATIONS:
        assert 3 <= len(occ.essential_skills) <= 6, occ.code
        assert 2 <= len(occ.optional_skills) <= 5, occ.code
        assert _duplicates(list(occ.essential_skills + occ.optional_skills)) == [], occ.code


def test_lookups_match_the_tables() -> None:
    assert list(vocab.SKILLS_BY_CODE.values()) == list(vocab.SKILLS)
    assert list(vocab.CERTIFICATES_BY_CODE.values()) == list(vocab.CERTIFICATES)
    assert list(vocab.REGIONS_BY_NAME.values()) == list(vocab.REGIONS)
    assert set(vocab.OCCUPATIONS_BY_SECTOR) == set(vocab.SECTORS)
    regrouped = [occ for sector in vocab.SECTORS for occ in vocab.OCCUPATIONS_BY_SECTOR[sector]]
    assert sorted(o.code for o in regrouped) == sorted(o.code for o in vocab.OCCUPATIONS)


# ---------------------------------------------------------------------------
# Occupations
# ---------------------------------------------------------------------------


def test_the_ten_sectors_each_have_two_occupations_or_more() -> None:
    ten = ("bouw", "infra", "techniek", "groen", "schoonmaak", "logistiek", "productie", "zorg", "horeca", "ict")
    assert ten == vocab.SECTORS
    for sector in vocab.SECTORS:
        assert len(vocab.OCCUPATIONS_BY_SECTOR[sector]) >= 2, sector


def test_occupation_mix_is_weighted_to_construction() -> None:
    assert 40 <= len(vocab.OCCUPATIONS) <= 55
    heavy = sum(1 for o in vocab.OCCUPATIONS if o.sector in {"bouw", "infra", "techniek"})
    assert 0.4 <= heavy / len(vocab.OCCUPATIONS) <= 0.6
    assert sum(o.entry_level for o in vocab.OCCUPATIONS) > len(vocab.OCCUPATIONS) / 2


def test_titles_are_noisy_but_contain_the_label() -> None:
    for occ in vocab.OCCUPATIONS:
        assert 4 <= len(occ.titles) <= 8, occ.code
        assert _duplicates(list(occ.titles)) == [], occ.code
        assert all(t.strip() == t and t for t in occ.titles), occ.code
        assert any(occ.nl.lower() in t.lower() for t in occ.titles), f"{occ.code}: no title with {occ.nl!r}"


def test_occupation_enums_are_the_domain_enums() -> None:
    for occ in vocab.OCCUPATIONS:
        assert occ.physical_load in set(PhysicalLoad), occ.code
        assert occ.min_language in set(LanguageLevel), occ.code
        assert occ.min_education is None or occ.min_education in set(EducationLevel), occ.code
        assert set(occ.licences) <= set(DrivingLicence), occ.code
        assert _duplicates(list(occ.licences)) == [], occ.code
        assert occ.hours, occ.code
        assert all(isinstance(h, int) and 4 <= h <= 40 for h in occ.hours), occ.code
        assert list(occ.hours) == sorted(set(occ.hours)), occ.code


def test_construction_work_asks_for_vca() -> None:
    for occ in vocab.OCCUPATIONS:
        if occ.sector in {"bouw", "infra"} and occ.code != "verkeersregelaar":
            assert "vca_basis" in occ.certificates, occ.code


def test_esco_uris_are_well_formed() -> None:
    assert [o.code for o in vocab.OCCUPATIONS if o.esco_uri and not ESCO_OCCUPATION_RE.match(o.esco_uri)] == []
    assert [s.code for s in vocab.SKILLS if s.esco_uri and not ESCO_SKILL_RE.match(s.esco_uri)] == []


# ---------------------------------------------------------------------------
# Skills and certificates
# ---------------------------------------------------------------------------


def test_skills_have_labels_and_few_synonyms() -> None:
    for skill in vocab.SKILLS:
        assert skill.nl.strip(), skill.code
        assert skill.en.strip(), skill.code
        assert len(skill.synonyms) <= 3, skill.code


def test_certificates_trainability() -> None:
    assert 12 <= len(vocab.CERTIFICATES) <= 16
    assert vocab.CERTIFICATES_BY_CODE["vca_basis"].trainable
    assert any(not c.trainable for c in vocab.CERTIFICATES)
    for code in ("vca_basis", "vca_vol", "heftruck", "reachtruck", "bhv", "ehbo", "hoogwerker", "haccp"):
        assert vocab.CERTIFICATES_BY_CODE[code].trainable, code


# ---------------------------------------------------------------------------
# Regions and towns
# ---------------------------------------------------------------------------


def test_region_shares_sum_to_one() -> None:
    assert math.isclose(math.fsum(r.share for r in vocab.REGIONS), 1.0, abs_tol=1e-9)
    assert all(r.share > 0 for r in vocab.REGIONS)
    assert max(vocab.REGIONS, key=lambda r: r.share).name == "Groningen"


def test_sector_weights_cover_every_sector() -> None:
    for region in vocab.REGIONS:
        assert set(region.sector_weights) == set(vocab.SECTORS), region.name
        assert all(w > 0 for w in region.sector_weights.values()), region.name
        assert math.isclose(math.fsum(region.sector_weights.values()), 1.0, abs_tol=1e-9), region.name


def test_groningen_leans_on_construction() -> None:
    def heavy(region: vocab.Region) -> float:
        return sum(region.sector_weights[s] for s in ("bouw", "infra", "techniek"))

    groningen = vocab.REGIONS_BY_NAME["Groningen"]
    assert all(heavy(groningen) > heavy(r) for r in vocab.REGIONS if r is not groningen)


def test_valuation_schemes_are_known() -> None:
    assert {r.valuation_scheme for r in vocab.REGIONS} <= set(BUILTIN_SCHEMES)
    assert vocab.REGIONS_BY_NAME["Groningen"].valuation_scheme == "oost_nl"
    assert vocab.REGIONS_BY_NAME["Holland Rijnland"].valuation_scheme == "holland_rijnland"
    assert vocab.REGIONS_BY_NAME["Midden-Utrecht"].valuation_scheme == "utrecht"


def test_towns_and_postcodes_are_well_formed() -> None:
    for region in vocab.REGIONS:
        assert 4 <= len(region.towns) <= 8, region.name
        assert math.isclose(math.fsum(t.weight for t in region.towns), 1.0, abs_tol=1e-6), region.name
        postcodes = [pc for t in region.towns for pc in t.postcodes]
        assert _duplicates(postcodes) == [], region.name
        for town in region.towns:
            assert 3 <= len(town.postcodes) <= 8, town.name
            assert all(isinstance(pc, str) and PC4_RE.match(pc) for pc in town.postcodes), town.name
            assert 50.7 < town.lat < 53.6, town.name
            assert 3.3 < town.lon < 7.3, town.name
            assert town.weight > 0, town.name


# ---------------------------------------------------------------------------
# Against the shared reference data
# ---------------------------------------------------------------------------


def test_postcodes_exist_near_their_town_and_in_their_region() -> None:
    with _shared("geo", "pc4_centroids.csv").open(encoding="utf-8", newline="") as fh:
        centroids = {row["pc4"]: row for row in csv.DictReader(fh)}
    for region in vocab.REGIONS:
        for town in region.towns:
            for pc in town.postcodes:
                assert pc in centroids, f"{town.name}: PC4 {pc} does not exist"
                row = centroids[pc]
                km = _distance_km(town.lat, town.lon, float(row["lat"]), float(row["lon"]))
                assert km <= 15.0, f"{town.name}: PC4 {pc} lies {km:.1f} km from the centre"
                # The six regions kept their 2015 names in the CBS 2025 list.
                assert row["regio_naam_2015"] == region.name, f"{town.name}: PC4 {pc} is in {row['regio_naam_2015']}"


def test_region_names_and_codes_are_cbs_2025() -> None:
    with _shared("geo", "arbeidsmarktregio_codes_2025_cbs.csv").open(encoding="utf-8", newline="") as fh:
        cbs = {row["statcode"]: row["statnaam"] for row in csv.DictReader(fh)}
    for region in vocab.REGIONS:
        assert cbs.get(region.code) == region.name, region.code


def test_occupation_esco_uris_exist() -> None:
    with _shared("esco", "occupations_nl.csv").open(encoding="utf-8", newline="") as fh:
        uris = {row["conceptUri"] for row in csv.DictReader(fh)}
    missing = [o.code for o in vocab.OCCUPATIONS if o.esco_uri is not None and o.esco_uri not in uris]
    assert missing == []


def test_skill_esco_uris_exist() -> None:
    with _shared("esco", "skills_en.csv").open(encoding="utf-8", newline="") as fh:
        uris = {row["conceptUri"] for row in csv.DictReader(fh)}
    missing = [s.code for s in vocab.SKILLS if s.esco_uri is not None and s.esco_uri not in uris]
    assert missing == []
