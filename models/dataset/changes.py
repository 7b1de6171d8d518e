"""Validate rows that change a stored dataset: an import, an uploaded file, one API request.

The incoming rows are checked by the same rules as a dataset folder, with the stored rows
they refer to standing in for the files that are not part of the change. Rows are upserted
by id, never deleted, so a change that passes leaves every stored reference intact.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.dataset.checks import ROW_RULES, Context, check_duplicates, parse_table
from models.dataset.reader import RawTable
from models.errors import Problem
from models.schema import FILES, FILES_BY_NAME, REFERENCES

#: ``fetch(file, keys)``: the stored rows of ``file`` with those keys, as a typed table.
Fetch = Callable[[str, Collection[str]], pd.DataFrame]

STORED_ROW = 0  # the row number of a stored row in the merged context; never reported


@dataclass
class Changes:
    """Validated incoming rows per file (typed tables) and every problem found."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _wanted_keys(tables: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Keys of other files the incoming rows refer to (references and previous employers)."""
    wanted: dict[str, set[str]] = {spec.name: set() for spec in FILES}
    for ref in REFERENCES:
        if ref.file in tables:
            wanted[ref.target].update(str(v) for v in tables[ref.file][ref.column].dropna())
    if "placements" in tables:
        # a placement is checked against its vacancy's obligation too
        wanted["obligations"].update(str(v) for v in tables["placements"]["obligation_id"].dropna())
    if "candidates" in tables:
        for employers in tables["candidates"]["previous_employers"]:
            wanted["contractors"].update(employers)
    return wanted


def validate_changes(
    incoming: dict[str, RawTable],
    fetch: Fetch,
    problems: list[Problem] | None = None,
    *,
    schemes: Collection[str] | None = None,
) -> Changes:
    """Check ``incoming`` raw tables (file name → table) against each other and the stored rows.

    ``problems`` may already hold structural problems found while reading the incoming files;
    ``schemes`` names the valuation schemes the installation knows (``None``: not checked).
    """
    problems = [] if problems is None else problems
    parsed = {name: parse_table(raw, problems) for name, raw in incoming.items()}
    rows_in = {name: np.asarray(raw.row_numbers, dtype=np.int64) for name, raw in incoming.items()}
    empty = {spec.name: parse_table(RawTable(spec, {}, 0, present=False), []) for spec in FILES}
    no_rows = np.zeros(0, dtype=np.int64)

    ctx = Context({**empty, **parsed}, {**dict.fromkeys(empty, no_rows), **rows_in}, problems)
    check_duplicates(ctx)

    # the stored rows the incoming ones refer to, second to the incoming rows with the same key
    wanted = _wanted_keys(parsed)
    for name in parsed:
        key = FILES_BY_NAME[name].key
        wanted[name] -= set(parsed[name][key].dropna())
    tables: dict[str, pd.DataFrame] = {}
    rows: dict[str, np.ndarray] = {}
    for spec in FILES:
        stored = fetch(spec.name, sorted(wanted[spec.name])) if wanted[spec.name] else empty[spec.name]
        own = parsed.get(spec.name, empty[spec.name])
        tables[spec.name] = pd.concat([own, stored], ignore_index=True) if len(stored) else own
        rows[spec.name] = np.concatenate(
            [rows_in.get(spec.name, no_rows), np.full(len(stored), STORED_ROW, dtype=np.int64)]
        )
    unreadable = frozenset(name for name, raw in incoming.items() if not raw.readable)
    merged = Context(tables, rows, [], unreadable, schemes)
    for rule in ROW_RULES:
        if rule is not check_duplicates:
            rule(merged)
    problems.extend(p for p in merged.problems if p.row != STORED_ROW and p.file in {f"{n}.csv" for n in incoming})
    return Changes(parsed, problems)


__all__ = ["Changes", "Fetch", "validate_changes"]
