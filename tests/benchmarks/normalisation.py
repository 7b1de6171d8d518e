"""Normalisation quality on real job-ad text: accuracy@1 and @5 of skill spans against gold ESCO labels.

The spans are the validation splits of the Skill-Extraction benchmark (Decorte et al.; SkillSpan job
ads, English), shared in ``/work/shared/data/jobs_skill_extraction``. Each labelled row names one
ESCO skill by its English preferred label; ``UNDERSPECIFIED`` and ``LABEL NOT PRESENT`` rows are left
out. When a row has a ``sub_span`` (one conjunct of a coordinated span, e.g. ``collaboration skills``
out of ``communication and collaborations skills``) that is the text the label belongs to, so it is
the query; otherwise the span is. The taxonomy is the shared ESCO export read through
:mod:`api.taxonomy_io`; the figures measure :meth:`Normaliser.top` alone, no context from the sentence.

Runs in this process (the timing of interest is per span, not a cold start): ``seconds`` is the
total time of the ``repeat`` passes over all spans, each with a fresh normaliser.
"""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tests.benchmarks.measure import Measurement

if TYPE_CHECKING:
    from matching.normalise import Normaliser

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
ESCO = SHARED / "esco"
SPANS = SHARED / "jobs_skill_extraction"
FILES = ("house", "tech")
NOT_A_SKILL = {"UNDERSPECIFIED", "LABEL NOT PRESENT"}


def load_spans(scale: float = 1.0) -> tuple[dict[str, list[tuple[str, str]]], dict[str, int]]:
    """``{file: [(query text, gold URI), ...]}`` and how many rows each file left out, and why."""
    skills = pd.read_csv(ESCO / "skills_en.csv", usecols=["conceptUri", "preferredLabel"], dtype=str)
    uri_of = dict(zip(skills["preferredLabel"], skills["conceptUri"], strict=True))
    spans: dict[str, list[tuple[str, str]]] = {}
    skipped = {"not a skill": 0, "label not in skills_en.csv": 0}
    for name in FILES:
        df = pd.read_csv(SPANS / f"{name}_validation_annotations.csv", dtype=str, keep_default_na=False)
        rows: list[tuple[str, str]] = []
        for span, sub_span, label in zip(df["span"], df["sub_span"], df["label"], strict=True):
            if label in NOT_A_SKILL:
                skipped["not a skill"] += 1
            elif label not in uri_of:
                skipped["label not in skills_en.csv"] += 1
            else:
                rows.append(((sub_span or span).strip(), uri_of[label]))
        if scale < 1.0:  # every k-th span: deterministic and spread over the file
            step = max(1, round(1 / max(scale, 1e-9)))
            rows = rows[::step]
        spans[name] = rows
    return spans, skipped


def _evaluate(normaliser: Normaliser, rows: list[tuple[str, str]]) -> tuple[int, int, list[float]]:
    at1 = at5 = 0
    ms: list[float] = []
    for text, gold in rows:
        start = time.perf_counter()
        hits = normaliser.top(text, "skill", k=5)
        ms.append((time.perf_counter() - start) * 1000)
        codes = [code for code, _ in hits]
        at1 += bool(codes) and codes[0] == gold
        at5 += gold in codes
    return at1, at5, ms


def bench_normalisation(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """Accuracy@1/@5 of ``Normaliser(ESCO).top(span, "skill", k=5)`` per file and overall, and ms per span."""
    from api.taxonomy_io import load_taxonomy
    from matching.normalise import Normaliser

    if not ESCO.is_dir() or not SPANS.is_dir():
        raise SystemExit(f"normalisation benchmark needs the shared data in {SHARED}")
    start = time.perf_counter()
    taxonomy = load_taxonomy(ESCO)
    load_s = time.perf_counter() - start
    spans, skipped = load_spans(scale)
    names = [*FILES, "overall"]
    seconds: dict[str, list[float]] = {n: [] for n in names}
    per_span: dict[str, list[float]] = {n: [] for n in names}
    hits: dict[str, tuple[int, int]] = {}
    index_s: list[float] = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        normaliser = Normaliser(taxonomy)  # fresh: nothing cached from an earlier pass
        index_s.append(time.perf_counter() - t0)
        total1 = total5 = 0
        total_ms: list[float] = []
        for name in FILES:
            t1 = time.perf_counter()
            at1, at5, ms = _evaluate(normaliser, spans[name])
            seconds[name].append(time.perf_counter() - t1)
            per_span[name].extend(ms)
            hits[name] = (at1, at5)
            total1, total5 = total1 + at1, total5 + at5
            total_ms.extend(ms)
        seconds["overall"].append(sum(seconds[n][-1] for n in FILES))
        per_span["overall"].extend(total_ms)
        hits["overall"] = (total1, total5)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: list[tuple[Measurement, str]] = []
    for name in names:
        n = len(spans[name]) if name in spans else sum(len(v) for v in spans.values())
        at1, at5 = hits[name]
        extra: dict[str, object] = {
            "spans": n,
            "acc@1": f"{at1 / n:.3f} ({at1}/{n})" if n else "n/a",
            "acc@5": f"{at5 / n:.3f} ({at5}/{n})" if n else "n/a",
            "median ms per span": round(statistics.median(per_span[name]), 1) if per_span[name] else 0.0,
        }
        if name == "overall":
            extra["left out"] = ", ".join(f"{v} {k}" for k, v in skipped.items())
            extra["taxonomy"] = f"{taxonomy.name}: {taxonomy.counts()['skill']:,} skills, loaded in {load_s:.1f} s"
            extra["normaliser index build"] = f"{statistics.median(index_s):.1f} s"
        label = f"{name} validation spans" if name != "overall" else "all spans"
        out.append((Measurement(f"top-5 skill normalisation, {label}", seconds[name], [peak_mb], extra), ""))
    return out


if __name__ == "__main__":
    for m, _ in bench_normalisation(1, 1.0):
        print(m.name, [f"{s:.2f}" for s in m.seconds], m.extra)
