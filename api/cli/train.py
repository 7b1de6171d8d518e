"""``koppelaar train``: learn P(placement lasts 6 months) from a dataset's placement history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, TodayOpt, day_or_today
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.loaders import write_model
from matching.matcher import train as train_model

console = Console()

#: Below this many labelled placements a learned model is not worth trusting.
MIN_RELIABLE_TRAINING = 300


def train(
    dataset: DatasetArg,
    model: Annotated[Path, typer.Option("--model", help="Where to write the model file.", show_default=False)],
    seed: Annotated[int, typer.Option(help="Seed of the train/validation split.")] = 0,
    today: TodayOpt = None,
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Learn P(placement lasts 6 months) from the dataset's placement history."""
    with Reporter.from_options("train", quiet=quiet, log=log) as reporter:
        day = day_or_today(today)
        runtime = Runtime.load()
        with reporter.stage("load"):
            ds = runtime.read(dataset)
        with reporter.stage("prepare"):
            p = runtime.prepare(ds, day)
        with reporter.stage("train"):
            scorer = train_model(p, seed=seed)
        with reporter.stage("write"):
            write_model(scorer, model)
        m = scorer.metrics_
        reporter.done(
            {"training_size": scorer.training_size_, "validation_size": int(m["validation_size"])},
            validation_auc=round(float(m["validation_auc"]), 4),
        )
    console.print(
        f"wrote {model}: trained on {scorer.training_size_} placements with a known 6-month outcome "
        f"(base rate {m['base_rate']:.0%}); on {int(m['validation_size'])} held-out placements: "
        f"AUC {m['validation_auc']:.3f}, Brier {m['validation_brier']:.3f}",
        highlight=False,
    )
    if scorer.training_size_ < MIN_RELIABLE_TRAINING or m["validation_auc"] < 0.6:
        console.print(
            f"[yellow]warning[/yellow]: with {scorer.training_size_} labelled placements the learned model is not "
            "reliable yet; the rule-based score (no --model) stays the better default until more history is known.",
            highlight=False,
        )
