"""The numba engines under the solver against OR-Tools and brute force: the largest assignment with
capacities, the weighted one (most pairs, then most weight), and the local search that polishes plans."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import max_flow, min_cost_flow

from matching.solver import column_distances, maximum_matching, reachable_columns
from matching.solver.assignment import FlowGraph
from matching.solver.bipartite import Bipartite, weight_limit
from matching.solver.polish import Polisher


@st.composite
def graphs(draw: st.DrawFn, max_rows: int = 8, max_cols: int = 5) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, column capacities (often above 1) and arcs: rows without arcs, columns without room and
    repeated pairs included, in any order."""
    n_rows = draw(st.integers(0, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    capacity = np.array(draw(st.lists(st.integers(0, 3), min_size=n_cols, max_size=n_cols)), dtype=np.int64)
    pairs = st.tuples(st.integers(0, max(n_rows - 1, 0)), st.integers(0, n_cols - 1))
    arcs = draw(st.lists(pairs, max_size=3 * max_rows)) if n_rows else []
    rows = np.array([r for r, _ in arcs], dtype=np.int64)
    cols = np.array([c for _, c in arcs], dtype=np.int64)
    return n_rows, capacity, rows, cols


def ortools_max_flow(n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> int:
    graph = FlowGraph.build(n_rows, capacity, rows, cols)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(graph.tails, graph.heads, graph.capacities)
    assert flow.solve(graph.source, graph.sink) == flow.OPTIMAL
    return int(flow.optimal_flow())


def ortools_best(n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray) -> int:
    """The greatest total weight among largest assignments (OR-Tools' max flow with min cost)."""
    graph = FlowGraph.build(n_rows, capacity, rows, cols)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(graph.tails, graph.heads, graph.capacities, graph.pair_costs(-weight))
    most = min(n_rows, int(capacity.sum()))
    flow.set_node_supply(graph.source, most)
    flow.set_node_supply(graph.sink, -most)
    assert flow.solve_max_flow_with_min_cost() == flow.OPTIMAL
    return -int(flow.optimal_cost())


def feasible(n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, chosen: np.ndarray) -> bool:
    once = (np.bincount(rows[chosen], minlength=n_rows) <= 1).all()
    fits = (np.bincount(cols[chosen], minlength=len(capacity)) <= capacity).all()
    return bool(once and fits)


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_the_largest_assignment_equals_the_maximum_flow(graph: tuple[int, np.ndarray, np.ndarray, np.ndarray]) -> None:
    n_rows, capacity, rows, cols = graph
    chosen = maximum_matching(n_rows, capacity, rows, cols)
    assert chosen.dtype == bool
    assert chosen.shape == rows.shape
    assert feasible(n_rows, capacity, rows, cols, chosen)
    assert chosen.sum() == ortools_max_flow(n_rows, capacity, rows, cols)
    np.testing.assert_array_equal(chosen, maximum_matching(n_rows, capacity, rows, cols))  # deterministic


@settings(max_examples=200, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_completing_the_reached_columns_gives_the_largest_assignment(
    graph: tuple[int, np.ndarray, np.ndarray, np.ndarray], rnd: random.Random
) -> None:
    """The batch match keeps a few arcs per column and gives a column all of its arcs only when an
    alternating path reaches it; that must still end at the largest assignment over every arc."""
    n_rows, capacity, rows, cols = graph
    kept = np.array([rnd.random() < 0.4 for _ in range(len(rows))], dtype=bool)
    complete = np.zeros(len(capacity), dtype=bool)
    while True:
        have = kept | complete[cols]
        chosen = maximum_matching(n_rows, capacity, rows[have], cols[have])
        todo = reachable_columns(n_rows, capacity, rows[have], cols[have], chosen) & ~complete
        if not todo.any():
            break
        complete |= todo
    assert chosen.sum() == ortools_max_flow(n_rows, capacity, rows, cols)


def test_reachable_columns_follow_alternating_paths() -> None:
    # column 0 has room; its row 0 is assigned to column 1, whose only row is row 0; row 1 fills
    # column 2 and row 2 column 3, which no alternating path from column 0 reaches
    rows, cols = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 3])
    chosen = np.array([False, True, True, True])
    capacity = np.array([1, 1, 1, 1])
    assert reachable_columns(3, capacity, rows, cols, chosen).tolist() == [True, True, False, False]
    chosen[2] = False  # now column 2 has room too
    assert reachable_columns(3, capacity, rows, cols, chosen).tolist() == [True, True, True, False]
    assert column_distances(3, capacity, rows, cols, chosen).tolist() == [0, 1, 0, -1]
    # a chain: column 0 has room, row 0 sits in column 1, row 1 in column 2, row 2 in column 3
    rows, cols = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 2, 2, 3])
    chosen = np.array([False, True, False, True, False, True])
    assert column_distances(3, capacity, rows, cols, chosen).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="same length"):
        reachable_columns(3, capacity, rows, cols, chosen[:2])
    with pytest.raises(ValueError, match="out of range"):
        reachable_columns(2, capacity, rows, cols, chosen)


def test_the_largest_assignment_on_edge_cases() -> None:
    none = np.zeros(0, dtype=np.int64)
    assert maximum_matching(0, np.zeros(0, dtype=np.int64), none, none).shape == (0,)
    assert maximum_matching(5, np.array([2, 1]), none, none).shape == (0,)
    # rows 1 and 3 have no arcs; column 1 has no room; the pair (0, 0) is given twice
    rows, cols = np.array([0, 0, 2, 4, 2, 0], dtype=np.int32), np.array([0, 0, 1, 0, 0, 1])
    chosen = maximum_matching(5, np.array([2, 0]), rows, cols)
    assert chosen.sum() == 2
    assert feasible(5, np.array([2, 0]), rows, cols, chosen)
    # an augmenting path is needed: the greedy start takes row 0 for column 0
    chosen = maximum_matching(2, np.array([1, 1]), np.array([0, 0, 1]), np.array([0, 1, 0]))
    assert chosen.tolist() == [False, True, True]
    with pytest.raises(ValueError, match="out of range"):
        maximum_matching(1, np.array([1]), np.array([1]), np.array([0]))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_largest_assignment_on_bigger_random_graphs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols, n = int(rng.integers(20, 200)), int(rng.integers(5, 60)), int(rng.integers(0, 800))
    capacity = rng.integers(0, 5, n_cols)
    rows, cols = rng.integers(0, n_rows, n), rng.integers(0, n_cols, n)
    for order in (np.arange(n), np.argsort(cols, kind="stable")):  # as given, and grouped by column
        chosen = maximum_matching(n_rows, capacity, rows[order], cols[order])
        assert feasible(n_rows, capacity, rows[order], cols[order], chosen)
        assert chosen.sum() == ortools_max_flow(n_rows, capacity, rows, cols)


def brute_best(
    n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray
) -> tuple[int, int]:
    """The most pairs, then the most weight, over every feasible set of arcs."""
    options = [[None, *np.flatnonzero(rows == r)] for r in range(n_rows)]
    best = (0, 0)
    for pick in itertools.product(*options):
        arcs = np.array([a for a in pick if a is not None], dtype=int)
        if arcs.size and (np.bincount(cols[arcs], minlength=len(capacity)) > capacity).any():
            continue
        best = max(best, (len(arcs), int(weight[arcs].sum())))
    return best


@settings(max_examples=200, deadline=None)
@given(graphs(max_rows=5, max_cols=3), st.data())
def test_the_weighted_assignment_equals_brute_force(
    graph: tuple[int, np.ndarray, np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    n_rows, capacity, rows, cols = graph
    weight = np.array(data.draw(st.lists(st.integers(-50, 50), min_size=len(rows), max_size=len(rows))), dtype=np.int64)
    chosen = Bipartite.build(n_rows, capacity, rows, cols).best(weight)
    assert feasible(n_rows, capacity, rows, cols, chosen)
    assert (int(chosen.sum()), int(weight[chosen].sum())) == brute_best(n_rows, capacity, rows, cols, weight)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_weighted_assignment_equals_ortools_min_cost_flow(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols, n = int(rng.integers(10, 150)), int(rng.integers(3, 40)), int(rng.integers(1, 600))
    capacity = rng.integers(0, 6, n_cols)
    rows, cols = rng.integers(0, n_rows, n), rng.integers(0, n_cols, n)
    # few distinct weights (many ties, as with euros) or large ones (as with euros · W + retention)
    weight = rng.integers(0, 4, n) if seed % 2 else rng.integers(0, 10**12, n)
    graph = Bipartite.build(n_rows, capacity, rows, cols)
    chosen = graph.best(weight)
    assert feasible(n_rows, capacity, rows, cols, chosen)
    assert chosen.sum() == ortools_max_flow(n_rows, capacity, rows, cols)
    assert int(weight[chosen].sum()) == ortools_best(n_rows, capacity, rows, cols, weight)
    np.testing.assert_array_equal(chosen, graph.best(weight))  # deterministic


def test_weights_too_large_for_exact_arithmetic_are_refused() -> None:
    graph = Bipartite.build(2, np.array([1, 1]), np.array([0, 1]), np.array([0, 1]))
    top = weight_limit(graph.flows_max)
    assert graph.best(np.array([0, top])).all()
    with pytest.raises(OverflowError):
        graph.best(np.array([0, top + 1]))
    assert (
        not Bipartite.build(3, np.array([2]), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        .best(np.zeros(0, dtype=np.int64))
        .size
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_polishing_never_makes_a_plan_worse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_c, n_v, n_o, n = int(rng.integers(2, 30)), int(rng.integers(1, 10)), int(rng.integers(1, 4)), 80
    pairs = np.unique(np.column_stack([rng.integers(0, n_c, n), rng.integers(0, n_v, n)]), axis=0)
    c, v = pairs[:, 0], pairs[:, 1]
    c = np.unique(c, return_inverse=True)[1]  # every candidate has an arc
    capacity = rng.integers(0, 4, n_v)
    o_of_v = rng.integers(-1, n_o, n_v)
    o = o_of_v[v]
    value = np.where(o >= 0, rng.integers(0, 50, len(c)), 0)
    retention = rng.integers(0, 1000, len(c)) / 1000
    need = rng.integers(0, 120, n_o)
    x = Bipartite.build(int(c.max()) + 1, capacity, c, v).best(rng.integers(0, 100, len(c)))
    polisher = Polisher.build(c, v, o, value=value, retention=retention, capacity=capacity, need=need)
    y = polisher.run(x)

    def score(chosen: np.ndarray) -> tuple[int, float]:
        planned = np.bincount(o[chosen & (o >= 0)], weights=value[chosen & (o >= 0)], minlength=n_o)
        return int(np.minimum(planned, need).sum()), float(retention[chosen].sum())

    assert feasible(int(c.max()) + 1, capacity, c, v, y)
    assert y.sum() == x.sum()
    capped, kept = score(y)
    assert (capped, kept + 1e-9) >= score(x)
    np.testing.assert_array_equal(y, polisher.run(x))  # deterministic


@pytest.mark.parametrize("fallback", ["ortools", "search on"])
def test_past_its_budget_the_weighted_assignment_keeps_the_same_optimum(
    monkeypatch: pytest.MonkeyPatch, fallback: str
) -> None:
    from matching.solver import bipartite

    monkeypatch.setattr(bipartite, "SEARCH_BUDGET", 0)
    calls = []
    ortools = Bipartite._min_cost_flow

    def spy(self: Bipartite, w: np.ndarray) -> np.ndarray | None:
        calls.append(len(w))
        return None if fallback == "search on" else ortools(self, w)  # "search on": OR-Tools refuses

    monkeypatch.setattr(Bipartite, "_min_cost_flow", spy)
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_rows, n_cols, n = int(rng.integers(50, 200)), int(rng.integers(20, 80)), 3000
        capacity = rng.integers(0, 4, n_cols)
        rows, cols = rng.integers(0, n_rows, n), rng.integers(0, n_cols, n)
        weight = rng.integers(0, 10**6, n)
        chosen = Bipartite.build(n_rows, capacity, rows, cols).best(weight)
        assert feasible(n_rows, capacity, rows, cols, chosen)
        assert chosen.sum() == ortools_max_flow(n_rows, capacity, rows, cols)
        assert int(weight[chosen].sum()) == ortools_best(n_rows, capacity, rows, cols, weight)
    assert len(calls) == 20
