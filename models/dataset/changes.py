"""Validate rows that change a stored dataset: an import, an uploaded file, one API request.

The incoming rows are checked by the same rules as a dataset folder, with the stored rows
they refer to standing in for the files that are not part of the change. A row that changes a
stored one is checked as it will be stored: the columns the input lacks keep their stored values
(an upload without ``end_date`` keeps the stored end date, and the date order is checked against
it), and a placement's status may only move as its life cycle allows. Rows are upserted by id,
never deleted, so a change that passes leaves every stored reference intact.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.dataset.checks import ROW_RULES, Context, check_duplicates, empty_table, lookup, parse_table
from models.dataset.reader import RawTable
from models.entities import transition_refusal
from models.enums import PlacementStatus
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
    #: The errors that are status changes against a placement's life cycle (also in ``problems``).
    conflicts: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def only_conflicts(self) -> bool:
        """Every error is a life-cycle conflict (and there is at least one)."""
        return bool(self.errors) and all(p in self.conflicts for p in self.errors)


def _as_stored(raw: RawTable, table: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the stored values in the columns ``raw`` lacks, for the rows that change a stored row."""
    if not raw.readable or not len(stored) or not len(table):
        return table
    key = raw.spec.key
    known = table[key].isin(set(stored[key])).reset_index(drop=True)
    merged = table.copy()
    for name in raw.spec.column_names:
        if name not in raw.columns:
            merged[name] = lookup(table[key], stored, key, name).where(known, table[name])
    return merged


def _proposals_without_consent(
    raw: RawTable, table: pd.DataFrame, stored: pd.DataFrame | None, incoming: dict[str, pd.DataFrame], fetch: Fetch
) -> list[Problem]:
    """A new placement ``voorgesteld`` for a stored candidate who has not consented to being matched.

    The consent is the candidate's as this change leaves it. A candidate the store does not hold yet comes
    with the change, as in a restored export, whose proposals are history rather than new proposals.
    """
    if raw.spec.name != "placements" or not len(table):
        return []
    known = set(stored["placement_id"]) if stored is not None else set()
    proposed = (table["status"] == PlacementStatus.VOORGESTELD.value).fillna(False) & ~table["placement_id"].isin(known)
    people = sorted({str(c) for c in table.loc[proposed, "candidate_id"].dropna()})
    if not people:
        return []
    held = fetch("candidates", people)
    consented = dict(zip(held["candidate_id"], _says_yes(held["consent"]), strict=True))
    if "candidates" in incoming:
        changed = incoming["candidates"]
        now = zip(changed["candidate_id"], _says_yes(changed["consent"]), strict=True)
        consented.update((k, yes) for k, yes in now if k in consented)
    problems = []
    for pos in map(int, np.flatnonzero(proposed.to_numpy(dtype=bool))):
        person = table["candidate_id"].iat[pos]
        if person in consented and not consented[person]:
            problems.append(
                Problem(
                    raw.spec.filename,
                    raw.row_numbers[pos],
                    "candidate_id",
                    str(person),
                    "has not consented to being matched: no placement can be proposed for this candidate",
                )
            )
    return problems


def _says_yes(consent: pd.Series) -> list[bool]:
    """Per cell of a ``consent`` column, whether it is true (an empty one is not)."""
    return [bool(yes) for yes in consent.astype("boolean").fillna(False)]


def _life_cycle_conflicts(raw: RawTable, table: pd.DataFrame, stored: pd.DataFrame) -> list[Problem]:
    """A placement whose status the change moves in a way its life cycle does not allow."""
    if raw.spec.name != "placements" or "status" not in raw.columns or not len(stored) or not len(table):
        return []
    before = lookup(table["placement_id"], stored, "placement_id", "status")
    conflicts = []
    for pos, (key, old, new) in enumerate(zip(table["placement_id"], before, table["status"], strict=True)):
        if pd.isna(old) or pd.isna(new):
            continue  # a new placement, or a status the parser already refused
        refusal = transition_refusal(str(key), PlacementStatus(old), PlacementStatus(new))
        if refusal is not None:
            conflicts.append(Problem(raw.spec.filename, raw.row_numbers[pos], "status", str(new), refusal))
    return conflicts


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
    conflicts: list[Problem] = []
    previous: dict[str, pd.DataFrame | None] = {}
    for name, raw in incoming.items():
        key = FILES_BY_NAME[name].key
        keys = sorted({str(k) for k in parsed[name][key].dropna()})
        # the stored rows fill the columns the input lacks and hold a placement's status before
        complete = raw.readable and all(c in raw.columns for c in raw.spec.column_names)
        needed = keys and (name == "placements" or not complete)
        previous[name] = stored = fetch(name, keys) if needed else None
        if stored is not None:
            conflicts.extend(_life_cycle_conflicts(raw, parsed[name], stored))
            parsed[name] = _as_stored(raw, parsed[name], stored)
    problems.extend(conflicts)
    if "placements" in incoming:
        problems.extend(
            _proposals_without_consent(
                incoming["placements"], parsed["placements"], previous["placements"], parsed, fetch
            )
        )
    rows_in = {name: np.asarray(raw.row_numbers, dtype=np.int64) for name, raw in incoming.items()}
    empty = {spec.name: empty_table(spec) for spec in FILES}
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
    return Changes(parsed, problems, conflicts)


__all__ = ["Changes", "Fetch", "validate_changes"]
