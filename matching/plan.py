"""A batch match: from a prepared dataset to a plan, the places left open and the people left out.

The pipeline: the open places (open obligations, additional places, positions not yet taken), the
euros each obligation still needs, the eligible scored pairs (each vacancy's best candidates, all of
them for a vacancy the plan could not fill), coach decisions (locked and forbidden pairs), the
solver, then explanations. Pure compute: returns frames and a summary, writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matching.blocks import BLOCK_SIZE, Block, Merged, make_blocks, score_block
from matching.eligibility import screen
from matching.engines import Engine, LocalEngine
from matching.expansion import Expanded, Expansion, expand_block
from matching.explain import missing
from matching.features import pair_features
from matching.matcher import Matcher, UnknownIdError
from matching.prepare import Prepared
from matching.rulebook import LOCKS_MAY_OVERRULE, reason_codes
from matching.scorers import LearnedScorer, Scorer, score_meaning
from matching.solver import Problem, Progress, Solution, SolverError, column_distances, maximum_matching, solve
from matching.spatial import SphereIndex
from models.rules import displacement_warnings, open_positions
from models.valuation import (
    REALISED_STATUSES,
    Credit,
    Schemes,
    credit_placements,
    owed_euros,
    placement_months,
    realised_euros,
)

PLAN_COLUMNS = [
    "candidate_id",
    "vacancy_id",
    "obligation_id",
    "score",
    "sroi_value_eur",
    "explanation",
    "reasons",
    "locked",
    "displacement_warning",
]
UNFILLED_COLUMNS = ["vacancy_id", "open_positions", "reason"]
UNPLACED_COLUMNS = ["candidate_id", "reason", "nearest_vacancy_id", "missing"]

#: The exact maximum screens again at least this many vacancies a round (when so many are waiting).
EXPAND_AT_LEAST = BLOCK_SIZE

#: Why places stay open.
NOT_ADDITIONAL = "not_additional"
NO_ELIGIBLE_CANDIDATE = "no_eligible_candidate"
PLACED_ELSEWHERE = "candidates_placed_elsewhere"
#: Why eligible people stay without a place.
NO_VACANCY_IN_REACH = "no_open_vacancy_in_reach"
NO_ELIGIBLE_VACANCY = "no_eligible_vacancy"
TAKEN_BY_BETTER = "places_taken_by_better_matches"

__all__ = ["REALISED_STATUSES", "PlanConfig", "PlanResult", "make_plan"]


@dataclass(frozen=True)
class PlanConfig:
    """How wide the net is cast: each vacancy keeps its best ``arcs_per_place`` × places candidates
    (at least ``min_arcs``); a vacancy the plan leaves open gets all of its eligible candidates."""

    arcs_per_place: int = 25
    min_arcs: int = 50
    block_size: int = BLOCK_SIZE  # vacancies per scoring block
    schemes: Schemes | None = None  # valuation schemes (default: the built-in ones)
    min_retention: float | None = None  # a pair predicted to last less likely than this is not planned


@dataclass
class PlanResult:
    plan: pd.DataFrame
    unfilled: pd.DataFrame
    unplaced: pd.DataFrame
    summary: dict[str, Any]
    solution: Solution
    problem: Problem
    timings: dict[str, float] = field(default_factory=dict)


def make_plan(
    p: Prepared,
    scorer: Scorer | None = None,
    *,
    locked: Sequence[tuple[str, str]] = (),
    forbidden: Sequence[tuple[str, str]] = (),
    config: PlanConfig | None = None,
    progress: Progress | None = None,
    scope: Collection[str] | None = None,
    engine: Engine | None = None,
) -> PlanResult:
    """Plan who goes where over every open obligation; see the module docstring.

    ``scope`` limits the places planned to those vacancy ids (one obligation, tender or contractor);
    the other vacancies are neither filled nor reported. ``engine`` runs the scoring blocks and the
    solver's components (default: in this process); ``progress(stage, done, total)`` hears of each
    finished block and component.
    """
    config = config or PlanConfig()
    own = engine is None
    engine = engine or LocalEngine()
    matcher = Matcher(p, scorer, min_retention=config.min_retention)
    timings: dict[str, float] = {}
    try:
        run = _Run(engine, progress, (engine.share(p), engine.share(scorer) if scorer is not None else None))
        return _make_plan(p, matcher, run, config, timings, locked=locked, forbidden=forbidden, scope=scope)
    finally:
        if own:
            engine.close()


@dataclass
class _Run:
    """Where the work runs, who hears of its progress, and the engine's handles on shared objects."""

    engine: Engine
    progress: Progress | None
    shared: tuple[Any, ...]

    def step(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


def _retention(
    p: Prepared, matcher: Matcher, problem: Problem, solution: Solution, below: np.ndarray
) -> dict[str, Any]:
    """The plan's mean predicted retention beside the history's realised rate, and what a minimum
    predicted retention costs: the largest number of placements over the considered pairs with and
    without the pairs below it."""
    history = p.ds.placements["retained_6m"].dropna()
    predicted = isinstance(matcher.scorer, LearnedScorer) and solution.placements > 0
    out: dict[str, Any] = {
        "predicted_mean": round(float(problem.retention[solution.chosen].mean()), 4) if predicted else None,
        "history_placements": len(history),
        "history_realised_rate": round(float(history.astype(bool).mean()), 4) if len(history) else None,
        "min_retention": matcher.min_retention,
        "pairs_below_min_retention": 0,
        "places_left_open_by_min_retention": 0,
    }
    if len(below):
        allowed = ~problem.forbidden_mask() | below  # every pair the coaches did not veto
        most = maximum_matching(p.n_candidates, problem.capacity, problem.arc_c[allowed], problem.arc_v[allowed])
        above = ~problem.forbidden_mask()
        kept = maximum_matching(p.n_candidates, problem.capacity, problem.arc_c[above], problem.arc_v[above])
        out["pairs_below_min_retention"] = int(below.sum())
        out["places_left_open_by_min_retention"] = int(most.sum() - kept.sum())
    return out


def _make_plan(
    p: Prepared,
    matcher: Matcher,
    run: _Run,
    config: PlanConfig,
    timings: dict[str, float],
    *,
    locked: Sequence[tuple[str, str]],
    forbidden: Sequence[tuple[str, str]],
    scope: Collection[str] | None,
) -> PlanResult:
    t = time.perf_counter()
    places = _places(p, scope)
    need, realised, owed = _needs(p, config.schemes)
    arcs = _Arcs(p, matcher, places.capacity, config, run)
    arcs.score(np.flatnonzero(places.capacity > 0))
    coach = _Coach(*_pairs(p, locked, "locked"), *_pairs(p, forbidden, "forbidden"))
    _check_locks(p, places.capacity, coach.lock_c, coach.lock_v)
    arcs.add_pairs(coach.lock_c, coach.lock_v)
    taken = np.zeros(p.n_candidates, dtype=bool)
    taken[coach.lock_c] = True
    left = places.capacity - np.bincount(coach.lock_v, minlength=p.n_vacancies)
    if len(coach.forbid_c):  # a vetoed pair does not count towards the maximum either
        arcs.drop(coach.forbid_c, coach.forbid_v)
    most = arcs.add_maximum_matching(left, taken, left <= 0) + len(coach.lock_c)
    # a place the largest assignment leaves open gets every eligible candidate before the plan is
    # made, so the solver may fill it instead of another (as many placements, more value); widening
    # after the solve instead needs a second solve, minutes at national size
    filled = arcs.filled_by_maximum + np.bincount(coach.lock_v, minlength=p.n_vacancies)
    widen = np.flatnonzero((filled < places.capacity) & arcs.cut)
    if len(widen):
        arcs.score(widen, widening=True)
    timings["score_s"] = time.perf_counter() - t

    t = time.perf_counter()
    problem = arcs.problem(places, need, coach)
    solution = solve(problem, engine=run.engine, progress=run.progress)
    timings["solve_s"] = time.perf_counter() - t

    t = time.perf_counter()
    run.step("explain", 0, 1)
    plan = _plan_rows(p, matcher, problem, solution)
    filled = np.bincount(problem.arc_v[solution.chosen], minlength=p.n_vacancies)
    unfilled = _unfilled(p, places, filled, arcs)
    unplaced = _unplaced(p, problem, solution, arcs)
    timings["explain_s"] = time.perf_counter() - t
    run.step("explain", 1, 1)
    summary = _summary(p, places, problem, solution, outputs=(plan, unfilled, unplaced), euros=(need, realised, owed))
    summary["counts"]["pairs_screened"] = arcs.m.screened
    summary["counts"]["eligible_pairs"] = arcs.m.eligible
    summary["counts"]["pairs_considered"] = problem.n_arcs
    summary["counts"]["vacancies_widened"] = len(widen)
    summary["counts"]["maximum_placements"] = most
    summary["counts"]["vacancies_expanded"] = arcs.expanded
    summary["retention"] = _retention(p, matcher, problem, solution, arcs.below_minimum)
    summary["engine"] = {"name": run.engine.name, "workers": run.engine.workers}
    meaning = score_meaning(matcher.scorer)
    summary["scorer"] = {"name": matcher.scorer.name, "label": meaning.label, "probability": meaning.probability}
    if not meaning.probability:  # a sum of rule scores is no expected number of lasting placements
        summary["objective"]["expected_retained_6m"] = None
    return PlanResult(plan, unfilled, unplaced, summary, solution, problem, timings)


# -- places and needs -----------------------------------------------------------------------------
@dataclass
class _Places:
    capacity: np.ndarray  # open places per vacancy row (0: not open)
    open_obligation: np.ndarray  # per vacancy: it counts towards an obligation that runs on the as-of date
    countable: np.ndarray  # per obligation row: an open place may count for it
    not_additional: np.ndarray
    months: np.ndarray  # how long each place lasts (NaN: unknown), for valuation


def _running_obligations(p: Prepared) -> tuple[np.ndarray, list[list[int]]]:
    """Per vacancy, whether it counts towards an obligation running on the as-of date (the one it
    names, else any of its contractor's), and the obligation rows it may count for."""
    obl, vac = p.ds.obligations, p.ds.vacancies
    today = pd.Timestamp(p.config.today)
    running = (obl["end_date"] >= today).to_numpy(dtype=bool)
    index = pd.Index(obl["obligation_id"].astype(str))
    explicit = vac["obligation_id"]
    named = np.where(explicit.notna(), index.get_indexer(pd.Index(explicit.astype(str))), -1)
    by_contractor: dict[str, list[int]] = {}
    for i in np.flatnonzero(running).tolist():
        by_contractor.setdefault(str(obl["contractor_id"].iloc[i]), []).append(i)
    rows = [
        ([int(r)] if running[r] else []) if r >= 0 else by_contractor.get(str(k), [])
        for r, k in zip(named.tolist(), vac["contractor_id"].astype(str), strict=True)
    ]
    return np.array([bool(r) for r in rows], dtype=bool), rows


def _places(p: Prepared, scope: Collection[str] | None = None) -> _Places:
    vac = p.ds.vacancies
    running, rows = _running_obligations(p)
    if scope is not None:
        running = running & vac["vacancy_id"].isin(set(scope)).to_numpy(dtype=bool)
    today = pd.Timestamp(p.config.today)
    not_ended = (vac["end_date"].isna() | (vac["end_date"] >= today)).to_numpy(dtype=bool)
    free = open_positions(vac, p.ds.placements).to_numpy(dtype=np.int64)
    capacity = np.where(running & not_ended, free, 0)
    not_additional = ~p.v_additional & running & not_ended
    months = placement_months(vac["start_date"], vac["end_date"])
    countable = np.zeros(len(p.ds.obligations), dtype=bool)
    for v in np.flatnonzero(running & not_ended).tolist():
        countable[rows[v]] = True
    return _Places(capacity, running & not_ended, countable, not_additional, months)


def _needs(p: Prepared, schemes: Schemes | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euros each obligation still needs (owed minus realised), realised euros, and the owed euros
    (after the contractor's PSO discount)."""
    ds = p.ds
    owed = owed_euros(ds.obligations, ds.contractors, schemes)
    realised = realised_euros(ds.obligations, ds.placements, ds.candidates, ds.vacancies, schemes)
    return np.maximum(owed - realised, 0.0), realised, owed


@dataclass(frozen=True)
class _Coach:
    """Coach decisions as rows: pairs to keep and pairs vetoed."""

    lock_c: np.ndarray
    lock_v: np.ndarray
    forbid_c: np.ndarray
    forbid_v: np.ndarray


# -- arcs -------------------------------------------------------------------------------------------
class _Arcs:
    """Eligible scored pairs, per vacancy, and per candidate the nearest vacancy they fall short of,
    scored in blocks on an engine (:mod:`matching.blocks`)."""

    def __init__(self, p: Prepared, matcher: Matcher, capacity: np.ndarray, config: PlanConfig, run: _Run) -> None:
        self.p, self.matcher, self.capacity, self.config, self.run = p, matcher, capacity, config, run
        self.keep = np.maximum(config.min_arcs, config.arcs_per_place * capacity.astype(np.int64))
        self.m = Merged(p.n_candidates, p.n_vacancies)
        self.extra: list[tuple[int, int]] = []
        self.forbidden: set[int] = set()  # vetoed pairs, as candidate row × vacancies + vacancy row
        self.expanded = 0  # vacancies screened again in full for the maximum
        self.filled_by_maximum = np.zeros(p.n_vacancies, dtype=np.int64)  # places the largest assignment fills
        self.below_minimum = np.zeros(0, dtype=bool)  # per arc of the problem: under the minimum retention

    def score(self, vacancies: np.ndarray, *, widening: bool = False) -> None:
        """Score ``vacancies`` in blocks on the engine (widening: keep every eligible candidate)."""
        blocks = make_blocks(self.p, vacancies, self.keep, block_size=self.config.block_size)
        if widening:
            blocks = [Block(b.vacancies, b.keep, keep_all=True) for b in blocks]
        stage = "widen" if widening else "score"
        self.run.step(stage, 0, len(blocks))
        self.run.engine.map(
            score_block,
            blocks,
            shared=self.run.shared,
            done=lambda done, total: self.run.step(stage, done, total),
            label=f"{stage}-block",
            consume=lambda _k, r: self.m.add(r, widening=widening),
        )
        self.m.finish()

    @property
    def cut(self) -> np.ndarray:
        return self.m.cut

    @property
    def n_eligible(self) -> np.ndarray:
        return self.m.n_eligible

    @property
    def by_vacancy(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        return self.m.by_vacancy

    def add_maximum_matching(self, capacity: np.ndarray, taken: np.ndarray, full: np.ndarray) -> int:
        """Add the pairs of a largest assignment over *all* eligible pairs, so that the plan reaches
        the true maximum of placements although each vacancy keeps only its best candidates.
        ``taken`` candidates (locked) and ``full`` places are left out. Returns that maximum.

        No list of every eligible pair is held (billions at national scale). A largest assignment
        over the kept arcs is made first. An eligible pair outside them can only enlarge it if it
        leaves a vacancy that an alternating path reaches from a place with room, so such vacancies
        whose list was cut are screened again on the engine and the assignment is made again, until
        no reached vacancy has a cut list. The result is exact. To keep that work small where the
        best candidates of neighbouring vacancies are the same people (a national pool), the
        vacancies nearest a place with room go first, and a vacancy first gets a few of the eligible
        candidates the assignment leaves free (there are usually plenty); only if it is reached
        again does it get every eligible candidate."""
        n_v = self.p.n_vacancies
        complete = ~self.cut & (self.capacity > 0)
        lists: dict[int, np.ndarray] = {v: c for v, (c, _) in self.by_vacancy.items()}
        tried = np.zeros(n_v, dtype=bool)  # given free candidates once already
        forbidden = np.fromiter(self.forbidden, dtype=np.int64) if self.forbidden else None
        while True:
            vs = sorted(v for v in lists if not full[v])  # vacancy order, whatever order the blocks came back in
            ci = np.concatenate([lists[v] for v in vs]).astype(np.int64) if vs else np.zeros(0, dtype=np.int64)
            vi = np.repeat(np.asarray(vs, dtype=np.int64), [len(lists[v]) for v in vs])
            free = ~taken[ci]
            if forbidden is not None:
                free &= ~np.isin(ci * n_v + vi, forbidden)
            ci, vi = ci[free], vi[free]
            chosen = maximum_matching(self.p.n_candidates, capacity, ci, vi)
            distance = column_distances(self.p.n_candidates, np.maximum(capacity, 0), ci, vi, chosen)
            todo = np.flatnonzero((distance >= 0) & ~complete & (capacity > 0))
            if not len(todo):
                break
            todo = todo[np.lexsort((todo, distance[todo]))]  # nearest first, then by row
            nearest = todo[distance[todo] == distance[todo[0]]]
            todo = nearest if len(nearest) >= EXPAND_AT_LEAST else todo[:EXPAND_AT_LEAST]
            unmatched = ~taken
            unmatched[ci[chosen]] = False
            self.expand(np.sort(todo[~tried[todo]]), lists, complete, unmatched)
            self.expand(np.sort(todo[tried[todo]]), lists, complete, None)
            tried[todo] = True
        self.expanded = int(tried.sum())
        self.add_pairs(ci[chosen], vi[chosen])
        self.filled_by_maximum = np.bincount(vi[chosen], minlength=n_v)
        return int(chosen.sum())

    def expand(
        self, vacancies: np.ndarray, lists: dict[int, np.ndarray], complete: np.ndarray, free: np.ndarray | None
    ) -> None:
        """Add to ``lists`` eligible candidates of ``vacancies`` (rows) screened again in blocks on
        the engine: up to as many as each keeps of those ``free`` in the assignment, or every one
        when ``free`` is None. ``complete`` marks the vacancies whose list now holds every one."""
        if not len(vacancies):
            return
        bits = None if free is None else np.packbits(free)
        requests = [
            Expansion(b.vacancies, self.keep[b.vacancies], bits) for b in make_blocks(self.p, vacancies, self.keep)
        ]

        def merge(_k: int, r: Expanded) -> None:
            for v, found, n in zip(r.vacancies.tolist(), r.found, r.n_eligible.tolist(), strict=True):
                have = lists.get(v)
                merged = found if have is None else np.union1d(have.astype(np.int32), found)
                lists[v] = merged
                complete[v] = n >= 0 and len(merged) >= n  # -1: not counted (only free ones asked for)

        self.run.step("expand", 0, len(requests))
        self.run.engine.map(
            expand_block,
            requests,
            shared=self.run.shared,
            done=lambda done, total: self.run.step("expand", done, total),
            label="expand-block",
            consume=merge,
        )

    def drop(self, ci: np.ndarray, vi: np.ndarray) -> None:
        """Vetoed pairs count towards no maximum."""
        self.forbidden.update((ci * self.p.n_vacancies + vi).tolist())

    def add_pairs(self, ci: np.ndarray, vi: np.ndarray) -> None:
        self.extra.extend(zip(ci.tolist(), vi.tolist(), strict=True))

    def problem(self, places: _Places, need: np.ndarray, coach: _Coach) -> Problem:
        p = self.p
        extra_c = np.array([c for c, _ in self.extra], dtype=np.int64)
        extra_v = np.array([v for _, v in self.extra], dtype=np.int64)
        # a coach's pick may fail a soft rule: it is scored on its features all the same
        extra_score = self.matcher.score_features(pair_features(p, screen(p, extra_c, extra_v)))[0]
        arc_c = np.concatenate([*(c for c, _ in self.by_vacancy.values()), extra_c]).astype(np.int64)
        arc_v = np.concatenate([*(np.full(len(c), v) for v, (c, _) in self.by_vacancy.items()), extra_v])
        score = np.concatenate([*(sc for _, sc in self.by_vacancy.values()), extra_score])
        # sorted by (candidate, vacancy), each pair once: the same input gives the same arcs
        key = arc_c * p.n_vacancies + arc_v.astype(np.int64)
        key, first = np.unique(key, return_index=True)
        arc_c, arc_v, retention = arc_c[first], arc_v[first].astype(np.int64), score[first]
        credit = _arc_credits(p, arc_c, arc_v, places, self.config.schemes)
        locked = np.isin(key, coach.lock_c * p.n_vacancies + coach.lock_v)
        forbidden = np.isin(key, coach.forbid_c * p.n_vacancies + coach.forbid_v)
        if self.config.min_retention is not None:  # a coach's lock stands whatever the prediction
            self.below_minimum = (retention < self.config.min_retention) & ~locked & ~forbidden
            forbidden |= self.below_minimum
        return Problem(
            n_candidates=p.n_candidates,
            arc_c=arc_c,
            arc_v=arc_v,
            value=credit.valuation.euros,
            retention=retention,
            capacity=places.capacity,
            arc_obligation=credit.obligation,
            need=need,
            locked=locked,
            forbidden=forbidden,
        )


def _arc_credits(p: Prepared, ci: np.ndarray, vi: np.ndarray, places: _Places, schemes: Schemes | None) -> Credit:
    """The obligation each arc counts for and its SROI euros (:func:`models.valuation.credit_placements`),
    the place starting on its start date, or the as-of date when that has passed or is unknown."""
    cand, vac = p.ds.candidates, p.ds.vacancies
    start = pd.to_datetime(vac["start_date"]).to_numpy()[vi]
    today = np.datetime64(p.config.today, "ns")
    start = np.where(np.isnat(start) | (start < today), today, start)
    return credit_placements(
        p.ds.obligations,
        named=vac["obligation_id"].to_numpy(dtype=object)[vi],
        contractor=vac["contractor_id"].astype(str).to_numpy(dtype=object)[vi],
        target_group=cand["target_group"].to_numpy(dtype=object)[ci],
        benefit_since=pd.to_datetime(cand["benefit_since"]).to_numpy()[ci],
        birth_year=cand["birth_year"].to_numpy(dtype=float, na_value=np.nan)[ci],
        placement_type=vac["placement_type"].to_numpy(dtype=object)[vi],
        hours_per_week=vac["hours_per_week"].to_numpy(dtype=float, na_value=np.nan)[vi],
        months=places.months[vi],
        start=start,
        on=np.full(len(ci), today),
        language_level=cand["language_level"].astype(object).to_numpy(dtype=object)[ci],
        schemes=schemes,
    )


def _pairs(p: Prepared, pairs: Sequence[tuple[str, str]], what: str) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ci = p.candidate_rows([c for c, _ in pairs])
    vi = p.vacancy_rows([v for _, v in pairs])
    bad = [f"{c}/{v}" for (c, v), a, b in zip(pairs, ci, vi, strict=True) if a < 0 or b < 0]
    if bad:
        raise UnknownIdError(f"{len(bad)} {what} pair(s) name an unknown candidate or vacancy: {', '.join(bad[:5])}")
    return ci.astype(np.int64), vi.astype(np.int64)


def _check_locks(p: Prepared, capacity: np.ndarray, ci: np.ndarray, vi: np.ndarray) -> None:
    """A lock may overrule a soft rule, never consent, displacement or the number of places."""
    if not len(ci):
        return
    s = screen(p, ci, vi)
    problems = []
    for c, v, bits in zip(ci, vi, s.reasons, strict=True):
        names = reason_codes(int(bits) & ~LOCKS_MAY_OVERRULE)
        if names:
            problems.append(f"{p.candidate_ids[c]}/{p.vacancy_ids[v]} ({', '.join(names)})")
        elif capacity[v] == 0:
            problems.append(f"{p.candidate_ids[c]}/{p.vacancy_ids[v]} (the vacancy has no open place)")
    if problems:
        raise SolverError("locked pairs that cannot be planned: " + "; ".join(problems[:5]))
    if len(np.unique(ci)) < len(ci):
        twice = pd.Series(p.candidate_ids[ci]).value_counts()
        raise SolverError(f"candidate(s) locked to more than one place: {', '.join(twice[twice > 1].index[:5])}")
    over = np.flatnonzero(np.bincount(vi, minlength=p.n_vacancies) > capacity)
    if len(over):
        raise SolverError(f"more locked pairs than open places at vacancy {', '.join(p.vacancy_ids[over][:5])}")


# -- outputs ----------------------------------------------------------------------------------------
def _plan_rows(p: Prepared, matcher: Matcher, problem: Problem, solution: Solution) -> pd.DataFrame:
    chosen = solution.chosen
    ci, vi = problem.arc_c[chosen], problem.arc_v[chosen]
    if not len(chosen):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    explained = matcher.score_pairs(p.candidate_ids[ci].tolist(), p.vacancy_ids[vi].tolist())
    obl_ids = p.ds.obligations["obligation_id"].astype(str).to_numpy()
    o = problem.arc_obligation[chosen]
    warn = displacement_warnings(p.ds.contractors).to_numpy(dtype=bool)
    k = p.v_contractor[vi]
    frame = pd.DataFrame(
        {
            "candidate_id": p.candidate_ids[ci],
            "vacancy_id": p.vacancy_ids[vi],
            "obligation_id": np.where(o >= 0, obl_ids[np.maximum(o, 0)], ""),
            "score": np.round(problem.retention[chosen], 4),
            "sroi_value_eur": np.round(problem.value[chosen], 2),
            "explanation": explained["explanation"].to_numpy(),
            "reasons": explained["reasons"].to_numpy(),
            "locked": problem.locked_mask()[chosen],
            "displacement_warning": np.where(k >= 0, warn[np.maximum(k, 0)], False),
        }
    )
    return frame.sort_values(["obligation_id", "vacancy_id", "candidate_id"], kind="stable").reset_index(drop=True)


def _unfilled(p: Prepared, places: _Places, filled: np.ndarray, arcs: _Arcs) -> pd.DataFrame:
    left = places.capacity - filled
    rows = []
    for v in np.flatnonzero(places.not_additional):
        free = int(p.ds.vacancies["positions"].iloc[v])
        rows.append((p.vacancy_ids[v], free, NOT_ADDITIONAL))
    for v in np.flatnonzero(left > 0):
        reason = PLACED_ELSEWHERE if arcs.n_eligible[v] > 0 else NO_ELIGIBLE_CANDIDATE
        rows.append((p.vacancy_ids[v], int(left[v]), reason))
    frame = pd.DataFrame(rows, columns=UNFILLED_COLUMNS)
    return frame.sort_values("vacancy_id", kind="stable").reset_index(drop=True)


def _first_eligible(p: Prepared, arcs: _Arcs) -> np.ndarray:
    """Per candidate the lowest open vacancy row they are eligible for (-1: none), vetoed pairs left out."""
    first = arcs.m.first_eligible.copy()
    if not arcs.forbidden:
        return first
    keys = np.fromiter(arcs.forbidden, dtype=np.int64)
    vetoed_c = np.unique(keys // p.n_vacancies)
    hit = vetoed_c[np.isin(vetoed_c * p.n_vacancies + first[vetoed_c], keys)]
    open_v = np.flatnonzero(arcs.capacity > 0)
    for c in hit.tolist():  # their first was vetoed: look again over every open place
        s = screen(p, np.full(len(open_v), c), open_v)
        ok = s.eligible & ~np.isin(c * p.n_vacancies + open_v, keys)
        first[c] = open_v[ok][0] if ok.any() else -1
    return first


def _unplaced(p: Prepared, problem: Problem, solution: Solution, arcs: _Arcs) -> pd.DataFrame:
    placed = np.zeros(p.n_candidates, dtype=bool)
    placed[problem.arc_c[solution.chosen]] = True
    # each candidate's best-scored pair among those considered (vetoed ones left out)
    allowed = np.flatnonzero(~problem.forbidden_mask())
    best_arc = np.full(p.n_candidates, -1)
    order = allowed[np.lexsort((-problem.retention[allowed], problem.arc_c[allowed]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = problem.arc_c[order][1:] != problem.arc_c[order][:-1]
    best_arc[problem.arc_c[order[first]]] = order[first]
    # an eligible vacancy for everyone eligible somewhere, also when no shortlist kept them
    eligible_v = _first_eligible(p, arcs)
    cands = np.flatnonzero(p.c_matchable & ~placed)
    better = eligible_v[cands] >= 0
    near = arcs.m.near_v[cands].copy()
    far = ~better & (near < 0)
    near[far] = _nearest_open(p, arcs.capacity, cands[far])  # out of everyone's reach: the closest place
    check = ~better & (near >= 0)
    s = screen(p, cands[check], near[check])  # one screen for every nearest vacancy
    reason = np.where(
        better, TAKEN_BY_BETTER, np.where(arcs.m.in_reach[cands], NO_ELIGIBLE_VACANCY, NO_VACANCY_IN_REACH)
    )
    reason[~better & (near < 0)] = NO_VACANCY_IN_REACH
    nearest = np.full(len(cands), "", dtype=object)
    arc = best_arc[cands]
    with_arc = better & (arc >= 0)
    nearest[better] = p.vacancy_ids[eligible_v[cands[better]]]
    nearest[with_arc] = p.vacancy_ids[problem.arc_v[arc[with_arc]]]  # their best-scored pair, when considered
    nearest[check] = p.vacancy_ids[near[check]]
    lacks = np.full(len(cands), "", dtype=object)
    lacks[check] = [
        missing(p, int(c), int(v), int(bits), float(km))
        for c, v, bits, km in zip(s.ci, s.vi, s.reasons, s.km, strict=True)
    ]
    rows = {"candidate_id": p.candidate_ids[cands], "reason": reason, "nearest_vacancy_id": nearest, "missing": lacks}
    return pd.DataFrame(rows, columns=UNPLACED_COLUMNS)


def _nearest_open(p: Prepared, capacity: np.ndarray, ci: np.ndarray) -> np.ndarray:
    """The open vacancy closest to each candidate as the crow flies (-1 when either has no location)."""
    places = np.flatnonzero(capacity > 0)
    k = SphereIndex(p.v_lat[places], p.v_lon[places]).nearest(p.c_lat[ci], p.c_lon[ci])
    out = np.full(len(ci), -1, dtype=np.int64)
    found = k >= 0
    out[found] = places[k[found]]
    return out


def _summary(
    p: Prepared,
    places: _Places,
    problem: Problem,
    solution: Solution,
    *,
    outputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    euros: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, Any]:
    plan, unfilled, unplaced = outputs
    need, realised, owed = euros
    obl = p.ds.obligations
    planned = problem.planned_value(solution.chosen)
    counted = np.minimum(planned, need)
    obligations = []
    for o in np.flatnonzero(places.countable | (planned > 0)):
        after = realised[o] + counted[o]
        obligations.append(
            {
                "obligation_id": str(obl["obligation_id"].iloc[o]),
                "contractor_id": str(obl["contractor_id"].iloc[o]),
                "required_eur": round(float(owed[o]), 2),
                "realised_eur": round(float(realised[o]), 2),
                "planned_eur": round(float(planned[o]), 2),
                "planned_counted_eur": round(float(counted[o]), 2),
                "fulfilment_after_plan": round(float(min(after / owed[o], 1.0)) if owed[o] > 0 else 1.0, 4),
            }
        )
    warn = displacement_warnings(p.ds.contractors)
    below = p.ds.contractors["contractor_id"][warn.to_numpy(dtype=bool)].astype(str).tolist()
    return {
        "as_of": p.config.today.isoformat(),
        "counts": {
            "candidates": int(p.n_candidates),
            "matchable_candidates": int(p.c_matchable.sum()),
            "open_vacancies": int((places.capacity > 0).sum()),
            "open_places": int(places.capacity.sum()),
            "placements": int(solution.placements),
            "locked": int(problem.locked_mask().sum()),
            "forbidden": int(problem.forbidden_mask().sum()),
            "unfilled_places": int(unfilled.loc[unfilled["reason"] != NOT_ADDITIONAL, "open_positions"].sum()),
            "unplaced_candidates": len(unplaced),
        },
        "objective": {
            "placements": int(solution.placements),
            "sroi_eur": round(solution.sroi_eur, 2),
            "sroi_bound_eur": round(solution.sroi_bound_eur, 2),
            "sroi_gap": round(solution.sroi_gap, 6),
            "score_sum": round(solution.retention, 3),
            "expected_retained_6m": round(solution.retention, 3),
            "retention_bound": round(solution.retention_bound, 3),
            "retention_gap": round(solution.retention_gap, 6),
        },
        "solver": {
            "status": solution.status,
            "components": solution.components,
            "methods": solution.methods,
            "solve_s": round(solution.solve_seconds, 3),
        },
        "obligations": obligations,
        "displacement": {
            "non_additional_vacancies_never_filled": int(places.not_additional.sum()),
            "contractors_below_baseline": below,
            "plan_rows_flagged": int(plan["displacement_warning"].sum()) if len(plan) else 0,
        },
    }
