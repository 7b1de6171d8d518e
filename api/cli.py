"""The ``koppelaar`` command line: validate, generate and the demo.

Composition root for the terminal: builds settings, calls the core, renders with rich and
turns every :class:`~models.errors.KoppelaarError` into one clear line and exit code 2.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli_match import register as register_matching
from api.cli_plan import register as register_plan
from api.cli_report import register as register_report
from api.cli_store import register as register_store
from api.cli_taxonomy import taxonomy_app
from api.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.render import EXIT_USER_ERROR, exit_on_user_error, parse_day, print_problems, print_summary
from models.dataset import validate_dataset
from models.errors import KoppelaarError
from models.summary import summarise

app = typer.Typer(
    name="koppelaar",
    help="Koppelaar: match candidates to SROI vacancies, plan placements and monitor obligations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def sample_dataset() -> Path:
    """The small sample world shipped with the package (about 500 candidates)."""
    return Path(str(resources.files("data.synthetic") / "sample"))


DatasetArg = Annotated[Path, typer.Argument(help="Folder with the dataset's CSV files.", show_default=False)]


@app.command()
@exit_on_user_error
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
        with reporter.stage("validate"):
            report = validate_dataset(dataset)
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


@app.command()
@exit_on_user_error
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset into.", show_default=False)],
    candidates: Annotated[int, typer.Option(min=1, help="Number of candidates.")] = 500,
    vacancies: Annotated[int, typer.Option(min=1, help="Number of vacancies (past and open).")] = 120,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives byte-identical files.")] = 1,
    as_of: Annotated[str, typer.Option("--as-of", help="The world's 'today' (YYYY-MM-DD).")] = "2026-10-01",
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Write a complete, valid synthetic dataset (all five files)."""
    from data.synthetic.generator import WorldConfig, generate_world
    from models.dataset import write_dataset

    with Reporter.from_options("generate", quiet=quiet, log=log) as reporter:
        day = parse_day(as_of, "--as-of")
        with reporter.stage("generate"):
            world = generate_world(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed, as_of=day))
        with reporter.stage("write"):
            write_dataset(world, out)
        reporter.done(world.counts())
    counts = ", ".join(f"{n} {name}" for name, n in world.counts().items())
    console.print(f"wrote {out}: {counts}", highlight=False)


@app.command()
@exit_on_user_error
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
            report = validate_dataset(folder)
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
        placements = _demo_match(folder, day, reporter)
        reporter.done({"placements": placements})
    console.print(
        "\nNext: [bold]koppelaar suggest DIR --vacancy ID[/bold] asks who fits one vacancy; "
        "[bold]koppelaar validate DIR[/bold] checks your own export; "
        "[bold]koppelaar generate --out DIR --candidates N --vacancies M --seed S[/bold] builds a bigger world."
    )


def _demo_match(folder: Path, day: date, reporter: Reporter) -> int:
    """Steps 4 and 5 of the demo: learn from the history, then plan who goes where. Returns the placements."""
    from api.cli_match import MIN_RELIABLE_TRAINING, prepare
    from api.cli_plan import print_plan, write_plan
    from api.settings import load_settings
    from matching.matcher import train
    from matching.plan import PlanConfig, make_plan

    console.print("\n[bold]4. train[/bold] P(placement lasts 6 months) on the placement history")
    with reporter.stage("prepare"):
        p = prepare(folder, day)
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
    result = make_plan(p, scorer, config=PlanConfig(schemes=load_settings().schemes()), progress=reporter.callback())
    with reporter.stage("write"):
        write_plan(result, out, {"dataset": str(folder), "scorer": scorer.name if scorer else "rule"})
    print_plan(result)
    console.print(f"   the plan: {out}/plan.csv, unfilled.csv, unplaced.csv, summary.json", highlight=False)
    return int(result.summary["counts"]["placements"])


register_matching(app)
register_plan(app)
register_store(app)
register_report(app)
app.add_typer(taxonomy_app, name="taxonomy")


def main() -> None:
    """Console-script entry point: domain errors become one line on stderr and exit code 2."""
    exit_on_user_error(app)()


if __name__ == "__main__":
    main()
