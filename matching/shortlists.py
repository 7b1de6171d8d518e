"""Shortlists: every open vacancy's best candidates and every candidate's best vacancies, ranked once.

A coach's questions ("who fits this vacancy?", "where does this person fit?") screen and score
thousands of pairs each. A server answering many of them over the same data ranks every pair once
instead, with the batch match's compiled kernels, and keeps per vacancy and per candidate the best
:data:`SHORTLIST` eligible pairs, best first (ties by id, as :meth:`Matcher._best` breaks them). A
question is then answered from its shortlist: the first ``k`` pairs, described again by the kernels
(a few pairs: microseconds) and explained. The scores are the very numbers the question's own
screening gives, because the kernels score a pair the same whatever else they score with it; a
test holds the two equal.

A question that reaches beyond a shortlist that was cut (``k`` above what was kept, while more
pairs are eligible) is answered on demand. The shortlists belong to one prepared dataset: new data
means a new :class:`~matching.prepare.Prepared` and new shortlists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from matching.kernels import pair_features_grouped, screen_pairs
from matching.prepare import Prepared

SHORTLIST = 50  # pairs kept per vacancy and per candidate
CHUNK_PAIRS = 1 << 20  # screened pairs per kernel call while building

Score = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Ranked:
    """Ranked lists in one flat array: list ``i`` is ``items[offsets[i]:offsets[i + 1]]``."""

    offsets: np.ndarray  # int64, one more than there are lists
    items: np.ndarray  # int32 rows of the other side
    scores: np.ndarray  # float64, best first within each list
    complete: np.ndarray  # bool per list: every eligible pair is in it (nothing was cut)

    def take(self, i: int, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The first ``k`` of list ``i``, or ``None`` when the list was cut before ``k``."""
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        if end - start < k and not self.complete[i]:
            return None
        stop = min(end, start + k)
        return self.items[start:stop], self.scores[start:stop]

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.items.nbytes + self.scores.nbytes + self.complete.nbytes)


@dataclass(frozen=True)
class Shortlists:
    """Per vacancy row its best candidates, per candidate row its best vacancies."""

    by_vacancy: Ranked
    by_candidate: Ranked
    pairs_screened: int
    pairs_eligible: int

    @property
    def nbytes(self) -> int:
        return self.by_vacancy.nbytes + self.by_candidate.nbytes


def build(
    p: Prepared,
    score: Score,
    *,
    keep: int = SHORTLIST,
    chunk_pairs: int = CHUNK_PAIRS,
    ranks: tuple[np.ndarray, np.ndarray] | None = None,
) -> Shortlists:
    """Rank every eligible pair of ``p`` with ``score`` (feature rows → scores); keep ``keep`` per side.

    Only the open (additional) vacancies and the candidates who consented and are available can
    form an eligible pair, so only those are screened; everyone else gets an empty, complete list.
    ``ranks``: the candidates' and vacancies' :func:`id_rank`, when the caller has them already."""
    c_rank, v_rank = ranks if ranks is not None else (id_rank(p.candidate_ids), id_rank(p.vacancy_ids))
    v_parts: list[Part] = []  # (vacancy, candidate, score), ranked
    c_parts: list[Part] = []  # (candidate, vacancy, score), the best of each chunk
    c_held = 0
    v_count = np.zeros(p.n_vacancies, dtype=np.int64)
    c_count = np.zeros(p.n_candidates, dtype=np.int64)
    screened = 0
    for vs, offsets, cand in _chunks(p, chunk_pairs):
        screened += len(cand)
        s = screen_pairs(p, vs, offsets, cand)
        ok = np.flatnonzero(s.reasons == 0)
        if not len(ok):
            continue
        group = np.repeat(np.arange(len(vs)), np.diff(offsets))[ok]
        e_off = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(vs)))])
        eligible = s.subset(ok)
        x, order = pair_features_grouped(p, vs, e_off, cand[ok], eligible)
        sc = np.empty(len(ok))
        sc[order] = score(x)
        ci, vi = cand[ok], vs[group]
        v_count += np.bincount(vi, minlength=p.n_vacancies)
        c_count += np.bincount(ci, minlength=p.n_candidates)
        v_parts.append(_best_per(vi, ci, sc, c_rank, keep))
        c_parts.append(_best_per(ci, vi, sc, v_rank, keep))
        c_held += len(c_parts[-1][0])
        if c_held > 4 * keep * p.n_candidates:  # fold the candidates' lists so far: memory stays bounded
            c_parts = [_fold(c_parts, v_rank, keep)]
            c_held = len(c_parts[0][0])
    by_vacancy = _ranked(v_parts, p.n_vacancies, v_count, c_rank, keep)
    by_candidate = _ranked(c_parts, p.n_candidates, c_count, v_rank, keep)
    return Shortlists(by_vacancy, by_candidate, screened, int(v_count.sum()))


def _chunks(p: Prepared, limit: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(vacancy rows, offsets, candidate rows) of about ``limit`` screened pairs at a time: every open
    vacancy with the candidates in its reach who consented and are available."""
    vs: list[int] = []
    lists: list[np.ndarray] = []
    total = 0
    for v in p.additional_vacancies.tolist():
        ci = p.candidates_in_reach(int(v), matchable=True)
        if not len(ci):
            continue
        if vs and total + len(ci) > limit:
            yield _chunk(vs, lists)
            vs, lists, total = [], [], 0
        vs.append(int(v))
        lists.append(ci)
        total += len(ci)
    if vs:
        yield _chunk(vs, lists)


def _chunk(vs: list[int], lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    offsets = np.concatenate([[0], np.cumsum([len(ci) for ci in lists])]).astype(np.int64)
    return np.asarray(vs, dtype=np.int64), offsets, np.concatenate(lists).astype(np.int64)


def id_rank(ids: np.ndarray) -> np.ndarray:
    """Each id's position in sorted order (ties by id become ties by this number)."""
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return rank


def _best_per(owner: np.ndarray, other: np.ndarray, score: np.ndarray, other_rank: np.ndarray, keep: int) -> Part:
    """Per ``owner``: its ``keep`` best ``other`` rows (score descending, then id), best first."""
    order = np.lexsort((other_rank[other], -score, owner))
    owner, other, score = owner[order], other[order], score[order]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    position = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    kept = position < keep
    return owner[kept], other[kept], score[kept]


Part = tuple[np.ndarray, np.ndarray, np.ndarray]  # owner rows, other rows, scores


def _fold(parts: list[Part], other_rank: np.ndarray, keep: int) -> Part:
    """The best ``keep`` per owner over several parts."""
    owner, other, score = (np.concatenate(a) for a in zip(*parts, strict=True))
    return _best_per(owner, other, score, other_rank, keep)


def _ranked(parts: list[Part], n: int, eligible: np.ndarray, other_rank: np.ndarray, keep: int) -> Ranked:
    if parts:
        owner, other, score = _fold(parts, other_rank, keep)
    else:
        owner, other, score = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(np.int64)
    return Ranked(offsets, other.astype(np.int32), score, eligible <= keep)


__all__ = ["SHORTLIST", "Ranked", "Shortlists", "build", "id_rank"]
