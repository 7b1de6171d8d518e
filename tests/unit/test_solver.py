"""The solver against brute force on tiny instances, for all three levels; locks, vetoes, components."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solver import Problem, SolverError, solve
from matching.solver.flow import EXACT_ARCS


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_c = draw(st.integers(1, 5))
    n_v = draw(st.integers(1, 3))
    n_o = draw(st.integers(1, 2))
    pairs = [(c, v) for c in range(n_c) for v in range(n_v)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    arcs = [pair for pair, k in zip(pairs, keep, strict=True) if k] or [pairs[0]]
    n = len(arcs)
    value = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    retention = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
    # an arc counts for an obligation chosen per arc (the candidate's group decides which)
    obligation = draw(st.lists(st.integers(-1, n_o - 1), min_size=n, max_size=n))
    return Problem(
        n_candidates=n_c,
        arc_c=np.array([c for c, _ in arcs]),
        arc_v=np.array([v for _, v in arcs]),
        value=np.array(value, dtype=float),
        retention=np.array(retention) / 1000.0,  # whole thousandths: level 3 is exact too
        capacity=np.array(draw(st.lists(st.integers(0, 2), min_size=n_v, max_size=n_v))),
        arc_obligation=np.array(obligation),
        need=np.array(draw(st.lists(st.integers(0, 80), min_size=n_o, max_size=n_o)), dtype=float),
    )


def brute_force(p: Problem) -> tuple[int, float, float]:
    """The best (placements, capped value, retention) over every feasible set of arcs."""
    options = [[None, *np.flatnonzero(p.arc_c == c)] for c in range(p.n_candidates)]
    best = (0, 0.0, 0.0)
    for pick in itertools.product(*options):
        arcs = np.array([a for a in pick if a is not None], dtype=int)
        if arcs.size and (np.bincount(p.arc_v[arcs], minlength=p.n_vacancies) > p.capacity).any():
            continue
        score = (len(arcs), p.sroi(arcs), round(float(p.retention[arcs].sum()), 6))
        best = max(best, score)
    return best


def feasible(p: Problem, chosen: np.ndarray) -> bool:
    once = len(np.unique(p.arc_c[chosen])) == len(chosen)
    fits = (np.bincount(p.arc_v[chosen], minlength=p.n_vacancies) <= p.capacity).all()
    return bool(once and fits)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_the_solver_equals_brute_force_on_all_three_levels(p: Problem) -> None:
    solution = solve(p)
    placements, value, retention = brute_force(p)
    assert feasible(p, solution.chosen)
    assert solution.placements == placements
    assert solution.sroi_eur == pytest.approx(value)
    assert solution.retention == pytest.approx(retention, abs=1e-9)
    assert solution.status == "optimal"
    assert solution.sroi_gap == 0.0


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(problems())
def test_without_the_exact_repair_placements_stay_exact_and_the_bound_holds(p: Problem) -> None:
    solution = solve(p, exact_arcs=0)  # every capped component goes the Lagrangian way
    placements, value, retention = brute_force(p)
    assert feasible(p, solution.chosen)
    assert solution.placements == placements  # level 1 is never traded
    assert solution.sroi_eur <= value + 1e-9
    assert solution.sroi_bound_eur >= value - 1e-9  # the reported bound is a true bound
    if solution.sroi_eur == pytest.approx(value):  # the best plan's retention is bounded too
        assert solution.retention <= retention + 1e-9
    assert solution.retention_bound >= retention - 1e-9


@settings(max_examples=80, deadline=None)
@given(problems(), st.data(), st.sampled_from([0, EXACT_ARCS]))
def test_bounds_hold_in_euros_and_cents(p: Problem, data: st.DataObject, exact_arcs: int) -> None:
    cents = np.array(data.draw(st.lists(st.integers(0, 99), min_size=p.n_arcs, max_size=p.n_arcs))) / 100
    need = p.need + data.draw(st.sampled_from([0.0, 0.5, 0.75]))
    priced = Problem(**{**p.__dict__, "value": p.value + cents, "need": need})
    solution = solve(priced, exact_arcs=exact_arcs)  # counted in whole euros, bounded in the given ones
    placements, value, retention = brute_force(priced)
    assert solution.placements == placements
    assert solution.sroi_bound_eur >= value - 1e-9
    assert solution.retention_bound >= retention - 1e-9


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from([0, EXACT_ARCS]))
def test_euros_too_large_for_exact_weights_keep_level_1_exact_and_the_bounds_true(p: Problem, exact_arcs: int) -> None:
    huge = Problem(**{**p.__dict__, "value": p.value * 1e13 + 7.0, "need": p.need * 1e13})  # counted in coarser units
    solution = solve(huge, exact_arcs=exact_arcs)
    placements, value, retention = brute_force(huge)
    assert feasible(huge, solution.chosen)
    assert solution.placements == placements
    assert solution.sroi_eur <= value * (1 + 1e-12)
    assert solution.sroi_bound_eur >= value * (1 - 1e-12)
    assert solution.retention_bound >= retention - 1e-9


def test_exact_repair_finds_the_optimum_when_euros_reach_ten_billion() -> None:
    # CP-SAT's presolve missed this optimum with coefficients of 10^13 (found by the test above)
    big = 10**13
    p = Problem(
        n_candidates=4,
        arc_c=np.array([0, 0, 1, 2, 2, 2, 3, 3]),
        arc_v=np.array([1, 2, 2, 0, 1, 2, 0, 1]),
        value=np.array([2 * big, 0, 0, 0, 2 * big, 3 * big, 0, 0], dtype=float) + 7.0,
        retention=np.zeros(8),
        capacity=np.array([0, 1, 1]),
        arc_obligation=np.zeros(8, dtype=int),
        need=np.array([3.0 * big]),
    )
    solution = solve(p)
    assert solution.methods == {"cp-sat": 1}
    assert solution.placements == 2
    assert solution.sroi_eur == 3.0 * big
    assert solution.sroi_bound_eur >= 3.0 * big


def test_a_plan_chosen_in_whole_euros_is_bounded_in_the_given_ones() -> None:
    # both places are worth 10 whole euros, so retention picks the one worth € 9,60 over € 10,40
    p = Problem(
        n_candidates=1,
        arc_c=np.array([0, 0]),
        arc_v=np.array([0, 1]),
        value=np.array([9.6, 10.4]),
        retention=np.array([0.9, 0.1]),
        capacity=np.array([1, 1]),
        arc_obligation=np.array([0, 0]),
        need=np.array([100.0]),
    )
    solution = solve(p)
    assert solution.methods == {"min-cost flow": 1}
    assert solution.sroi_eur == pytest.approx(9.6)
    assert solution.sroi_bound_eur >= 10.4


def test_an_exact_repair_in_whole_euros_is_bounded_in_the_given_ones() -> None:
    # the second obligation is over-planned, so CP-SAT repairs; in whole euros the places at € 9,60
    # and € 10,40 tie again (15 each with the capped € 5), and retention picks € 9,60
    p = Problem(
        n_candidates=2,
        arc_c=np.array([0, 0, 1, 1]),
        arc_v=np.array([0, 1, 0, 2]),
        value=np.array([9.6, 10.4, 0.0, 10.0]),
        retention=np.array([0.9, 0.1, 0.0, 0.0]),
        capacity=np.array([1, 1, 1]),
        arc_obligation=np.array([0, 0, 0, 1]),
        need=np.array([100.0, 5.0]),
    )
    solution = solve(p)
    assert solution.methods == {"cp-sat": 1}
    assert solution.sroi_eur == pytest.approx(14.6)
    assert solution.sroi_bound_eur >= 15.4


def _two_by_two(**kw: object) -> Problem:
    base = {
        "n_candidates": 2,
        "arc_c": np.array([0, 0, 1]),
        "arc_v": np.array([0, 1, 1]),
        "value": np.array([10.0, 10.0, 10.0]),
        "retention": np.array([0.9, 0.5, 0.4]),
        "capacity": np.array([1, 1]),
        "arc_obligation": np.array([0, 0, 0]),
        "need": np.array([100.0]),
    }
    base.update(kw)
    return Problem(**base)  # type: ignore[arg-type]


def test_the_most_placements_come_before_retention() -> None:
    # candidate 0 on vacancy 1 would last best alone, but both candidates get a place
    p = _two_by_two(retention=np.array([0.1, 0.95, 0.2]))
    assert solve(p).chosen.tolist() == [0, 2]


def test_value_for_an_obligation_that_still_needs_it_comes_before_retention() -> None:
    p = Problem(
        n_candidates=1,
        arc_c=np.array([0, 0]),
        arc_v=np.array([0, 1]),
        value=np.array([40_000.0, 10_000.0]),
        retention=np.array([0.3, 0.9]),
        capacity=np.array([1, 1]),
        arc_obligation=np.array([0, 1]),
        need=np.array([50_000.0, 50_000.0]),
    )
    assert solve(p).chosen.tolist() == [0]
    met = Problem(**{**p.__dict__, "need": np.array([0.0, 50_000.0])})  # obligation 0 is already met
    assert solve(met).chosen.tolist() == [1]


def test_locked_pairs_are_kept_and_forbidden_pairs_never_chosen() -> None:
    p = _two_by_two()
    locked = solve(_two_by_two(locked=np.array([False, True, False])))
    assert 1 in locked.chosen
    assert locked.placements == 1  # candidate 1 only fits vacancy 1, which the lock took
    vetoed = solve(_two_by_two(forbidden=np.array([True, False, False])))
    assert 0 not in vetoed.chosen
    assert solve(p).placements == 2


def test_impossible_coach_decisions_are_refused() -> None:
    with pytest.raises(SolverError, match="more than one place"):
        solve(_two_by_two(locked=np.array([True, True, False])))
    with pytest.raises(SolverError, match="locked and forbidden"):
        solve(_two_by_two(locked=np.array([True, False, False]), forbidden=np.array([True, False, False])))
    with pytest.raises(SolverError, match="more locked placements than open places"):
        solve(_two_by_two(locked=np.array([False, True, True])))


def test_independent_components_are_solved_separately_and_deterministically() -> None:
    rng = np.random.default_rng(4)
    n_c, n_v = 60, 20
    c = rng.integers(0, n_c, 200)
    v = (c // 15) * 5 + rng.integers(0, 5, 200)  # four separate blocks of 15 candidates and 5 vacancies
    pairs = np.unique(np.column_stack([c, v]), axis=0)
    p = Problem(
        n_candidates=n_c,
        arc_c=pairs[:, 0],
        arc_v=pairs[:, 1],
        value=rng.integers(1_000, 40_000, len(pairs)).astype(float),
        retention=rng.random(len(pairs)),
        capacity=rng.integers(1, 4, n_v),
        arc_obligation=pairs[:, 1] // 5,
        need=np.full(4, 60_000.0),
    )
    first, second = solve(p), solve(p)
    assert first.components == 4
    np.testing.assert_array_equal(first.chosen, second.chosen)
    assert feasible(p, first.chosen)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_level_3_bound_flows_side_by_side_give_the_same_solution(p: Problem) -> None:
    """Big components run the retention bound's flows in threads; the answer must not depend on it."""
    from unittest import mock

    from matching.solver import flow

    with mock.patch.object(flow, "PARALLEL_ARCS", 10**12):
        one_by_one = solve(p, exact_arcs=0)
    with mock.patch.object(flow, "PARALLEL_ARCS", 0):
        side_by_side = solve(p, exact_arcs=0)
    assert np.array_equal(one_by_one.chosen, side_by_side.chosen)
    for field in ("sroi_eur", "sroi_bound_eur", "retention", "retention_bound", "status"):
        assert getattr(one_by_one, field) == getattr(side_by_side, field), field
