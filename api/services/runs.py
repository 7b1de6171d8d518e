"""Match runs as background jobs: queued, run one at a time, progress and result in the store.

A run's state lives in the database, not in memory: when the server stops in the middle of a
run, the next start finds it ``queued`` or ``running`` and runs it again (the plan is
deterministic, so the result is the one the first attempt would have given). A run that was
interrupted :data:`MAX_ATTEMPTS` times is marked failed instead of being tried forever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from api.bootstrap import Runtime
from api.security import Principal
from matching.plan import PlanConfig, make_plan
from models.dataset import Dataset
from models.dataset.cells import format_column
from models.errors import KoppelaarError
from models.schema import FILES
from models.store import Store, decisions, runs
from models.store.store import now

log = logging.getLogger("koppelaar.jobs")

MAX_ATTEMPTS = 3
PROGRESS_EVERY_S = 1.0
#: How far a run is at the start and end of each stage of the plan, and the stage name shown.
RUN_STAGES = {
    "score": (0.35, 0.68, "scoring"),
    "expand": (0.68, 0.7, "checking the most placements possible"),
    "widen": (0.7, 0.72, "scoring open places again"),
    "solve": (0.72, 0.8, "solving"),
    "explain": (0.8, 0.9, "explaining"),
}


def new_run_id() -> str:
    return "run-" + secrets.token_hex(8)


def dataset_hash(ds: Dataset) -> str:
    """A fingerprint of a dataset's content (canonical cell texts), for 'same input, same plan'."""
    digest = hashlib.sha256()
    for spec in FILES:
        table = ds.table(spec.name)
        for col in spec.columns:
            digest.update(col.name.encode())
            digest.update("\x1f".join(format_column(table[col.name], col)).encode())
    return digest.hexdigest()


def scope_vacancies(ds: Dataset, scope: str, scope_id: str | None) -> list[str] | None:
    """The vacancy ids a run plans (``None``: all of them)."""
    vac, obl = ds.vacancies, ds.obligations
    if scope == "region":
        return None
    if scope == "contractor":
        ids = vac.loc[vac["contractor_id"] == scope_id, "vacancy_id"]
    elif scope == "obligation":
        ids = vac.loc[vac["obligation_id"] == scope_id, "vacancy_id"]
    else:  # tender
        obligations = set(obl.loc[obl["tender_name"] == scope_id, "obligation_id"])
        ids = vac.loc[vac["obligation_id"].isin(obligations), "vacancy_id"]
    return [str(v) for v in ids]


def create_run(store: Store, principal: Principal, body: dict[str, Any]) -> str:
    """Queue a run; returns its id."""
    run_id = new_run_id()
    options = {
        "today": body["today"].isoformat() if isinstance(body.get("today"), date) else body.get("today"),
        "locked": [list(p) for p in body.get("locked", [])],
        "forbidden": [list(p) for p in body.get("forbidden", [])],
    }
    with store.begin() as conn:
        runs.insert(
            conn,
            run_id=run_id,
            scope=str(body["scope"]),
            scope_id=body.get("scope_id"),
            region=principal.region,
            options=json.dumps(options),
            key_id=principal.key_id,
        )
    return run_id


class JobRunner:
    """Runs queued match runs in a background thread, one at a time."""

    def __init__(self, store: Store, runtime: Runtime) -> None:
        self.store = store
        self.runtime = runtime
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="koppelaar-run")
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, run_id: str) -> None:
        with self._lock:
            self._futures[run_id] = self._pool.submit(self._execute, run_id)

    def recover(self) -> list[str]:
        """Queue again every run an earlier process left queued or running; returns their ids."""
        resumed: list[str] = []
        with self.store.begin() as conn:
            for row in runs.unfinished(conn):
                if row.attempts >= MAX_ATTEMPTS:
                    runs.set_values(
                        conn,
                        row.run_id,
                        status="failed",
                        stage="failed",
                        finished_at=now(),
                        error=f"interrupted {row.attempts} times by a restart; start a new run",
                    )
                else:
                    runs.set_values(
                        conn, row.run_id, status="queued", stage="queued (resumed after a restart)", progress=0.0
                    )
                    resumed.append(row.run_id)
        for run_id in resumed:
            self.submit(run_id)
        return resumed

    def wait(self, run_id: str, timeout: float | None = None) -> None:
        future = self._futures.get(run_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- one run -------------------------------------------------------------------------------

    def _set(self, run_id: str, **values: Any) -> None:
        with self.store.begin() as conn:
            runs.set_values(conn, run_id, **values)

    def _execute(self, run_id: str) -> None:
        with self.store.connect() as conn:
            run = runs.get(conn, run_id, every_region=True)
        if run is None or run.status not in ("queued", "running"):
            return
        self._set(run_id, status="running", stage="loading", progress=0.05, started_at=now(), attempts=run.attempts + 1)
        try:
            self._plan(run)
        except KoppelaarError as exc:
            self._set(run_id, status="failed", stage="failed", finished_at=now(), error=str(exc))
        except Exception as exc:  # the type only: a message could hold candidate data
            log.exception("match run %s failed with %s", run_id, type(exc).__name__)
            self._set(
                run_id,
                status="failed",
                stage="failed",
                finished_at=now(),
                error=f"internal error ({type(exc).__name__}); it has been logged",
            )

    def _plan(self, run: Any) -> None:
        run_id = run.run_id
        options = json.loads(run.options)
        day = date.fromisoformat(options["today"]) if options.get("today") else date.today()
        ds = self.store.load_dataset(run.region)
        scope = scope_vacancies(ds, run.scope, run.scope_id)
        if scope is not None and not scope:
            raise KoppelaarError(f"{run.scope} {run.scope_id} has no vacancies to plan")
        with self.store.connect() as conn:
            rejected = decisions.every_rejected(conn)
        own = set(ds.candidates["candidate_id"])
        forbidden: list[tuple[str, str]] = [(str(c), str(v)) for c, v in options["forbidden"]] + [
            (c, v) for c, v in rejected if c in own
        ]
        locked: list[tuple[str, str]] = [(str(c), str(v)) for c, v in options["locked"]]
        digest = hashlib.sha256(
            json.dumps(
                {
                    "data": dataset_hash(ds),
                    "scope": [run.scope, run.scope_id, run.region],
                    "today": day.isoformat(),
                    "locked": sorted(locked),
                    "forbidden": sorted(set(forbidden)),
                    "model": str(self.runtime.settings.model) if self.runtime.settings.model else None,
                }
            ).encode()
        ).hexdigest()
        self._set(run_id, stage="preparing", progress=0.15, input_hash=digest)
        scorer = self.runtime.model
        p = self.runtime.prepare(ds, day)
        self._set(run_id, stage="scoring", progress=0.35)
        last = [time.monotonic()]

        def progress(stage: str, done: int, total: int) -> None:
            low, high, name = RUN_STAGES.get(stage, (0.8, 0.9, stage))
            if time.monotonic() - last[0] >= PROGRESS_EVERY_S or done == 0:
                last[0] = time.monotonic()
                self._set(run_id, stage=name, progress=round(low + (high - low) * done / max(total, 1), 3))

        result = make_plan(
            p,
            scorer,
            locked=locked,
            forbidden=sorted(set(forbidden)),
            progress=progress,
            scope=scope,
            config=PlanConfig(schemes=self.runtime.schemes, min_retention=self.runtime.settings.min_retention),
        )
        self._set(run_id, stage="saving", progress=0.9)
        rows = {
            "plan": _records(result.plan),
            "unfilled": _records(result.unfilled),
            "unplaced": _records(result.unplaced),
        }
        with self.store.begin() as conn:
            runs.save_result(conn, run_id, rows, json.dumps(_jsonable(result.summary)))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append(
            {
                str(k): (None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else _plain(v))
                for k, v in record.items()
            }
        )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


__all__ = ["MAX_ATTEMPTS", "JobRunner", "create_run", "dataset_hash", "scope_vacancies"]
