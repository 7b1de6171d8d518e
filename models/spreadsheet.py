"""Text that is safe in a spreadsheet: the one rule for every cell Koppelaar writes to CSV or XLSX.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV injection, OWASP). :func:`neutralise_cell` puts an apostrophe in front of
such a text, which a spreadsheet shows as text; numbers are not text and stay numbers. The rule is
reversible: a text that already starts with apostrophes before one of those characters gets one more,
and :func:`restore_cell` (used where Koppelaar reads its own files back) takes exactly one off.

Control characters other than tab, line feed and carriage return have no place in any text: an XLSX
file cannot hold them at all. Validation refuses them (:func:`control_characters`); writers drop them
as a second line (:func:`neutralise_cell`), so nothing stored can make a writer fail.
"""

from __future__ import annotations

import re
from typing import TypeVar

import pandas as pd

#: The first characters a spreadsheet reads as the start of a formula.
FORMULA_START = frozenset("=+-@\t\r")
#: Control characters (Unicode category Cc) other than tab, line feed and carriage return.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

T = TypeVar("T")


def control_characters(text: str) -> list[str]:
    """The control characters of ``text`` that no text may hold, as ``U+0004`` names, in order of appearance."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in CONTROL_CHARACTER.findall(text)))


def _is_formula(text: str) -> bool:
    return text.lstrip("'")[:1] in FORMULA_START


def neutralise_cell(value: T) -> T | str:
    """``value`` as a spreadsheet cannot run it: control characters dropped, a formula start behind ``'``.

    Anything that is not a ``str`` (a number, a date, a missing value) is returned as it is.
    """
    if not isinstance(value, str):
        return value
    text = CONTROL_CHARACTER.sub("", value)
    return "'" + text if _is_formula(text) else text


def restore_cell(text: str) -> str:
    """The text :func:`neutralise_cell` was given (for a cell without control characters)."""
    return text[1:] if text.startswith("'") and _is_formula(text[1:]) else text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (lists joined with ``; `` first); numbers as they are."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
        if out[column].dtype == object or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].map(
                lambda v: neutralise_cell("; ".join(map(str, v)) if isinstance(v, tuple | list) else v)
            )
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


__all__ = [
    "CONTROL_CHARACTER",
    "FORMULA_START",
    "control_characters",
    "neutralise_cell",
    "neutralise_frame",
    "restore_cell",
]
