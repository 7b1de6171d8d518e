"""Issue 4 benchmarks: the batch match end to end, the solve against one bare min-cost flow, and
plan quality against a "status quo" greedy coach, in the generator's true retention probabilities."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.paths import POSTCODES


def write_world(candidates: int, vacancies: int, seed: int) -> Path:
    """Outside the clock: the world's files and a model trained on its history, as a user has them."""
    from api.loaders import write_model
    from data.synthetic.generator import WorldConfig, generate_world
    from matching.matcher import train
    from matching.prepare import MatchConfig, Prepared
    from models.dataset import write_dataset
    from models.errors import KoppelaarError

    folder = Path(tempfile.mkdtemp(prefix="koppelaar-bench-match-"))
    config = WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed)
    world = generate_world(config)
    write_dataset(world, folder / "world")
    try:
        model = train(Prepared(world, config=MatchConfig(today=config.as_of), postcodes=_postcodes()), seed=seed)
    except KoppelaarError:  # a small world's history is too short: the match uses the rule score
        return folder
    write_model(model, folder / "model.pkl")
    return folder


def _postcodes() -> Any:
    from api.loaders import read_postcodes

    return read_postcodes(POSTCODES) if POSTCODES.is_file() else None


def match_world(folder: Path, *, candidates: int, vacancies: int, seed: int) -> dict[str, Any]:
    """`koppelaar match` end to end (load, score, solve, write), then (c) and (d) outside its clock."""
    import os

    from api.cli.match import run_match
    from data.synthetic.generator import WorldConfig

    if POSTCODES.is_file():  # as a user configures it
        os.environ["KOPPELAAR_POSTCODES"] = str(POSTCODES)
    as_of = WorldConfig().as_of.isoformat()
    model = folder / "model.pkl"
    result, p = run_match(folder / "world", folder / "plan", model=model if model.is_file() else None, today=as_of)
    stages = result.timings
    out: dict[str, Any] = {k: round(v, 2) for k, v in stages.items()}
    out["end_to_end_s"] = round(sum(stages.values()), 2)
    counts, objective = result.summary["counts"], result.summary["objective"]
    out["open_places"] = counts["open_places"]
    out["pairs_considered"] = counts["pairs_considered"]
    out["eligible_pairs"] = counts["eligible_pairs"]
    out["placements"] = counts["placements"]
    out["maximum_placements"] = counts["maximum_placements"]
    out["solver_status"] = result.summary["solver"]["status"]
    out["solver_methods"] = result.summary["solver"]["methods"]
    out["components"] = result.summary["solver"]["components"]
    out["sroi_gap"] = objective["sroi_gap"]
    out["retention_gap"] = objective["retention_gap"]
    out.update(_solve_vs_bare(result.problem))
    out.update(_quality(p, result))
    return out


def _solve_vs_bare(problem: Any) -> dict[str, Any]:
    """(c): our solve against one bare SimpleMinCostFlow call on the same arcs and costs (median of 3)."""
    from ortools.graph.python import min_cost_flow

    from matching.solver import solve
    from matching.solver.assignment import FlowGraph
    from matching.solver.flow import arc_costs

    ours, bare = [], []
    for _ in range(3):
        t = time.perf_counter()
        solve(problem)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()  # the same graph and costs, in one call: no components, no repair
        n_c = problem.n_candidates
        graph = FlowGraph.build(n_c, problem.capacity, problem.arc_c, problem.arc_v)
        flows_max = min(n_c, int(problem.capacity.sum()))
        costs = arc_costs(problem.value, problem.retention, flows_max, n_c + problem.n_vacancies + 2)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(graph.tails, graph.heads, graph.capacities, graph.pair_costs(costs))
        flow.set_node_supply(graph.source, flows_max)
        flow.set_node_supply(graph.sink, -flows_max)
        flow.solve_max_flow_with_min_cost()
        bare.append(time.perf_counter() - t)
    return {
        "solve_median_s": round(float(np.median(ours)), 3),
        "bare_min_cost_flow_median_s": round(float(np.median(bare)), 3),
        "solve_vs_bare_ratio": round(float(np.median(ours) / np.median(bare)), 2),
    }


def _quality(p: Any, result: Any) -> dict[str, Any]:
    """(d): expected placements lasting 6 months (true probabilities) against a greedy status quo."""
    from data.synthetic.truth import HiddenModel

    truth = HiddenModel(p.ds)
    problem, chosen = result.problem, result.solution.chosen
    ours = float(truth.p6(problem.arc_c[chosen], problem.arc_v[chosen]).sum())
    pairs_c, pairs_v = greedy_coach(p)
    greedy = float(truth.p6(pairs_c, pairs_v).sum())
    return {
        "expected_retained_plan": round(ours, 1),
        "expected_retained_greedy": round(greedy, 1),
        "retained_plan_vs_greedy": round(ours / greedy, 3) if greedy else None,
        "placements_greedy": len(pairs_c),
    }


def greedy_coach(p: Any) -> tuple[np.ndarray, np.ndarray]:
    """The status quo a plan is compared with: the open vacancies in file order, each taking, for
    its open places, the eligible candidates in reach not yet placed whose profile best matches its
    title (the fuzzy title score; ties by candidate row). Returns (candidate rows, vacancy rows)."""
    from matching.eligibility import screen
    from matching.features import pair_features
    from matching.plan import _places
    from matching.scorers import TitleScorer

    capacity = _places(p).capacity
    used = np.zeros(p.n_candidates, dtype=bool)
    pairs_c: list[int] = []
    pairs_v: list[int] = []
    for v in np.flatnonzero(capacity > 0):
        ci = p.candidates_in_reach(int(v))
        ci = ci[p.c_matchable[ci] & ~used[ci]]
        s = screen(p, ci, np.full(len(ci), v))
        e = s.subset(s.eligible)
        if not len(e.ci):
            continue
        title = TitleScorer().score(pair_features(p, e))
        top = np.lexsort((e.ci, -title))[: int(capacity[v])]
        used[e.ci[top]] = True
        pairs_c.extend(e.ci[top].tolist())
        pairs_v.extend([int(v)] * len(top))
    return np.array(pairs_c, dtype=np.int64), np.array(pairs_v, dtype=np.int64)
