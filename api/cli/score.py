"""``koppelaar score``: eligible, score and explanation for given candidate–vacancy pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, ModelOpt, TodayOpt, day_or_today
from api.loaders import read_pairs, write_csv_atomic
from matching.matcher import Matcher

console = Console()


def score(
    dataset: DatasetArg,
    pairs: Annotated[Path, typer.Option("--pairs", help="CSV with candidate_id, vacancy_id.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores CSV.", show_default=False)],
    model: ModelOpt = None,
    today: TodayOpt = None,
) -> None:
    """Score given pairs: eligible, score and explanation per row."""
    frame = read_pairs(pairs)
    runtime = Runtime.load()
    scorer = runtime.scorer(model)
    matcher = Matcher(runtime.prepare(runtime.read(dataset), day_or_today(today)), scorer)
    scored = matcher.score_pairs(frame["candidate_id"].tolist(), frame["vacancy_id"].tolist())
    result = frame.copy()
    result["eligible"] = scored["eligible"].map({True: "true", False: "false"})
    result["score"] = scored["score"].to_numpy()
    result["explanation"] = scored["explanation"].to_numpy()
    result["reasons"] = scored["reasons"].to_numpy()
    write_csv_atomic(result, out)
    console.print(f"wrote {out}: {len(result)} pairs, {int(scored['eligible'].sum())} eligible", highlight=False)
