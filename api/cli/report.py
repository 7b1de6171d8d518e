"""``koppelaar report``: the monitoring report of a dataset or of the store, as HTML, CSV, XLSX and JSON."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store
from api.cli.options import TodayOpt, day_or_today
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import eur, table
from models.errors import KoppelaarError

console = Console()


def report(
    dataset: Annotated[
        Path | None,
        typer.Argument(help="A dataset folder; leave out with --db.", show_default=False, file_okay=False),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.html, report.xlsx, report.json and the CSVs.")
    ] = Path("report"),
    db: Annotated[bool, typer.Option("--db", help="Report on the store (KOPPELAAR_DATABASE_URL) instead.")] = False,
    region: Annotated[str | None, typer.Option(help="With --db: one region's candidates only.")] = None,
    plan: Annotated[
        Path | None, typer.Option(help="A plan.csv (or its folder) from `koppelaar match` to count as planned.")
    ] = None,
    today: TodayOpt = None,
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """SROI monitoring: obligation progress and forecast, retention, tender calendar and training needs, fairness."""
    from api.report_files import write_report
    from api.services.regions import check_region
    from api.services.reports import folder_report, store_report

    with Reporter.from_options("report", quiet=quiet, log=log) as reporter:
        if (dataset is None) == (not db):
            raise KoppelaarError("give a DATASET folder or --db, not both and not neither")
        if region is not None and not db:
            raise KoppelaarError("--region needs --db; a dataset folder is reported as a whole")
        if plan is not None and db:
            raise KoppelaarError("--plan needs a DATASET; with --db, accepted plans are the placements voorgesteld")
        if out.exists() and not out.is_dir():  # before the work, not after it
            raise KoppelaarError(f"--out {out} is a file; give a folder for the report")
        day = day_or_today(today)
        runtime = Runtime.load()
        started = time.perf_counter()
        with reporter.stage("figures"):
            if db:
                store = open_store(runtime)
                try:
                    if region is not None:
                        region = check_region(region, store.regions())
                    figures = store_report(store, day, runtime, region)
                finally:
                    store.close()
            else:
                assert dataset is not None
                figures = folder_report(dataset, day, runtime, plan)
        computed = time.perf_counter() - started
        with reporter.stage("write"):
            written = write_report(figures, out)
        total = time.perf_counter() - started
        reporter.done({"files": len(written), "obligations": int(figures.overview["obligations"])})
    o = figures.overview
    console.print(
        table(
            f"SROI monitoring on {day.isoformat()}" + (f", region {region}" if region else ""),
            ("figure", "value"),
            [
                ("obligations", o["obligations"]),
                ("op schema / risico / achter", " / ".join(str(v) for v in o["by_status"].values())),
                (
                    "required / realised / planned",
                    f"{eur(o['required_eur'])} / {eur(o['realised_eur'])} / {eur(o['planned_eur'])}",
                ),
                ("retention 6 / 12 months", f"{o['retention_6m'] or 0:.1%} / {o['retention_12m'] or 0:.1%}"),
                ("future obligations (places)", f"{o['future_obligations']} ({o['future_places']})"),
                ("fairness gaps", o["fairness_gaps"]),
                ("displacement warnings", len(o["displacement_warnings"])),
            ],
        )
    )
    for line in figures.training.one_step["text"].head(3):
        console.print(f"  {line}", highlight=False)
    console.print(
        f"wrote {len(written)} files to {out}/ (report.html opens in any browser) in {total:.1f} s "
        f"(figures {computed:.1f} s)",
        highlight=False,
    )
