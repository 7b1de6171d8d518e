"""A generic minimum-cost assignment: each row to one column, each column used at most once.

The entry point for classic assignment instances (OR-Library's ``assign*``: dense cost matrices,
and the sparse ``assignp*`` ones given as arcs), solved with OR-Tools' min-cost flow exactly as the
placement solver uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from matching.solver.problem import SolverError


@dataclass(frozen=True)
class FlowGraph:
    """source → row (capacity 1) → column (one arc per allowed pair) → sink (the column's capacity).

    Nodes: rows ``0..n-1``, columns ``n..n+m-1``, then the source and the sink. The pair arcs are
    arcs ``n .. n + pairs - 1``, in the order given.
    """

    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    source: int
    sink: int
    first_pair: int
    pairs: int

    @classmethod
    def build(cls, n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> FlowGraph:
        n, m = n_rows, len(capacity)
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        source, sink = n + m, n + m + 1
        return cls(
            tails=np.concatenate([np.full(n, source), rows, n + np.arange(m)]),
            heads=np.concatenate([np.arange(n), n + cols, np.full(m, sink)]),
            capacities=np.concatenate([np.ones(n + len(rows), dtype=np.int64), np.asarray(capacity, dtype=np.int64)]),
            source=source,
            sink=sink,
            first_pair=n,
            pairs=len(rows),
        )

    def pair_costs(self, costs: np.ndarray) -> np.ndarray:
        """Unit costs of every arc: ``costs`` on the pair arcs, 0 elsewhere."""
        out = np.zeros(len(self.tails), dtype=np.int64)
        out[self.first_pair : self.first_pair + self.pairs] = costs
        return out

    def used(self, solver: min_cost_flow.SimpleMinCostFlow | max_flow.SimpleMaxFlow, handles: np.ndarray) -> np.ndarray:
        """Which pairs carry flow after a solve."""
        return np.asarray(solver.flows(handles[self.first_pair : self.first_pair + self.pairs]) > 0)


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
    graph = FlowGraph.build(n_rows, np.ones(n_cols, dtype=np.int64), rows, cols)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        graph.tails, graph.heads, graph.capacities, graph.pair_costs(costs.astype(np.int64))
    )
    flow.set_node_supply(graph.source, n_rows)
    flow.set_node_supply(graph.sink, -n_rows)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"no assignment of every row exists (min-cost flow status {status})")
    used = graph.used(flow, arcs)
    assigned = cols[used][np.argsort(rows[used])]
    return assigned, int(flow.optimal_cost())
