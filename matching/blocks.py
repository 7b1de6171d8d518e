"""Scoring in blocks: candidate × vacancy work cut into independent pieces an engine can spread.

A block is a set of open vacancies close together: vacancies are grouped by spatial tile (about
the travel radius across, so a tile's vacancies share most of the candidates in their reach), tiles
are taken in a fixed order and cut into blocks of at most ``block_size`` vacancies. Each block is
scored by :func:`score_block`, a pure function of the prepared dataset, the scorer and the block,
which returns only what the plan needs: per vacancy its best-scored eligible candidates (the arcs)
and how many are eligible, and per candidate the first vacancy they are eligible for and the nearest
they fall short of. No block keeps every eligible pair: at national scale that is billions of them.
:class:`Merged` combines block results in vacancy order, so how the work was cut and where it ran
never changes the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numba
import numpy as np

from matching.kernels import Nearest, ScreenArrays, pair_features_grouped, sweep_pairs
from matching.matcher import Matcher
from matching.prepare import Prepared
from matching.rulebook import TRAINING_CANNOT_REMOVE
from matching.scorers import Scorer

TILE_DEG = 0.25  # tile height in degrees of latitude (about 28 km; the width is scaled to match)
BLOCK_SIZE = 200  # vacancies per block
SWEEP_VACANCIES = 64  # vacancies swept at once (their eligible pairs held together: 2.6 million at 1M candidates)


@dataclass(frozen=True)
class Block:
    """Vacancy rows (ascending) and how many candidates each keeps; ``keep_all``: no cut (widening)."""

    vacancies: np.ndarray
    keep: np.ndarray
    keep_all: bool = False


@dataclass
class BlockScores:
    """What one block gives the plan (see the module docstring)."""

    vacancies: np.ndarray
    kept_c: list[np.ndarray]  # per vacancy: the candidate rows kept as arcs
    kept_score: list[np.ndarray]
    n_eligible: np.ndarray
    cut: np.ndarray  # fewer candidates kept than eligible
    screened: int
    eligible: int
    in_reach: np.ndarray  # candidate rows within travel distance of some vacancy of the block
    first_c: np.ndarray  # candidates eligible for a vacancy of the block (none when widening),
    first_v: np.ndarray  # and the lowest such vacancy row
    near_c: np.ndarray  # candidates falling short of a block vacancy for a reason training can remove,
    near_key: np.ndarray  # how far short (number of reasons, then km),
    near_v: np.ndarray  # and that vacancy (the lowest row among equals)
    scored: int = 0  # eligible pairs whose features and score were worked out (the rest could not be kept)


def make_blocks(p: Prepared, vacancies: np.ndarray, keep: np.ndarray, *, block_size: int = BLOCK_SIZE) -> list[Block]:
    """Cut ``vacancies`` (rows) into blocks by spatial tile; ``keep`` is per vacancy row."""
    vacancies = np.asarray(vacancies, dtype=np.int64)
    if not len(vacancies):
        return []
    lat, lon = p.v_lat[vacancies], p.v_lon[vacancies]
    located = ~(np.isnan(lat) | np.isnan(lon))
    scale = np.cos(np.radians(np.nanmean(lat))) if located.any() else 1.0
    ty = np.where(located, np.floor(np.nan_to_num(lat) / TILE_DEG), np.iinfo(np.int32).max).astype(np.int64)
    tx = np.where(located, np.floor(np.nan_to_num(lon) * scale / TILE_DEG), 0).astype(np.int64)
    order = np.lexsort((vacancies, tx, ty))  # tiles south to north, west to east; unlocated last
    tile = ty[order] * (1 << 20) + tx[order]
    blocks: list[Block] = []
    current: list[int] = []
    for start, end in _runs(tile):
        members = vacancies[order[start:end]].tolist()
        if current and len(current) + len(members) > block_size:
            blocks.append(_block(current, keep))
            current = []
        while len(members) > block_size:
            blocks.append(_block(members[:block_size], keep))
            members = members[block_size:]
        current.extend(members)
    if current:
        blocks.append(_block(current, keep))
    return blocks


def _runs(key: np.ndarray) -> list[tuple[int, int]]:
    cuts = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(key)]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _block(rows: list[int], keep: np.ndarray) -> Block:
    v = np.sort(np.asarray(rows, dtype=np.int64))
    return Block(v, keep[v].astype(np.int64))


def score_block(p: Prepared, scorer: Scorer | None, block: Block, *, skip: bool = True) -> BlockScores:
    """Screen and score every candidate in reach of each vacancy of ``block``; see the module docstring.

    The block's pairs are screened by :func:`matching.kernels.sweep_pairs`, candidate by candidate over
    :data:`SWEEP_VACANCIES` vacancies at a time, which keeps only the eligible pairs (and their bounds).

    A vacancy keeps its ``keep`` best eligible candidates by score, equal scores by candidate row
    (then in row order). With ``skip`` and a scorer that offers a bound (:mod:`matching.bound`), the
    pairs that cannot make a kept list are never described nor scored: a cut vacancy's candidates
    with the highest bounds are scored first, then every one whose bound could still beat the
    ``keep``-th best score found; the kept lists are exactly those of scoring every pair."""
    matcher = Matcher(p, scorer)
    bound = matcher.score_bound() if skip and not block.keep_all else None
    n = len(block.vacancies)
    kept_c: list[np.ndarray] = []
    kept_score: list[np.ndarray] = []
    n_eligible = np.zeros(n, dtype=np.int64)
    first = np.full(0 if block.keep_all else p.n_candidates, -1, dtype=np.int64)
    cut = np.zeros(n, dtype=bool)
    nearest = None if block.keep_all else Nearest.empty(p.n_candidates)
    screened = eligible = scored = 0
    describe = None if bound is None else partial(bound.bounds_of, p)
    for lo in range(0, n, SWEEP_VACANCIES):
        hi = min(lo + SWEEP_VACANCIES, n)
        vs = block.vacancies[lo:hi]
        sw = sweep_pairs(p, vs, nearest=nearest, permanent=int(TRAINING_CANNOT_REMOVE), bound=describe)
        counts = np.diff(sw.offsets)
        screened += sw.screened
        eligible += len(sw.candidates)
        e_off = sw.offsets
        pairs = _Pairs(p, matcher, vs, e_off, sw.candidates, sw.s, sw.at)
        if not block.keep_all:
            _first_eligible(first, pairs.candidates, np.repeat(vs, counts))
        keep = np.asarray(block.keep[lo:hi], dtype=np.int64)
        if sw.upper is None or not (counts > keep).any():
            pairs.score(np.arange(len(sw.candidates)))
        else:
            _bound_then_score(pairs, sw.upper, counts, keep)
        scored += pairs.scored
        for j, k in enumerate(range(lo, hi)):
            lo_j, hi_j = e_off[j], e_off[j + 1]
            n_eligible[k] = hi_j - lo_j
            done = np.flatnonzero(~np.isnan(pairs.scores[lo_j:hi_j])) + lo_j  # every pair, or those scored
            ci, sc = pairs.candidates[done], pairs.scores[done]
            if not block.keep_all and hi_j - lo_j > keep[j]:
                top = _top(sc, int(keep[j]))
                cut[k] = True
            else:
                top = np.arange(len(sc))
            kept_c.append(ci[top])
            kept_score.append(sc[top])
    track = nearest or Nearest.empty(p.n_candidates)
    near = np.flatnonzero(track.vacancy >= 0)
    return BlockScores(
        vacancies=block.vacancies,
        kept_c=kept_c,
        kept_score=kept_score,
        n_eligible=n_eligible,
        cut=cut,
        screened=screened,
        eligible=eligible,
        in_reach=np.flatnonzero(track.in_reach),
        near_c=near,
        near_key=track.key[near],
        near_v=track.vacancy[near],
        first_c=np.flatnonzero(first >= 0),
        first_v=first[first >= 0],
        scored=scored,
    )


@dataclass
class _Pairs:
    """The eligible pairs of a sweep, grouped by vacancy (``offsets``; candidate rows ascending within
    each), and their scores as they are worked out (NaN: not scored). Pair ``q``'s screen arrays are
    ``s``'s pair ``at[q]``."""

    p: Prepared
    matcher: Matcher
    vacancies: np.ndarray
    offsets: np.ndarray
    candidates: np.ndarray
    s: ScreenArrays
    at: np.ndarray
    scored: int = 0

    def __post_init__(self) -> None:
        self.group = np.repeat(np.arange(len(self.vacancies)), np.diff(self.offsets))
        self.scores = np.full(len(self.candidates), np.nan)

    def score(self, rows: np.ndarray) -> None:
        """Features and scores of pairs ``rows`` (ascending), in one call of the kernels."""
        if not len(rows):
            return
        counts = np.bincount(self.group[rows], minlength=len(self.vacancies))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        x, order = pair_features_grouped(
            self.p, self.vacancies, offsets, self.candidates[rows], self.s.subset(self.at[rows])
        )
        got = np.empty(len(rows))
        got[order] = self.matcher.score_features(x)[0]  # the rows come candidate by candidate
        self.scores[rows] = got
        self.scored += len(rows)


FIRST_ROUND = 2  # a cut vacancy first scores its keep × this many candidates with the highest bounds


def _bound_then_score(pairs: _Pairs, upper: np.ndarray, counts: np.ndarray, keep: np.ndarray) -> None:
    """Score the pairs that can make their vacancy's kept list, and enough others to know that.

    Round one: every pair of a vacancy that keeps all its eligible candidates, and a cut vacancy's
    ``keep × FIRST_ROUND`` pairs with the highest bounds. Its ``keep``-th best (score, then lowest
    row) found so far can only rise; round two scores every other pair whose bound could still come
    before it (a higher bound, or an equal one at a lower row). Any pair left is behind the
    ``keep``-th best of round one, so behind the final one: it cannot be kept."""
    off = pairs.offsets
    first = []
    for j in range(len(counts)):
        lo, hi, k = int(off[j]), int(off[j + 1]), int(keep[j])
        take = min(hi - lo, max(k * FIRST_ROUND, k + 16))
        if take >= hi - lo:
            first.append(np.arange(lo, hi))
        else:
            first.append(np.argpartition(-upper[lo:hi], take - 1)[:take] + lo)
    pairs.score(np.sort(np.concatenate(first)))
    kth_score = np.full(len(counts), -np.inf)
    kth_row = np.full(len(counts), -1, dtype=np.int64)
    for j in np.flatnonzero(counts > keep).tolist():
        lo, hi, k = int(off[j]), int(off[j + 1]), int(keep[j])
        done = np.flatnonzero(~np.isnan(pairs.scores[lo:hi])) + lo
        top = done[_top(pairs.scores[done], k)]
        worst = pairs.scores[top].min()  # the k-th best: the lowest score kept, at its highest row
        kth_score[j], kth_row[j] = worst, pairs.candidates[top[pairs.scores[top] == worst]].max()
    ks, kr = kth_score[pairs.group], kth_row[pairs.group]
    can = (upper > ks) | ((upper == ks) & (pairs.candidates < kr))
    pairs.score(np.flatnonzero(can & np.isnan(pairs.scores)))


def _top(scores: np.ndarray, keep: int) -> np.ndarray:
    """Positions of the ``keep`` best ``scores``, equal scores by position (the candidate rows ascend
    with it), in ascending order: a defined list, whatever the selection's internals."""
    if len(scores) <= keep:
        return np.arange(len(scores))
    kth = np.partition(-scores, keep - 1)[keep - 1]
    above = np.flatnonzero(-scores < kth)
    tied = np.flatnonzero(-scores == kth)[: keep - len(above)]
    return np.sort(np.concatenate([above, tied]))


@numba.njit(cache=True, nogil=True)
def _first_eligible(first: np.ndarray, candidates: np.ndarray, vacancies: np.ndarray) -> None:  # pragma: no cover
    """Per candidate, the lowest vacancy row of the eligible pairs (``first``: -1 when none yet)."""
    for q in range(len(candidates)):
        c = candidates[q]
        if first[c] < 0 or vacancies[q] < first[c]:
            first[c] = vacancies[q]


class Merged:
    """Every block's results. Blocks may arrive in any order (:meth:`add`); the nearest vacancies,
    counts and reach fold in at once, the arcs are put in vacancy order by
    :meth:`finish`, so how the work was cut and where it ran never changes the plan."""

    def __init__(self, n_candidates: int, n_vacancies: int) -> None:
        self.by_vacancy: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # vacancy row -> (candidate rows, scores)
        self.n_eligible = np.zeros(n_vacancies, dtype=np.int64)
        self.cut = np.zeros(n_vacancies, dtype=bool)
        self.in_reach = np.zeros(n_candidates, dtype=bool)
        self.near_key = np.full(n_candidates, np.inf)
        self.near_v = np.full(n_candidates, -1, dtype=np.int64)
        self.first_eligible = np.full(n_candidates, -1, dtype=np.int64)  # the lowest eligible vacancy row
        self.screened = 0
        self.eligible = 0
        self._pending: list[tuple[int, np.ndarray, np.ndarray]] = []

    def add(self, r: BlockScores, *, widening: bool = False) -> None:
        """Fold in one block's results (widening: the vacancies' arcs only, nothing else changes)."""
        for k, v in enumerate(r.vacancies.tolist()):
            self._pending.append((v, r.kept_c[k], r.kept_score[k]))
            self.n_eligible[v] = r.n_eligible[k]
            self.cut[v] = r.cut[k]
        if widening:
            return
        self.screened += r.screened
        self.eligible += r.eligible
        self.in_reach[r.in_reach] = True
        # the nearest: the fewest reasons, then the least km, then the lowest vacancy row
        cur_key, cur_v = self.near_key[r.near_c], self.near_v[r.near_c]
        better = (r.near_key < cur_key) | ((r.near_key == cur_key) & ((cur_v < 0) | (r.near_v < cur_v)))
        self.near_key[r.near_c[better]] = r.near_key[better]
        self.near_v[r.near_c[better]] = r.near_v[better]
        cur = self.first_eligible[r.first_c]
        lower = (cur < 0) | (r.first_v < cur)
        self.first_eligible[r.first_c[lower]] = r.first_v[lower]

    def finish(self) -> None:
        """Put what :meth:`add` gathered in vacancy order."""
        self._pending.sort(key=lambda t: t[0])
        for v, kept_c, kept_score in self._pending:
            self.by_vacancy[v] = (kept_c, kept_score)
        self._pending = []
