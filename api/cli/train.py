"""``koppelaar train``: learn P(placement lasts 6 months) from a dataset's placement history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, TodayOpt, day_or_today
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import table
from api.loaders import write_model
from matching.matcher import train as train_model
from matching.scorers import CHOSEN_FROM, LearnedScorer

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
        f"(base rate {m['base_rate']:.0%}); {KEPT[scorer.kept_]}",
        highlight=False,
    )
    chosen_from = ", ".join(
        f"{name.replace('_', ' ')} {m[key]:.3f}"
        for key, name in ((f"selection_auc_{f}", f) for f in (*CHOSEN_FROM, "rule"))
        if key in m
    )
    console.print(f"Out-of-fold AUC the family was chosen on: {chosen_from}", highlight=False)
    if "selection_auc_kept" in m:
        console.print(
            f"Out-of-fold AUC the choice was made on: learned ({_family(scorer)}) {m['selection_auc_kept']:.3f}, "
            f"rule score {m['selection_auc_rule']:.3f}",
            highlight=False,
        )
    console.print(
        table(
            f"Out of sample: the latest {int(m['validation_size'])} placements by start date",
            ["score", "AUC", "Brier", "mean predicted", "realised"],
            [
                [_name(who, scorer), f"{m[who + '_validation_auc']:.3f}", f"{m[who + '_validation_brier']:.3f}", "", ""]
                for who in ("learned", "rule")
            ]
            + [["kept", "", "", f"{m['validation_predicted']:.3f}", f"{m['validation_retained']:.3f}"]],
        )
    )
    console.print(
        table(
            "Reliability of the kept score on those placements",
            ["predicted", "placements", "mean predicted", "realised"],
            [
                [f"{b['low']:.1f}–{b['high']:.1f}", int(b["pairs"]), f"{b['predicted']:.3f}", f"{b['realised']:.3f}"]
                for b in scorer.reliability_
            ],
        )
    )
    if scorer.training_size_ < MIN_RELIABLE_TRAINING or m["validation_auc"] < 0.6:
        console.print(
            f"[yellow]warning[/yellow]: with {scorer.training_size_} labelled placements the model is not "
            "reliable yet; the rule-based score (no --model) stays the better default until more history is known.",
            highlight=False,
        )


KEPT = {
    "learned": "kept the learned model (its family with the rule score beside it): out of fold (folds grouped "
    "by candidate) it ranked the history's placements better than the rule score",
    "rule": "kept the rule score, calibrated: out of fold (folds grouped by candidate) the learned model (its "
    "family with the rule score beside it) did not rank the history's placements better",
}


def _name(who: str, scorer: LearnedScorer) -> str:
    if who == "rule":
        return "rule score"
    return f"learned ({_family(scorer)})"


def _family(scorer: LearnedScorer) -> str:
    """The learned model as kept: its family, and the rule score beside it when it weighs anything."""
    family = scorer.best_family_.replace("_", " ")
    return f"{family} + {scorer.rule_weight:g} × rule score" if scorer.rule_weight else family
