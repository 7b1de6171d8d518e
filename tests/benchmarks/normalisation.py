"""Normalisation quality and speed on real job-ad text: skill spans against gold ESCO skills.

The English spans are the validation splits of the Skill-Extraction benchmark (Decorte et al.; SkillSpan
job ads), shared in ``/work/shared/data/jobs_skill_extraction``. Each labelled row names one ESCO skill
by its English preferred label; ``UNDERSPECIFIED`` and ``LABEL NOT PRESENT`` rows are left out. When a
row has a ``sub_span`` (one conjunct of a coordinated span, e.g. ``collaboration skills`` out of
``communication and collaborations skills``) that is the text the label belongs to, so it is the query;
otherwise the span is. The Dutch spans are ``tests/data/nl_skill_spans.csv``: work processes of Dutch
MBO profiles (``/work/shared/data/nl_mbo_profiles``), each annotated by hand with the ESCO skill it names,
in a development half (``split`` ``dev``) and a held-out half (``held-out``).

The taxonomy is the shared ESCO export read through :mod:`api.taxonomy_io`. Four methods are measured
on every file, each by its top 5 for a span alone (no context from the sentence):

- ``wratio``: plain rapidfuzz WRatio over every skill label (the baseline);
- ``fuzzy``: :class:`Normaliser` without a semantic index (what runs without the ``semantic`` extra);
- ``semantic``: the semantic index alone (:meth:`SemanticIndex.search`);
- ``fused``: :class:`Normaliser` with the semantic index (semantic and fuzzy ranks fused), an English
  span ranked by the static first stage where a candidate's label is close in characters
  (:data:`matching.normalise.STATIC_FUZZY_GATE`);
- ``fused, model only``: the same without the static stage, every span ranked by the model.

Each reports acc@1, acc@5, MRR (of the gold skill's rank within the top 5, 0 when absent), the median
ms per span one span at a time, and, for the semantic methods, ms per span in one batch (``Normaliser.tops``
for the fused ones). The design
(embedded texts, fusion depth, shortlist, threshold) was chosen on the even-numbered spans of each
English file and the Dutch development half; the odd-numbered English spans and the Dutch held-out half
were only measured, and are reported apart as ``held out``.

Runs in this process (the timing of interest is per span, not a cold start). The semantic index is
built once with an empty cache folder (the build time reported), then read back from the cache.
"""

from __future__ import annotations

import csv
import dataclasses
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from tests.benchmarks.measure import Measurement
from tests.paths import ESCO, SHARED_DATA

SPANS = SHARED_DATA / "jobs_skill_extraction"
DUTCH = Path(__file__).resolve().parents[1] / "data" / "nl_skill_spans.csv"
FILES = ("house", "tech")
DUTCH_SPLITS = ("dev", "held-out")
NOT_A_SKILL = {"UNDERSPECIFIED", "LABEL NOT PRESENT"}
K = 5

Ranker = Callable[[str], list[str]]


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
        spans[name] = _every(rows, scale)
    return spans, skipped


def load_dutch(scale: float = 1.0) -> dict[str, list[tuple[str, str]]]:
    """The Dutch test spans by their ``split`` (``dev``, ``held-out``): ``{split: [(text, gold URI), ...]}``."""
    with DUTCH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = [(r["split"], r["text"], r["uri"]) for r in rows]
    return {split: _every([(t, u) for s, t, u in pairs if s == split], scale) for split in DUTCH_SPLITS}


def _every(rows: list[tuple[str, str]], scale: float) -> list[tuple[str, str]]:
    if scale < 1.0:  # every k-th span: deterministic and spread over the file
        step = max(1, round(1 / max(scale, 1e-9)))
        rows = rows[::step]
    return rows


def held_out(rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The odd-numbered spans of a file: never looked at while choosing the design."""
    return list(rows[1::2])


def score(rankings: Sequence[Sequence[str]], golds: Sequence[str]) -> dict[str, float]:
    """acc@1, acc@5 and MRR (within the top 5) of ``rankings`` against ``golds``."""
    n = len(golds)
    at1 = sum(bool(r) and r[0] == g for r, g in zip(rankings, golds, strict=True))
    at5 = sum(g in r[:K] for r, g in zip(rankings, golds, strict=True))
    mrr = sum(1.0 / (list(r[:K]).index(g) + 1) for r, g in zip(rankings, golds, strict=True) if g in r[:K])
    return {"acc@1": at1 / n, "acc@5": at5 / n, "MRR": mrr / n} if n else {"acc@1": 0.0, "acc@5": 0.0, "MRR": 0.0}


def _single(rank: Ranker, rows: Sequence[tuple[str, str]]) -> tuple[list[list[str]], list[float], list[float]]:
    """The rankings, and per span the wall-clock and the CPU milliseconds (this process, every thread)."""
    rankings: list[list[str]] = []
    ms: list[float] = []
    cpu_ms: list[float] = []
    for text, _ in rows:
        start, cpu = time.perf_counter(), time.process_time()
        rankings.append(rank(text))
        ms.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
    return rankings, ms, cpu_ms


def bench_normalisation(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """Every method on every file: acc@1, acc@5, MRR, ms per span (single and batch); index build time."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from api.semantic import load_encoder, semantic_available, semantic_index
    from api.taxonomy_io import load_taxonomy
    from matching.normalise import Normaliser
    from matching.taxonomy import label_index

    if not ESCO.is_dir() or not SPANS.is_dir():
        raise SystemExit(f"normalisation benchmark needs the shared data in {SHARED_DATA}")
    start = time.perf_counter()
    taxonomy = load_taxonomy(ESCO)
    load_s = time.perf_counter() - start
    spans, skipped = load_spans(scale)
    dutch = load_dutch(scale)
    files: dict[str, list[tuple[str, str]]] = {**spans, "dutch dev": dutch["dev"]}
    for name in FILES:
        files[f"{name} held out"] = held_out(spans[name])
    files["dutch held out"] = dutch["held-out"]

    labels, codes = label_index(taxonomy, "skill")
    code_of = np.array(codes, dtype=object)

    def wratio(text: str) -> list[str]:
        out: list[str] = []
        for _, _, j in process.extract(text, labels, scorer=fuzz.WRatio, limit=10 * K):
            if code_of[j] not in out:
                out.append(str(code_of[j]))
        return out[:K]

    fuzzy = Normaliser(taxonomy)  # top() caches nothing: every span is worked out afresh
    methods: dict[str, Ranker] = {
        "wratio": wratio,
        "fuzzy": lambda text: [c for c, _ in fuzzy.top(text, "skill", K)],
    }
    notes: dict[str, str] = {}
    batch_ms: dict[str, Callable[[], Callable[[list[str]], object]]] = {}
    if semantic_available():
        encoder = load_encoder()
        build_s: list[float] = []
        cpu_s: list[float] = []
        with tempfile.TemporaryDirectory() as cache:
            for _ in range(max(1, min(repeat, 2))):
                for old in Path(cache).iterdir():
                    old.unlink()
                t0, c0 = time.perf_counter(), time.process_time()
                index = semantic_index(taxonomy, "skill", Path(cache))
                build_s.append(time.perf_counter() - t0)
                cpu_s.append(time.process_time() - c0)
            t0 = time.perf_counter()
            index = semantic_index(taxonomy, "skill", Path(cache))
            cached_s = time.perf_counter() - t0
        notes["semantic index"] = (
            f"{len(index.vectors):,} texts of {len(index):,} skills, built in {statistics.median(build_s):.1f} s "
            f"({statistics.median(cpu_s):.1f} s CPU), read from the cache in {cached_s:.2f} s, "
            f"{index.vectors.nbytes / 2**20:.0f} MB of vectors; model {encoder.name}"
        )
        static = index.static
        notes["static stage"] = (
            f"{len(static.token_ids):,} token vectors, {static.vectors.nbytes / 2**20:.0f} MB" if static else "none"
        )
        fused = Normaliser(taxonomy, semantic={"skill": index})
        model_only = Normaliser(taxonomy, semantic={"skill": dataclasses.replace(index, static=None)})
        methods["semantic"] = lambda text: [c for c, _ in index.search([text], K)[0]]
        methods["fused"] = lambda text: [c for c, _ in fused.top(text, "skill", K)]
        methods["fused, model only"] = lambda text: [c for c, _ in model_only.top(text, "skill", K)]
        batch_ms["semantic"] = lambda: lambda texts: index.search(texts, K)
        # a fresh normaliser each time (made before the clock starts): it caches every text it has seen;
        # ``tops`` ranks by the static stage where it may, ``normalise`` decides by the model's confidence
        batch_ms["fused"] = lambda: partial(Normaliser(taxonomy, semantic={"skill": index}).tops, kind="skill", k=K)
        batch_ms["fused, model only"] = lambda: partial(
            Normaliser(taxonomy, semantic={"skill": dataclasses.replace(index, static=None)}).tops, kind="skill", k=K
        )
    else:
        notes["semantic"] = "not measured: the semantic extra is not installed (pip install 'koppelaar[semantic]')"

    out: list[tuple[Measurement, str]] = []
    for method, rank in methods.items():
        for name, rows in files.items():
            seconds: list[float] = []
            per_span: list[float] = []
            cpu_per_span: list[float] = []
            rankings: list[list[str]] = []
            for _ in range(max(1, repeat)):
                t1 = time.perf_counter()
                rankings, ms, cpu_ms = _single(rank, rows)
                seconds.append(time.perf_counter() - t1)
                per_span.extend(ms)
                cpu_per_span.extend(cpu_ms)
            figures = score(rankings, [gold for _, gold in rows])
            extra: dict[str, object] = {
                "spans": len(rows),
                **{k: f"{v:.3f}" for k, v in figures.items()},
                "median ms per span": round(statistics.median(per_span), 2) if per_span else 0.0,
                "median CPU ms per span": round(statistics.median(cpu_per_span), 2) if cpu_per_span else 0.0,
            }
            if method in batch_ms and rows:
                texts = [text for text, _ in rows]
                run = batch_ms[method]()
                t2, c2 = time.perf_counter(), time.process_time()
                run(texts)
                extra["batch ms per span"] = round((time.perf_counter() - t2) * 1000 / len(texts), 2)
                extra["batch CPU ms per span"] = round((time.process_time() - c2) * 1000 / len(texts), 2)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            out.append((Measurement(f"skill normalisation, {method}, {name}", seconds, [peak_mb], extra), ""))
    summary: dict[str, object] = {
        "taxonomy": f"{taxonomy.name}: {taxonomy.counts()['skill']:,} skills, loaded in {load_s:.1f} s",
        "left out": ", ".join(f"{v} {k}" for k, v in skipped.items()),
        **notes,
    }
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.append((Measurement("skill normalisation, setup", [load_s], [peak_mb], summary), ""))
    return out


if __name__ == "__main__":
    for m, _ in bench_normalisation(1, 1.0):
        print(m.name, m.extra)
