"""``koppelaar match``: plan every open place at once; writes plan.csv, unfilled.csv, unplaced.csv, summary.json."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.options import DatasetArg, ModelOpt, TodayOpt, day_or_today
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import eur, pct, score_text, score_title, table
from api.loaders import read_pairs
from api.services.worklist import place_regions
from api.settings import Settings, check_scheduler_address
from matching.engines import Engine, make_engine
from matching.geo import PostcodeTable
from matching.plan import PlanConfig, PlanResult, make_plan
from matching.prepare import Prepared
from matching.scorers import MODEL_SCORE, RULE_SCORE
from models.dataset import Dataset
from models.errors import KoppelaarError
from models.folders import replacing_folder
from models.spreadsheet import neutralise_frame

console = Console()

OUTPUT_FILES = ("plan.csv", "unfilled.csv", "unplaced.csv", "summary.json")
#: The counts of summary.json that ``--log json`` reports when the match is done (counts only: no ids).
DONE_COUNTS = (
    "candidates",
    "matchable_candidates",
    "open_vacancies",
    "open_places",
    "placements",
    "unfilled_places",
    "unplaced_candidates",
    "vacancies_widened",
    "vacancies_expanded",
)


def plan_with_names(plan: pd.DataFrame, ds: Dataset, postcodes: PostcodeTable | None) -> pd.DataFrame:
    """The plan with, after its own columns, each vacancy's title, its contractor's name and its region."""
    region, _ = place_regions(ds, postcodes)
    vacancies = ds.vacancies.assign(region=region).set_index("vacancy_id")
    names = ds.contractors.set_index("contractor_id")["name"]
    out = plan.copy()
    out["vacancy_title"] = out["vacancy_id"].map(vacancies["title"])
    out["contractor_name"] = out["vacancy_id"].map(vacancies["contractor_id"]).map(names)
    out["region"] = out["vacancy_id"].map(vacancies["region"])
    return out


def _format_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as the format spells them: ``true`` / ``false``."""
    flags = [c for c in frame.columns if frame[c].dtype == bool]
    return frame.assign(**{c: frame[c].map({True: "true", False: "false"}) for c in flags}) if flags else frame


def write_plan(
    result: PlanResult,
    out: Path,
    extra: dict[str, Any],
    *,
    ds: Dataset | None = None,
    postcodes: PostcodeTable | None = None,
) -> None:
    """Write the four files together: ``out`` appears whole or not at all, every text cell spreadsheet-safe.

    With ``ds``, plan.csv carries each vacancy's title, contractor name and region beside the ids.
    """
    plan = plan_with_names(result.plan, ds, postcodes) if ds is not None else result.plan
    with replacing_folder(out, OUTPUT_FILES) as staging:
        for name, frame in (("plan.csv", plan), ("unfilled.csv", result.unfilled)):
            _format_booleans(neutralise_frame(frame)).to_csv(staging / name, index=False, lineterminator="\n")
        _format_booleans(neutralise_frame(result.unplaced)).to_csv(
            staging / "unplaced.csv", index=False, lineterminator="\n"
        )
        summary = {**result.summary, **extra}
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _pairs(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    frame = read_pairs(path)
    return list(zip(frame["candidate_id"], frame["vacancy_id"], strict=True))


def run_match(
    dataset: Path,
    out: Path,
    *,
    model: Path | None = None,
    locked: Path | None = None,
    forbidden: Path | None = None,
    today: str | None = None,
    progress: Reporter | None = None,
    engine: Engine | None = None,
    runtime: Runtime | None = None,
) -> tuple[PlanResult, Prepared]:
    """Load, prepare, score, solve, explain, write: the batch match, each stage timed.

    ``progress`` hears of each stage (default: nobody); ``engine`` scores and solves (default: in
    this process), and is left open for the caller to close; ``runtime`` holds the settings
    (default: those of the environment).
    """
    if out.exists() and not out.is_dir():  # before the work, not after it
        raise KoppelaarError(f"--out {out} is a file; give a folder for plan.csv, unfilled.csv, unplaced.csv")
    reporter = progress if progress is not None else Reporter("match", "quiet")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    with reporter.stage("load"):
        day = day_or_today(today)
        runtime = runtime if runtime is not None else Runtime.load()
        schemes = runtime.schemes
        scorer = runtime.scorer(model)
        lock_pairs, forbid_pairs = _pairs(locked), _pairs(forbidden)
        ds = runtime.read(dataset)
    timings["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with reporter.stage("prepare"):
        p = runtime.prepare(ds, day)
    timings["prepare_s"] = time.perf_counter() - t
    reporter.begin("score")  # make_plan counts the blocks; the stages after it are make_plan's own
    result = make_plan(
        p,
        scorer,
        locked=lock_pairs,
        forbidden=forbid_pairs,
        config=PlanConfig(schemes=schemes, min_retention=runtime.settings.min_retention),
        progress=reporter.callback(),
        engine=engine,
    )
    timings.update(result.timings)
    t = time.perf_counter()
    with reporter.stage("write"):
        extra = {
            "dataset": str(dataset),
            "model": str(model) if model is not None else None,
        }
        write_plan(
            result,
            out,
            {**extra, "timings_s": {k: round(v, 3) for k, v in timings.items()}},
            ds=p.ds,
            postcodes=runtime.postcodes,
        )
    timings["write_s"] = time.perf_counter() - t
    result.timings = timings
    return result, p


def print_plan(result: PlanResult, rows: int = 5) -> None:
    s = result.summary
    counts, objective, solver = s["counts"], s["objective"], s["solver"]
    console.print(
        f"   {counts['placements']} placements for {counts['open_places']} open places "
        f"({counts['matchable_candidates']} candidates available); solver {solver['status']}, "
        f"{solver['components']} independent part(s)",
        highlight=False,
    )
    lasting = objective.get("expected_retained_6m")
    console.print(
        f"   SROI value to obligations that need it: {eur(objective['sroi_eur'])} "
        f"(bound {eur(objective['sroi_bound_eur'])}, gap {pct(objective['sroi_gap'])})"
        + (f"; expected to last 6 months: {lasting:.1f}" if lasting is not None else ""),
        highlight=False,
    )
    retention = s["retention"]
    if retention["predicted_mean"] is not None:
        realised = retention["history_realised_rate"]
        console.print(
            f"   predicted to last 6 months: {pct(retention['predicted_mean'])} of the planned placements on average; "
            + (
                f"realised in the history: {pct(realised)} of {retention['history_placements']} placements"
                if realised is not None
                else "no placement in the history has a known 6-month outcome"
            ),
            highlight=False,
        )
    if retention["min_retention"] is not None:
        console.print(
            f"   minimum predicted retention {pct(retention['min_retention'])}: "
            f"{retention['pairs_below_min_retention']} pair(s) below it left out, "
            f"{retention['places_left_open_by_min_retention']} place(s) left open by it",
            highlight=False,
        )
    meaning = MODEL_SCORE if s["scorer"]["probability"] else RULE_SCORE
    below = s["displacement"]["contractors_below_baseline"]
    if below:
        console.print(
            f"   [yellow]displacement warning[/yellow]: {len(below)} contractor(s) below their baseline headcount "
            f"({', '.join(below[:5])}); their plan rows are flagged",
            highlight=False,
        )
    obligations = sorted(s["obligations"], key=lambda o: -o["planned_counted_eur"])[:rows]
    if obligations:
        console.print(
            table(
                "Obligations with the most planned value",
                ("obligation", "required", "realised", "planned", "after plan"),
                (
                    (
                        o["obligation_id"],
                        eur(o["required_eur"]),
                        eur(o["realised_eur"]),
                        eur(o["planned_counted_eur"]),
                        pct(o["fulfilment_after_plan"]),
                    )
                    for o in obligations
                ),
            )
        )
    plan = result.plan.sort_values("score", ascending=False, kind="stable").head(rows)
    if len(plan):
        console.print(
            table(
                f"A few plan rows; {score_title(meaning)}",
                ("candidate", "vacancy", meaning.label, "SROI", "why (uitleg)"),
                (
                    (
                        r["candidate_id"],
                        r["vacancy_id"],
                        score_text(r["score"], meaning),
                        eur(r["sroi_value_eur"]),
                        r["explanation"],
                    )
                    for r in plan.to_dict(orient="records")
                ),
            )
        )


class EngineName(StrEnum):
    LOCAL = "local"
    DASK = "dask"


def engine_options(
    engine: EngineName | None, scheduler: str | None, workers: int | None, settings: Settings
) -> tuple[str, str | None, int | None]:
    """The engine's name, scheduler and workers from the options, else from the settings."""
    name = engine.value if engine is not None else settings.engine
    if scheduler is not None:
        try:
            scheduler = check_scheduler_address(scheduler)
        except ValueError as exc:
            raise KoppelaarError(str(exc)) from None
    elif name == "dask" and workers is None:
        scheduler = settings.dask_scheduler
    return name, scheduler, workers


def match(
    dataset: DatasetArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for plan.csv, unfilled.csv, unplaced.csv, summary.json.")],
    model: ModelOpt = None,
    locked: Annotated[
        Path | None, typer.Option(help="CSV of candidate_id, vacancy_id pairs a coach keeps (always planned).")
    ] = None,
    forbidden: Annotated[
        Path | None, typer.Option(help="CSV of candidate_id, vacancy_id pairs a coach vetoed (never planned).")
    ] = None,
    today: TodayOpt = None,
    engine: Annotated[
        EngineName | None,
        typer.Option(
            help="Where to score and solve: local (this process) or dask (a Dask cluster). "
            "[default: KOPPELAAR_ENGINE, else local]",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="With --engine dask: the address of a running scheduler, tcp://HOST:8786. "
            "[default: KOPPELAAR_DASK_SCHEDULER]",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="With --engine dask: start a cluster of N worker processes on this machine.", show_default=False
        ),
    ] = None,
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Plan who goes where: the most placements, then SROI value still needed, then retention."""
    with Reporter.from_options("match", quiet=quiet, log=log) as reporter:
        runtime = Runtime.load()
        name, scheduler, workers = engine_options(engine, scheduler, workers, runtime.settings)
        with reporter.stage("engine"):
            runner = make_engine(name, scheduler=scheduler, workers=workers)
        with runner:
            result, _ = run_match(
                dataset,
                out,
                model=model,
                locked=locked,
                forbidden=forbidden,
                today=today,
                progress=reporter,
                engine=runner,
                runtime=runtime,
            )
        counts = result.summary["counts"]
        reporter.done({k: counts[k] for k in DONE_COUNTS if k in counts}, engine=result.summary["engine"])
    print_plan(result)
    t = result.timings
    used = result.summary["engine"]
    console.print(
        f"wrote {out}/{{{','.join(OUTPUT_FILES)}}} in {sum(t.values()):.1f} s "
        f"(load {t['load_s']:.1f}, prepare {t['prepare_s']:.1f}, score {t['score_s']:.1f}, solve {t['solve_s']:.1f}, "
        f"explain {t['explain_s']:.1f}, write {t['write_s']:.1f}) "
        f"on the {used['name']} engine, {used['workers']} worker{'s' if used['workers'] != 1 else ''}",
        highlight=False,
    )
