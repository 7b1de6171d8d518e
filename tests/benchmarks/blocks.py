"""Issue 8: the work inside a scoring block, three ways on the same blocks in one process.

- **per vacancy**: each vacancy's candidates in reach screened on their own (``screen_pairs``) and
  every eligible pair described and scored: the plainest path, which the other two must equal;
- **sweep**: :func:`matching.kernels.sweep_pairs` (candidate by candidate over the block's reach),
  every eligible pair scored (``score_block(..., skip=False)``);
- **sweep + bound**: the same, scoring only pairs whose bound could make a kept list (``score_block``).

The three are timed block by block, in turn, so the machine's noise falls on each alike; a pass
sums the blocks, and each figure is the median of ``--repeat`` passes. The kept lists of the three
are compared: the benchmark fails if they differ.
"""

from __future__ import annotations

import hashlib
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from tests.benchmarks.measure import Measurement

if TYPE_CHECKING:
    from matching.blocks import Block

#: A block's kept lists: per vacancy, the kept candidate rows and their scores.
Kept = list[tuple[np.ndarray, np.ndarray]]


def bench_blocks(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    from api.loaders import read_model
    from matching.blocks import make_blocks, score_block
    from matching.plan import _places
    from matching.prepare import MatchConfig, Prepared
    from matching.rulebook import TRAINING_CANNOT_REMOVE
    from models.dataset import read_dataset
    from tests.benchmarks.planning import _postcodes, write_world

    n, m = max(int(100_000 * scale), 500), max(int(20_000 * scale), 100)
    folder = write_world(n, m, 1)
    p = Prepared(read_dataset(folder / "world"), config=MatchConfig(today=date(2026, 10, 1)), postcodes=_postcodes())
    scorer = read_model(folder / "model.pkl") if (folder / "model.pkl").exists() else None
    places = _places(p, None)
    keep = np.maximum(50, 25 * places.capacity.astype(np.int64))
    blocks = make_blocks(p, np.flatnonzero(places.capacity > 0), keep)
    paths: dict[str, Callable[[Block], Kept]] = {
        "per vacancy": lambda b: _per_vacancy(p, scorer, b, int(TRAINING_CANNOT_REMOVE)),
        "sweep": lambda b: _kept(score_block(p, scorer, b, skip=False)),
        "sweep + bound": lambda b: _kept(score_block(p, scorer, b)),
    }
    for path in paths.values():  # warm-up: compiled kernels, the bound's per-dataset records
        path(blocks[0])
    passes: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeat):
        spent = dict.fromkeys(paths, 0.0)
        for b in blocks:
            kept = []
            for name, path in paths.items():
                t = time.perf_counter()
                kept.append(path(b))
                spent[name] += time.perf_counter() - t
            if not all(_same(kept[0], other) for other in kept[1:]):
                raise RuntimeError(f"the kept lists differ between the paths in the block of vacancy {b.vacancies[0]}")
        for name in paths:
            passes[name].append(spent[name])
    counts = score_block_counts(p, scorer, blocks)
    median = {name: statistics.median(s) for name, s in passes.items()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process, all three paths
    out = []
    for name in paths:
        extra: dict[str, Any] = {"per_block_ms": round(1000 * median[name] / len(blocks), 1)}
        if name != "sweep + bound":
            extra["times_sweep_and_bound"] = round(median[name] / median["sweep + bound"], 2)
        out.append((Measurement(f"{name}: {len(blocks)} blocks of {n:,} × {m:,}", passes[name], [peak_mb], extra), ""))
    summary = Measurement(f"pairs in those blocks ({n:,} × {m:,})", [], [], counts)
    out.append((summary, "the kept lists of the three paths are identical"))
    return out


def score_block_counts(p: Any, scorer: Any, blocks: list[Any]) -> dict[str, Any]:
    from matching.blocks import score_block

    screened = eligible = scored = 0
    digest = hashlib.sha256()  # of every kept list, to compare runs of different code on the same world
    for b in blocks:
        r = score_block(p, scorer, b)
        screened, eligible, scored = screened + r.screened, eligible + r.eligible, scored + r.scored
        for c, s in _kept(r):
            digest.update(np.ascontiguousarray(c, dtype=np.int64).tobytes())
            digest.update(np.ascontiguousarray(s, dtype=np.float64).tobytes())
    return {
        "kept_sha256": digest.hexdigest()[:16],
        "screened": screened,
        "eligible": eligible,
        "scored_with_bound": scored,
        "scored_share": f"{scored / max(eligible, 1):.1%}",
    }


def _kept(r: Any) -> Kept:
    return [(np.asarray(c), np.asarray(s)) for c, s in zip(r.kept_c, r.kept_score, strict=True)]


def _same(a: Kept, b: Kept) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(ca, cb) and np.array_equal(sa, sb) for (ca, sa), (cb, sb) in zip(a, b, strict=True)
    )


def _per_vacancy(p: Any, scorer: Any, block: Any, permanent: int) -> Kept:
    """The block path before the sweep: each vacancy's candidates in reach screened on their own,
    every eligible pair described and scored, the ``keep`` best kept (score, then candidate row)."""
    from matching.blocks import _top
    from matching.kernels import Nearest, pair_features_grouped, screen_pairs
    from matching.matcher import Matcher

    matcher = Matcher(p, scorer)
    nearest = Nearest.empty(p.n_candidates)
    out = []
    for v, k in zip(block.vacancies.tolist(), block.keep.tolist(), strict=True):
        ci = p.candidates_in_reach(v, matchable=True)
        s = screen_pairs(p, np.array([v]), np.array([0, len(ci)]), ci, nearest=nearest, permanent=permanent)
        e = np.flatnonzero(s.reasons == 0)
        x, order = pair_features_grouped(p, np.array([v]), np.array([0, len(e)]), ci[e], s.subset(e))
        scores = np.empty(len(e))
        scores[order] = matcher.score_features(x)[0]
        top = _top(scores, int(k)) if len(e) > k else np.arange(len(e))
        out.append((ci[e][top], scores[top]))
    return out
