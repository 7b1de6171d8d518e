"""``koppelaar register --out DIR``: the Algoritmeregister entry, filled from configuration and figures.

Writes ``register.json`` and ``register.md`` (Dutch): every field the register asks for, the personal
data processed and where, and the fairness figures (four-fifths check, rates with bootstrap intervals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store
from api.cli.options import TodayOpt, day_or_today
from models.errors import KoppelaarError

console = Console()


def register(
    dataset: Annotated[
        Path | None,
        typer.Argument(help="A dataset folder; leave out with --db.", show_default=False, file_okay=False),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for register.json and register.md.")] = Path("register"),
    db: Annotated[bool, typer.Option("--db", help="The store (KOPPELAAR_DATABASE_URL) instead of a folder.")] = False,
    region: Annotated[str | None, typer.Option(help="With --db: one region's entry.")] = None,
    organisation: Annotated[
        str | None, typer.Option(help="The publishing organisation (default: the region's municipalities).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="A model from `koppelaar train` (default: KOPPELAAR_MODEL); its validation is reported."),
    ] = None,
    boot: Annotated[int, typer.Option("--boot", min=20, max=10_000, help="Bootstrap resamples per interval.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    today: TodayOpt = None,
) -> None:
    """Write the Algoritmeregister entry (Dutch, JSON and Markdown) with the latest validation and fairness figures."""
    from api.services.regions import check_region
    from api.services.register import FIELDS, build_register, write_register
    from models.store import audit, runs

    if (dataset is None) == (not db):
        raise KoppelaarError("give a DATASET folder or --db, not both and not neither")
    if region is not None and not db:
        raise KoppelaarError("--region needs --db; a dataset folder is described as a whole")
    if out.exists() and not out.is_dir():
        raise KoppelaarError(f"--out {out} is a file; give a folder for the register")
    day = day_or_today(today)
    runtime = Runtime.load()
    scorer = runtime.scorer(model) if model is not None else runtime.model
    suggested = planned = None
    if db:
        store = open_store(runtime)
        try:
            if region is not None:
                region = check_region(region, store.regions())
            ds = store.load_dataset(region)
            with store.connect() as conn:
                suggested = audit.suggested_candidates(conn)
                planned = runs.planned_candidates(conn)
        finally:
            store.close()
        if region is not None:
            ds.candidates = ds.candidates[ds.candidates["region"] == region].reset_index(drop=True)
    else:
        assert dataset is not None
        ds = runtime.read(dataset)
    entry = build_register(
        ds,
        day,
        runtime,
        organisation=organisation,
        region=region,
        model=scorer,
        suggested=suggested,
        planned=planned,
        n_boot=boot,
        seed=seed,
    )
    written = write_register(entry, out)
    console.print(f"Algoritmeregister entry with {len(FIELDS)} fields, publication category 'hoog risico':")
    for path in written:
        console.print(f"  {path}", markup=False)


__all__ = ["register"]
