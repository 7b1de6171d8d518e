"""The domain entities stay in step with the format; the domain rules over tables."""

from __future__ import annotations

import pandas as pd
import pytest

from models.dataset import read_dataset
from models.entities import ENTITIES, TRANSITIONS, entity_field_names
from models.enums import PlacementStatus
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


def test_sroi_value_is_percentage_of_contract_unless_given(make_dataset: DatasetFactory) -> None:
    # O1: 5% of 800,000; O2: 5% of 12,000,000 but obligation_eur 300,000 given
    ds = read_dataset(make_dataset())
    assert obligation_values(ds.obligations).tolist() == [40_000.0, 300_000.0]


def test_displacement_warning_when_headcount_falls_below_baseline(make_dataset: DatasetFactory) -> None:
    # C1: 125 of 120 at award; C2: 30 of 40
    ds = read_dataset(make_dataset(("contractors", 1, "headcount_current", "30")))
    assert displacement_warnings(ds.contractors).tolist() == [False, True]
    unknown = ds.contractors.assign(headcount_current=pd.Series([pd.NA, pd.NA], dtype="Int64"))
    assert displacement_warnings(unknown).tolist() == [False, False]


def test_only_consenting_available_candidates_are_matchable() -> None:
    candidates = pd.DataFrame(
        {
            "consent": pd.array([True, False, True, True, None], dtype="boolean"),
            "status": [None, "beschikbaar", "inactief", "beschikbaar", "beschikbaar"],
        }
    )
    assert matchable(candidates).tolist() == [True, False, False, True, False]


def test_open_positions_count_only_occupying_placements_and_never_non_additional(make_dataset: DatasetFactory) -> None:
    # V1 offers 2 places with one placement gestart; V2 is not additional (verdringing)
    ds = read_dataset(make_dataset())
    assert open_positions(ds.vacancies, ds.placements).tolist() == [1, 0]
    proposed = read_dataset(
        make_dataset(("placements", 0, "status", "voorgesteld"), ("placements", 0, "retained_6m", ""))
    )
    assert open_positions(proposed.vacancies, proposed.placements).tolist() == [2, 0]


def test_placement_life_cycle() -> None:
    assert TRANSITIONS[PlacementStatus.VOORGESTELD] == {PlacementStatus.GEACCEPTEERD, PlacementStatus.BEEINDIGD}
    assert TRANSITIONS[PlacementStatus.GEACCEPTEERD] == {PlacementStatus.GESTART, PlacementStatus.BEEINDIGD}
    assert TRANSITIONS[PlacementStatus.GESTART] == {PlacementStatus.BEEINDIGD}
    assert TRANSITIONS[PlacementStatus.BEEINDIGD] == set()
    assert set(TRANSITIONS) == set(PlacementStatus)
