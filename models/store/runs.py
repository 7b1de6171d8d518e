"""Match runs as stored: the run's row (state, progress, summary) and its plan, unfilled and unplaced rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, update

from models.store import tables as t
from models.store.store import now

#: The tables of a run's result, by name.
RESULT_TABLES: dict[str, Table] = {"plan": t.run_plan, "unfilled": t.run_unfilled, "unplaced": t.run_unplaced}
#: What a run may be limited to, and the column of the table that must hold its id.
SCOPE_COLUMNS: dict[str, Any] = {
    "obligation": t.obligations.c.obligation_id,
    "contractor": t.contractors.c.contractor_id,
    "tender": t.obligations.c.tender_name,
}


def insert(
    conn: Connection,
    *,
    run_id: str,
    scope: str,
    scope_id: str | None,
    region: str | None,
    options: str,
    key_id: str | None,
) -> None:
    """A new run, ``queued``."""
    conn.execute(
        t.match_runs.insert().values(
            run_id=run_id,
            scope=scope,
            scope_id=scope_id,
            region=region,
            status="queued",
            progress=0.0,
            stage="queued",
            attempts=0,
            options=options,
            key_id=key_id,
            created_at=now(),
        )
    )


def scope_exists(conn: Connection, scope: str, scope_id: str | None) -> bool:
    """Whether the obligation, contractor or tender a run is limited to exists (a region always does)."""
    column = SCOPE_COLUMNS.get(scope)
    if column is None:
        return True
    return conn.execute(select(column).where(column == scope_id).limit(1)).first() is not None


def get(conn: Connection, run_id: str, region: str | None = None, *, every_region: bool = False) -> Any:
    """The run's row if the key of ``region`` sees it (``every_region``: whatever its region), else ``None``."""
    query = select(t.match_runs).where(t.match_runs.c.run_id == run_id)
    if region is not None and not every_region:
        query = query.where(t.match_runs.c.region == region)
    return conn.execute(query).first()


def page_ids(
    conn: Connection, region: str | None, status: str | None, offset: int, limit: int
) -> tuple[list[str], int]:
    """The ids of a page of runs ``region`` sees, newest first, and how many there are in all."""
    query = select(t.match_runs.c.run_id)
    if region is not None:
        query = query.where(t.match_runs.c.region == region)
    if status is not None:
        query = query.where(t.match_runs.c.status == status)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    ids = [
        r.run_id
        for r in conn.execute(
            query.order_by(t.match_runs.c.created_at.desc(), t.match_runs.c.run_id).offset(offset).limit(limit)
        )
    ]
    return ids, total


def set_values(conn: Connection, run_id: str, **values: Any) -> None:
    conn.execute(update(t.match_runs).where(t.match_runs.c.run_id == run_id).values(**values))


def unfinished(conn: Connection) -> list[Any]:
    """Runs left ``queued`` or ``running`` (by a process that stopped), oldest first."""
    return list(
        conn.execute(
            select(t.match_runs.c.run_id, t.match_runs.c.attempts)
            .where(t.match_runs.c.status.in_(["queued", "running"]))
            .order_by(t.match_runs.c.created_at)
        ).all()
    )


def result_rows(conn: Connection, run_id: str, name: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the run's ``plan``, ``unfilled`` or ``unplaced`` rows (in their order), and how many in all."""
    table = RESULT_TABLES[name]
    query = select(table).where(table.c.run_id == run_id)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    rows = [dict(r._mapping) for r in conn.execute(query.order_by(table.c.row).offset(offset).limit(limit))]
    for r in rows:
        r.pop("run_id")
        r.pop("row")
    return rows, total


def save_result(conn: Connection, run_id: str, rows: Mapping[str, Sequence[Mapping[str, Any]]], summary: str) -> None:
    """Store the run's result (rows per result table, replacing any earlier attempt's) and mark it done."""
    for table in RESULT_TABLES.values():
        conn.execute(delete(table).where(table.c.run_id == run_id))
    for name, records in rows.items():
        if records:
            conn.execute(
                RESULT_TABLES[name].insert(), [{"run_id": run_id, "row": i, **r} for i, r in enumerate(records)]
            )
    set_values(conn, run_id, status="done", stage="done", progress=1.0, finished_at=now(), summary=summary, error=None)


def planned_candidates(conn: Connection) -> set[str]:
    """The candidates in the plan of a finished run."""
    in_runs = (
        select(t.run_plan.c.candidate_id)
        .join(t.match_runs, t.match_runs.c.run_id == t.run_plan.c.run_id)
        .where(t.match_runs.c.status == "done")
        .distinct()
    )
    return {str(r[0]) for r in conn.execute(in_runs)}


__all__ = [
    "RESULT_TABLES",
    "get",
    "insert",
    "page_ids",
    "planned_candidates",
    "result_rows",
    "save_result",
    "scope_exists",
    "set_values",
    "unfinished",
]
