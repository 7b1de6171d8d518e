"""``koppelaar validate``: every problem of a dataset (exit 2), or its summary."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, OutputFormat
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import EXIT_USER_ERROR, parse_day, print_problems, print_summary
from models.dataset import validate_dataset
from models.summary import summarise

console = Console()
err_console = Console(stderr=True)


def validate(
    dataset: DatasetArg,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for programs.")
    ] = OutputFormat.TEXT,
    today: Annotated[str | None, typer.Option(help="Reference date for 'running' obligations (YYYY-MM-DD).")] = None,
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Check a dataset: print every problem (exit 2) or a summary (exit 0)."""
    with Reporter.from_options("validate", quiet=quiet, log=log) as reporter:
        day = parse_day(today, "--today") if today is not None else date.today()
        runtime = Runtime.load()
        with reporter.stage("validate"):
            report = validate_dataset(dataset, schemes=runtime.known_schemes)
        counts = {"errors": len(report.errors), "warnings": len(report.warnings)}
        if report.ok:
            reporter.done(counts)
        else:  # an event only with --log json; the problems are printed below
            reporter.error(f"{dataset}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)", **counts)
    if output is OutputFormat.JSON:
        payload: dict[str, object] = {
            "dataset": str(dataset),
            "ok": report.ok,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "problems": [p.as_dict() for p in report.problems],
        }
        if report.dataset is not None:
            payload["summary"] = dataclasses.asdict(summarise(report.dataset, day))
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
        if not report.ok:
            raise typer.Exit(EXIT_USER_ERROR)
        return
    if report.dataset is None:
        # with --log json, stderr carries JSON lines only: the problems, validate's result, go to stdout
        where = console if reporter.mode == "json" else err_console
        print_problems(where, report.problems)
        where.print(
            f"{dataset}: {len(report.errors)} error(s), {len(report.warnings)} warning(s); nothing was imported.",
            style="bold red",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_USER_ERROR)
    print_problems(console, report.warnings)
    print_summary(console, summarise(report.dataset, day), title=f"{dataset} is valid")
