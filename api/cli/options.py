"""Arguments and options several commands share, and the shipped sample world."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from api.cli.render import parse_day

DatasetArg = Annotated[Path, typer.Argument(help="Folder with the dataset's CSV files.", show_default=False)]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", help="A model from `koppelaar train`; default the rule-based score.")
]
TodayOpt = Annotated[str | None, typer.Option(help="Reference date YYYY-MM-DD (default: today).")]


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def day_or_today(value: str | None) -> date:
    """The ``--today`` option's day, or today."""
    return date.today() if value is None else parse_day(value, "--today")


def sample_dataset() -> Path:
    """The small sample world shipped with the package (about 500 candidates)."""
    return Path(str(resources.files("data.synthetic") / "sample"))
