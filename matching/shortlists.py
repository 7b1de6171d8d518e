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
pairs are eligible) is answered on demand. The shortlists belong to one prepared dataset.

When a few rows change (:meth:`~matching.prepare.Prepared.updated`), :func:`updated` re-ranks only
the pairs with a changed row and keeps the rest: a list keeps its pairs of unchanged rows, loses
those of changed or removed rows, and gains the changed rows' eligible pairs. A list that held
every eligible pair still does. A list that was cut is an exact prefix of its ranking among the
unchanged rows, so it gains only the new pairs that rank before its last pair, and stays a prefix
(shorter, perhaps: a question for more than it holds is answered on demand); one that falls
below half of :data:`SHORTLIST` is ranked again in full. The lists are then those a full ranking
would answer with, for every question they answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from matching.kernels import pair_features_grouped, screen_pairs
from matching.prepare import Prepared, RowUpdate

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
        ci, vi, sc = _eligible_scored(p, vs, offsets, cand, score)
        if not len(ci):
            continue
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


def _eligible_scored(
    p: Prepared, vs: np.ndarray, offsets: np.ndarray, cand: np.ndarray, score: Score
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate rows, vacancy rows, scores) of the eligible pairs among ``cand[offsets[j]:offsets[j + 1]]``
    × ``vs[j]``, screened and described by the kernels."""
    s = screen_pairs(p, vs, offsets, cand)
    ok = np.flatnonzero(s.reasons == 0)
    if not len(ok):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    group = np.repeat(np.arange(len(vs)), np.diff(offsets))[ok]
    e_off = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(vs)))])
    x, order = pair_features_grouped(p, vs, e_off, cand[ok], s.subset(ok))
    sc = np.empty(len(ok))
    sc[order] = score(x)
    return cand[ok], vs[group], sc


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


# -- updates ---------------------------------------------------------------------------------------


def updated(
    lists: Shortlists,
    update: RowUpdate,
    score: Score,
    *,
    ranks: tuple[np.ndarray, np.ndarray],
    keep: int = SHORTLIST,
) -> Shortlists:
    """``lists`` (of the prepared dataset ``update`` came from) for ``update.prepared``: only the pairs
    with a changed row are screened and ranked (see the module's notes). ``ranks``: the new dataset's
    candidates' and vacancies' :func:`id_rank`. ``pairs_screened`` and ``pairs_eligible`` count this
    update's own screening."""
    p = update.prepared
    c_rank, v_rank = ranks
    fresh_c, fresh_v = update.changed_candidates, update.changed_vacancies
    screened = 0
    found: list[Part] = []  # (candidate, vacancy, score): every eligible pair with a changed row
    movers = fresh_c[p.c_matchable[fresh_c]]
    if len(movers) and len(p.additional_vacancies):
        vs = p.additional_vacancies.astype(np.int64)
        cand = np.tile(movers.astype(np.int64), len(vs))
        found.append(_eligible_scored(p, vs, np.arange(len(vs) + 1, dtype=np.int64) * len(movers), cand, score))
        screened += len(cand)
    opened = fresh_v[p.v_additional[fresh_v]]
    if len(opened):
        lists_v = [np.setdiff1d(p.candidates_in_reach(int(v), matchable=True), movers) for v in opened]
        vs, offsets, cand = _chunk(opened.tolist(), lists_v)
        found.append(_eligible_scored(p, vs, offsets, cand, score))
        screened += len(cand)
    ci, vi, sc = _joined(found)
    by_vacancy, more_v = _update_side(
        lists.by_vacancy,
        (update.vacancy_rows, update.candidate_rows),
        p.n_vacancies,
        fresh=fresh_v,
        new=(vi, ci, sc),
        other_rank=c_rank,
        keep=keep,
        rescreen=lambda owners: _rescreen_vacancies(p, owners, score),
    )
    by_candidate, more_c = _update_side(
        lists.by_candidate,
        (update.candidate_rows, update.vacancy_rows),
        p.n_candidates,
        fresh=fresh_c,
        new=(ci, vi, sc),
        other_rank=v_rank,
        keep=keep,
        rescreen=lambda owners: _rescreen_candidates(p, owners, score),
    )
    return Shortlists(by_vacancy, by_candidate, screened + more_v + more_c, len(ci))


def _joined(parts: list[Part]) -> Part:
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    a, b, c = (np.concatenate(x) for x in zip(*parts, strict=True))
    return a.astype(np.int64), b.astype(np.int64), c.astype(np.float64)


def _rescreen_vacancies(p: Prepared, owners: np.ndarray, score: Score) -> tuple[Part, int]:
    """Every eligible pair of the open vacancies among ``owners``: (vacancy, candidate, score), screened."""
    opened = owners[p.v_additional[owners]]
    if not len(opened):
        return _joined([]), 0
    vs, offsets, cand = _chunk(opened.tolist(), [p.candidates_in_reach(int(v), matchable=True) for v in opened])
    ci, vi, sc = _eligible_scored(p, vs, offsets, cand, score)
    return (vi, ci, sc), len(cand)


def _rescreen_candidates(p: Prepared, owners: np.ndarray, score: Score) -> tuple[Part, int]:
    """Every eligible pair of the matchable candidates among ``owners``: (candidate, vacancy, score)."""
    movers = owners[p.c_matchable[owners]].astype(np.int64)
    vs = p.additional_vacancies.astype(np.int64)
    if not len(movers) or not len(vs):
        return _joined([]), 0
    cand = np.tile(movers, len(vs))
    ci, vi, sc = _eligible_scored(p, vs, np.arange(len(vs) + 1, dtype=np.int64) * len(movers), cand, score)
    return (ci, vi, sc), len(cand)


def _update_side(
    old: Ranked,
    maps: tuple[np.ndarray, np.ndarray],
    n: int,
    *,
    fresh: np.ndarray,
    new: Part,
    other_rank: np.ndarray,
    keep: int,
    rescreen: Callable[[np.ndarray], tuple[Part, int]],
) -> tuple[Ranked, int]:
    """One side's lists after an update: kept pairs, plus ``new`` (owner, other, score: every eligible
    pair with a changed row); lists that fall below half of ``keep`` while cut are ranked again in full.
    ``maps``: per old owner row and per old other row, the new row (-1: changed or gone). Returns the
    lists and how many pairs were screened again."""
    ranked = _merge(old, maps, n, full_owners=fresh, new=new, other_rank=other_rank, keep=keep)
    short = np.flatnonzero(~ranked.complete & (np.diff(ranked.offsets) < keep // 2))
    if not len(short):
        return ranked, 0
    extra, screened = rescreen(short)
    kept = ~np.isin(new[0], short)
    joined = _joined([(new[0][kept], new[1][kept], new[2][kept]), extra])
    again = np.union1d(fresh, short)
    return _merge(old, maps, n, full_owners=again, new=joined, other_rank=other_rank, keep=keep, forget=short), screened


def _merge(
    old: Ranked,
    maps: tuple[np.ndarray, np.ndarray],
    n: int,
    *,
    full_owners: np.ndarray,
    new: Part,
    other_rank: np.ndarray,
    keep: int,
    forget: np.ndarray | None = None,
) -> Ranked:
    """The ``n`` lists: the kept pairs of ``old`` (in new rows) and the pairs of ``new`` that belong.

    A list knows every eligible pair when it did before (complete) or when its owner's pairs are all
    in ``new`` (``full_owners``: changed owners, and owners ranked again, whose old pairs are dropped
    with ``forget``); it takes every new pair. Any other list is a prefix of its ranking: it takes
    the new pairs that rank before its last kept pair.

    Only the lists that change are worked out: those that take a new pair (ranked again), lose a pair
    (a changed or removed other row: kept in order) or are forgotten; every other list is copied as
    it is, run by run of consecutive lists."""
    owner_map, other_map = maps
    source = np.full(n, -1, dtype=np.int64)  # per new list, the old list it continues (-1: none)
    moved = np.flatnonzero(owner_map >= 0)
    source[owner_map[moved]] = moved
    full = np.zeros(n, dtype=bool)
    full[owner_map[moved]] = old.complete[moved]
    full[full_owners] = True
    forgotten = np.zeros(n, dtype=bool)
    if forget is not None and len(forget):
        forgotten[forget] = True
    gone = other_map < 0
    # the pairs of a changed or removed other row: few, found by one look-up per pair
    lost_at = np.flatnonzero(gone[old.items]) if gone.any() else np.zeros(0, dtype=np.int64)
    lossy = np.zeros(n, dtype=bool)
    if len(lost_at):
        lost_owner = owner_map[np.searchsorted(old.offsets, lost_at, side="right") - 1]
        lossy[lost_owner[lost_owner >= 0]] = True
    kept_other = np.flatnonzero(~gone)
    same_rows = len(other_map) == len(other_rank) and bool((other_map[kept_other] == kept_other).all())
    items = old.items if same_rows else other_map[old.items].astype(np.int32)  # in new rows

    def kept(rows: np.ndarray) -> Part:
        """The kept pairs of the lists ``rows`` (ascending), grouped by list, each in its order."""
        rows = rows[(source[rows] >= 0) & ~forgotten[rows]]
        src = source[rows]
        lengths = old.offsets[src + 1] - old.offsets[src]
        starts = np.cumsum(lengths) - lengths
        at = np.arange(int(lengths.sum())) + np.repeat(old.offsets[src] - starts, lengths)
        owner = np.repeat(rows, lengths)
        if len(lost_at):
            alive = ~gone[old.items[at]]
            owner, at = owner[alive], at[alive]
        return owner, items[at].astype(np.int64), old.scores[at]

    # the last kept pair of each list a new pair is for
    no, nx, ns = new
    has_last = np.zeros(n, dtype=bool)
    last_score = np.zeros(n)
    last_rank = np.zeros(n, dtype=np.int64)
    ro, rx, rs = kept(np.unique(no))
    if len(ro):
        ends = np.flatnonzero(np.r_[ro[1:] != ro[:-1], True])
        has_last[ro[ends]] = True
        last_score[ro[ends]] = rs[ends]
        last_rank[ro[ends]] = other_rank[rx[ends]]
    nr = other_rank[nx]
    before = (ns > last_score[no]) | ((ns == last_score[no]) & (nr < last_rank[no]))
    take = full[no] | (has_last[no] & before)
    touched = np.zeros(n, dtype=bool)
    touched[no[take]] = True
    changed = touched | lossy | forgotten
    # the lists that change: their kept pairs, and for those that take a new pair, ranked again with them
    ro, rx, rs = kept(np.flatnonzero(changed))
    total = np.where(source >= 0, np.diff(old.offsets)[np.maximum(source, 0)], 0)
    total[changed] = 0
    total += np.bincount(np.concatenate([ro, no[take]]).astype(np.int64), minlength=n)
    again = touched[ro]
    owner = np.concatenate([ro[again], no[take]]).astype(np.int64)
    other = np.concatenate([rx[again], nx[take]]).astype(np.int64)
    score = np.concatenate([rs[again], ns[take]])
    if len(owner):
        owner, other, score = _best_per(owner, other, score, other_rank, keep)
    owner = np.concatenate([ro[~again], owner])
    order = np.argsort(owner, kind="stable")  # each list from one of the two parts: its order stays
    owner, other, score = (
        owner[order],
        np.concatenate([rx[~again], other])[order],
        np.concatenate([rs[~again], score])[order],
    )
    lengths = np.where(changed, 0, total)
    lengths += np.bincount(owner, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    out_items = np.empty(int(offsets[-1]), dtype=np.int32)
    out_scores = np.empty(int(offsets[-1]))
    if len(owner):
        group = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        at = np.arange(len(owner)) + np.repeat(offsets[owner[group]] - group, np.diff(np.r_[group, len(owner)]))
        out_items[at], out_scores[at] = other, score
    # every other list as it was: runs of consecutive lists that continue consecutive old lists
    copied = np.flatnonzero(~changed & (source >= 0))
    if len(copied):
        src = source[copied]
        first = np.flatnonzero(np.r_[True, (np.diff(copied) != 1) | (np.diff(src) != 1)])
        last = np.r_[first[1:], len(copied)] - 1
        to_start, of_start = offsets[copied[first]], old.offsets[src[first]]
        size = offsets[copied[last] + 1] - to_start
        for to, of, k in zip(to_start.tolist(), of_start.tolist(), size.tolist(), strict=True):
            out_items[to : to + k], out_scores[to : to + k] = items[of : of + k], old.scores[of : of + k]
    return Ranked(offsets, out_items, out_scores, full & (total <= keep))


__all__ = ["SHORTLIST", "Ranked", "Shortlists", "build", "id_rank", "updated"]
