"""Who goes where: a lexicographic assignment with OR-Tools min-cost flow, repaired with CP-SAT.

The three levels, in strict order:

1. the most placements: a maximum flow from candidates to places (``solve_max_flow_with_min_cost``),
   exact and never traded for a later level;
2. among those, the most SROI value going to obligations that still need it
   (Σ over obligations of min(need, value planned));
3. among those, the highest sum of predicted 6-month retention.

Levels 2 and 3 enter the flow as one integer cost per arc, ``-(W · euros + retention in
thousandths)`` with ``W`` larger than any possible retention sum, so the flow maximises them in order.
That is exact as long as no obligation is planned beyond its need (proved in docs/SOLVER.md). When one
is, the capped value is no longer a flow cost: a small component is then solved exactly with CP-SAT
(placements fixed at the maximum, then value, then retention); a large one by Lagrangian
reweighting of the obligations' euros over a few more flows, which also gives an upper bound, so
the summary reports how far from optimal the plan can be.

Independent components (candidates, places and obligations that share no arc) are solved separately.
Integer cost scaling happens here and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from matching.solver.assignment import FlowGraph
from matching.solver.problem import Problem, Solution, SolverError

if TYPE_CHECKING:
    from matching.engines import Engine

#: ``progress(stage, done, total)``: a long step's progress (stage names such as ``score``, ``solve``).
Progress = Callable[[str, int, int], None]

RETENTION_SCALE = 1000  # retention is counted in thousandths
EXACT_ARCS = 4000  # components up to this many arcs are repaired exactly with CP-SAT
EXACT_SECONDS = 5.0  # limit per CP-SAT stage, in deterministic time (about seconds; the same on any machine)
LAGRANGE_ROUNDS = 12
GAP_GOAL = 0.005  # the Lagrangian rounds stop once the value is proven within half a percent
_MAX_COST = 2**62


@dataclass
class _Part:
    """One component, renumbered from 0."""

    c: np.ndarray  # local candidate per arc
    v: np.ndarray  # local vacancy per arc
    o: np.ndarray  # local obligation per arc (-1: none)
    value: np.ndarray  # whole euros per arc (0 when the vacancy counts for no obligation)
    retention: np.ndarray
    capacity: np.ndarray  # per local vacancy
    need: np.ndarray  # whole euros per local obligation

    @property
    def n_c(self) -> int:
        return int(self.c.max()) + 1 if len(self.c) else 0

    def planned(self, x: np.ndarray) -> np.ndarray:
        counted = x & (self.o >= 0)
        return np.bincount(self.o[counted], weights=self.value[counted], minlength=len(self.need))

    def sroi(self, x: np.ndarray) -> float:
        return float(np.minimum(self.planned(x), self.need).sum())

    def retained(self, x: np.ndarray) -> float:
        return float(self.retention[x].sum())


@dataclass
class _Result:
    x: np.ndarray
    sroi_bound: float
    retention_bound: float
    optimal: bool
    method: str


def solve(
    problem: Problem,
    *,
    exact_arcs: int = EXACT_ARCS,
    exact_seconds: float = EXACT_SECONDS,
    lagrange_rounds: int = LAGRANGE_ROUNDS,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> Solution:
    """The plan that places the most candidates, then meets the most need, then lasts best.

    Independent components are solved on ``engine`` when there are several and it has more than
    one worker (small ones batched together); the result does not depend on where they ran.
    """
    start = time.perf_counter()
    p = problem
    locked, forbidden = p.locked_mask(), p.forbidden_mask()
    if (locked & forbidden).any():
        raise SolverError("a pair is both locked and forbidden")
    locked_c = p.arc_c[locked]
    if len(np.unique(locked_c)) < len(locked_c):
        raise SolverError("a candidate is locked to more than one place")
    capacity = p.capacity.astype(np.int64) - np.bincount(p.arc_v[locked], minlength=p.n_vacancies)
    if (capacity < 0).any():
        raise SolverError("more locked placements than open places at a vacancy")
    locked_value = p.planned_value(locked)
    need = np.maximum(p.need - locked_value, 0.0)

    taken = np.zeros(p.n_candidates, dtype=bool)
    taken[locked_c] = True
    usable = np.flatnonzero(~forbidden & ~locked & ~taken[p.arc_c] & (capacity[p.arc_v] > 0))
    n_c, n_v, n_o = p.n_candidates, p.n_vacancies, len(p.need)
    # one graph over candidates, vacancies and obligations; its components are independent problems
    has_o = p.obligation >= 0
    rows = np.concatenate([p.arc_c[usable], n_c + np.flatnonzero(has_o)])
    cols = np.concatenate([n_c + p.arc_v[usable], n_c + n_v + p.obligation[has_o]])
    size = n_c + n_v + n_o
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=False)
    comp = labels[p.arc_c[usable]]
    order = np.argsort(comp, kind="stable")
    bounds = np.flatnonzero(np.diff(comp[order])) + 1

    chosen = [np.flatnonzero(locked)]
    sroi_bound = float(np.minimum(locked_value, p.need).sum())
    retention_bound = float(p.retention[locked].sum())
    optimal = True
    methods: dict[str, int] = {}
    parts = np.split(order, bounds) if len(order) else []
    built = [(usable[a], _part(p, usable[a], capacity, need)) for a in parts]
    settings = (exact_arcs, exact_seconds, lagrange_rounds)
    results = _solve_parts([part for _, part in built], settings, engine, progress)
    for (arcs, _), result in zip(built, results, strict=True):
        chosen.append(arcs[result.x])
        sroi_bound += result.sroi_bound
        retention_bound += result.retention_bound
        optimal &= result.optimal
        methods[result.method] = methods.get(result.method, 0) + 1
    picked = np.sort(np.concatenate(chosen))
    retention = float(p.retention[picked].sum())
    sroi_value = p.sroi(picked)
    return Solution(
        chosen=picked,
        placements=len(picked),
        sroi_eur=sroi_value,
        sroi_bound_eur=max(sroi_bound, sroi_value),
        retention=retention,
        retention_bound=max(retention_bound, retention),
        status="optimal" if optimal else "feasible",
        components=len(parts),
        methods=methods,
        solve_seconds=time.perf_counter() - start,
    )


def _solve_parts(
    parts: list[_Part], settings: tuple[int, float, int], engine: Engine | None, progress: Progress | None
) -> list[_Result]:
    """Each part's result, in order: on the engine's workers when that can help, else here."""
    total = len(parts)
    if progress is not None:
        progress("solve", 0, total)
    if engine is None or engine.workers < 2 or total < 2:
        out = []
        for k, part in enumerate(parts):
            out.append(_solve_group(settings, [part])[0])
            if progress is not None:
                progress("solve", k + 1, total)
        return out
    # batches of about equal arcs, at least four per worker, in order; a big part is a batch alone
    size = np.array([len(part.c) for part in parts])
    target = max(int(size.sum()) // (4 * engine.workers), 1)
    groups: list[list[_Part]] = [[]]
    weight = 0
    for part, n in zip(parts, size.tolist(), strict=True):
        if groups[-1] and weight + n > target:
            groups.append([])
            weight = 0
        groups[-1].append(part)
        weight += n
    finished = [0]

    def done(_k: int, _n: int) -> None:
        finished[0] += 1
        if progress is not None:
            progress("solve", min(finished[0] * total // len(groups), total), total)

    batches = engine.map(_solve_group, groups, shared=(settings,), done=done, label="solve-components")
    return [result for batch in batches for result in batch]


def _solve_group(settings: tuple[int, float, int], parts: list[_Part]) -> list[_Result]:
    exact_arcs, exact_seconds, rounds = settings
    return [_solve_part(part, exact_arcs=exact_arcs, exact_seconds=exact_seconds, rounds=rounds) for part in parts]


def _part(p: Problem, arcs: np.ndarray, capacity: np.ndarray, need: np.ndarray) -> _Part:
    _, c = np.unique(p.arc_c[arcs], return_inverse=True)
    vacancies, v = np.unique(p.arc_v[arcs], return_inverse=True)
    obligation = p.obligation[vacancies]
    obligations, o_local = np.unique(obligation[obligation >= 0], return_inverse=True)
    o_of_v = np.full(len(vacancies), -1)
    o_of_v[obligation >= 0] = o_local
    o = o_of_v[v]
    value = np.where(o >= 0, np.round(p.value[arcs]), 0.0)
    return _Part(
        c=c,
        v=v,
        o=o,
        value=value,
        retention=p.retention[arcs].astype(float),
        capacity=capacity[vacancies],
        need=np.round(need[obligations]),
    )


def _solve_part(part: _Part, *, exact_arcs: int, exact_seconds: float, rounds: int) -> _Result:
    x = _flow(part, part.value)
    planned = part.planned(x)
    if (planned <= part.need).all():  # no euro above need: the flow's order is the capped order
        return _Result(x, part.sroi(x), part.retained(x), True, "min-cost flow")
    if len(part.c) <= exact_arcs:
        exact = _exact(part, x, exact_seconds)
        if exact is not None:
            return exact
    return _lagrange(part, x, rounds)


def arc_costs(euros: np.ndarray, retention: np.ndarray, flows_max: int, nodes: int) -> np.ndarray:
    """Integer unit costs -(W · euros + retention in thousandths), W above any retention sum: the
    one place where the objective is scaled to integers. Euros are counted in tens, hundreds, ...
    should the costs overflow once the solver multiplies them by the number of nodes."""
    weight = RETENTION_SCALE * (flows_max + 1)
    whole = np.round(euros).astype(np.int64)
    top = int(whole.max(initial=0))
    unit = 1
    while (top // unit + 1) * weight * nodes >= _MAX_COST:
        unit *= 10
    return np.asarray(-((whole // unit) * weight + np.round(retention * RETENTION_SCALE).astype(np.int64)))


def _flow(part: _Part, euros: np.ndarray) -> np.ndarray:
    """Maximum flow with minimum cost :func:`arc_costs`: the most placements, then euros, then retention."""
    flows_max = min(part.n_c, int(part.capacity.sum()))
    graph = FlowGraph.build(part.n_c, part.capacity, part.c, part.v)
    costs = arc_costs(euros, part.retention, flows_max, part.n_c + len(part.capacity) + 2)
    flow = min_cost_flow.SimpleMinCostFlow()
    handles = flow.add_arcs_with_capacity_and_unit_cost(
        graph.tails, graph.heads, graph.capacities, graph.pair_costs(costs)
    )
    flow.set_node_supply(graph.source, flows_max)  # as much as could ever flow; the maximum is found
    flow.set_node_supply(graph.sink, -flows_max)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverError(f"the min-cost flow failed with status {status}")
    return graph.used(flow, handles)


def _exact(part: _Part, hint: np.ndarray, seconds: float) -> _Result | None:
    """CP-SAT with the number of placements fixed at the flow's maximum: value, then retention."""
    model = cp_model.CpModel()
    n = len(part.c)
    x = [model.new_bool_var(f"x{a}") for a in range(n)]
    for group, limit in ((part.c, None), (part.v, part.capacity)):
        order = np.argsort(group, kind="stable")
        for members in np.split(order, np.flatnonzero(np.diff(group[order])) + 1):
            cap = 1 if limit is None else int(limit[group[members[0]]])
            model.add(sum(x[a] for a in members) <= cap)
    model.add(sum(x) == int(hint.sum()))
    met = []
    for k, need in enumerate(part.need):
        members = np.flatnonzero(part.o == k)
        y = model.new_int_var(0, int(need), f"y{k}")
        model.add(y <= sum(int(part.value[a]) * x[a] for a in members))
        met.append(y)
    for a in range(n):
        model.add_hint(x[a], bool(hint[a]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker: the same input gives the same plan
    solver.parameters.random_seed = 0
    # a limit in deterministic time, not wall-clock time: the same input gives the same plan on any
    # machine, however busy (the wall-clock limit only guards against a runaway)
    solver.parameters.max_deterministic_time = seconds
    solver.parameters.max_time_in_seconds = 20 * seconds
    model.maximize(sum(met))
    first = solver.solve(model)
    if first not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    level2 = round(solver.objective_value)
    level2_bound = solver.best_objective_bound
    chosen = np.array([solver.boolean_value(v) for v in x])
    model.add(sum(met) >= level2)
    model.clear_hints()  # type: ignore[no-untyped-call]
    for a in range(n):
        model.add_hint(x[a], bool(chosen[a]))
    retention = np.round(part.retention * RETENTION_SCALE).astype(int).tolist()
    model.maximize(sum(r * v for r, v in zip(retention, x, strict=True)))
    second = solver.solve(model)
    if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([solver.boolean_value(v) for v in x])
        retention_bound = solver.best_objective_bound / RETENTION_SCALE
    else:
        retention_bound = part.retained(chosen)
    optimal = first == cp_model.OPTIMAL and second == cp_model.OPTIMAL
    return _Result(chosen, float(level2_bound), float(retention_bound), optimal, "cp-sat")


def _lagrange(part: _Part, x: np.ndarray, rounds: int) -> _Result:
    """Reweight each obligation's euros by a multiplier in [0, 1] until little value is wasted.

    For multipliers μ, max Σ μ_o · planned_o + Σ (1 − μ_o) · need_o over plans with the most
    placements bounds the capped value from above; each flow both tries a plan and tightens the bound.
    An obligation planned beyond its need gets μ × (need / planned)³, one planned short of it a higher
    μ (at most 1); the rounds stop once the best plan is proven within :data:`GAP_GOAL`.
    """
    mu = np.ones(len(part.need))
    best_x, best = x, (part.sroi(x), part.retained(x))
    slack = 0.5 * x.sum()  # rounding the weighted euros to whole euros
    bound = min(float(part.planned(x).sum()), float(part.need.sum()))
    for _ in range(rounds):
        planned = part.planned(x)
        over = planned > part.need
        mu[over] *= (part.need[over] / planned[over]) ** 3
        short = ~over & (part.need > 0)
        mu[short] = np.minimum(1.0, mu[short] * (1.0 + (part.need[short] - planned[short]) / part.need[short]))
        x = _flow(part, np.where(part.o >= 0, mu[np.maximum(part.o, 0)], 0.0) * part.value)
        planned = part.planned(x)
        bound = min(bound, float((mu * planned).sum() + ((1 - mu) * part.need).sum() + slack))
        score = (part.sroi(x), part.retained(x))
        if score > best:
            best_x, best = x, score
        if bound - best[0] <= GAP_GOAL * max(bound, 1.0):
            break
    # level 3 bound: the most retention any plan with the most placements reaches (value aside)
    retention_bound = part.retained(_flow(part, np.zeros(len(part.c))))
    return _Result(best_x, max(bound, best[0]), max(retention_bound, best[1]), False, "lagrangian flow")
