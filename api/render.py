"""Rendering of domain results for the terminal (rich), kept apart from the commands."""

from __future__ import annotations

import math
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from models.errors import Problem
from models.summary import DatasetSummary


def eur(value: float) -> str:
    """Euros the Dutch way: EUR 1.250.000."""
    return "EUR " + f"{value:,.0f}".replace(",", ".")


def pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.0f}%"


def print_problems(console: Console, problems: Iterable[Problem]) -> None:
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        console.print(f"{p.severity}: {p}", style=style, markup=False, highlight=False, soft_wrap=True)


def print_summary(console: Console, s: DatasetSummary, title: str = "Dataset") -> None:
    c = s.counts
    console.print(
        f"[bold]{title}[/bold]: {c['candidates']} candidates, {c['contractors']} contractors, "
        f"{c['obligations']} obligations, {c['vacancies']} vacancies, {c['placements']} placements"
    )

    pool = Table(title="Candidate pool by labour-market region", title_justify="left")
    pool.add_column("region")
    pool.add_column("candidates", justify="right")
    pool.add_column("matchable", justify="right")
    for region, n, m in s.pool_by_region:
        pool.add_row(region, str(n), str(m))
    pool.add_row("[bold]total[/bold]", str(s.pool["candidates"]), str(s.pool["matchable"]))
    console.print(pool)
    console.print(
        "matchable = consent given and status beschikbaar; "
        f"{s.pool['no_consent']} candidates have not given consent and are never suggested."
    )

    groups = Table(title="Target groups", title_justify="left")
    groups.add_column("target group")
    groups.add_column("candidates", justify="right")
    groups.add_column("share", justify="right")
    for g, n, share in s.pool_by_target_group:
        groups.add_row(g, str(n), pct(share))
    console.print(groups)
    filled = ", ".join(f"{k} {pct(v)}" for k, v in s.profile_completeness.items())
    console.print(f"Profile fields filled in: {filled}")

    o = s.obligations
    obl = Table(title=f"Running SROI obligations: {o['running']} of {o['count']}", title_justify="left")
    obl.add_column("sector")
    obl.add_column("obligations", justify="right")
    obl.add_column("SROI owed", justify="right")
    for sector, n, owed in s.obligations_by_sector:
        obl.add_row(sector, str(n), eur(owed))
    obl.add_row("[bold]total[/bold]", str(o["running"]), eur(o["owed_eur"]))
    console.print(obl)

    v = s.vacancies
    places = Table(
        title=f"Open places: {v['open_places']} (of {v['positions']} offered in {v['count']} vacancies)",
        title_justify="left",
    )
    places.add_column("sector")
    places.add_column("open places", justify="right")
    for sector, n in s.open_places_by_sector:
        places.add_row(sector, str(n))
    console.print(places)
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
