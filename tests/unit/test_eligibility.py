"""Every hard rule of DOMAIN.md excludes a pair with its reason; unknown never excludes."""

from __future__ import annotations

from datetime import date

import pytest

from matching.eligibility import Reason, screen
from matching.matcher import Matcher
from matching.prepare import MatchConfig, Prepared
from models.dataset import read_dataset
from tests.conftest import DatasetFactory, Worlds

TODAY = date(2026, 3, 1)
# K1 lives in Groningen (given coordinates), V1 is C1's timmerman place in Groningen
HOME = (("candidates", 0, "lat", "53.2100"), ("candidates", 0, "lon", "6.5600"))


def reasons(make_dataset: DatasetFactory, *changes: tuple[str, int, str, str]) -> Reason:
    p = Prepared(read_dataset(make_dataset(*HOME, *changes)), config=MatchConfig(today=TODAY))
    s = screen(p, p.candidate_rows(["K1"]), p.vacancy_rows(["V1"]))
    return Reason(int(s.reasons[0]))


def test_the_base_pair_is_eligible(make_dataset: DatasetFactory) -> None:
    assert reasons(make_dataset) == Reason(0)


RULES = [
    ([("candidates", 0, "consent", "false")], Reason.NO_CONSENT),
    ([("candidates", 0, "status", "inactief")], Reason.STATUS),
    ([("candidates", 0, "status", "geplaatst")], Reason.STATUS),
    ([("vacancies", 0, "required_certificates", "vca_basis; heftruck")], Reason.CERTIFICATE),
    ([("vacancies", 0, "trainable_certificates", ""), ("candidates", 0, "certificates", "")], Reason.CERTIFICATE),
    ([("vacancies", 0, "required_licences", "C")], Reason.LICENCE),
    ([("candidates", 0, "driving_licences", "")], Reason.LICENCE),
    ([("candidates", 0, "language_level", "A1")], Reason.LANGUAGE),
    ([("vacancies", 0, "min_education_level", "mbo2")], Reason.EDUCATION),
    ([("candidates", 0, "physical_capacity", "middel")], Reason.PHYSICAL),
    ([("candidates", 0, "hours_min", "16"), ("candidates", 0, "hours_max", "24")], Reason.HOURS),
    ([("candidates", 0, "available_from", "2026-06-01")], Reason.AVAILABILITY),
    ([("candidates", 0, "lat", "51.4416"), ("candidates", 0, "lon", "5.4697")], Reason.DISTANCE),  # Eindhoven
    ([("candidates", 0, "max_travel_km", "1")], Reason.DISTANCE),
    ([("candidates", 0, "previous_employers", "C1")], Reason.PREVIOUS_EMPLOYER),
    ([("candidates", 0, "target_group", "wajong")], Reason.TARGET_GROUP),
    ([("vacancies", 0, "additional", "false")], Reason.NOT_ADDITIONAL),
]


@pytest.mark.parametrize(("changes", "reason"), RULES, ids=[f"{r.name}-{i}" for i, (_, r) in enumerate(RULES)])
def test_each_rule_excludes_with_its_reason(
    make_dataset: DatasetFactory, changes: list[tuple[str, int, str, str]], reason: Reason
) -> None:
    assert reasons(make_dataset, *changes) == reason


def test_several_reasons_are_all_named(make_dataset: DatasetFactory) -> None:
    got = reasons(make_dataset, ("candidates", 0, "consent", "false"), ("candidates", 0, "previous_employers", "C1"))
    assert got == Reason.NO_CONSENT | Reason.PREVIOUS_EMPLOYER


UNKNOWN_IS_NOT_A_FAILURE = [
    ("candidates", 0, "language_level", ""),
    ("candidates", 0, "education_level", ""),
    ("candidates", 0, "physical_capacity", ""),
    ("candidates", 0, "available_from", ""),
    ("candidates", 0, "hours_min", ""),
]


@pytest.mark.parametrize("change", UNKNOWN_IS_NOT_A_FAILURE, ids=[c[2] for c in UNKNOWN_IS_NOT_A_FAILURE])
def test_unknown_fields_do_not_exclude(make_dataset: DatasetFactory, change: tuple[str, int, str, str]) -> None:
    assert reasons(make_dataset, change, ("vacancies", 0, "min_education_level", "mbo1")) == Reason(0)


def test_unknown_location_does_not_exclude(make_dataset: DatasetFactory) -> None:
    assert reasons(make_dataset, ("candidates", 0, "lat", ""), ("candidates", 0, "lon", "")) == Reason(0)


def test_a_trainable_certificate_is_a_soft_gap_not_an_exclusion(make_dataset: DatasetFactory) -> None:
    p = Prepared(
        read_dataset(make_dataset(*HOME, ("candidates", 0, "certificates", ""))), config=MatchConfig(today=TODAY)
    )
    s = screen(p, p.candidate_rows(["K1"]), p.vacancy_rows(["V1"]))
    assert s.eligible[0]
    assert s.soft_gaps[0] == 1
    row = Matcher(p).score_pairs(["K1"], ["V1"]).iloc[0]
    assert "VCA Basis te behalen" in row["explanation"]
    assert "soft_gap:vca_basis" in row["reasons"]


def test_a_higher_licence_implies_the_lower_ones(make_dataset: DatasetFactory) -> None:
    assert reasons(make_dataset, ("candidates", 0, "driving_licences", "CE")) == Reason(0)


def test_hours_max_is_a_capacity(make_dataset: DatasetFactory) -> None:
    # the vacancy asks 36 hours: a candidate who can work at most 35 never fits it
    assert reasons(make_dataset, ("candidates", 0, "hours_max", "36")) == Reason(0)
    assert reasons(make_dataset, ("candidates", 0, "hours_max", "35")) == Reason.HOURS


def test_hours_below_the_minimum_only_within_the_setting(make_dataset: DatasetFactory) -> None:
    ds = read_dataset(make_dataset(("candidates", 0, "hours_min", "38"), ("candidates", 0, "hours_max", "40")))
    strict = Prepared(ds, config=MatchConfig(today=TODAY))
    lenient = Prepared(ds, config=MatchConfig(today=TODAY, hours_below_min=2))
    for p, expected in ((strict, Reason.HOURS), (lenient, Reason(0))):
        s = screen(p, p.candidate_rows(["K1"]), p.vacancy_rows(["V1"]))
        assert Reason(int(s.reasons[0])) & Reason.HOURS == expected
    # and the explanation says so
    from matching.explain import explain
    from matching.features import pair_features

    s = screen(lenient, lenient.candidate_rows(["K1"]), lenient.vacancy_rows(["V1"]))
    assert s.eligible[0]
    text = explain(lenient, s, pair_features(lenient, s), None)[0].text
    assert "36 uur, minder dan de gewenste 38." in text


def test_location_falls_back_to_postcode_table(make_dataset: DatasetFactory) -> None:
    from matching.geo import PostcodeTable

    table = PostcodeTable.from_columns(["9401", "5611"], [52.99, 51.44], [6.56, 5.47])
    ds = read_dataset(make_dataset(("candidates", 0, "max_travel_km", "10")))  # K1 only has postcode 9401AB (Assen)
    p = Prepared(ds, config=MatchConfig(today=TODAY), postcodes=table)
    s = screen(p, p.candidate_rows(["K1"]), p.vacancy_rows(["V1"]))
    assert 20 < s.km[0] < 30  # Assen to Groningen
    assert Reason(int(s.reasons[0])) == Reason.DISTANCE


def test_ineligible_pairs_are_explained_in_dutch(make_dataset: DatasetFactory) -> None:
    p = Prepared(
        read_dataset(
            make_dataset(*HOME, ("candidates", 0, "language_level", "A1"), ("vacancies", 0, "required_licences", "C"))
        ),
        config=MatchConfig(today=TODAY),
    )
    row = Matcher(p).score_pairs(["K1"], ["V1"]).iloc[0]
    assert not row["eligible"]
    assert row["score"] == 0
    assert "mist rijbewijs C" in row["explanation"]
    assert "taalniveau A1, vereist A2" in row["explanation"]
    assert row["reasons"].startswith("not_eligible:licence|language")


def test_the_spatial_pre_filter_never_drops_an_eligible_candidate(worlds: Worlds) -> None:
    """suggest_for_vacancy screens only candidates in travel reach; the full screen finds no one else."""
    import numpy as np

    p = worlds.prepared(3000, 900, 5)
    everyone = np.arange(p.n_candidates)
    for v in range(0, p.n_vacancies, 7):
        full = screen(p, everyone, np.full(p.n_candidates, v))
        reach = p.candidates_in_reach(v)
        assert set(np.flatnonzero(full.eligible)) <= set(reach.tolist())
        within = (full.reasons & np.uint32(Reason.DISTANCE)) == 0  # in travel distance, whatever else
        assert set(np.flatnonzero(within)) <= set(reach.tolist())
        assert len(reach) < p.n_candidates or np.isnan(p.v_lat[v])
