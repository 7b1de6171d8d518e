"""The right to erasure: a candidate's profile goes; what obligations' euros need stays, anonymised."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Column, Connection, String, Table, func, select, update

from models.schema import FILES, Kind
from models.store import tables as t
from models.store.access import visible
from models.store.store import now

#: Every table with a candidate_id column outside the candidate's own row: the id is replaced exactly.
NAMING_TABLES = (t.run_plan, t.run_unplaced, t.decisions, t.audit_candidates)


def _text_columns() -> list[tuple[Table, Column[str]]]:
    """The columns where a candidate's id can stand inside a text: the format's free-text columns, and every
    text column of the store's own tables except ids (audit paths, run options and errors, decision reasons)."""
    out: list[tuple[Table, Column[str]]] = []
    for spec in FILES:
        table = t.ENTITY_TABLES[spec.name]
        out += [(table, table.c[col.name]) for col in spec.columns if col.kind is Kind.TEXT]
    entity = set(t.ENTITY_TABLES.values())
    for table in t.metadata.sorted_tables:
        if table not in entity:
            out += [
                (table, column)
                for column in table.columns
                if isinstance(column.type, String) and not column.name.endswith(("_id", "_hash"))
            ]
    return out


#: Where :func:`erase_candidate` looks for the id in a text.
TEXT_COLUMNS = _text_columns()


def _replace_in_texts(conn: Connection, old: str, new: str) -> None:
    """Replace ``old`` where it stands as a whole id (not inside a longer one) in every text column."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
    like = "%" + old.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    for table, column in TEXT_COLUMNS:
        key = list(table.primary_key.columns)
        for row in conn.execute(select(*key, column).where(column.like(like, escape="\\"))).all():
            text = row[-1]
            replaced = pattern.sub(new, text)
            if replaced != text:
                where = [c == value for c, value in zip(key, row[:-1], strict=True)]
                conn.execute(update(table).where(*where).values({column.name: replaced}))


def anonymous_id() -> str:
    return "verwijderd-" + secrets.token_hex(8)


def erase_candidate(conn: Connection, candidate_id: str, region: str | None, token: str) -> int | None:
    """Erase a candidate ``region`` sees, in the caller's transaction; ``None`` when there is none.

    When they have placements, a stub with the id ``token`` keeps the target group, benefit start and
    birth year (what the valuation schemes read), so obligations' euros do not change. The old id is
    replaced by ``token`` everywhere else: placements, plans, decisions and the audit log by their
    candidate_id, and wherever it stands inside a text (:data:`TEXT_COLUMNS`: audit paths, run options
    and errors, decision reasons, free text of the format). Returns the placements kept.
    """
    row = conn.execute(
        select(t.candidates).where(t.candidates.c.candidate_id == candidate_id, visible("candidates", region))
    ).first()
    if row is None:
        return None
    kept = int(
        conn.execute(
            select(func.count()).select_from(t.placements).where(t.placements.c.candidate_id == candidate_id)
        ).scalar()
        or 0
    )
    if kept:
        conn.execute(
            t.candidates.insert().values(
                candidate_id=token,
                target_group=row.target_group,
                benefit_since=row.benefit_since,
                birth_year=row.birth_year,
                region=row.region,
                consent=False,
                status="inactief",
                updated_at=now(),
            )
        )
        conn.execute(update(t.placements).where(t.placements.c.candidate_id == candidate_id).values(candidate_id=token))
    for table in NAMING_TABLES:
        conn.execute(update(table).where(table.c.candidate_id == candidate_id).values(candidate_id=token))
    conn.execute(t.candidates.delete().where(t.candidates.c.candidate_id == candidate_id))
    _replace_in_texts(conn, candidate_id, token)
    return kept


__all__ = ["TEXT_COLUMNS", "anonymous_id", "erase_candidate"]
