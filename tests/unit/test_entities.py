"""The domain entities stay in step with the format and state its rules."""

from __future__ import annotations

from datetime import date

import pytest

from models.dataset import read_dataset
from models.entities import (
    ENTITIES,
    Candidate,
    Contractor,
    InvalidTransition,
    Obligation,
    Placement,
    Vacancy,
    entity_field_names,
)
from models.enums import CandidateStatus, PlacementStatus, TargetGroup
from models.rules import displacement_warnings, matchable, obligation_values, open_positions
from models.schema import FILES_BY_NAME
from tests.conftest import DatasetFactory


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_entity_fields_follow_the_schema(name: str) -> None:
    assert entity_field_names(ENTITIES[name]) == FILES_BY_NAME[name].column_names


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_rows_become_entities(make_dataset: DatasetFactory, name: str) -> None:
    ds = read_dataset(make_dataset())
    entities = [ENTITIES[name](**row) for row in ds.records(name)]
    assert len(entities) == len(ds.table(name))


def test_sroi_value_is_percentage_of_contract_unless_given() -> None:
    o = Obligation("O1", "C1", "Gemeente Groningen", "T", contract_value_eur=800_000, sroi_percentage=5)
    assert o.sroi_value_eur == 40_000
    capped = Obligation("O2", "C1", "G", "T", contract_value_eur=12_000_000, sroi_percentage=5, obligation_eur=300_000)
    assert capped.sroi_value_eur == 300_000


def test_vectorised_rules_agree_with_entities(make_dataset: DatasetFactory) -> None:
    ds = read_dataset(make_dataset(("contractors", 1, "headcount_current", "30")))
    obligations = [Obligation(**r) for r in ds.records("obligations")]
    assert obligation_values(ds.obligations).tolist() == [o.sroi_value_eur for o in obligations]
    candidates = [Candidate(**r) for r in ds.records("candidates")]
    assert matchable(ds.candidates).tolist() == [c.matchable for c in candidates]
    contractors = [Contractor(**r) for r in ds.records("contractors")]
    assert displacement_warnings(ds.contractors).tolist() == [c.displacement_warning for c in contractors]
    assert displacement_warnings(ds.contractors).tolist() == [False, True]


def test_open_positions_count_only_occupying_placements_and_never_non_additional(make_dataset: DatasetFactory) -> None:
    # V1 offers 2 places with one placement gestart; V2 is not additional (verdringing)
    ds = read_dataset(make_dataset())
    assert open_positions(ds.vacancies, ds.placements).tolist() == [1, 0]
    proposed = read_dataset(
        make_dataset(("placements", 0, "status", "voorgesteld"), ("placements", 0, "retained_6m", ""))
    )
    assert open_positions(proposed.vacancies, proposed.placements).tolist() == [2, 0]


def test_candidate_defaults_and_consent() -> None:
    c = Candidate("K1", TargetGroup.WW, consent=True)
    assert c.matchable
    assert c.hours_range == (0, 40)
    assert c.effective_max_travel_km == 25
    assert not Candidate("K2", TargetGroup.WW, consent=False).matchable
    assert not Candidate("K3", TargetGroup.WW, consent=True, status=CandidateStatus.INACTIEF).matchable
    assert Candidate("K4", TargetGroup.WW, birth_year=1970).age_on(date(2026, 1, 1)) == 56


def test_obligation_counts_only_allowed_target_groups() -> None:
    o = Obligation("O1", "C1", "G", "T", allowed_target_groups=(TargetGroup.PARTICIPATIEWET,))
    assert o.counts_target_group(TargetGroup.PARTICIPATIEWET)
    assert not o.counts_target_group(TargetGroup.WW)
    assert Obligation("O2", "C1", "G", "T").counts_target_group(TargetGroup.WW)


def test_placement_life_cycle() -> None:
    p = Placement("P1", "K1", "V1", status=PlacementStatus.VOORGESTELD)
    p.check_transition(PlacementStatus.GEACCEPTEERD)
    with pytest.raises(InvalidTransition, match="voorgesteld and cannot become gestart"):
        p.check_transition(PlacementStatus.GESTART)
    ended = Placement("P2", "K1", "V1", status=PlacementStatus.BEEINDIGD)
    with pytest.raises(InvalidTransition, match="none: it has ended"):
        ended.check_transition(PlacementStatus.GESTART)


def test_hard_certificates_exclude_trainable_ones() -> None:
    v = Vacancy("V1", "C1", required_certificates=("vca_basis", "heftruck"), trainable_certificates=("vca_basis",))
    assert v.hard_certificates == ("heftruck",)
