"""The batch match on a generated world: the rules a plan must keep, and the most placements possible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching

from matching import plan as plan_module
from matching.eligibility import screen
from matching.matcher import UnknownIdError
from matching.plan import (
    NO_ELIGIBLE_CANDIDATE,
    NOT_ADDITIONAL,
    PLAN_COLUMNS,
    UNFILLED_COLUMNS,
    UNPLACED_COLUMNS,
    PlanConfig,
    PlanResult,
    _places,
    make_plan,
)
from matching.prepare import Prepared
from matching.solver import SolverError
from models.rules import displacement_warnings
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    return worlds.prepared(400, 90, 7)


@pytest.fixture(scope="module")
def result(prepared: Prepared) -> PlanResult:
    # a narrow net, so that widening the net for open places is exercised too
    return make_plan(prepared, config=PlanConfig(arcs_per_place=2, min_arcs=3))


def _rows(p: Prepared, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return p.candidate_rows(frame["candidate_id"]), p.vacancy_rows(frame["vacancy_id"])


def test_the_outputs_have_the_spec_columns(result: PlanResult) -> None:
    assert list(result.plan.columns) == PLAN_COLUMNS
    assert PLAN_COLUMNS[:6] == ["candidate_id", "vacancy_id", "obligation_id", "score", "sroi_value_eur", "explanation"]
    assert list(result.unfilled.columns) == UNFILLED_COLUMNS
    assert list(result.unplaced.columns) == UNPLACED_COLUMNS
    assert result.plan["score"].between(0, 1).all()
    assert (result.plan["sroi_value_eur"] >= 0).all()


def test_every_planned_pair_keeps_every_rule(prepared: Prepared, result: PlanResult) -> None:
    ci, vi = _rows(prepared, result.plan)
    assert len(result.plan) > 20
    assert prepared.c_matchable[ci].all()  # consent and available
    assert (screen(prepared, ci, vi).reasons == 0).all()  # eligible, incl. previous employer and additional
    assert len(np.unique(ci)) == len(ci)  # one place per candidate
    capacity = _places(prepared).capacity
    assert (np.bincount(vi, minlength=prepared.n_vacancies) <= capacity).all()


def _maximum(p: Prepared, vetoed: frozenset[tuple[int, int]] = frozenset()) -> int:
    """The most placements over every eligible pair but the vetoed ones, by scipy's matching."""
    capacity = _places(p).capacity
    slots = np.repeat(np.arange(p.n_vacancies), capacity)  # one column per open place
    rows, cols = [], []
    for slot, v in enumerate(slots):
        ci = np.arange(p.n_candidates)
        ok = screen(p, ci, np.full(len(ci), v)).eligible
        ok &= np.array([(int(c), int(v)) not in vetoed for c in ci])
        rows.extend(ci[ok].tolist())
        cols.extend([slot] * int(ok.sum()))
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(p.n_candidates, len(slots)))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def test_the_plan_has_the_most_placements_over_all_eligible_pairs(prepared: Prepared, result: PlanResult) -> None:
    maximum = _maximum(prepared)
    assert len(result.plan) == maximum
    assert result.summary["objective"]["placements"] == maximum
    assert result.summary["counts"]["maximum_placements"] == maximum


@pytest.mark.parametrize("at_least", [1, plan_module.EXPAND_AT_LEAST])
def test_the_maximum_is_exact_with_the_narrowest_net_and_vetoes(
    prepared: Prepared, at_least: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One arc per vacancy: the most placements is only reached by screening again the vacancies an
    alternating path reaches (the nearest first, one vacancy a round with ``at_least`` 1, then free
    candidates first and every one if reached again); vetoed pairs count towards no maximum."""
    monkeypatch.setattr(plan_module, "EXPAND_AT_LEAST", at_least)
    narrow = PlanConfig(arcs_per_place=1, min_arcs=1)
    first = make_plan(prepared, config=narrow)
    assert first.summary["counts"]["vacancies_expanded"] > 0
    assert len(first.plan) == first.summary["counts"]["maximum_placements"] == _maximum(prepared)
    vetoed = list(zip(first.plan["candidate_id"][:8], first.plan["vacancy_id"][:8], strict=True))
    again = make_plan(prepared, config=narrow, forbidden=vetoed)
    ci, vi = prepared.candidate_rows([c for c, _ in vetoed]), prepared.vacancy_rows([v for _, v in vetoed])
    maximum = _maximum(prepared, frozenset(zip(ci.tolist(), vi.tolist(), strict=True)))
    assert len(again.plan) == again.summary["counts"]["maximum_placements"] == maximum
    planned = set(zip(again.plan["candidate_id"], again.plan["vacancy_id"], strict=True))
    assert not planned & set(vetoed)
    # nobody is said to have been eligible only through a pair the coach vetoed
    unplaced = again.unplaced.set_index("candidate_id")
    for c, v in vetoed:
        if c in unplaced.index:
            assert unplaced.loc[c, "nearest_vacancy_id"] != v


def test_places_left_open_and_people_left_out_say_why(prepared: Prepared, result: PlanResult) -> None:
    vac = prepared.ds.vacancies.set_index("vacancy_id")
    not_additional = result.unfilled[result.unfilled["reason"] == NOT_ADDITIONAL]
    assert len(not_additional) > 0
    assert (~vac.loc[not_additional["vacancy_id"], "additional"].astype(bool)).all()
    assert not set(not_additional["vacancy_id"]) & set(result.plan["vacancy_id"])  # never filled
    for v in result.unfilled.loc[result.unfilled["reason"] == NO_ELIGIBLE_CANDIDATE, "vacancy_id"]:
        row = int(prepared.vacancy_rows([v])[0])
        ci = np.arange(prepared.n_candidates)
        assert not screen(prepared, ci, np.full(len(ci), row)).eligible.any()
    unplaced = result.unplaced
    assert not set(unplaced["candidate_id"]) & set(result.plan["candidate_id"])
    assert prepared.c_matchable[prepared.candidate_rows(unplaced["candidate_id"])].all()
    open_rows = np.flatnonzero(_places(prepared).capacity > 0)
    for reason, rows in unplaced.groupby("reason"):
        ci = prepared.candidate_rows(rows["candidate_id"])
        vi = np.repeat(open_rows, len(ci))
        eligible = screen(prepared, np.tile(ci, len(open_rows)), vi).eligible.reshape(len(open_rows), len(ci))
        if reason == "places_taken_by_better_matches":  # eligible for some open place
            assert eligible.any(axis=0).all()
            assert (rows["nearest_vacancy_id"] != "").all()
        else:  # eligible for none
            assert not eligible.any(), reason
    lacking = unplaced[unplaced["reason"] == "no_eligible_vacancy"]
    assert len(lacking) > 0
    assert (lacking["missing"] != "").all()
    assert (lacking["nearest_vacancy_id"] != "").all()
    out_of_reach = unplaced[unplaced["reason"] == "no_open_vacancy_in_reach"]
    assert len(out_of_reach) > 0
    assert out_of_reach["missing"].str.contains("afstand").all()  # the closest place, and how far it is


def test_rows_of_contractors_below_their_baseline_are_flagged(prepared: Prepared, result: PlanResult) -> None:
    below = set(prepared.ds.contractors["contractor_id"][displacement_warnings(prepared.ds.contractors)])
    contractor = prepared.ds.vacancies.set_index("vacancy_id")["contractor_id"]
    expected = result.plan["vacancy_id"].map(contractor).isin(below)
    assert (result.plan["displacement_warning"] == expected).all()
    assert sorted(result.summary["displacement"]["contractors_below_baseline"]) == sorted(below)


def test_the_summary_reports_levels_bounds_and_obligations(result: PlanResult) -> None:
    s = result.summary
    objective = s["objective"]
    assert objective["sroi_eur"] <= objective["sroi_bound_eur"] + 1e-6
    assert 0 <= objective["sroi_gap"] <= 0.005  # goal: within half a percent
    assert s["solver"]["status"] in ("optimal", "feasible")
    assert s["obligations"]
    for o in s["obligations"]:
        assert o["planned_counted_eur"] <= max(o["required_eur"] - o["realised_eur"], 0) + 1.0
        assert 0 <= o["fulfilment_after_plan"] <= 1
    assert s["counts"]["vacancies_widened"] > 0


def test_the_same_input_gives_the_same_plan(prepared: Prepared, result: PlanResult) -> None:
    again = make_plan(prepared, config=PlanConfig(arcs_per_place=2, min_arcs=3))
    pd.testing.assert_frame_equal(result.plan, again.plan)
    pd.testing.assert_frame_equal(result.unplaced, again.unplaced)


def test_coach_decisions_are_kept(prepared: Prepared, result: PlanResult) -> None:
    first = result.plan.iloc[0]
    vetoed = make_plan(prepared, forbidden=[(first["candidate_id"], first["vacancy_id"])])
    pairs = set(zip(vetoed.plan["candidate_id"], vetoed.plan["vacancy_id"], strict=True))
    assert (first["candidate_id"], first["vacancy_id"]) not in pairs
    # lock someone the plan left out onto the vacancy nearest to them, where they are eligible
    out = result.unplaced[result.unplaced["reason"] == "places_taken_by_better_matches"].iloc[0]
    pair = (out["candidate_id"], out["nearest_vacancy_id"])
    kept = make_plan(prepared, locked=[pair])
    row = kept.plan[(kept.plan["candidate_id"] == pair[0]) & (kept.plan["vacancy_id"] == pair[1])]
    assert len(row) == 1
    assert bool(row["locked"].iloc[0])
    assert kept.summary["counts"]["locked"] == 1


def test_impossible_coach_decisions_are_refused(prepared: Prepared) -> None:
    with pytest.raises(UnknownIdError, match="unknown candidate or vacancy: nobody/V"):
        make_plan(prepared, locked=[("nobody", "V")])
    refused = prepared.candidate_ids[~prepared.ds.candidates["consent"].to_numpy(dtype=bool)][0]
    open_v = prepared.vacancy_ids[np.flatnonzero(_places(prepared).capacity > 0)[0]]
    with pytest.raises(SolverError, match=f"{refused}/{open_v} \\(no_consent"):
        make_plan(prepared, locked=[(refused, open_v)])
