"""Coach decisions as stored: a suggestion accepted (with the placement it proposed) or rejected."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select

from models.store import tables as t
from models.store.store import now

# built once, as the audit's inserts are: building a statement costs more than running it on SQLite
_REJECTED = {
    kind: select(t.decisions.c.candidate_id, t.decisions.c.vacancy_id).where(
        t.decisions.c.decision == "rejected", column == bindparam("key")
    )
    for kind, column in (("vacancy", t.decisions.c.vacancy_id), ("candidate", t.decisions.c.candidate_id))
}
_STANDING = (
    select(
        t.decisions.c.candidate_id,
        t.decisions.c.vacancy_id,
        t.decisions.c.at,
        t.decisions.c.placement_id,
        t.api_keys.c.label,
        t.placements.c.status,
    )
    .join(t.placements, t.placements.c.placement_id == t.decisions.c.placement_id)
    .outerjoin(t.api_keys, t.api_keys.c.key_id == t.decisions.c.key_id)
    .where(t.decisions.c.decision == "accepted")
)
# the standing proposals (read by every suggestion) of given candidates, of given vacancies, or of
# given candidates for given vacancies
_PROPOSALS = {
    (True, False): _STANDING.where(t.decisions.c.candidate_id.in_(bindparam("candidates", expanding=True))),
    (False, True): _STANDING.where(t.decisions.c.vacancy_id.in_(bindparam("vacancies", expanding=True))),
    (True, True): _STANDING.where(
        t.decisions.c.candidate_id.in_(bindparam("candidates", expanding=True)),
        t.decisions.c.vacancy_id.in_(bindparam("vacancies", expanding=True)),
    ),
}
# the standing proposals of one candidate or one vacancy (a suggestion's subject): without an expanding
# ``IN``, which SQLAlchemy renders again for each call
_PROPOSALS_OF = {
    "candidate": _STANDING.where(t.decisions.c.candidate_id == bindparam("key")),
    "vacancy": _STANDING.where(t.decisions.c.vacancy_id == bindparam("key")),
}


def insert(
    conn: Connection,
    *,
    key_id: str | None,
    candidate_id: str,
    vacancy_id: str,
    decision: str,
    reason: str | None,
    placement_id: str | None = None,
    run_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Record a decision; its id and the values stored."""
    values = {
        "at": now(),
        "key_id": key_id,
        "candidate_id": candidate_id,
        "vacancy_id": vacancy_id,
        "decision": decision,
        "reason": reason,
        "placement_id": placement_id,
        "run_id": run_id,
    }
    decision_id = conn.execute(t.decisions.insert().values(**values).returning(t.decisions.c.decision_id)).scalar_one()
    return int(decision_id), values


def rejected(conn: Connection, kind: str, key: str) -> set[tuple[str, str]]:
    """The rejected (candidate, vacancy) pairs of one vacancy or one candidate (``kind``)."""
    return {(r.candidate_id, r.vacancy_id) for r in conn.execute(_REJECTED[kind], {"key": key})}


def find(conn: Connection, candidate_id: str, vacancy_id: str, decision: str) -> dict[str, Any] | None:
    """The pair's one ``accepted`` or ``rejected`` decision (the store holds at most one of each), or ``None``."""
    row = conn.execute(
        select(t.decisions).where(
            t.decisions.c.candidate_id == candidate_id,
            t.decisions.c.vacancy_id == vacancy_id,
            t.decisions.c.decision == decision,
        )
    ).first()
    return dict(row._mapping) if row is not None else None


def proposals(
    conn: Connection, *, candidate_ids: Collection[str] = (), vacancy_ids: Collection[str] = ()
) -> dict[tuple[str, str], dict[str, Any]]:
    """The standing proposals about these candidates or vacancies, by (candidate, vacancy).

    A proposal is an accepted decision whose placement is still there (a rejection withdraws it):
    when it was made, by whom (the label of the key that made it), its placement and that
    placement's status now.
    """
    if not candidate_ids and not vacancy_ids:
        return {}
    query = _PROPOSALS[bool(candidate_ids), bool(vacancy_ids)]
    values: dict[str, Any] = {"candidates": list(candidate_ids)} if candidate_ids else {}
    if vacancy_ids:
        values["vacancies"] = list(vacancy_ids)
    if len(values) == 1 and len(subject := next(iter(values.values()))) == 1:
        query = _PROPOSALS_OF["candidate" if candidate_ids else "vacancy"]
        values = {"key": subject[0]}
    return {
        (r.candidate_id, r.vacancy_id): {
            "placement_id": r.placement_id,
            "at": r.at,
            "by": r.label,
            "status": r.status,
        }
        for r in conn.execute(query, values)
    }


def withdraw(conn: Connection, placement_id: str) -> bool:
    """Remove a proposed placement that nobody moved on yet (still ``voorgesteld``); whether there was one.

    A proposal withdrawn never was a placement: it leaves the obligation's planned euros.
    """
    removed = conn.execute(
        delete(t.placements).where(
            and_(t.placements.c.placement_id == placement_id, t.placements.c.status == "voorgesteld")
        )
    )
    return bool(removed.rowcount)


def every_rejected(conn: Connection) -> list[tuple[str, str]]:
    """Every rejected (candidate, vacancy) pair."""
    query = select(t.decisions.c.candidate_id, t.decisions.c.vacancy_id).where(t.decisions.c.decision == "rejected")
    return [(r.candidate_id, r.vacancy_id) for r in conn.execute(query)]


def page(
    conn: Connection,
    region: str | None,
    *,
    candidate_id: str | None = None,
    vacancy_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of decisions about candidates of ``region`` (without the key that made them), and the total."""
    query = select(t.decisions)
    if region is not None:
        query = query.where(
            t.decisions.c.candidate_id.in_(select(t.candidates.c.candidate_id).where(t.candidates.c.region == region))
        )
    if candidate_id is not None:
        query = query.where(t.decisions.c.candidate_id == candidate_id)
    if vacancy_id is not None:
        query = query.where(t.decisions.c.vacancy_id == vacancy_id)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    rows = conn.execute(query.order_by(t.decisions.c.decision_id).offset(offset).limit(limit)).all()
    items = [dict(r._mapping) for r in rows]
    for item in items:
        item.pop("key_id", None)
    return items, total


__all__ = ["every_rejected", "find", "insert", "page", "proposals", "rejected", "withdraw"]
