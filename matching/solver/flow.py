"""Who goes where: a lexicographic assignment by successive shortest paths, repaired with CP-SAT.

The three levels, in strict order:

1. the most placements: a largest assignment of candidates to places, exact and never traded for a
   later level;
2. among those, the most SROI value going to obligations that still need it
   (Σ over obligations of min(need, value planned));
3. among those, the highest sum of predicted 6-month retention.

Levels 2 and 3 enter the assignment as one integer weight per arc, ``W · euros + retention in
thousandths`` with ``W`` larger than any possible retention sum, so the exact weighted assignment
(:class:`~matching.solver.bipartite.Bipartite`, the same optimum as OR-Tools' min-cost flow, several
times faster) maximises them in order. That is exact as long as no obligation is planned beyond its
need (proved in docs/SOLVER.md). When one is, the capped value is no longer a flow cost: a small
component is then solved exactly with CP-SAT (placements fixed at the maximum, then value, then
retention); a large one by Lagrangian reweighting of the obligations' euros over a few more flows,
which also gives an upper bound, each plan polished by local search, so the summary reports how far
from optimal the plan can be.

Independent components (candidates, places and obligations that share no arc) are solved separately.
Integer cost scaling happens here and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from matching.solver.bipartite import Bipartite, weight_limit
from matching.solver.polish import Polisher
from matching.solver.problem import Problem, Solution, SolverError

if TYPE_CHECKING:
    from matching.engines import Engine

#: ``progress(stage, done, total)``: a long step's progress (stage names such as ``score``, ``solve``).
Progress = Callable[[str, int, int], None]

RETENTION_SCALE = 1000  # retention is counted in thousandths
EXACT_ARCS = 4000  # components up to this many arcs are repaired exactly with CP-SAT
EXACT_SECONDS = 5.0  # limit per CP-SAT stage, in deterministic time (about seconds; the same on any machine)
#: CP-SAT's wall-clock limit, as a multiple of its deterministic one: far above what the deterministic
#: limit takes on a 2-core machine loaded twenty times over, so only a runaway reaches it and the plan
#: does not depend on the machine's load.
RUNAWAY_FACTOR = 120
LAGRANGE_ROUNDS = 8
GAP_GOAL = 0.001  # the Lagrangian rounds stop once the value is proven within a tenth of a percent
MU_POWER = 6  # an over-planned obligation's multiplier shrinks by (need / planned) to this power
RETENTION_PRICES = (0.25, 1.0)  # level-3 bound: λ in retention per average placement's euros
_BOUND_SCALE = 1e5  # retention in hundred-thousandths for the level-3 bound's flows
PARALLEL_ARCS = 200_000  # from this many arcs a component's level-3 bound flows run side by side
_MAX_COST = 2**62
#: CP-SAT's presolve can lose the optimum once a constraint's coefficients reach about 10^10 euros
#: (seen with OR-Tools 9.15); the exact repair counts a component with more euros than this in tens,
#: hundreds, ... of euros, and its bound allows for that rounding.
_EXACT_MAX_EUROS = 10**9


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
    rounding: float = 0.0  # how much counting in whole euros can move any plan's capped value

    @property
    def n_c(self) -> int:
        return int(self.c.max()) + 1 if len(self.c) else 0

    def planned(self, x: np.ndarray) -> np.ndarray:
        counted = x & (self.o >= 0)
        return np.bincount(self.o[counted], weights=self.value[counted], minlength=len(self.need))

    def sroi(self, x: np.ndarray) -> float:
        return float(np.minimum(self.planned(x), self.need).sum())

    def weighted(self, mu: np.ndarray) -> np.ndarray:
        """Each arc's euros times its obligation's multiplier."""
        return np.asarray(np.append(mu, 0.0)[self.o] * self.value)

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
    counted = usable[p.arc_obligation[usable] >= 0]
    rows = np.concatenate([p.arc_c[usable], n_c + p.arc_v[counted]])
    cols = np.concatenate([n_c + p.arc_v[usable], n_c + n_v + p.arc_obligation[counted]])
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
    obligation = p.arc_obligation[arcs]
    obligations, o_local = np.unique(obligation[obligation >= 0], return_inverse=True)
    o = np.full(len(arcs), -1)
    o[obligation >= 0] = o_local
    value = np.where(o >= 0, np.round(p.value[arcs]), 0.0)
    placed = min(int(c.max(initial=-1)) + 1, int(capacity[vacancies].sum()))
    per_arc = float(np.abs(np.where(o >= 0, p.value[arcs], 0.0) - value).max(initial=0.0))
    return _Part(
        c=c,
        v=v,
        o=o,
        value=value,
        retention=p.retention[arcs].astype(float),
        capacity=capacity[vacancies],
        need=np.round(need[obligations]),
        rounding=per_arc * placed + float(np.abs(need[obligations] - np.round(need[obligations])).sum()),
    )


def _solve_part(part: _Part, *, exact_arcs: int, exact_seconds: float, rounds: int) -> _Result:
    graph = Bipartite.build(part.n_c, part.capacity, part.c, part.v)
    x, upper = _flow(part, graph, np.ones(len(part.need)))
    planned = part.planned(x)
    if (planned <= part.need).all() and upper == part.sroi(x):
        # no euro above need: the flow's order is the capped order (in whole euros)
        return _Result(x, part.sroi(x) + part.rounding, part.retained(x), True, "min-cost flow")
    if len(part.c) <= exact_arcs:
        exact = _exact(part, x, exact_seconds)
        if exact is not None:
            return exact
    return _lagrange(part, graph, x, upper, rounds)


def arc_costs(euros: np.ndarray, retention: np.ndarray, flows_max: int, nodes: int) -> np.ndarray:
    """OR-Tools min-cost flow unit costs for levels 2 and 3, -(W · euros + retention in thousandths)
    with W above any retention sum (the benchmarks' bare flow). Euros are counted in tens, hundreds,
    ... should the costs overflow once the solver multiplies them by the number of nodes."""
    weight = RETENTION_SCALE * (flows_max + 1)
    whole = np.round(euros).astype(np.int64)
    top = int(whole.max(initial=0))
    unit = 1
    while (top // unit + 1) * weight * nodes >= _MAX_COST:
        unit *= 10
    return np.asarray(-((whole // unit) * weight + np.round(retention * RETENTION_SCALE).astype(np.int64)))


def _flow(part: _Part, graph: Bipartite, mu: np.ndarray) -> tuple[np.ndarray, float]:
    """The plan with the most placements, then the most euros weighted by ``mu`` per obligation, then
    the most retention (exact), and an upper bound on those weighted euros over every such plan.

    The one place where levels 2 and 3 are scaled to integers: W · euros + retention in thousandths,
    W above any retention sum. Euros are counted in tens, hundreds, ... should that overflow 64 bits
    (the bound then allows for it)."""
    euros = part.weighted(mu)
    weight = RETENTION_SCALE * (graph.flows_max + 1)
    retention = np.round(part.retention * RETENTION_SCALE).astype(np.int64)
    unit = 1
    while (float(euros.max(initial=0.0)) / unit + 1) * weight + RETENTION_SCALE > weight_limit(graph.flows_max):
        unit *= 10
    counted = np.round(euros / unit)
    x = graph.best(counted.astype(np.int64) * weight + retention)
    slack = float(np.abs(euros - unit * counted).max(initial=0.0))  # rounding, per placement
    return x, float(unit * counted[x].sum()) + slack * int(x.sum())


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
    unit = 1
    while max(float(part.value.sum()), float(part.need.sum())) / unit > _EXACT_MAX_EUROS:
        unit *= 10
    value = np.round(part.value / unit).astype(np.int64)
    need_counted = np.round(part.need / unit).astype(np.int64)
    # what counting in units can move a plan's capped euros: per placement, plus each need once
    slack_per_placement = float(np.abs(part.value - unit * value).max(initial=0.0))
    slack_needs = float(np.abs(part.need - unit * need_counted).sum())
    met = []
    for k, need in enumerate(need_counted.tolist()):
        members = np.flatnonzero(part.o == k)
        y = model.new_int_var(0, need, f"y{k}")
        model.add(y <= sum(int(value[a]) * x[a] for a in members))
        met.append(y)
    for a in range(n):
        model.add_hint(x[a], bool(hint[a]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker: the same input gives the same plan
    solver.parameters.random_seed = 0
    # a limit in deterministic time, not wall-clock time: the same input gives the same plan on any
    # machine, however busy (the wall-clock limit only guards against a runaway)
    solver.parameters.max_deterministic_time = seconds
    solver.parameters.max_time_in_seconds = RUNAWAY_FACTOR * seconds
    model.maximize(sum(met))
    first = solver.solve(model)
    if first not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    level2 = round(solver.objective_value)
    # proven optimal: the bound is the value (CP-SAT's float bound may sit an ulp above the integer)
    level2_bound = float(level2) if first == cp_model.OPTIMAL else solver.best_objective_bound
    if unit > 1:
        level2_bound = unit * level2_bound + slack_per_placement * int(hint.sum()) + slack_needs
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
    optimal = unit == 1 and first == cp_model.OPTIMAL and second == cp_model.OPTIMAL
    # the bound holds in whole euros; in the given euros a plan's capped value moves by part.rounding
    return _Result(chosen, float(level2_bound) + part.rounding, float(retention_bound), optimal, "cp-sat")


def _lagrange(part: _Part, graph: Bipartite, x: np.ndarray, upper: float, rounds: int) -> _Result:
    """Reweight each obligation's euros by a multiplier in [0, 1] until little value is wasted.

    For multipliers μ, max Σ μ_o · planned_o + Σ (1 − μ_o) · need_o over plans with the most
    placements bounds the capped value from above; each flow both tries a plan and tightens the bound.
    An obligation planned beyond its need gets μ × (need / planned)^:data:`MU_POWER`, one planned
    short of it a higher μ (at most 1). Each flow's plan is polished once (:class:`Polisher`: more
    capped value, then more retention) and the best one again to the end; the rounds stop once the
    best plan is proven within :data:`GAP_GOAL`.
    """
    polisher = Polisher.build(
        part.c, part.v, part.o, value=part.value, retention=part.retention, capacity=part.capacity, need=part.need
    )
    mu = np.ones(len(part.need))
    best_x = polisher.run(x, passes=1)
    best = (part.sroi(best_x), part.retained(best_x))
    bound, bound_mu = min(upper, float(part.need.sum())), mu
    for _ in range(rounds):
        if bound - best[0] <= GAP_GOAL * max(bound, 1.0):
            break
        planned = part.planned(x)
        over = planned > part.need
        mu = mu.copy()
        mu[over] *= (part.need[over] / planned[over]) ** MU_POWER
        short = ~over & (part.need > 0)
        mu[short] = np.minimum(1.0, mu[short] * (1.0 + (part.need[short] - planned[short]) / part.need[short]))
        x, upper = _flow(part, graph, mu)
        dual = upper + float(((1 - mu) * part.need).sum())
        if dual < bound:
            bound, bound_mu = dual, mu
        polished = polisher.run(x, passes=1)
        score = (part.sroi(polished), part.retained(polished))
        if score > best:
            best_x, best = polished, score
    best_x = polisher.run(best_x)
    best = (part.sroi(best_x), part.retained(best_x))
    # the bounds hold in whole euros; in the given euros a plan's capped value moves by part.rounding
    retention_bound = _retention_bound(part, graph, bound_mu, best[0] - 2 * part.rounding)
    return _Result(best_x, max(bound + part.rounding, best[0]), max(retention_bound, best[1]), False, "lagrangian flow")


def _retention_bound(part: _Part, graph: Bipartite, mu: np.ndarray, floor: float) -> float:
    """An upper bound on the retention of the best plan (most placements, then capped value).

    That plan's capped value is at least ``floor`` (a plan reaches it), and for μ in [0, 1] the
    capped value is at most L_μ = Σ μ_o · planned_o + Σ (1 − μ_o) · need_o. So for any λ ≥ 0 its
    retention is at most max over plans of retention + λ · (L_μ − floor): one flow per λ, the least
    of them counts. λ is priced per average placement's euros (:data:`RETENTION_PRICES`); λ = 0
    would be the most retention of any plan, value aside.
    """
    placed = graph.flows_max
    euros = part.weighted(mu)
    rest = float(((1 - mu) * part.need).sum()) - floor
    per_placement = max(floor, 1.0) / max(placed, 1)

    def bound(price: float) -> float:
        lam = price / per_placement
        blend = part.retention + lam * euros
        scale = _BOUND_SCALE
        while float(blend.max(initial=0.0)) * scale + 1 > weight_limit(placed):
            scale /= 10
        weight = np.round(blend * scale)
        x = graph.best(weight.astype(np.int64))
        slack = float(np.abs(blend - weight / scale).max(initial=0.0))
        return float(weight[x].sum()) / scale + slack * int(x.sum()) + lam * rest

    if len(part.c) < PARALLEL_ARCS:
        return min(bound(price) for price in RETENTION_PRICES)
    # independent flows: side by side in threads (the searches release the GIL), the same bounds
    with ThreadPoolExecutor(max_workers=len(RETENTION_PRICES)) as pool:
        return min(pool.map(bound, RETENTION_PRICES))
