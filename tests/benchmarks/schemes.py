"""Issue 23: valuing by scheme version, at the sizes the solver and the report meet.

Outside the clock: a generated world. On the clock, each with wall and CPU time (the machine is
shared): crediting a million candidate-vacancy arcs (what the solver values, each by the version of
its obligation's scheme in force on the tender's publication date), every registered placement
valued with its rule, and every obligation's progress with its forecast range.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from tests.benchmarks.measure import Measurement, measure

AS_OF = date(2026, 10, 1)


def world(candidates: int, vacancies: int, seed: int) -> Any:
    from data.synthetic.generator import WorldConfig, generate_world

    return generate_world(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed))


def value_world(ds: Any, *, candidates: int, vacancies: int, seed: int, arcs: int) -> dict[str, object]:
    """The three valuations on ``ds``, each timed (wall and CPU)."""
    import numpy as np
    import pandas as pd

    from matching.monitoring.progress import obligation_progress, valued_placements
    from models.valuation import Schemes, credit_placements

    schemes = Schemes()
    rng = np.random.default_rng(seed)
    obl = ds.obligations
    named = rng.choice(obl["obligation_id"].to_numpy(dtype=object), arcs)
    contractor = pd.Series(named).map(obl.set_index("obligation_id")["contractor_id"]).to_numpy(dtype=object)
    groups = np.array(["participatiewet", "ww", "nug", "banenafspraak", "statushouder", "wia"], dtype=object)
    group = rng.choice(groups, arcs)
    out: dict[str, object] = {"obligations": len(obl), "placements": len(ds.placements), "arcs": arcs}

    def timed(label: str, job: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        job()
        out[f"{label}_s"] = round(time.perf_counter() - wall, 2)
        out[f"{label}_cpu_s"] = round(time.process_time() - cpu, 2)

    timed(
        "credit_arcs",
        lambda: credit_placements(
            obl,
            named=named,
            contractor=contractor,
            target_group=group,
            benefit_since=np.full(arcs, np.datetime64("2024-01-01"), dtype="datetime64[ns]"),
            birth_year=np.full(arcs, 1970.0),
            placement_type=np.full(arcs, None, dtype=object),
            hours_per_week=np.full(arcs, 32.0),
            months=np.full(arcs, 12.0),
            start=np.full(arcs, np.datetime64(AS_OF), dtype="datetime64[ns]"),
            schemes=schemes,
        ),
    )
    timed("valued_placements", lambda: valued_placements(ds, schemes))
    timed("progress", lambda: obligation_progress(ds, AS_OF, schemes=schemes))
    return out


def bench_schemes(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """The valuations on the 100,000 × 20,000 world and 1,000,000 arcs (at scale 1)."""
    n, m = max(int(100_000 * scale), 200), max(int(20_000 * scale), 50)
    arcs = max(int(1_000_000 * scale), 1_000)
    r = measure(
        f"valuation by scheme version on {n:,} candidates × {m:,} vacancies, {arcs:,} arcs",
        "value_world",
        repeat,
        candidates=n,
        vacancies=m,
        seed=7,
        arcs=arcs,
    )
    return [(r, "")]


__all__ = ["bench_schemes", "value_world", "world"]
