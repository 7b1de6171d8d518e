"""Prepare on the built-in taxonomy and on the full ESCO taxonomy, the same world (ESCO within 1.5×).

The world is the generator's (the built-in taxonomy's Dutch labels, synonyms, English labels, ESCO
URIs and typos), written outside the clock. Each run, in a fresh process, reads it and prepares it
(:class:`matching.prepare.Prepared`: normalisation, skill credit, what occupations imply, text
vectors) with one taxonomy: the built-in one, or the shared ESCO export as ``KOPPELAAR_TAXONOMY``
loads it (its loading timed apart, as a server does it once). The two kinds of run alternate, so the
machine's noise falls on each alike.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.measure import Measurement, measure
from tests.paths import ESCO

TAXONOMIES = ("built-in", "ESCO")


def write_world(candidates: int, vacancies: int, seed: int) -> Path:
    from data.synthetic.generator import WorldConfig, generate_world
    from models.dataset import write_dataset

    folder = Path(tempfile.mkdtemp(prefix="koppelaar-bench-taxonomy-"))
    write_dataset(generate_world(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed)), folder)
    return folder


def prepare_world(folder: Path, *, taxonomy: str, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """Read the world and prepare it with ``taxonomy`` (built-in or ESCO); the stages' seconds."""
    from datetime import date

    from api.taxonomy_io import load_taxonomy
    from matching.prepare import MatchConfig, Prepared
    from models.dataset import read_dataset
    from tests.benchmarks.planning import _postcodes

    try:
        start = time.perf_counter()
        tax = load_taxonomy(ESCO if taxonomy == "ESCO" else None)
        loaded = time.perf_counter()
        ds = read_dataset(folder)
        postcodes = _postcodes()
        read = time.perf_counter()
        p = Prepared(ds, config=MatchConfig(today=date(2026, 10, 1)), taxonomy=tax, postcodes=postcodes)
        done = time.perf_counter()
        codes = [k for k in p.skill_vocab if not k.startswith("txt:")]
        return {
            "taxonomy_load_s": round(loaded - start, 2),
            "read_s": round(read - loaded, 2),
            "prepare_s": round(done - read, 2),
            "skills_resolved": f"{len(codes)} of {len(p.skill_vocab)} distinct",
            "pairs_of_inferred_skills": int(p.c_inferred_essential.nnz),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_taxonomy(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    n, m = max(int(100_000 * scale), 200), max(int(20_000 * scale), 40)
    if not ESCO.is_dir():
        raise RuntimeError(f"the shared ESCO export is not at {ESCO}")
    runs: dict[str, list[Measurement]] = {t: [] for t in TAXONOMIES}
    for _ in range(repeat):
        for taxonomy in TAXONOMIES:
            runs[taxonomy].append(
                measure(
                    f"prepare {n:,} × {m:,} ({taxonomy})",
                    "prepare_taxonomy_world",
                    1,
                    taxonomy=taxonomy,
                    candidates=n,
                    vacancies=m,
                    seed=1,
                )
            )
    prepare_s = {t: statistics.median(float(r.extra["prepare_s"]) for r in rs) for t, rs in runs.items()}  # type: ignore[arg-type]
    out: list[tuple[Measurement, str]] = []
    for taxonomy, rs in runs.items():
        extra: dict[str, Any] = dict(rs[-1].extra)
        extra["prepare_s_runs"] = " ".join(str(r.extra["prepare_s"]) for r in rs)
        joined = Measurement(rs[0].name, [s for r in rs for s in r.seconds], [x for r in rs for x in r.peak_mb], extra)
        out.append((joined, f"prepare median {prepare_s[taxonomy]:.2f} s"))
    ratio = prepare_s["ESCO"] / prepare_s["built-in"]
    goal = f"ESCO / built-in prepare {ratio:.2f}: {'met' if ratio <= 1.5 else 'MISSED'} (≤ 1.5)"
    if scale != 1.0:
        goal += "; the goal applies at scale 1"
    out.append((Measurement(f"ESCO against built-in ({n:,} × {m:,})", [], [], {}), goal))
    return out
