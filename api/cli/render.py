"""Rendering of domain results for the terminal (rich), kept apart from the commands."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from matching.scorers import ScoreMeaning
from models.dutch import euros
from models.errors import DatasetInvalid, KoppelaarError, Problem
from models.summary import DatasetSummary

P = ParamSpec("P")
R = TypeVar("R")


#: The CLI's exit code for a user mistake (bad input, unknown id, missing file).
EXIT_USER_ERROR = 2


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; return the exit (code 2) for the caller to raise."""
    Console(stderr=True).print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_USER_ERROR)


def parse_day(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, or a user error naming the option."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise KoppelaarError(f"{option} {value!r} is not a date: write it as YYYY-MM-DD") from None
    if not date(1900, 1, 1) <= day <= date(2199, 12, 31):
        raise KoppelaarError(f"{option} {value!r} is out of range: give a day between 1900-01-01 and 2199-12-31")
    return day


def eur(value: float) -> str:
    """Euros the Dutch way, as everywhere: € 1.250.000."""
    return euros(value)


def score_text(value: float, meaning: ScoreMeaning) -> str:
    """A score as its kind is shown: a passingsscore 0–100 (``68``), a model's probability as ``68%``."""
    if math.isnan(value):
        return "–"
    return f"{100 * value:.0f}%" if meaning.probability else f"{100 * value:.0f}"


def score_title(meaning: ScoreMeaning) -> str:
    """What the score column holds, for a table's title."""
    if meaning.probability:
        return f"score: {meaning.label} (a calibrated model's probability)"
    return f"score: {meaning.label} (a rule score 0–100, not a probability)"


def pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.0f}%"


def print_problems(console: Console, problems: Iterable[Problem]) -> None:
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        console.print(f"{p.severity}: {p}", style=style, markup=False, highlight=False, soft_wrap=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A left-titled table; the first column is text, the others are right-aligned figures."""
    t = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        t.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*(str(cell) for cell in row))
    return t


def print_summary(console: Console, s: DatasetSummary, title: str = "Dataset") -> None:
    c = s.counts
    console.print(
        f"[bold]{title}[/bold]: {c['candidates']} candidates, {c['contractors']} contractors, "
        f"{c['obligations']} obligations, {c['vacancies']} vacancies, {c['placements']} placements"
    )

    total = ("[bold]total[/bold]", s.pool["candidates"], s.pool["matchable"])
    console.print(
        table(
            "Candidate pool by labour-market region", ("region", "candidates", "matchable"), [*s.pool_by_region, total]
        )
    )
    console.print(
        "matchable = consent given and status beschikbaar; "
        f"{s.pool['no_consent']} candidates have not given consent and are never suggested."
    )

    groups = [(g, n, pct(share)) for g, n, share in s.pool_by_target_group]
    console.print(table("Target groups", ("target group", "candidates", "share"), groups))
    filled = ", ".join(f"{k} {pct(v)}" for k, v in s.profile_completeness.items())
    console.print(f"Profile fields filled in: {filled}")

    o = s.obligations
    sectors: list[tuple[str, object, str]] = [(sector, n, eur(owed)) for sector, n, owed in s.obligations_by_sector]
    sectors.append(("[bold]total[/bold]", o["running"], eur(o["owed_eur"])))
    title = f"Running SROI obligations: {o['running']} of {o['count']}"
    console.print(table(title, ("sector", "obligations", "SROI owed"), sectors))

    v = s.vacancies
    title = f"Open places: {v['open_places']} (of {v['positions']} offered in {v['count']} vacancies)"
    console.print(table(title, ("sector", "open places"), s.open_places_by_sector))
    console.print(f"{v['not_additional_positions']} places are not additional (verdringing) and are never filled.")
    p = s.placements
    console.print(
        f"Placement history: {p['count']} placements; retained after 6 months {pct(p['retention_6m'])} "
        f"(of {p['labelled_6m']} known), after 12 months {pct(p['retention_12m'])}."
    )
    if s.displacement_flags:
        console.print(
            f"[yellow]Displacement warning[/yellow]: headcount below the baseline at award for "
            f"{len(s.displacement_flags)} contractor(s): {', '.join(s.displacement_flags)}",
            highlight=False,
        )


def exit_on_user_error(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command: a :class:`KoppelaarError` becomes its message on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DatasetInvalid as exc:
            console = Console(stderr=True)
            print_problems(console, exc.problems)
            console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KoppelaarError as exc:
            Console(stderr=True).print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
