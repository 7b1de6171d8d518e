"""Entity rows as a key of one region may see them: the WHERE clauses, reads, lists and the write guard.

Region isolation is a WHERE clause, not a check after the fact: :func:`visible` limits candidates
to a region and placements to candidates of that region. ``region=None`` sees every row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Select, bindparam, func, or_, select

from models.errors import Problem
from models.schema import FILES_BY_NAME
from models.store import tables as t
from models.store.importer import Guard
from models.store.store import CHUNK

#: The files whose rows belong to a region (the others are the shared catalogue).
REGIONAL = frozenset({"candidates", "placements"})


def visible(file: str, region: str | None) -> Any:
    """The WHERE clause limiting ``file``'s rows to those of ``region`` (``True`` for all)."""
    if region is None or file not in REGIONAL:
        return True
    if file == "candidates":
        return t.candidates.c.region == region
    in_region = select(t.candidates.c.candidate_id).where(t.candidates.c.region == region)
    return t.placements.c.candidate_id.in_(in_region)


def get_row(conn: Connection, file: str, key: str, region: str | None) -> Any:
    """The stored row of ``file`` with ``key`` if ``region`` sees it, else ``None``."""
    table = t.ENTITY_TABLES[file]
    return conn.execute(select(table).where(table.c[FILES_BY_NAME[file].key] == key, visible(file, region))).first()


def exists(conn: Connection, file: str, key: str) -> bool:
    """Whether any region holds a row of ``file`` with ``key`` (ids are unique over every region)."""
    table = t.ENTITY_TABLES[file]
    column = table.c[FILES_BY_NAME[file].key]
    return conn.execute(select(column).where(column == key)).first() is not None


@lru_cache(maxsize=1024)
def _candidate_query(region: str | None) -> Any:
    # built once per region: building a statement costs more than running it on SQLite
    return select(t.candidates.c.candidate_id).where(
        t.candidates.c.candidate_id == bindparam("key"), visible("candidates", region)
    )


def has_candidate(conn: Connection, candidate_id: str, region: str | None) -> bool:
    """Whether ``region`` holds the candidate (the same ``visible`` clause as every candidate read)."""
    return conn.execute(_candidate_query(region), {"key": candidate_id}).first() is not None


def contains(columns: list[Any], text: str) -> Any:
    """A WHERE clause: any of ``columns`` holds ``text``, ignoring case; ``%`` and ``_`` match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(col.ilike(f"%{escaped}%", escape="\\") for col in columns))


def list_rows(
    conn: Connection,
    file: str,
    region: str | None,
    *,
    equal: Mapping[str, object] | None = None,
    search: tuple[list[str], str] | None = None,
    keys: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Any], int]:
    """A page of ``file``'s rows ``region`` sees, ordered by key, and how many there are in all.

    ``equal``: columns that must hold a value; ``search``: columns of which one contains a text;
    ``keys``: only the rows with these keys.
    """
    table = t.ENTITY_TABLES[file]
    query: Select[Any] = select(table).where(visible(file, region))
    if search is not None:
        columns, text = search
        query = query.where(contains([table.c[name] for name in columns], text))
    if keys is not None:
        query = query.where(table.c[FILES_BY_NAME[file].key].in_(list(keys)))
    for name, value in (equal or {}).items():
        query = query.where(table.c[name] == value)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    rows = conn.execute(query.order_by(table.c[FILES_BY_NAME[file].key]).offset(offset).limit(limit)).all()
    return list(rows), total


def _lookup(conn: Connection, key: Any, value: Any, ids: list[str]) -> dict[str, Any]:
    """``value`` of the rows whose ``key`` is one of ``ids``, in chunks of :data:`CHUNK` ids."""
    out: dict[str, Any] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), CHUNK):
        query = select(key, value).where(key.in_(unique[i : i + CHUNK]))
        out.update({str(row[0]): row[1] for row in conn.execute(query)})
    return out


def regions_of(conn: Connection, candidate_ids: list[str]) -> dict[str, str | None]:
    """The stored region of each of these candidates (absent: not stored)."""
    return _lookup(conn, t.candidates.c.candidate_id, t.candidates.c.region, candidate_ids)


def placement_candidates(conn: Connection, placement_ids: list[str]) -> dict[str, str]:
    """The stored candidate of each of these placements (absent: not stored)."""
    return _lookup(conn, t.placements.c.placement_id, t.placements.c.candidate_id, placement_ids)


def region_guard(region: str | None) -> Guard:
    """Problems for rows a key of ``region`` may not write: another region's candidates or placements."""

    def guard(conn: Connection, tables: dict[str, pd.DataFrame], rows: dict[str, list[int]]) -> list[Problem]:
        problems: list[Problem] = []
        if region is None:
            return problems
        if "candidates" in tables:
            df = tables["candidates"]
            ids = [str(x) for x in df["candidate_id"]]
            stored = regions_of(conn, ids)
            for pos, (cid, given) in enumerate(zip(ids, df["region"], strict=True)):
                row = rows["candidates"][pos]
                if cid in stored and stored[cid] != region:
                    problems.append(Problem("candidates.csv", row, "candidate_id", cid, "is already in use"))
                elif given != region:
                    problems.append(
                        Problem(
                            "candidates.csv",
                            row,
                            "region",
                            None if pd.isna(given) else str(given),
                            f"must be {region}: this key registers candidates of its own region only",
                        )
                    )
        if "placements" in tables:
            df = tables["placements"]
            ids = [str(x) for x in df["candidate_id"]]
            owners = placement_candidates(conn, [str(x) for x in df["placement_id"]])
            regions = regions_of(conn, ids + list(owners.values()))  # one look-up for every row
            for pos, (pid, cid) in enumerate(zip(df["placement_id"], ids, strict=True)):
                row = rows["placements"][pos]
                owner = owners.get(str(pid))
                if owner is not None and regions.get(owner) != region:
                    problems.append(Problem("placements.csv", row, "placement_id", str(pid), "is already in use"))
                elif regions.get(cid) != region:
                    problems.append(
                        Problem(
                            "placements.csv",
                            row,
                            "candidate_id",
                            cid,
                            "does not exist in candidates.csv (candidate_id)",
                        )
                    )
        return problems

    return guard


__all__ = [
    "REGIONAL",
    "contains",
    "exists",
    "get_row",
    "has_candidate",
    "list_rows",
    "placement_candidates",
    "region_guard",
    "regions_of",
    "visible",
]
