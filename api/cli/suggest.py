"""``koppelaar suggest``: ranked suggestions with their explanation, for a vacancy or a candidate."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, ModelOpt, TodayOpt, day_or_today
from api.cli.render import pct, score_text, score_title
from matching.matcher import Matcher
from matching.scorers import score_meaning
from models.errors import KoppelaarError
from models.spreadsheet import neutralise_frame

console = Console()


class SuggestFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


def suggest(
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
    runtime = Runtime.load()
    scorer = runtime.scorer(model)
    matcher = Matcher(
        runtime.prepare(runtime.read(dataset), day_or_today(today)),
        scorer,
        min_retention=runtime.settings.min_retention,
    )
    result = (
        matcher.suggest_for_vacancy(vacancy, top)
        if vacancy is not None
        else matcher.suggest_for_candidate(str(candidate), top)
    )
    if output is SuggestFormat.CSV:
        neutralise_frame(result).to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    if output is SuggestFormat.JSON:
        sys.stdout.write(json.dumps(result.to_dict(orient="records"), ensure_ascii=False, indent=2) + "\n")
        return
    subject = f"vacancy {vacancy}" if vacancy is not None else f"candidate {candidate}"
    if result.empty:
        console.print(f"No eligible match for {subject}.", highlight=False)
        return
    meaning = score_meaning(matcher.scorer)
    table = Table(
        title=f"Top {len(result)} for {subject}; {score_title(meaning)}; "
        "known: share of what the score reads that is known",
        title_justify="left",
        show_lines=True,
    )
    other = "candidate_id" if vacancy is not None else "vacancy_id"
    for column in ("#", other.replace("_id", ""), meaning.label, "known", "why (uitleg)"):
        table.add_column(column, overflow="fold")
    columns = ("rank", other, "score", "confidence", "explanation")
    for rank, who, score, confidence, why in zip(*(result[c].tolist() for c in columns), strict=True):
        table.add_row(str(rank), str(who), score_text(score, meaning), pct(confidence), str(why))
    console.print(table)
