"""``koppelaar demo``: the first look: load a world, validate, summarise, train, plan."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.match import print_plan, write_plan
from api.cli.options import sample_dataset
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import print_problems, print_summary
from api.cli.train import MIN_RELIABLE_TRAINING
from models.dataset import Dataset, validate_dataset
from models.errors import KoppelaarError
from models.summary import summarise

console = Console()
err_console = Console(stderr=True)


def demo(
    dataset: Annotated[
        Path | None, typer.Option(help="Dataset folder; default the shipped sample (about 500 candidates).")
    ] = None,
    candidates: Annotated[
        int | None, typer.Option(min=1, help="Generate a fresh world of this many candidates instead of the sample.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --candidates.")] = 1,
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """The first command to run: load a world, validate, summarise, train and plan who goes where."""
    with Reporter.from_options("demo", quiet=quiet, log=log) as reporter:
        runtime = Runtime.load()
        if candidates is not None:
            from data.synthetic.generator import WorldConfig, generate_world
            from models.dataset import write_dataset

            folder = Path(tempfile.mkdtemp(prefix="koppelaar-demo-"))
            config = WorldConfig(candidates=candidates, vacancies=max(20, candidates // 5), seed=seed)
            console.print(
                f"[bold]1. generate[/bold] a synthetic world of {candidates} candidates (seed {seed}) in {folder}"
            )
            with reporter.stage("generate"):
                write_dataset(generate_world(config), folder)
            day = config.as_of
        else:
            folder = dataset or sample_dataset()
            console.print(f"[bold]1. load[/bold] {folder}", highlight=False)
            day = date(2026, 10, 1) if dataset is None else date.today()
        console.print("[bold]2. validate[/bold] every file, row and reference")
        with reporter.stage("validate"):
            report = validate_dataset(folder, schemes=runtime.known_schemes)
        if report.dataset is None:  # with --log json, stderr carries JSON lines only: the problems go to stdout
            print_problems(console if reporter.mode == "json" else err_console, report.problems)
            raise KoppelaarError(f"{folder} has {len(report.errors)} error(s); fix them and run again")
        console.print(f"   valid: no errors, {len(report.warnings)} warning(s)")
        console.print(f"[bold]3. summarise[/bold] (as of {day.isoformat()})\n")
        print_summary(
            console,
            summarise(report.dataset, day),
            title="Sample world" if dataset is None and candidates is None else str(folder),
        )
        placements = _demo_match(runtime, folder, report.dataset, day, reporter)
        reporter.done({"placements": placements})
    console.print(
        "\nNext: [bold]koppelaar suggest DIR --vacancy ID[/bold] asks who fits one vacancy; "
        "[bold]koppelaar validate DIR[/bold] checks your own export; "
        "[bold]koppelaar generate --out DIR --candidates N --vacancies M --seed S[/bold] builds a bigger world."
    )


def _demo_match(runtime: Runtime, folder: Path, ds: Dataset, day: date, reporter: Reporter) -> int:
    """Steps 4 and 5 of the demo: learn from the history, then plan who goes where. Returns the placements."""
    from matching.matcher import train
    from matching.plan import PlanConfig, make_plan

    console.print("\n[bold]4. train[/bold] P(placement lasts 6 months) on the placement history")
    with reporter.stage("prepare"):
        p = runtime.prepare(ds, day)
    scorer = None
    try:
        with reporter.stage("train"):
            model = train(p, seed=0)
    except KoppelaarError as exc:
        reporter.end()
        console.print(f"   {exc}: the rule-based score is used", highlight=False)
    else:
        auc = model.metrics_["validation_auc"]
        if model.training_size_ < MIN_RELIABLE_TRAINING:
            console.print(
                f"   {model.training_size_} labelled placements (held-out AUC {auc:.2f}): too few to trust, "
                "so the plan uses the transparent rule-based score",
                highlight=False,
            )
        else:
            scorer = model
            console.print(f"   learned from {model.training_size_} placements, held-out AUC {auc:.3f}", highlight=False)
    out = Path(tempfile.mkdtemp(prefix="koppelaar-plan-"))
    console.print("[bold]5. match[/bold] every open place: most placements, then SROI value, then retention")
    reporter.begin("score")
    result = make_plan(p, scorer, config=PlanConfig(schemes=runtime.schemes), progress=reporter.callback())
    with reporter.stage("write"):
        write_plan(
            result,
            out,
            {"dataset": str(folder)},
            ds=p.ds,
            postcodes=runtime.postcodes,
        )
    print_plan(result)
    console.print(f"   the plan: {out}/plan.csv, unfilled.csv, unplaced.csv, summary.json", highlight=False)
    return int(result.summary["counts"]["placements"])
