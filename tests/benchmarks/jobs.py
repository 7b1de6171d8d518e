"""The jobs the benchmarks time. Each takes what ``prepare`` made (outside the clock)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any


def prepare(job: str, args: dict[str, Any]) -> Any:
    """Work that must not count towards the job's time (e.g. writing its input)."""
    if job == "validate_world":
        from data.synthetic.generator import WorldConfig, generate_world
        from models.dataset import write_dataset

        folder = Path(tempfile.mkdtemp(prefix="koppelaar-bench-"))
        write_dataset(
            generate_world(WorldConfig(candidates=args["candidates"], vacancies=args["vacancies"], seed=args["seed"])),
            folder,
        )
        return folder
    if job == "report_world":
        from tests.benchmarks.report import write_world as write_report_world

        return write_report_world(args["candidates"], args["vacancies"], args["seed"])
    if job == "prepare_taxonomy_world":
        from tests.benchmarks.taxonomy import write_world as write_taxonomy_world

        return write_taxonomy_world(args["candidates"], args["vacancies"], args["seed"])
    if job == "value_world":
        from tests.benchmarks.schemes import world

        return world(args["candidates"], args["vacancies"], args["seed"])
    if job == "notify_world":
        from tests.benchmarks.notify import write_store

        return write_store(args["candidates"], args["vacancies"], args["seed"])
    if job == "match_world":
        from tests.benchmarks.planning import write_world

        return write_world(args["candidates"], args["vacancies"], args["seed"])
    return None


def generate_world(_: None, *, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """Generate a world and write its five files (what `koppelaar generate` does)."""
    from data.synthetic.generator import WorldConfig
    from data.synthetic.generator import generate_world as generate
    from models.dataset import write_dataset

    folder = Path(tempfile.mkdtemp(prefix="koppelaar-bench-"))
    try:
        world = generate(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed))
        write_dataset(world, folder)
        size = sum(p.stat().st_size for p in folder.iterdir())
        return {"counts": world.counts(), "megabytes_written": round(size / 2**20, 1)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def validate_world(folder: Path, *, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """Read and validate a written world (what `koppelaar validate` does before its summary)."""
    from models.dataset import validate_dataset

    try:
        report = validate_dataset(folder)
        return {"errors": len(report.errors), "warnings": len(report.warnings)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scoring(_: None, *, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """Issue 3: held-out AUC of the scorers against the ceiling, and suggestion latency."""
    from tests.benchmarks.scoring import scoring as run

    return run(None, candidates=candidates, vacancies=vacancies, seed=seed)


def match_world(folder: Path, *, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """Issue 4: `koppelaar match` end to end, solve vs a bare min-cost flow, plan quality vs greedy."""
    from tests.benchmarks.planning import match_world as run

    try:
        return run(folder, candidates=candidates, vacancies=vacancies, seed=seed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def quality_world(_: None, **kwargs: Any) -> dict[str, object]:
    """Issue 20: one world of the family: learned and rule score against the observable ceiling."""
    from tests.benchmarks.quality import quality_world as run

    return run(**kwargs)


def report_world(folder: Path, **kwargs: Any) -> dict[str, object]:
    """Issue 6: the monitoring report of a written world, then the page in Chromium."""
    from tests.benchmarks.report import report_world as run

    return run(folder, **kwargs)


def prepare_taxonomy_world(folder: Path, **kwargs: Any) -> dict[str, object]:
    """Issue 20: prepare a written world with the built-in or the ESCO taxonomy."""
    from tests.benchmarks.taxonomy import prepare_world as run

    return run(folder, **kwargs)


def notify_world(folder: Path, **kwargs: Any) -> dict[str, object]:
    """Issue 23: `koppelaar notify` on a stored world: first run, e-mails, second run, after changes."""
    from tests.benchmarks.notify import notify_world as run

    return run(folder, **kwargs)


def value_world(ds: Any, **kwargs: Any) -> dict[str, object]:
    """Issue 23: valuing by scheme version: a million arcs credited, placements valued, progress."""
    from tests.benchmarks.schemes import value_world as run

    return run(ds, **kwargs)
