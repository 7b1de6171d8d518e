"""A generic minimum-cost assignment: each row to one column, each column used at most once.

The entry point for classic assignment instances (OR-Library's ``assign*``: dense cost matrices,
and the sparse ``assignp*`` ones given as arcs), solved with OR-Tools' min-cost flow exactly as the
placement solver uses it.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from matching.solver.problem import SolverError


def min_cost_assignment(costs: np.ndarray) -> tuple[np.ndarray, int]:
    """The column for each row that minimises the total of an integer cost matrix (rows ≤ columns).

    Returns the column per row and the optimal total.
    """
    costs = np.asarray(costs)
    if costs.ndim != 2 or costs.shape[0] > costs.shape[1]:
        raise SolverError(f"an assignment needs a matrix with no more rows than columns, got shape {costs.shape}")
    n, m = costs.shape
    rows, cols = np.divmod(np.arange(n * m), m)
    return min_cost_assignment_arcs(n, m, rows, cols, costs.ravel())


def min_cost_assignment_arcs(
    n_rows: int, n_cols: int, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray
) -> tuple[np.ndarray, int]:
    """The same over the allowed (row, column, cost) arcs only; every row must be assigned."""
    costs = np.asarray(costs)
    if not np.issubdtype(costs.dtype, np.integer):
        raise SolverError("assignment costs must be whole numbers (scale them first)")
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    # nodes: rows 0..n-1, columns n..n+m-1, source n+m, sink n+m+1
    n, m = n_rows, n_cols
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n, source), rows, n + np.arange(m)])
    heads = np.concatenate([np.arange(n), n + cols, np.full(m, sink)])
    caps = np.ones(len(tails), dtype=np.int64)
    unit = np.concatenate([np.zeros(n, dtype=np.int64), costs.astype(np.int64), np.zeros(m, dtype=np.int64)])
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit)
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"no assignment of every row exists (min-cost flow status {status})")
    used = flow.flows(arcs[n : n + len(rows)]) > 0
    assigned = cols[used][np.argsort(rows[used])]
    return assigned, int(flow.optimal_cost())


def maximum_matching(n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Which arcs form a largest assignment: each row at most once, column ``j`` at most
    ``capacity[j]`` times (OR-Tools max flow). Costs play no part: this is the exact count of level 1."""
    n, m = n_rows, len(capacity)
    source, sink = n + m, n + m + 1
    flow = max_flow.SimpleMaxFlow()
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    tails = np.concatenate([np.full(n, source), rows, n + np.arange(m)])
    heads = np.concatenate([np.arange(n), n + cols, np.full(m, sink)])
    caps = np.concatenate([np.ones(n + len(rows), dtype=np.int64), np.asarray(capacity, dtype=np.int64)])
    arcs = flow.add_arcs_with_capacity(tails, heads, caps)
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise SolverError(f"the maximum flow failed with status {status}")
    return np.asarray(flow.flows(arcs[n : n + len(rows)]) > 0)
