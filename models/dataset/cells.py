"""Parse and format the cells of one column, vectorised where pandas allows.

Every parser takes the raw, stripped strings of a column and returns the typed column plus
the problems it found as ``(position, value, message)``. Formatting is the exact inverse
for canonical values, so ``format(parse(x)) == x`` and writing is byte-stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, SupportsFloat, SupportsInt, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.enums import ORDERED_ENUMS, LanguageLevel, TargetGroup
from models.schema import Column, Kind
from models.spreadsheet import CONTROL_CHARACTER, control_characters

if TYPE_CHECKING:
    from pandas._typing import Scalar

CellProblem = tuple[int, str, str]  # (position in column, raw value, message)

#: The kinds whose cells are free text: what a spreadsheet could read as a formula, what may hold a stray control
#: character. Every other kind allows only its own few characters and refuses anything else.
TEXT_KINDS = frozenset({Kind.ID, Kind.TEXT, Kind.LIST, Kind.ID_LIST, Kind.EXPERIENCE_LIST})

LIST_SEPARATOR = ";"
LIST_JOINER = "; "


class Experience(NamedTuple):
    """An occupation of experience or interest, with years of experience when given."""

    label: str
    years: float | None = None

    def __str__(self) -> str:
        return self.label if self.years is None else f"{self.label}:{format_number(self.years)}"


#: Accepted spellings besides the canonical value (lower-cased keys).
ENUM_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    LanguageLevel: {"1f": "A2", "2f": "B1", "3f": "B2", "4f": "C1"},
    TargetGroup: {"doelgroepregister": "banenafspraak"},
}
TRUE_WORDS = frozenset({"true", "ja", "yes", "1", "waar"})
FALSE_WORDS = frozenset({"false", "nee", "no", "0", "onwaar"})

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DUTCH_DATE_RE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")
_POSTCODE_RE = re.compile(r"^([1-9]\d{3})\s*([A-Za-z]{2})?$")
_KVK_RE = re.compile(r"^\d{8}$")
_EXPERIENCE_RE = re.compile(r"^(.*\S)\s*:\s*(\S+)$")


def format_number(value: float) -> str:
    """Shortest text that reads back to the same float; whole numbers without a fraction."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def split_list(raw: str) -> tuple[str, ...]:
    """Split a `;`-separated cell into trimmed, non-empty items."""
    if not raw:
        return ()
    return tuple(item for item in (part.strip() for part in raw.split(LIST_SEPARATOR)) if item)


def _range_message(col: Column) -> str:
    whole = col.kind is Kind.INT
    noun = "a whole number" if whole else "a number"
    lo, hi = col.minimum, col.maximum

    def fmt(x: float) -> str:
        return format_number(x)

    if lo is not None and hi is not None:
        if col.min_exclusive:
            return f"must be {noun} above {fmt(lo)} and at most {fmt(hi)}"
        return f"must be {noun} from {fmt(lo)} to {fmt(hi)}"
    if lo is not None:
        return f"must be {noun} {'above' if col.min_exclusive else '≥'} {fmt(lo)}"
    if hi is not None:
        return f"must be {noun} ≤ {fmt(hi)}"
    return f"must be {noun}"


def _out_of_range(values: npt.NDArray[np.float64], col: Column) -> npt.NDArray[np.bool_]:
    bad = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if col.minimum is not None:
            bad |= (values <= col.minimum) if col.min_exclusive else (values < col.minimum)
        if col.maximum is not None:
            bad |= values > col.maximum
    return bad & ~np.isnan(values)


def _allowed(enum: type[StrEnum]) -> str:
    return ", ".join(e.value for e in enum)


def parse_number(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems: list[CellProblem] = []
    texts: list[str] = raw.tolist()
    present = raw.ne("").to_numpy()
    pattern = _INT_RE if col.kind is Kind.INT else _FLOAT_RE
    ok = np.array([bool(pattern.match(v)) if p else True for v, p in zip(texts, present, strict=True)], dtype=bool)
    for pos in np.flatnonzero(~ok):
        value = texts[pos]
        if col.kind is Kind.INT and _FLOAT_RE.match(value):
            msg = _range_message(col) + " (no fraction)"
        elif "," in value and any(ch.isdigit() for ch in value):
            msg = _range_message(col) + " (use `.` as decimal separator, no thousands separator)"
        else:
            msg = _range_message(col)
        problems.append((int(pos), value, msg))
    cleaned = raw.where(ok & present, "")
    values: npt.NDArray[np.float64] = pd.to_numeric(cleaned.replace("", np.nan), errors="coerce").to_numpy(
        dtype=np.float64, copy=True
    )
    bad_range = _out_of_range(values, col)
    for pos in np.flatnonzero(bad_range):
        problems.append((int(pos), texts[pos], _range_message(col)))
    values[bad_range] = np.nan
    if col.kind is Kind.INT:
        return pd.Series(pd.array(values.tolist(), dtype="Int64")), problems  # NaN becomes <NA>
    return pd.Series(values, dtype="float64"), problems


def parse_bool(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems: list[CellProblem] = []
    out: list[bool | None] = []
    for pos, value in enumerate(raw):
        low = value.lower()
        if not value:
            out.append(None)
        elif low in TRUE_WORDS:
            out.append(True)
        elif low in FALSE_WORDS:
            out.append(False)
        else:
            out.append(None)
            problems.append((pos, value, "must be true or false"))
    return pd.Series(pd.array(out, dtype="boolean")), problems


def parse_date(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems: list[CellProblem] = []
    texts: list[str] = raw.tolist()
    present = raw.ne("")
    parsed = pd.to_datetime(raw.where(present, None), format="%Y-%m-%d", errors="coerce")
    shape_ok = raw.str.match(_DATE_RE) | ~present
    bad = (present & parsed.isna()) | ~shape_ok
    for pos in np.flatnonzero(bad.to_numpy()):
        value = texts[pos]
        m = _DUTCH_DATE_RE.match(value)
        if m:
            day, month, year = re.split(r"[-/.]", value)
            hint = f" (day-month-year? write {year}-{int(month):02d}-{int(day):02d})"
        else:
            hint = ""
        problems.append((int(pos), value, f"must be a real date written YYYY-MM-DD{hint}"))
    parsed = parsed.where(~bad)  # NaT where bad
    return pd.Series(parsed.to_numpy(dtype="datetime64[ns]")), problems


def _enum_lookup(enum: type[StrEnum]) -> dict[str, str]:
    table = {e.value.lower(): e.value for e in enum}
    table.update(ENUM_ALIASES.get(enum, {}))
    return table


def enum_categories(enum: type[StrEnum]) -> pd.CategoricalDtype:
    """The pandas dtype of an enum column: ordered when the enum's order carries meaning."""
    return pd.CategoricalDtype([e.value for e in enum], ordered=enum in ORDERED_ENUMS)


def parse_enum(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    assert col.enum is not None
    lookup = _enum_lookup(col.enum)
    problems: list[CellProblem] = []
    out: list[str | None] = []
    for pos, value in enumerate(raw):
        if not value:
            out.append(None)
            continue
        canon = lookup.get(value.lower())
        if canon is None:
            problems.append((pos, value, f"is not allowed: use one of {_allowed(col.enum)}"))
        out.append(canon)
    return pd.Series(pd.Categorical(out, dtype=enum_categories(col.enum))), problems


def parse_enum_list(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    assert col.enum is not None
    lookup = _enum_lookup(col.enum)
    problems: list[CellProblem] = []
    out: list[tuple[str, ...]] = []
    for pos, value in enumerate(raw):
        items: list[str] = []
        for item in split_list(value):
            canon = lookup.get(item.lower())
            if canon is None:
                problems.append((pos, value, f"has {item!r}, which is not allowed: use one of {_allowed(col.enum)}"))
            elif canon not in items:
                items.append(canon)
        out.append(tuple(items))
    return pd.Series(out, dtype=object), problems


def parse_list(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    return pd.Series([split_list(v) for v in raw], dtype=object), []


def parse_experience_list(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems: list[CellProblem] = []
    out: list[tuple[Experience, ...]] = []
    for pos, value in enumerate(raw):
        items: list[Experience] = []
        for item in split_list(value):
            m = _EXPERIENCE_RE.match(item)
            is_uri = item.lower().startswith(("http://", "https://"))
            if m is None or (is_uri and not _FLOAT_RE.match(m.group(2))):
                items.append(Experience(item))
                continue
            label, years_text = m.group(1), m.group(2)
            if not _FLOAT_RE.match(years_text) or not 0 <= float(years_text) <= 60:
                problems.append(
                    (
                        pos,
                        value,
                        f"has {item!r}: the years after ':' must be a number from 0 to 60, as in `timmerman:3`",
                    )
                )
                continue
            items.append(Experience(label, float(years_text)))
        out.append(tuple(items))
    return pd.Series(out, dtype=object), problems


def parse_postcode(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems: list[CellProblem] = []
    out: list[str | None] = []
    for pos, value in enumerate(raw):
        if not value:
            out.append(None)
            continue
        m = _POSTCODE_RE.match(value)
        if m is None:
            problems.append((pos, value, "must be a Dutch postcode: PC4 like 9401 or PC6 like 9401AB"))
            out.append(None)
        else:
            out.append(m.group(1) + (m.group(2) or "").upper())
    return pd.Series(out, dtype="str"), problems


def parse_kvk(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    problems = [
        (pos, v, "must be an 8-digit Chamber of Commerce (KvK) number")
        for pos, v in enumerate(raw)
        if v and not _KVK_RE.match(v)
    ]
    bad = {p for p, _, _ in problems}
    return pd.Series([v if v and i not in bad else None for i, v in enumerate(raw)], dtype="str"), problems


def parse_text(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    return raw.where(raw.ne(""), None).astype("str"), []


PARSERS: dict[Kind, Callable[[pd.Series, Column], tuple[pd.Series, list[CellProblem]]]] = {
    Kind.ID: parse_text,
    Kind.TEXT: parse_text,
    Kind.INT: parse_number,
    Kind.FLOAT: parse_number,
    Kind.BOOL: parse_bool,
    Kind.DATE: parse_date,
    Kind.ENUM: parse_enum,
    Kind.ENUM_LIST: parse_enum_list,
    Kind.ID_LIST: parse_list,
    Kind.LIST: parse_list,
    Kind.EXPERIENCE_LIST: parse_experience_list,
    Kind.POSTCODE: parse_postcode,
    Kind.KVK: parse_kvk,
}


def control_character_problems(raw: pd.Series) -> list[CellProblem]:
    """A problem for each cell holding a control character other than tab, line feed or carriage return."""
    if not len(raw):
        return []
    found = np.flatnonzero(raw.str.contains(CONTROL_CHARACTER, regex=True).to_numpy(dtype=bool))
    return [
        (
            int(pos),
            raw.iloc[pos],
            f"contains the control character {', '.join(control_characters(raw.iloc[pos]))}: "
            "text may hold tabs and line breaks but no other control characters; remove it",
        )
        for pos in found
    ]


def parse_column(raw: pd.Series, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    """Parse one column of raw stripped strings; report required cells that are empty and control characters."""
    bad = control_character_problems(raw) if col.kind in TEXT_KINDS else []
    clean = raw
    if bad:  # parsed as empty, so no second problem for the same cell
        clean = raw.copy()
        clean.iloc[[pos for pos, _, _ in bad]] = ""
    parsed, problems = PARSERS[col.kind](clean, col)
    problems = bad + problems
    if col.required:
        for pos in np.flatnonzero(raw.eq("").to_numpy()):
            problems.append((int(pos), "", "is required but empty"))
    return parsed, problems


#: How many parsed single cells :func:`parse_cell` keeps (the most recently used), and up to how many
#: characters a cell is kept: a longer text (coach notes, a description) is rarely seen twice, and
#: keeping it would let the kept cells take far more memory than their count says.
CELLS_KEPT = 4096
CELL_KEPT_CHARS = 256


def parse_cell(text: str, col: Column) -> tuple[pd.Series, list[CellProblem]]:
    """:func:`parse_column` of a column of the one raw cell ``text``, kept by column and text: the rows of an
    API request and the stored rows a matcher takes in after a write are parsed one by one, and most of
    their cells hold a value parsed before. The column returned is a new object; its values are shared."""
    if len(text) > CELL_KEPT_CHARS:
        return parse_column(pd.Series([text], dtype="str"), col)
    parsed, problems = _parsed_cell(text, col)
    return parsed.copy(deep=False), list(problems)


@lru_cache(maxsize=CELLS_KEPT)
def _parsed_cell(text: str, col: Column) -> tuple[pd.Series, tuple[CellProblem, ...]]:
    parsed, problems = parse_column(pd.Series([text], dtype="str"), col)
    return parsed.reset_index(drop=True), tuple(problems)


def empty_column(col: Column, length: int) -> pd.Series:
    """A column of ``length`` empty cells of the right dtype (for optional columns not given)."""
    return parse_column(pd.Series([""] * length, dtype="str"), col)[0] if length else _typed_empty(col)


def _typed_empty(col: Column) -> pd.Series:
    return PARSERS[col.kind](pd.Series([], dtype="str"), col)[0]


def _fmt_item(item: object) -> str:
    return str(item)


def format_column(values: pd.Series, col: Column) -> list[str]:
    """Canonical text of every cell of a typed column."""
    kind = col.kind
    if kind in (Kind.LIST, Kind.ID_LIST, Kind.ENUM_LIST, Kind.EXPERIENCE_LIST):
        return [LIST_JOINER.join(map(_fmt_item, v)) if isinstance(v, tuple | list) else "" for v in values]
    if kind is Kind.DATE:
        return [v.strftime("%Y-%m-%d") if not pd.isna(v) else "" for v in values]
    if kind is Kind.BOOL:
        return ["" if pd.isna(v) else ("true" if v else "false") for v in values]
    if kind in (Kind.INT, Kind.FLOAT):
        return ["" if pd.isna(v) else format_number(float(v)) for v in values]
    return ["" if pd.isna(v) else str(v) for v in values]


def _is_missing(value: object) -> bool:
    """``None``, or a scalar pandas counts as missing (NaN, NaT, NA); never a list cell."""
    if value is None:
        return True
    return not isinstance(value, tuple | list) and bool(pd.isna(cast("Scalar", value)))


def _as_int(value: object) -> int:
    return int(cast("SupportsInt", value))


def _as_float(value: object) -> float:
    return float(cast("SupportsFloat", value))


def to_python(value: object, col: Column) -> object:
    """A table cell as a plain Python value (``None`` when empty) for the entity classes."""
    kind = col.kind
    if kind in (Kind.LIST, Kind.ID_LIST, Kind.ENUM_LIST, Kind.EXPERIENCE_LIST):
        items: Sequence[object] = value if isinstance(value, tuple | list) else ()
        if kind is Kind.ENUM_LIST and col.enum is not None:
            return tuple(col.enum(cast("str", v)) for v in items)
        return tuple(items)
    if _is_missing(value):
        return None
    if kind is Kind.DATE:
        return pd.Timestamp(cast("pd.Timestamp | date | str", value)).date()
    if kind is Kind.INT:
        return _as_int(value)
    if kind is Kind.FLOAT:
        return _as_float(value)
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.ENUM and col.enum is not None:
        return col.enum(cast("str", value))
    return str(value)


def from_python(values: Sequence[object], col: Column) -> pd.Series:
    """Build a typed table column from plain Python values (entities, generators, the API)."""
    kind = col.kind
    if kind in (Kind.LIST, Kind.ID_LIST, Kind.ENUM_LIST, Kind.EXPERIENCE_LIST):
        cells: list[tuple[object, ...]] = [
            tuple(str(x) if kind is Kind.ENUM_LIST else x for x in cast("Iterable[object]", v or ())) for v in values
        ]
        return pd.Series(cells, dtype=object)
    if kind is Kind.DATE:
        # dates, timestamps or None (read as NaT); the stubs of to_datetime leave None out
        dates = cast("list[date]", [v if v is not None else None for v in values])
        return pd.Series(pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]"))
    if kind is Kind.INT:
        return pd.Series(pd.array([None if v is None else _as_int(v) for v in values], dtype="Int64"))
    if kind is Kind.FLOAT:
        floats: list[float] = [np.nan if v is None else _as_float(v) for v in values]
        return pd.Series(floats, dtype="float64")
    if kind is Kind.BOOL:
        return pd.Series(pd.array([None if v is None else bool(v) for v in values], dtype="boolean"))
    if kind is Kind.ENUM and col.enum is not None:
        return pd.Series(
            pd.Categorical([None if v is None else str(v) for v in values], dtype=enum_categories(col.enum))
        )
    return pd.Series([None if v is None else str(v) for v in values], dtype="str")


__all__ = [
    "TEXT_KINDS",
    "Experience",
    "control_character_problems",
    "empty_column",
    "format_column",
    "format_number",
    "from_python",
    "parse_cell",
    "parse_column",
    "split_list",
    "to_python",
]
