"""CLI verbs of the scoring engine: ``train``, ``suggest`` and ``score`` (registered in :mod:`api.cli`)."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.loaders import read_model, read_pairs, read_postcodes, write_csv_atomic, write_model
from api.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.render import exit_on_user_error, parse_day
from api.settings import Settings, load_settings
from matching.matcher import Matcher, train
from matching.prepare import MatchConfig, Prepared
from matching.scorers import Scorer
from models.dataset import Dataset, read_dataset
from models.errors import KoppelaarError

console = Console()

DatasetArg = Annotated[Path, typer.Argument(help="Folder with the dataset's CSV files.", show_default=False)]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", help="A model from `koppelaar train`; default the rule-based score.")
]
TodayOpt = Annotated[str | None, typer.Option(help="Reference date YYYY-MM-DD (default: today).")]

#: Below this many labelled placements a learned model is not worth trusting.
MIN_RELIABLE_TRAINING = 300


class SuggestFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


def day_or_today(value: str | None) -> date:
    return date.today() if value is None else parse_day(value, "--today")


def prepare(dataset: Path, today: date, settings: Settings | None = None) -> Prepared:
    """Read, validate and prepare a dataset with the configured taxonomy and postcode table."""
    return prepared_from(read_dataset(dataset), today, settings)


def prepared_from(ds: Dataset, today: date, settings: Settings | None = None) -> Prepared:
    """Prepare a read dataset with the configured taxonomy and postcode table."""
    settings = settings or load_settings()
    postcodes = read_postcodes(settings.postcodes) if settings.postcodes else None
    taxonomy = None
    if settings.taxonomy is not None:
        from api.taxonomy_io import load_taxonomy

        taxonomy = load_taxonomy(settings.taxonomy)
    return Prepared(ds, config=MatchConfig(today=today), taxonomy=taxonomy, postcodes=postcodes)


def read_scorer(model: Path | None) -> Scorer | None:
    return read_model(model) if model is not None else None


def train_command(
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
        with reporter.stage("load"):
            ds = read_dataset(dataset)
        with reporter.stage("prepare"):
            p = prepared_from(ds, day)
        with reporter.stage("train"):
            scorer = train(p, seed=seed)
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


def suggest_command(
    dataset: DatasetArg,
    vacancy: Annotated[str | None, typer.Option(help="Who fits this vacancy?")] = None,
    candidate: Annotated[str | None, typer.Option(help="Where does this candidate fit?")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="How many suggestions.")] = 10,
    model: ModelOpt = None,
    output: Annotated[SuggestFormat, typer.Option("--format", help="text, csv or json.")] = SuggestFormat.TEXT,
    today: TodayOpt = None,
) -> None:
    """Ranked suggestions with their explanation: candidates for a vacancy, or vacancies for a candidate."""
    if (vacancy is None) == (candidate is None):
        raise KoppelaarError("give exactly one of --vacancy ID or --candidate ID")
    scorer = read_scorer(model)
    matcher = Matcher(prepare(dataset, day_or_today(today)), scorer)
    result = (
        matcher.suggest_for_vacancy(vacancy, top)
        if vacancy is not None
        else matcher.suggest_for_candidate(str(candidate), top)
    )
    if output is SuggestFormat.CSV:
        result.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    if output is SuggestFormat.JSON:
        sys.stdout.write(json.dumps(result.to_dict(orient="records"), ensure_ascii=False, indent=2) + "\n")
        return
    subject = f"vacancy {vacancy}" if vacancy is not None else f"candidate {candidate}"
    if result.empty:
        console.print(f"No eligible match for {subject}.", highlight=False)
        return
    table = Table(
        title=f"Top {len(result)} for {subject} ({matcher.scorer.name} score)", title_justify="left", show_lines=True
    )
    other = "candidate_id" if vacancy is not None else "vacancy_id"
    for column in ("#", other.replace("_id", ""), "score", "conf.", "why (uitleg)"):
        table.add_column(column, overflow="fold")
    for row in result.itertuples():
        table.add_row(
            str(row.rank), str(getattr(row, other)), f"{row.score:.2f}", f"{row.confidence:.2f}", row.explanation
        )
    console.print(table)


def score_command(
    dataset: DatasetArg,
    pairs: Annotated[Path, typer.Option("--pairs", help="CSV with candidate_id, vacancy_id.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores CSV.", show_default=False)],
    model: ModelOpt = None,
    today: TodayOpt = None,
) -> None:
    """Score given pairs: eligible, score and explanation per row."""
    frame = read_pairs(pairs)
    scorer = read_scorer(model)
    matcher = Matcher(prepare(dataset, day_or_today(today)), scorer)
    scored = matcher.score_pairs(frame["candidate_id"].tolist(), frame["vacancy_id"].tolist())
    result = frame.copy()
    result["eligible"] = scored["eligible"].map({True: "true", False: "false"})
    result["score"] = scored["score"].to_numpy()
    result["explanation"] = scored["explanation"].to_numpy()
    result["reasons"] = scored["reasons"].to_numpy()
    write_csv_atomic(result, out)
    console.print(f"wrote {out}: {len(result)} pairs, {int(scored['eligible'].sum())} eligible", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("train")(exit_on_user_error(train_command))
    app.command("suggest")(exit_on_user_error(suggest_command))
    app.command("score")(exit_on_user_error(score_command))
