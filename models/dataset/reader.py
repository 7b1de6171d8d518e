"""Read a dataset folder into raw string tables, reporting every structural problem.

Structural problems are those of the file as a whole or of a record's shape: a missing
file, bad encoding, an unknown or missing column, a record with the wrong number of fields.
Cell and cross-file rules live in :mod:`models.dataset.checks`.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models.dataset.cells import TEXT_KINDS
from models.errors import Problem
from models.schema import FILES, FileSpec
from models.spreadsheet import restore_cell


@dataclass
class RawTable:
    """The stripped cell texts of one file, one column per spec column present."""

    spec: FileSpec
    columns: dict[str, pd.Series]  # only the spec columns the file has
    length: int
    present: bool  # the file exists
    readable: bool = True  # False when the file is missing or unreadable as a whole
    row_numbers: list[int] = field(default_factory=list)  # spreadsheet row of each record
    missing_required: frozenset[str] = frozenset()  # required columns the header lacks (reported once)


def _decode(data: bytes, filename: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                filename,
                line,
                None,
                None,
                f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}): save the file as UTF-8 CSV",
            )
        )
        return None


def read_raw(spec: FileSpec, folder: Path, problems: list[Problem]) -> RawTable:
    """Read one file of ``spec`` from ``folder``; append every problem found to ``problems``."""
    path = folder / spec.filename
    if not path.is_file():
        if spec.required_file:
            problems.append(Problem(spec.filename, None, None, None, f"is missing from {folder}"))
        return RawTable(spec, {}, 0, present=False, readable=not spec.required_file)
    return read_raw_bytes(spec, path.read_bytes(), problems)


def read_raw_bytes(spec: FileSpec, data: bytes, problems: list[Problem]) -> RawTable:
    """Read the bytes of one file of ``spec`` (an upload, say); append every problem found to ``problems``."""
    text = _decode(data, spec.filename, problems)
    if text is None:
        return RawTable(spec, {}, 0, present=True, readable=False)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0  # the last line read by the records so far
    try:
        for record in reader:
            records.append(record)
            line = reader.line_num
    except csv.Error as exc:
        header = [h.strip() for h in records[0]] if records else []
        problems.append(_csv_problem(spec.filename, text, len(records) + 1, line + 1, header=header, exc=exc))
        return RawTable(spec, {}, 0, present=True, readable=False)
    if not records or not any(cell.strip() for cell in records[0]):
        problems.append(Problem(spec.filename, 1, None, None, "has no header row: the first row must name the columns"))
        return RawTable(spec, {}, 0, present=True, readable=False)
    header = [h.strip() for h in records[0]]
    if not _check_header(spec, header, problems):
        return RawTable(spec, {}, 0, present=True, readable=False)
    body = [r for r in records[1:] if any(cell.strip() for cell in r)]
    rows = [i + 2 for i, r in enumerate(records[1:]) if any(cell.strip() for cell in r)]

    width = len(header)
    shaped: list[list[str]] = []
    row_numbers: list[int] = []
    for row_number, record in zip(rows, body, strict=True):
        if len(record) != width:
            problems.append(
                Problem(
                    spec.filename,
                    row_number,
                    None,
                    None,
                    f"has {len(record)} fields but the header has {width}: check for a stray or missing comma "
                    "or an unclosed quote",
                )
            )
            continue
        shaped.append(record)
        row_numbers.append(row_number)
    known = set(spec.column_names)
    columns: dict[str, pd.Series] = {}
    for index, name in enumerate(header):
        if name in known and name not in columns:
            cells = [r[index].strip() for r in shaped]
            if spec.column(name).kind in TEXT_KINDS:  # a text a writer put behind an apostrophe, as it was
                cells = [restore_cell(cell) for cell in cells]
            columns[name] = pd.Series(cells, dtype="str")
    missing = frozenset(c.name for c in spec.columns if c.required and c.name not in columns)
    return RawTable(
        spec,
        columns,
        len(shaped),
        present=True,
        readable=spec.key in columns,
        row_numbers=row_numbers,
        missing_required=missing,
    )


def _unclosed_quote(rest: str) -> tuple[int, int] | None:
    """Where a quoted cell that is never closed opens in ``rest`` (the text from a record's start): its field
    index in its record and its line (0 = the first), or ``None`` when every quote is closed."""
    field, line, in_quotes, at_start = 0, 0, False, True
    opened = (0, 0)
    i = 0
    while i < len(rest):
        ch = rest[i]
        if in_quotes:
            if ch == '"':
                if rest[i + 1 : i + 2] == '"':
                    i += 1
                else:
                    in_quotes = False
            elif ch == "\n":
                line += 1
        elif ch == '"' and at_start:
            in_quotes, opened = True, (field, line)
        elif ch == ",":
            field, at_start = field + 1, True
            i += 1
            continue
        elif ch == "\n":
            field, line, at_start = 0, line + 1, True
            i += 1
            continue
        at_start = False
        i += 1
    return opened if in_quotes else None


def _csv_problem(filename: str, text: str, row: int, line: int, *, header: list[str], exc: csv.Error) -> Problem:
    """The problem of a record the csv module cannot read: its row, and its column and why when they are known."""
    rest = "".join(text.splitlines(keepends=True)[line - 1 :])
    unclosed = _unclosed_quote(rest)
    if unclosed is not None:
        field, offset = unclosed
        column = header[field] if row > 1 and field < len(header) else None
        return Problem(
            filename,
            row,
            column,
            None,
            f"has an unclosed quote: the quoted cell opened on line {line + offset} is never closed "
            '(a quote inside a quoted cell is written twice: "")',
        )
    if "field larger than field limit" in str(exc):
        return Problem(
            filename, row, None, None, f"has a cell larger than {csv.field_size_limit():,} characters: shorten it"
        )
    return Problem(filename, row, None, None, f"is not valid CSV: {exc}")


def raw_from_cells(spec: FileSpec, records: list[dict[str, str]], row_numbers: list[int] | None = None) -> RawTable:
    """A raw table from cell texts per column (an API request body, say); an absent cell is empty."""
    columns = {c.name: pd.Series([r.get(c.name, "").strip() for r in records], dtype="str") for c in spec.columns}
    return RawTable(
        spec,
        columns,
        len(records),
        present=True,
        readable=True,
        row_numbers=row_numbers if row_numbers is not None else [i + 2 for i in range(len(records))],
    )


def _check_header(spec: FileSpec, header: list[str], problems: list[Problem]) -> bool:
    """Report header problems; False when the file cannot be read at all."""
    known = set(spec.column_names)
    if len(header) == 1 and header[0].count(";") >= 1:
        problems.append(
            Problem(
                spec.filename,
                1,
                None,
                None,
                "looks separated by `;`: the format separates columns with `,` (`;` only separates list items)",
            )
        )
        return False
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(spec.filename, 1, name, None, "appears twice in the header"))
        seen.add(name)
        if name not in known:
            close = difflib.get_close_matches(name.lower(), spec.column_names, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}?" if close else f"the columns are {', '.join(spec.column_names)}"
            problems.append(
                Problem(spec.filename, 1, name or "(empty)", None, f"is not a column of {spec.filename}: {hint}")
            )
    for col in spec.columns:
        if col.required and col.name not in seen:
            problems.append(Problem(spec.filename, 1, col.name, None, "is a required column but is missing"))
    return True


def read_raw_folder(folder: Path, problems: list[Problem]) -> dict[str, RawTable]:
    """Read every file of the format from ``folder``; note stray CSV files as warnings."""
    if not folder.is_dir():
        problems.append(
            Problem(str(folder), None, None, None, "is not a folder: give the folder holding the CSV files")
        )
        return {}
    names = {spec.filename for spec in FILES}
    for path in sorted(folder.glob("*.csv")):
        if path.name not in names:
            problems.append(
                Problem(path.name, None, None, None, "is not a file of the format and was ignored", severity="warning")
            )
    return {spec.name: read_raw(spec, folder, problems) for spec in FILES}
