"""The dask engine on a real Dask LocalCluster: the same plans as the local engine, a worker killed
mid-run survived, and a running cluster joined through its scheduler address."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matching.engines import Engine, EngineError, make_engine
from matching.plan import PlanConfig, PlanResult, make_plan
from matching.prepare import MatchConfig, Prepared
from matching.scorers import LearnedScorer
from matching.solver import Problem, solve
from tests.conftest import AS_OF, Worlds

pytestmark = [pytest.mark.dask, pytest.mark.slow]
distributed = pytest.importorskip("distributed")

# a narrow net (so the places left open are scored again, as a second round of blocks) and small
# blocks (so the work is cut into many pieces, spread over both workers)
CONFIG = PlanConfig(arcs_per_place=1, min_arcs=1, block_size=8)


@pytest.fixture(scope="module")
def world(worlds: Worlds) -> tuple[Prepared, LearnedScorer]:
    """This world, and learned boosted stumps with their score bound: trained on the history of another
    world of the same size (this world's own history keeps the rule score, calibrated)."""
    return worlds.prepared(1000, 300, 7), worlds.trained(1000, 300, 1, train_seed=7)


@pytest.fixture(scope="module")
def places(world: tuple[Prepared, LearnedScorer]) -> set[str]:
    """The places of two thirds of the obligations, the scope of every plan here: still many blocks and
    components, each solved to a proven optimum in a fraction of a second. Over the whole world CP-SAT
    searches one component up to its limit, about 20 s of CPU per plan, and on a loaded machine its
    wall-clock guard can end that search at another point in each process."""
    vacancies = world[0].ds.vacancies
    obligations = vacancies["obligation_id"].dropna().unique()
    chosen = obligations[: 2 * len(obligations) // 3]
    return set(vacancies.loc[vacancies["obligation_id"].isin(chosen), "vacancy_id"])


Decisions = tuple[list[tuple[str, str]], list[tuple[str, str]]]


@pytest.fixture(scope="module")
def decisions(world: tuple[Prepared, LearnedScorer], places: set[str]) -> Decisions:
    """A coach's veto of one eligible pair and a kept pair, so decisions travel to the workers too."""
    plan = make_plan(world[0], config=CONFIG, scope=places)
    first, second = plan.plan.iloc[0], plan.plan.iloc[1]
    return [(second.candidate_id, second.vacancy_id)], [(first.candidate_id, first.vacancy_id)]


@pytest.fixture(scope="module")
def local_plan(world: tuple[Prepared, LearnedScorer], decisions: Decisions, places: set[str]) -> PlanResult:
    p, scorer = world
    locked, forbidden = decisions
    return make_plan(p, scorer, config=CONFIG, locked=locked, forbidden=forbidden, scope=places)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Engine]:
    with make_engine("dask", workers=2) as engine:
        yield engine


def _same(a: PlanResult, b: PlanResult) -> None:
    for name in ("plan", "unfilled", "unplaced"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    skip = {"engine"}
    assert {k: v for k, v in a.summary.items() if k not in skip and k != "solver"} == {
        k: v for k, v in b.summary.items() if k not in skip and k != "solver"
    }
    assert a.summary["solver"]["status"] == b.summary["solver"]["status"]
    assert a.summary["solver"]["methods"] == b.summary["solver"]["methods"]


def test_the_dask_engine_gives_the_local_engines_plan(
    world: tuple[Prepared, LearnedScorer],
    places: set[str],
    decisions: Decisions,
    local_plan: PlanResult,
    cluster: Engine,
) -> None:
    p, scorer = world
    stages: list[tuple[str, int, int]] = []
    locked, forbidden = decisions
    result = make_plan(
        p,
        scorer,
        config=CONFIG,
        locked=locked,
        forbidden=forbidden,
        engine=cluster,
        progress=lambda *s: stages.append(s),
        scope=places,
    )
    assert len(local_plan.plan) > 100
    assert local_plan.summary["solver"]["components"] > 1
    assert local_plan.summary["counts"]["vacancies_widened"] > 0  # the second round ran on the workers too
    assert local_plan.summary["counts"]["vacancies_expanded"] > 0  # and the exact maximum's screening
    assert local_plan.plan["locked"].sum() == 1
    _same(local_plan, result)
    assert result.summary["engine"] == {"name": "dask", "workers": 2}
    score = [s for s in stages if s[0] == "score"]
    assert score[-1][1] == score[-1][2] > 10  # every block reported, many blocks
    assert {s[0] for s in stages} >= {"score", "expand", "widen", "solve", "explain"}


def test_ties_are_broken_alike_on_both_engines(worlds: Worlds, cluster: Engine) -> None:
    """Twins (each candidate three times, each vacancy twice, under other ids) tie on every score: the
    kept lists, the largest assignment and the solver all choose between equals, and the plans written
    by both engines are the same to the byte."""
    ds = worlds.dataset(60, 20, 3)
    c, v = ds.candidates, ds.vacancies
    twins = dataclasses.replace(
        ds,
        candidates=pd.concat([c, *(c.assign(candidate_id=c["candidate_id"] + f"-{k}") for k in "AB")]),
        vacancies=pd.concat([v, v.assign(vacancy_id=v["vacancy_id"] + "-A")]),
    )
    p = Prepared(twins, config=MatchConfig(today=AS_OF))
    here = make_plan(p, config=CONFIG)
    there = make_plan(p, config=CONFIG, engine=cluster)
    assert len(np.unique(here.problem.retention)) < len(here.problem.retention) / 2  # ties throughout
    assert len(here.plan) > 10
    for name in ("plan", "unfilled", "unplaced"):
        assert getattr(here, name).to_csv(index=False) == getattr(there, name).to_csv(index=False), name
    np.testing.assert_array_equal(here.solution.chosen, there.solution.chosen)


def test_a_worker_killed_mid_run_is_survived(
    world: tuple[Prepared, LearnedScorer],
    places: set[str],
    decisions: Decisions,
    local_plan: PlanResult,
    tmp_path: Path,
) -> None:
    """One worker process dies as a scoring block starts on it: the nanny starts a new one, the
    scheduler gives the block to a live worker, and the plan is the same as without the crash."""
    from distributed.diagnostics.plugin import WorkerPlugin

    armed, fired = tmp_path / "armed", tmp_path / "fired"
    armed.touch()

    class KillOnce(WorkerPlugin):
        def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
            if finish == "executing" and "score-block" in str(key):
                try:
                    os.rename(armed, fired)  # only one worker wins the rename: one crash
                except FileNotFoundError:
                    return
                os._exit(1)

    p, scorer = world
    locked, forbidden = decisions
    with make_engine("dask", workers=2) as engine:
        engine.client.register_plugin(KillOnce(), name="kill-once")  # type: ignore[attr-defined]
        result = make_plan(p, scorer, config=CONFIG, locked=locked, forbidden=forbidden, engine=engine, scope=places)
    assert fired.exists()
    assert not armed.exists()
    _same(local_plan, result)


def test_a_running_cluster_is_joined_by_its_scheduler_address(
    world: tuple[Prepared, LearnedScorer],
    places: set[str],
    decisions: Decisions,
    local_plan: PlanResult,
    cluster: Engine,
) -> None:
    p, scorer = world
    locked, forbidden = decisions
    address = cluster.scheduler  # type: ignore[attr-defined]
    assert str(address).startswith("tcp://")
    with make_engine("dask", scheduler=address) as joined:
        result = make_plan(p, scorer, config=CONFIG, locked=locked, forbidden=forbidden, engine=joined, scope=places)
    _same(local_plan, result)


def _components(seed: int, parts: int) -> Problem:
    """Independent little assignment problems side by side, some planned beyond their need."""
    rng = np.random.default_rng(seed)
    arc_c, arc_v, obligation, need, capacity = [], [], [], [], []
    c0 = v0 = o0 = 0
    for k in range(parts):
        n_c, n_v = int(rng.integers(3, 30)), int(rng.integers(2, 12))
        for c in range(n_c):
            for v in rng.choice(n_v, size=min(n_v, int(rng.integers(1, 4))), replace=False):
                arc_c.append(c0 + c)
                arc_v.append(v0 + int(v))
        capacity.extend(rng.integers(1, 3, size=n_v).tolist())
        obligation.extend([o0] * n_v)
        need.append(float(rng.integers(1, 6) * 10_000 if k % 2 else 1e9))
        c0, v0, o0 = c0 + n_c, v0 + n_v, o0 + 1
    n_arcs = len(arc_c)
    return Problem(
        n_candidates=c0,
        arc_c=np.array(arc_c, dtype=np.int64),
        arc_v=np.array(arc_v, dtype=np.int64),
        value=rng.integers(1, 8, size=n_arcs).astype(float) * 5_000,
        retention=rng.random(n_arcs),
        capacity=np.array(capacity, dtype=np.int64),
        arc_obligation=np.array(obligation, dtype=np.int64)[np.array(arc_v, dtype=np.int64)],
        need=np.array(need),
    )


def test_components_solved_on_the_workers_give_the_same_solution(cluster: Engine) -> None:
    problem = _components(5, 60)
    here = solve(problem)
    stages: list[tuple[str, int, int]] = []
    there = solve(problem, engine=cluster, progress=lambda *s: stages.append(s))
    assert here.components == there.components == 60
    np.testing.assert_array_equal(here.chosen, there.chosen)
    assert (here.sroi_eur, here.retention, here.status, here.methods) == (
        there.sroi_eur,
        there.retention,
        there.status,
        there.methods,
    )
    assert len(here.methods) >= 2  # plain flows and repaired ones
    assert stages[-1] == ("solve", 60, 60)


def _gated(gate: Path) -> Callable[[np.ndarray, int], int]:
    """``offset + item``: item 0 at once, the others only once ``gate`` exists (so that they are
    still waiting or running when the test strikes)."""

    def add(shared: np.ndarray, item: int) -> int:
        deadline = time.monotonic() + 30
        while item and not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return int(shared[0]) + item

    return add


def _lose(engine: Engine, shared: object, gate: Path) -> None:
    """Make the cluster forget a scattered object as if every worker holding it had died: Dask
    cancels every task that needs it. Then open the gate."""
    client = engine.client  # type: ignore[attr-defined]
    try:
        client.cancel([shared])
        while shared.key in client.who_has():  # type: ignore[attr-defined]
            time.sleep(0.01)  # until the scheduler has forgotten it, and the tasks with it
    finally:
        gate.touch()


def test_tasks_cancelled_with_a_lost_shared_object_are_done_again(cluster: Engine, tmp_path: Path) -> None:
    obj = np.array([1000])
    first = cluster.share(obj)
    seen: list[tuple[int, int]] = []

    def consume(k: int, result: int) -> None:
        if not seen:
            _lose(cluster, first, tmp_path / "gate")
        seen.append((k, result))

    assert cluster.map(_gated(tmp_path / "gate"), list(range(6)), shared=(first,), consume=consume) == []
    assert sorted(seen) == [(k, 1000 + k) for k in range(6)]  # each item once
    again = cluster.share(obj)
    assert again is not first  # scattered anew, and the old handle still works
    assert cluster.map(_gated(tmp_path / "gate"), [3, 4], shared=(first,)) == [1003, 1004]


def test_a_lost_object_not_shared_through_the_engine_stops_the_run(cluster: Engine, tmp_path: Path) -> None:
    [data] = cluster.client.scatter([np.array([1000])], broadcast=True, hash=False)  # type: ignore[attr-defined]

    def consume(k: int, result: int) -> None:
        _lose(cluster, data, tmp_path / "gate")

    with pytest.raises(
        EngineError, match=r"^Dask lost an object shared by the victim tasks .* could not send it again"
    ):
        cluster.map(_gated(tmp_path / "gate"), [0, 1, 2], shared=(data,), consume=consume, label="victim")


def test_a_task_cancelled_again_and_again_stops_the_run(cluster: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    client = cluster.client  # type: ignore[attr-defined]
    submit = client.submit

    def submit_and_cancel(*args: object, **kwargs: object) -> object:
        future = submit(*args, **kwargs)
        client.cancel([future], reason="a test")
        return future

    monkeypatch.setattr(client, "submit", submit_and_cancel)
    with pytest.raises(EngineError, match=r"^Dask cancelled the same doomed 4 times \(last: a test\)"):
        cluster.map(abs, [-1, -2, -3], label="doomed")
