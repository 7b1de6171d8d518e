"""``koppelaar generate``: a complete, valid synthetic dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import parse_day

console = Console()


def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset into.", show_default=False)],
    candidates: Annotated[int, typer.Option(min=1, help="Number of candidates.")] = 500,
    vacancies: Annotated[int, typer.Option(min=1, help="Number of vacancies (past and open).")] = 120,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives byte-identical files.")] = 1,
    as_of: Annotated[str, typer.Option("--as-of", help="The world's 'today' (YYYY-MM-DD).")] = "2026-10-01",
    truth: Annotated[
        str,
        typer.Option(
            "--truth",
            help="The world's hidden retention model: standard, skills, motivation, coaching, distance, language "
            "or noisy (data/synthetic/README.md).",
        ),
    ] = "standard",
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Write a complete, valid synthetic dataset (all five files)."""
    from data.synthetic.generator import WorldConfig, generate_world
    from data.synthetic.truth import TRUTH_MODELS
    from models.dataset import write_dataset
    from models.errors import KoppelaarError

    with Reporter.from_options("generate", quiet=quiet, log=log) as reporter:
        day = parse_day(as_of, "--as-of")
        if truth not in TRUTH_MODELS:
            raise KoppelaarError(f"--truth {truth!r} is not a truth model: choose from {', '.join(TRUTH_MODELS)}")
        with reporter.stage("generate"):
            world = generate_world(
                WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed, as_of=day, truth=truth)
            )
        with reporter.stage("write"):
            write_dataset(world, out)
        reporter.done(world.counts())
    counts = ", ".join(f"{n} {name}" for name, n in world.counts().items())
    console.print(f"wrote {out}: {counts}", highlight=False)
