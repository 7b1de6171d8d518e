"""Tender calendar and training needs: tiny hand-made pools whose counts are worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from matching.monitoring.training import (
    CALENDAR_COLUMNS,
    CANDIDATE_COLUMNS,
    DEMAND_COLUMNS,
    ONE_STEP_COLUMNS,
    TrainingNeeds,
    sentence,
    training_needs,
)
from models.dataset import Dataset, table_from_records
from tests.conftest import Worlds

TODAY = date(2026, 10, 1)
GRONINGEN = (53.2194, 6.5665)  # the contractor's site
NEARBY = (53.2100, 6.5600)  # about 1 km away
EINDHOVEN = (51.4416, 5.4697)

CONTRACTORS = [
    {"contractor_id": "C1", "name": "Bouwbedrijf Noord B.V.", "lat": GRONINGEN[0], "lon": GRONINGEN[1]},
    {"contractor_id": "C2", "name": "Infra Noord B.V.", "lat": GRONINGEN[0], "lon": GRONINGEN[1]},
]
OBLIGATION = {
    "contractor_id": "C1",
    "client": "Gemeente Groningen",
    "sector": "bouw",
    "contract_value_eur": 800_000,
    "sroi_percentage": 5,
    "award_date": date(2026, 6, 1),
}
OBLIGATIONS = [
    {**OBLIGATION, "obligation_id": "O1", "tender_name": "Versterking woningen Appingedam",
     "start_date": date(2027, 1, 1), "end_date": date(2028, 12, 31)},
    {**OBLIGATION, "obligation_id": "O2", "tender_name": "Nieuwbouw sporthal", "start_date": date(2026, 2, 1),
     "end_date": date(2027, 12, 31)},  # running
    {**OBLIGATION, "obligation_id": "O3", "tender_name": "Onderhoud wegen", "start_date": date(2024, 1, 1),
     "end_date": date(2025, 12, 31)},  # ended
]  # fmt: skip


def vacancy(vacancy_id: str, **fields: object) -> dict[str, object]:
    """A future timmerman place of C1 asking VCA Basis (not trainable) and licence B."""
    return {
        "vacancy_id": vacancy_id,
        "contractor_id": "C1",
        "obligation_id": "O1",
        "title": "Timmerman (m/v)",
        "occupation": "timmerman",
        "required_certificates": ("vca_basis",),
        "required_licences": ("B",),
        "hours_per_week": 36,
        "positions": 1,
        "additional": True,
        **fields,
    }


def candidate(candidate_id: str, **fields: object) -> dict[str, object]:
    """A matchable candidate near the site, holding licence B and no certificate."""
    return {
        "candidate_id": candidate_id,
        "target_group": "participatiewet",
        "lat": NEARBY[0],
        "lon": NEARBY[1],
        "driving_licences": ("B",),
        "consent": True,
        "status": "beschikbaar",
        **fields,
    }


def dataset(
    candidates: list[dict[str, object]],
    vacancies: list[dict[str, object]],
    *,
    obligations: list[dict[str, object]] | None = None,
    placements: list[dict[str, object]] | None = None,
) -> Dataset:
    return Dataset(
        contractors=table_from_records("contractors", CONTRACTORS),
        obligations=table_from_records("obligations", OBLIGATIONS if obligations is None else obligations),
        vacancies=table_from_records("vacancies", vacancies),
        candidates=table_from_records("candidates", candidates),
        placements=table_from_records("placements", placements or []),
    )


def needs(candidates: list[dict[str, object]], vacancies: list[dict[str, object]], **kw: object) -> TrainingNeeds:
    return training_needs(dataset(candidates, vacancies, **kw), TODAY)  # type: ignore[arg-type]


def row(frame: pd.DataFrame, kind: str, item: str) -> dict[str, object]:
    hit = frame[(frame["kind"] == kind) & (frame["item"] == item)]
    assert len(hit) == 1, f"{kind} {item} not exactly once in\n{frame}"
    return dict(hit.iloc[0])


def pairs(result: TrainingNeeds) -> set[tuple[str, str, str, str]]:
    return {tuple(r) for r in result.candidates[CANDIDATE_COLUMNS].itertuples(index=False)}


# -- the worked example -----------------------------------------------------------------------------


@pytest.fixture
def example() -> TrainingNeeds:
    """3 future places asking VCA Basis and licence B; of 4 candidates in reach K1 holds both, K2 and K3
    lack only VCA, K4 lacks VCA and licence B."""
    return needs(
        [
            candidate("K1", certificates=("VCA Basis",)),
            candidate("K2"),
            candidate("K3"),
            candidate("K4", driving_licences=()),
        ],
        [vacancy("V1", positions=2), vacancy("V2")],
    )


def test_the_frames_have_their_columns(example: TrainingNeeds) -> None:
    assert list(example.calendar.columns) == CALENDAR_COLUMNS
    assert list(example.demand.columns) == DEMAND_COLUMNS
    assert list(example.one_step.columns) == ONE_STEP_COLUMNS
    assert list(example.candidates.columns) == CANDIDATE_COLUMNS


def test_ready_and_one_step_are_counted_per_item(example: TrainingNeeds) -> None:
    vca = row(example.demand, "certificate", "vca_basis")
    assert vca == {"kind": "certificate", "item": "vca_basis", "label": "VCA Basis", "places": 3, "ready": 1,
                   "one_step": 2, "shortage": 2}  # fmt: skip
    licence = row(example.demand, "licence", "B")
    assert (licence["places"], licence["ready"], licence["one_step"]) == (3, 1, 0)  # K4 lacks two things
    occupation = row(example.demand, "occupation", "timmerman")
    assert (occupation["label"], occupation["places"], occupation["ready"], occupation["one_step"]) == (
        "Timmerman", 3, 1, 2
    )  # fmt: skip


def test_one_step_names_the_course_and_what_it_unlocks(example: TrainingNeeds) -> None:
    assert len(example.one_step) == 1
    vca = row(example.one_step, "certificate", "vca_basis")
    assert (vca["candidates"], vca["places"], vca["vacancies"]) == (2, 3, 2)
    assert vca["text"] == "Een cursus VCA Basis maakt 2 kandidaten geschikt voor 3 plaatsen."
    assert pairs(example) == {
        ("K2", "certificate", "vca_basis", "V1"),
        ("K2", "certificate", "vca_basis", "V2"),
        ("K3", "certificate", "vca_basis", "V1"),
        ("K3", "certificate", "vca_basis", "V2"),
    }


def test_the_sentence_speaks_of_one_candidate_and_one_place() -> None:
    assert (
        sentence("certificate", "VCA Basis", 1, 1) == "Een cursus VCA Basis maakt 1 kandidaat geschikt voor 1 plaats."
    )
    assert sentence("licence", "rijbewijs C", 3, 2).startswith("Een rijopleiding voor rijbewijs C maakt 3 kandidaten")
    assert sentence("skill", "metselen", 2, 5) == "Een training metselen maakt 2 kandidaten geschikt voor 5 plaatsen."


def test_demand_is_sorted_by_shortage_then_places() -> None:
    result = needs(
        [candidate("K1", certificates=("vca_basis",))],
        [vacancy("V1", positions=4), vacancy("V2", required_certificates=("bhv",), required_licences=())],
    )
    demand = result.demand
    # the occupation: 5 places, 1 ready; B and VCA: 4 places, 1 ready (a tie, by item); BHV: 1 place
    assert demand[["kind", "item", "places", "ready", "shortage"]].values.tolist() == [
        ["occupation", "timmerman", 5, 1, 4],
        ["licence", "B", 4, 1, 3],
        ["certificate", "vca_basis", 4, 1, 3],
        ["certificate", "bhv", 1, 0, 1],
    ]


# -- what counts as a gap -----------------------------------------------------------------------------


def test_a_trainable_certificate_is_not_a_gap() -> None:
    result = needs(
        [candidate("K1"), candidate("K2", certificates=("vca_basis",))],
        [vacancy("V1", trainable_certificates=("VCA Basis",))],
    )
    assert result.one_step.empty
    assert result.candidates.empty
    vca = row(result.demand, "certificate", "vca_basis")
    # both are eligible; K2 holds it, K1 would take the course on the job
    assert (vca["places"], vca["ready"], vca["one_step"]) == (1, 1, 1)
    assert row(result.demand, "occupation", "timmerman")["ready"] == 2


def test_a_missing_required_skill_is_a_gap() -> None:
    result = needs(
        [candidate("K1", skills=("timmeren",)), candidate("K2")],
        [vacancy("V1", required_certificates=(), required_skills=("Timmeren",))],
    )
    skill = row(result.one_step, "skill", "timmeren")
    assert skill["label"] == "timmeren en houtconstructies plaatsen"
    assert (
        skill["text"] == "Een training timmeren en houtconstructies plaatsen maakt 1 kandidaat geschikt voor 1 plaats."
    )
    assert pairs(result) == {("K2", "skill", "timmeren", "V1")}
    assert row(result.demand, "skill", "timmeren")["ready"] == 1


def test_a_licence_counts_with_the_ones_it_implies() -> None:
    result = needs([candidate("K1", driving_licences=("CE",))], [vacancy("V1", required_certificates=())])
    assert row(result.demand, "licence", "B")["ready"] == 1


def test_surface_variants_are_one_item() -> None:
    result = needs(
        [candidate("K1", certificates=("VCA-basis",)), candidate("K2", certificates=("Basisveiligheid VCA",))],
        [vacancy("V1", required_certificates=("VCA-basis",)), vacancy("V2", required_certificates=("vca_basis",))],
    )
    certificates = result.demand[result.demand["kind"] == "certificate"]
    assert certificates["item"].tolist() == ["vca_basis"]
    assert row(result.demand, "certificate", "vca_basis")["places"] == 2
    assert row(result.demand, "certificate", "vca_basis")["ready"] == 2


def test_free_text_stays_a_cleaned_label() -> None:
    result = needs(
        [candidate("K1"), candidate("K2", certificates=("Veiligheidspaspoort XYZ",))],
        [vacancy("V1", required_certificates=("Veiligheidspaspoort  XYZ!",))],
    )
    free = row(result.one_step, "certificate", "veiligheidspaspoort xyz")
    assert free["label"] == "veiligheidspaspoort xyz"
    assert free["candidates"] == 1
    assert row(result.demand, "certificate", "veiligheidspaspoort xyz")["ready"] == 1


# -- who is in the pool and in reach ------------------------------------------------------------------


def test_only_matchable_candidates_count() -> None:
    result = needs(
        [candidate("K1", consent=False), candidate("K2", status="inactief"), candidate("K3", status="geplaatst")],
        [vacancy("V1", required_certificates=())],
    )
    assert row(result.demand, "occupation", "timmerman")["ready"] == 0
    assert result.candidates.empty


def test_a_candidate_out_of_reach_is_not_counted() -> None:
    result = needs(
        [
            candidate("FAR", lat=EINDHOVEN[0], lon=EINDHOVEN[1]),
            candidate("SHORT", max_travel_km=0.5),  # about 1 km away
            candidate("NEAR", max_travel_km=2),
            candidate("NOWHERE", lat=None, lon=None),  # unknown location never excludes
        ],
        [vacancy("V1", required_certificates=())],
    )
    assert row(result.demand, "occupation", "timmerman")["ready"] == 2
    assert row(result.demand, "licence", "B")["ready"] == 2


def test_a_place_without_location_is_in_reach_of_everyone() -> None:
    result = needs(
        [candidate("K1", lat=EINDHOVEN[0], lon=EINDHOVEN[1]), candidate("K2")],
        [vacancy("V1", contractor_id="C9", required_certificates=())],  # C9: no contractor row, no location
    )
    assert row(result.demand, "occupation", "timmerman")["ready"] == 2


def test_an_unlocated_candidate_gets_their_regions_centre() -> None:
    result = needs(
        [
            candidate("K1", lat=EINDHOVEN[0], lon=EINDHOVEN[1], region="Zuidoost-Brabant"),
            candidate("K2", lat=None, lon=None, region="Zuidoost-Brabant"),  # placed in Eindhoven, too far
        ],
        [vacancy("V1", required_certificates=())],
    )
    assert row(result.demand, "occupation", "timmerman")["ready"] == 0


def test_the_travel_radius_is_exact() -> None:
    km = 1.1313  # the vacancy is 1.13130 km from NEARBY
    inside, outside = candidate("IN", max_travel_km=km), candidate("OUT", max_travel_km=km - 0.0001)
    result = needs([inside, outside], [vacancy("V1", required_certificates=())])
    assert row(result.demand, "occupation", "timmerman")["ready"] == 1


# -- the hard rules that are not gaps -----------------------------------------------------------------

FAILS = {
    "language": ({"language_level": "A1"}, {"min_language_level": "A2"}),
    "education": ({"education_level": "vmbo"}, {"min_education_level": "mbo2"}),
    "physical": ({"physical_capacity": "middel"}, {"physical_load": "zwaar"}),
    "hours": ({"hours_min": 16, "hours_max": 24}, {"hours_per_week": 36}),
    "previous employer": ({"previous_employers": ("C1",)}, {}),
    "target group": ({"target_group": "wajong"}, {"obligation_id": "O4"}),
}
O4 = {**OBLIGATIONS[0], "obligation_id": "O4", "allowed_target_groups": ("participatiewet", "ww")}


@pytest.mark.parametrize(("cand", "vac"), FAILS.values(), ids=FAILS.keys())
def test_a_failed_hard_rule_is_neither_ready_nor_one_step(cand: dict[str, object], vac: dict[str, object]) -> None:
    result = needs([candidate("K1", **cand)], [vacancy("V1", **vac)], obligations=[*OBLIGATIONS, O4])
    vca = row(result.demand, "certificate", "vca_basis")
    assert (vca["ready"], vca["one_step"]) == (0, 0)
    assert result.candidates.empty


def test_hours_above_the_maximum_never_pass() -> None:
    result = needs([candidate("K1", hours_min=16, hours_max=32)], [vacancy("V1", hours_per_week=36)])
    assert pairs(result) == set()
    result = needs([candidate("K1", hours_min=16, hours_max=36)], [vacancy("V1", hours_per_week=36)])
    assert pairs(result) == {("K1", "certificate", "vca_basis", "V1")}


def test_unknown_values_do_not_exclude() -> None:
    strict = {"min_language_level": "B1", "min_education_level": "mbo2", "physical_load": "zwaar"}
    result = needs([candidate("K1")], [vacancy("V1", **strict)])
    assert pairs(result) == {("K1", "certificate", "vca_basis", "V1")}


def test_previous_employer_excludes_only_that_contractor() -> None:
    result = needs(
        [candidate("K1", previous_employers=("C1",))],
        [vacancy("V1"), vacancy("V2", contractor_id="C2")],
    )
    assert pairs(result) == {("K1", "certificate", "vca_basis", "V2")}


# -- the calendar: which places are future places -------------------------------------------------


def test_the_calendar_lists_obligations_that_have_not_started() -> None:
    result = needs(
        [candidate("K1")],
        [
            vacancy("V1", positions=3),
            vacancy("V2", positions=2, additional=False),  # displacement: never a place
            vacancy("V3", obligation_id="O2"),  # running
            vacancy("V4", obligation_id="O3"),  # ended
            vacancy("V5", obligation_id=None, start_date=date(2027, 3, 1)),  # no obligation: its own start
            vacancy("V6", obligation_id=None, start_date=date(2026, 5, 1)),
        ],
        placements=[
            {
                "placement_id": "P1",
                "candidate_id": "K1",
                "vacancy_id": "V1",
                "start_date": date(2027, 1, 1),
                "hours_per_week": 36,
                "status": "geaccepteerd",
            },
        ],
    )
    calendar = result.calendar
    assert calendar["obligation_id"].tolist() == ["O1"]
    first = calendar.iloc[0]
    assert (first["tender_name"], first["client"], first["contractor_id"], first["sector"]) == (
        "Versterking woningen Appingedam", "Gemeente Groningen", "C1", "bouw"
    )  # fmt: skip
    assert first["places"] == 2  # 3 positions, 1 taken
    assert first["obligation_eur"] == pytest.approx(40_000.0)
    assert first["start_date"] == pd.Timestamp(2027, 1, 1)
    # the future places: V1 (2 open) and V5
    assert row(result.demand, "occupation", "timmerman")["places"] == 3
    assert {v for *_, v in pairs(result)} == {"V1", "V5"}


def test_the_calendar_is_sorted_by_start_date() -> None:
    later = {**OBLIGATIONS[0], "obligation_id": "O0", "start_date": date(2027, 6, 1)}
    sooner = {**OBLIGATIONS[0], "obligation_id": "O9", "start_date": date(2026, 11, 1)}
    result = needs([candidate("K1")], [vacancy("V1")], obligations=[*OBLIGATIONS, later, sooner])
    assert result.calendar["obligation_id"].tolist() == ["O9", "O1", "O0"]
    assert result.calendar["places"].tolist() == [0, 1, 0]


def test_nothing_in_the_future_gives_empty_frames() -> None:
    result = needs([candidate("K1")], [vacancy("V1", obligation_id="O2")], obligations=OBLIGATIONS[1:])
    for frame in (result.calendar, result.demand, result.one_step, result.candidates):
        assert frame.empty
    assert list(result.demand.columns) == DEMAND_COLUMNS
    assert list(result.one_step.columns) == ONE_STEP_COLUMNS
    assert list(result.calendar.columns) == CALENDAR_COLUMNS


def test_no_candidates_leaves_the_whole_demand_short() -> None:
    result = needs([], [vacancy("V1", positions=2)])
    assert set(result.demand["shortage"]) == {2}
    assert set(result.demand["ready"]) == {0}
    assert result.candidates.empty


# -- consistent with the matcher -------------------------------------------------------------------


def test_one_step_pairs_agree_with_the_matchers_screen(worlds: Worlds) -> None:
    """On a generated world, the one-step pairs are those the matcher's own screen finds exactly one gap
    item away (availability aside), across blocks, travel-radius classes and unknown locations."""
    from matching.eligibility import Reason, screen
    from matching.monitoring.training import _future_vacancies

    world = worlds.dataset(400, 200, 11)
    result = training_needs(world, TODAY)
    p = worlds.prepared(400, 200, 11, today=TODAY)
    future = _future_vacancies(world, np.datetime64(TODAY))[0]
    pool = np.flatnonzero(p.c_matchable)
    ci, vi = np.repeat(pool, len(future)), np.tile(future, len(pool))
    s = screen(p, ci, vi)
    other = s.reasons & ~np.uint32(Reason.CERTIFICATE | Reason.LICENCE | Reason.AVAILABILITY)
    skills = np.diff(p.v_req.indptr)[vi] - np.asarray(p.c_skills[ci].multiply(p.v_req[vi]).sum(axis=1)).ravel()
    one = (other == 0) & (s.hard_missing + s.licences_missing + skills == 1)
    expected = set(zip(p.candidate_ids[ci[one]], p.vacancy_ids[vi[one]], strict=True))
    got = set(zip(result.candidates["candidate_id"], result.candidates["vacancy_id"], strict=True))
    assert len(expected) > 20
    assert got == expected
    per_item = result.candidates.groupby(["kind", "item"])["candidate_id"].nunique()
    assert per_item.to_dict() == result.one_step.set_index(["kind", "item"])["candidates"].to_dict()
