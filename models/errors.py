"""Domain errors: one base class, each carrying what the user should do next.

Adapters translate them at the edge: a one-line message and exit code 2 in the CLI,
problem+json in the API. A traceback is never the answer to bad input.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


class KoppelaarError(Exception):
    """Base class of every error caused by the user's input or configuration."""


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One finding about a dataset: where it is and what is allowed instead.

    ``row`` counts as a spreadsheet does: the header is row 1, the first record row 2.
    ``row`` is ``None`` for a problem with a whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is not None:
            return f"{where}: {self.value!r} {self.message}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class DatasetInvalid(KoppelaarError):  # noqa: N818 -- public name, kept for callers and docs
    """A dataset has errors; nothing of it was imported."""

    folder: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def __str__(self) -> str:
        counts = Counter(p.file for p in self.errors)
        per_file = ", ".join(f"{n} in {f}" for f, n in sorted(counts.items()))
        return f"dataset {self.folder} has {len(self.errors)} error(s) ({per_file}); nothing was imported"
