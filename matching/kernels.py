"""Compiled screening and features for the batch match: the hard rules and the similarity features
of many (candidate, vacancy) pairs in one pass, without a temporary array per rule.

A batch match screens about 150 million pairs at 100,000 candidates × 20,000 vacancies. The numpy
path (:func:`matching.eligibility.screen`, :func:`matching.features.pair_features`) makes one
temporary array per rule and per feature, and a sparse row gather per similarity; at that size the
time goes to those temporaries and to reading profiles, not to the rules. These numba kernels call
the rule book's scalar rules and features (:mod:`matching.rulebook`, inlined) pair by pair over the
candidate records (:mod:`matching.records`): screening vacancy by vacancy (its certificates made
dense once), features candidate by candidate (a profile read, and its skill rows made dense, once
for all the vacancies it is eligible for). The numpy path applies the same functions as ufuncs and
stays the reference; a test holds the two equal on a generated world.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numba
import numpy as np

from matching import records as rc
from matching import rulebook as rb
from matching.features import BASE_FEATURES, FEATURES, INDEX, side_features
from matching.prepare import GROUPS, TYPES, Prepared
from matching.rulebook import Reason


class _Candidates(NamedTuple):
    """Candidate-side arrays (numba reads a named tuple's fields by name, at no cost)."""

    packed: np.ndarray  # the candidate records (matching.records, the C_* columns)
    text: np.ndarray  # float32 latent text vectors
    cert_p: np.ndarray  # CSR parts (indptr, indices, data) of each candidate × item matrix
    cert_i: np.ndarray
    cert_d: np.ndarray
    soft_p: np.ndarray
    soft_i: np.ndarray
    soft_d: np.ndarray
    skill_p: np.ndarray
    skill_i: np.ndarray
    skill_d: np.ndarray
    prev_p: np.ndarray
    prev_i: np.ndarray
    prev_d: np.ndarray
    occ_p: np.ndarray
    occ_i: np.ndarray
    occ_d: np.ndarray
    years_p: np.ndarray
    years_i: np.ndarray
    years_d: np.ndarray
    sec_p: np.ndarray
    sec_i: np.ndarray
    sec_d: np.ndarray
    title_p: np.ndarray
    title_i: np.ndarray
    title_d: np.ndarray
    ess_p: np.ndarray  # skills the candidate's occupations imply: essential, optional, related
    ess_i: np.ndarray
    ess_d: np.ndarray
    iopt_p: np.ndarray
    iopt_i: np.ndarray
    iopt_d: np.ndarray
    rel_p: np.ndarray
    rel_i: np.ndarray
    rel_d: np.ndarray
    isco_p: np.ndarray  # the ISCO unit groups of the candidate's occupations
    isco_i: np.ndarray
    isco_d: np.ndarray


class _Vacancies(NamedTuple):
    """Vacancy-side arrays, indexed by vacancy row."""

    hard_p: np.ndarray  # CSR parts of the hard and trainable certificates, required and optional skills
    hard_i: np.ndarray
    hard_d: np.ndarray
    soft_p: np.ndarray
    soft_i: np.ndarray
    soft_d: np.ndarray
    req_p: np.ndarray
    req_i: np.ndarray
    req_d: np.ndarray
    opt_p: np.ndarray
    opt_i: np.ndarray
    opt_d: np.ndarray
    n_hard: np.ndarray
    n_soft: np.ndarray
    n_req: np.ndarray
    n_opt: np.ndarray
    licences: np.ndarray  # bit mask of the licences asked for
    lang: np.ndarray
    edu: np.ndarray
    phys: np.ndarray
    hours: np.ndarray
    start: np.ndarray  # float days since the epoch, NaN when unknown
    contractor: np.ndarray
    allowed: np.ndarray  # vacancy × target group
    additional: np.ndarray
    occ: np.ndarray
    sector: np.ndarray
    title: np.ndarray
    text: np.ndarray
    title_sim: np.ndarray  # title × candidate occupation text
    loc: np.ndarray
    type: np.ndarray
    ux: np.ndarray  # unit vectors of the locations
    uy: np.ndarray
    uz: np.ndarray
    isco: np.ndarray  # the ISCO unit group of the vacancy's occupation (-1: unknown)


@dataclass(frozen=True)
class KernelData:
    """The arrays of a :class:`Prepared` the kernels read, in the layout they read them."""

    candidates: _Candidates
    vacancies: _Vacancies
    settings: np.ndarray  # hours below the minimum, today, grace (days), certificates, skills

    @property
    def n_skills(self) -> int:
        return int(self.settings[_S_SKILLS])


_CACHE: weakref.WeakKeyDictionary[Prepared, KernelData] = weakref.WeakKeyDictionary()


def kernel_data(p: Prepared) -> KernelData:
    """The kernels' view of ``p``, made once per prepared dataset."""
    hit = _CACHE.get(p)
    if hit is None:
        hit = _CACHE[p] = _build(p)
    return hit


def _csr(m: Any, *, canonical: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts; ``canonical``: sorted, unique indices (for look-ups), else the stored order (for
    sums, which then add in the order scipy adds)."""
    m = m.tocsr(copy=True)
    if canonical:
        m.sum_duplicates()
        m.sort_indices()
    return m.indptr.astype(np.int64), m.indices.astype(np.int64), np.asarray(m.data, dtype=np.float64)


def take_over(base: Prepared, p: Prepared, rows: np.ndarray) -> None:
    """Make ``p``'s kernel data now out of ``base``'s, when that is made and ``p``'s candidates are
    ``base``'s with the rows ``rows`` replaced in place (:meth:`Prepared.updated`; ``p`` then holds
    ``base``'s very ids): only those rows of the candidate records are worked out, and each candidate
    matrix ``p`` holds of ``base`` is not converted again (all of them after an update of vacancies only)."""
    held = _CACHE.get(base)
    if held is None or p in _CACHE or p.candidate_ids is not base.candidate_ids:
        return
    whole = p.holds_candidates_of(base)
    if "records" in vars(base) and "records" not in vars(p):  # the cached property, set before anyone reads it
        vars(p)["records"] = rc.build_records(
            p, p.c_completeness, before=base.records, rows=rows[:0] if whole else rows
        )
    _CACHE[p] = _build(p, held.candidates if whole else _candidates(p, p.records, (base, held.candidates)))


def _build(p: Prepared, candidates: _Candidates | None = None) -> KernelData:
    rec = p.records
    if candidates is None:
        candidates = _candidates(p, rec)
    vacancies = _Vacancies(
        *_csr(p.v_hard),
        *_csr(p.v_soft),
        *_csr(p.v_req),
        *_csr(p.v_opt),
        p.v_n_hard.astype(np.float64),
        p.v_n_soft.astype(np.float64),
        p.v_n_req.astype(np.float64),
        p.v_n_opt.astype(np.float64),
        rec.v_licences,
        p.v_lang.astype(np.float64),
        p.v_edu.astype(np.float64),
        p.v_phys.astype(np.float64),
        p.v_hours.astype(np.float64),
        rec.v_start,
        p.v_contractor.astype(np.int64),
        np.ascontiguousarray(p.v_allowed_groups, dtype=np.bool_),
        p.v_additional.astype(np.bool_),
        p.v_occ.astype(np.int64),
        p.v_sector.astype(np.int64),
        p.v_title.astype(np.int64),
        np.ascontiguousarray(p.v_text, dtype=np.float32),
        np.ascontiguousarray(p.title_sim, dtype=np.float32),
        p.v_loc.astype(np.float64),
        p.v_type.astype(np.int64),
        rec.v_ux,
        rec.v_uy,
        rec.v_uz,
        p.v_isco.astype(np.int64),
    )
    settings = np.array([*rec.settings, float(p.c_certs.shape[1]), float(p.c_skills.shape[1])])
    return KernelData(candidates, vacancies, settings)


#: The candidate matrices of the kernel data: the attribute of :class:`Prepared`, the prefix of its CSR
#: parts in :class:`_Candidates`, and whether they are canonical (sorted, unique indices, for look-ups).
_CANDIDATE_MATRICES: tuple[tuple[str, str, bool], ...] = (
    ("c_certs", "cert", False),
    ("c_soft", "soft", True),
    ("c_skills", "skill", True),
    ("c_previous", "prev", True),
    ("c_occ", "occ", True),
    ("c_occ_years", "years", True),
    ("c_sectors", "sec", True),
    ("c_titles", "title", False),
    ("c_inferred_essential", "ess", True),
    ("c_inferred_optional", "iopt", True),
    ("c_related", "rel", True),
    ("c_isco", "isco", True),
)


def _candidates(p: Prepared, rec: rc.Records, held: tuple[Prepared, _Candidates] | None = None) -> _Candidates:
    """The candidate side of ``p``'s kernel data; ``held``: a prepared dataset and its candidate side, whose
    parts are taken over where ``p`` holds its very array."""

    def taken(name: str) -> bool:
        return held is not None and getattr(p, name) is getattr(held[0], name)

    fields: dict[str, np.ndarray] = {"packed": rec.candidates}
    if held is not None and taken("c_text"):
        fields["text"] = held[1].text
    else:
        fields["text"] = np.ascontiguousarray(p.c_text, dtype=np.float32)
    for name, prefix, canonical in _CANDIDATE_MATRICES:
        parts = (f"{prefix}_p", f"{prefix}_i", f"{prefix}_d")
        if held is not None and taken(name):
            fields.update((part, getattr(held[1], part)) for part in parts)
        else:
            fields.update(zip(parts, _csr(getattr(p, name), canonical=canonical), strict=True))
    return _Candidates(**fields)


@dataclass
class ScreenArrays:
    """What :func:`screen_pairs` finds, per pair (as :class:`matching.eligibility.Screen`; ``km`` is
    worked out where it is used: eligible pairs and the nearest-vacancy book-keeping, NaN elsewhere)."""

    reasons: np.ndarray
    km: np.ndarray
    hard_missing: np.ndarray
    soft_gaps: np.ndarray
    licences_missing: np.ndarray

    def subset(self, rows: np.ndarray) -> ScreenArrays:
        """The same arrays for the pairs ``rows`` (indices or a mask)."""
        fields = (self.reasons, self.km, self.hard_missing, self.soft_gaps, self.licences_missing)
        return ScreenArrays(*(f[rows] for f in fields))


@dataclass
class Nearest:
    """Per candidate: the vacancy they fall short of by the fewest reasons training can remove, then
    the least km (key ``reasons · 1e5 + km``; the first vacancy in screening order among equals), and
    whether any screened vacancy is within their travel distance."""

    key: np.ndarray
    vacancy: np.ndarray
    in_reach: np.ndarray

    @classmethod
    def empty(cls, n_candidates: int) -> Nearest:
        return cls(
            np.full(n_candidates, np.inf), np.full(n_candidates, -1, dtype=np.int64), np.zeros(n_candidates, bool)
        )


def screen_pairs(
    p: Prepared,
    vacancies: np.ndarray,
    offsets: np.ndarray,
    candidates: np.ndarray,
    *,
    nearest: Nearest | None = None,
    permanent: int = 0,
) -> ScreenArrays:
    """Every hard rule on the pairs (``candidates[offsets[k]:offsets[k + 1]]``, ``vacancies[k]``);
    ``nearest`` (updated in place) keeps each candidate's nearest vacancy they fall short of for
    reasons outside ``permanent``."""
    k = kernel_data(p)
    n = len(candidates)
    out = ScreenArrays(np.zeros(n, dtype=np.uint32), np.full(n, np.nan), np.empty(n), np.empty(n), np.empty(n))
    track = nearest or Nearest.empty(0)
    if n:
        _screen(
            np.asarray(vacancies, dtype=np.int64),
            np.asarray(offsets, dtype=np.int64),
            np.asarray(candidates, dtype=np.int64),
            k.candidates,
            k.vacancies,
            k.settings,
            (out.reasons, out.km, out.hard_missing, out.soft_gaps, out.licences_missing),
            (nearest is not None, np.uint32(permanent)),
            (track.key, track.vacancy, track.in_reach),
        )
    return out


@dataclass
class Swept:
    """What :func:`sweep_pairs` finds: the eligible pairs grouped by vacancy (``offsets``) with candidate
    rows ascending (``candidates``), and how many pairs were screened (in reach). Their screen arrays
    ``s`` stay in the order the sweep found them (candidate by candidate): pair ``q`` of the groups is
    ``s``'s pair ``at[q]``, so only the pairs that are scored are ever gathered. ``s`` may be a view of
    the thread's sweep buffers: it holds until the next sweep in the same thread."""

    offsets: np.ndarray
    candidates: np.ndarray
    s: ScreenArrays
    at: np.ndarray
    screened: int
    upper: np.ndarray | None = None  # per pair, what ``bound`` gave (when one was given)


#: ``bound(vacancy rows, candidate rows, screen arrays)``: a value per eligible pair (e.g. an upper bound
#: on its score), worked out while the pairs still come candidate by candidate.
PairBound = Callable[[np.ndarray, np.ndarray, "ScreenArrays"], np.ndarray]

SWEEP_PAIRS = 1 << 22  # eligible pairs a sweep holds at once (48 bytes each, in buffers kept per thread)


def sweep_pairs(
    p: Prepared,
    vacancies: np.ndarray,
    *,
    nearest: Nearest | None = None,
    permanent: int = 0,
    bound: PairBound | None = None,
    among: np.ndarray | None = None,
    limit: np.ndarray | None = None,
) -> Swept:
    """Every hard rule on every pair of ``vacancies`` and a matchable candidate in its reach
    (:meth:`matching.prepare.Prepared.candidates_in_reach`), keeping only the eligible pairs: the same
    pairs, reasons, screen arrays, nearest vacancies and count as :func:`screen_pairs` on each
    vacancy's candidates in reach, in a fraction of the time at national size.

    It goes candidate by candidate over the union of the vacancies' reach, each candidate's record
    read once for all the vacancies (their certificates dense, side by side), where
    :func:`screen_pairs` reads it again for every vacancy: at a million candidates a vacancy has a
    hundred thousand in reach, and reading their records costs more than the rules. A candidate
    meets the vacancies in the given order, so the nearest vacancy among equals is the same one.
    ``bound``, when given, is worked out on the eligible pairs in that order too (``Swept.upper``).

    ``among`` (a flag per candidate row) sweeps only those candidates; ``limit`` (per vacancy) stops
    at that many eligible pairs of a vacancy, the lowest candidate rows, and the sweep as soon as
    every vacancy has its limit: the count of screened pairs then covers only what was screened."""
    k = kernel_data(p)
    vacancies = np.asarray(vacancies, dtype=np.int64)
    n = len(vacancies)
    boxes, union = p.reach_boxes(vacancies)
    if among is not None:
        union = union[among[union]]
    limits = np.zeros(0, dtype=np.int64) if limit is None else np.asarray(limit, dtype=np.int64)
    n_certs = int(k.settings[_S_CERTS])
    hard_dense, soft_dense = np.zeros((n, n_certs)), np.zeros((n, n_certs))
    _dense_rows(k.vacancies.hard_p, k.vacancies.hard_i, k.vacancies.hard_d, vacancies, hard_dense)
    _dense_rows(k.vacancies.soft_p, k.vacancies.soft_i, k.vacancies.soft_d, vacancies, soft_dense)
    v_lon = np.ascontiguousarray(p.v_lon[vacancies], dtype=np.float64)
    unlocated = np.isnan(p.v_lat[vacancies]) | np.isnan(v_lon)
    track = nearest or Nearest.empty(0)
    counters = np.zeros(2, dtype=np.int64)  # pairs found, pairs screened
    parts: list[tuple[np.ndarray, ...]] = []
    buf = _buffers(max(SWEEP_PAIRS, n))
    i = 0
    while True:
        counters[0] = 0
        i = _sweep(
            vacancies,
            union,
            i,
            (boxes, v_lon, unlocated, limits),
            k.candidates,
            k.vacancies,
            k.settings,
            (hard_dense, soft_dense),
            buf,
            (nearest is not None, np.uint32(permanent)),
            (track.key, track.vacancy, track.in_reach),
            counters,
        )
        got = int(counters[0])
        if i >= len(union) and not parts:  # the usual case: all in one go, handed on without a copy
            parts.append(tuple(a[:got] for a in buf))
            break
        parts.append(tuple(a[:got].copy() for a in buf))  # the buffers are used again
        if i >= len(union):
            break
    if len(parts) == 1:
        pk, pc, km, hm, sg, lm = parts[0]
    else:
        pk, pc, km, hm, sg, lm = (np.concatenate([part[f] for part in parts]) for f in range(6))
    reasons = np.zeros(len(pk), dtype=np.uint32)
    upper = None if bound is None else bound(vacancies[pk], pc, ScreenArrays(reasons, km, hm, sg, lm))
    offsets = np.zeros(n + 1, dtype=np.int64)
    order = np.empty(len(pk), dtype=np.int64)
    grouped_c = np.empty(len(pk), dtype=np.int64)
    grouped_upper = np.empty(len(pk) if upper is not None else 0)
    # by vacancy; candidate rows stay ascending within each
    _group_by(pk, offsets, order, pc, grouped_c, np.empty(0) if upper is None else upper, grouped_upper)
    s = ScreenArrays(reasons, km, hm, sg, lm)
    return Swept(offsets, grouped_c, s, order, int(counters[1]), None if upper is None else grouped_upper)


_LOCAL = threading.local()


def _buffers(size: int) -> tuple[np.ndarray, ...]:
    """The sweep's output arrays, made once per thread (fresh ones cost a page fault per 4 KB)."""
    held = getattr(_LOCAL, "sweep", None)
    if held is None or len(held[0]) < size:
        held = _LOCAL.sweep = (
            np.empty(size, dtype=np.int64),
            np.empty(size, dtype=np.int64),
            np.empty(size),
            np.empty(size),
            np.empty(size),
            np.empty(size),
        )
    return tuple(a[:size] for a in held)


@numba.njit(cache=True, nogil=True)
def _group_by(keys, offsets, order, a, grouped_a, b, grouped_b):  # type: ignore[no-untyped-def]  # noqa: PLR0917  # pragma: no cover
    """A stable counting sort of ``keys`` (0 .. len(offsets) - 2): ``order``, where each key starts, and
    ``a`` (and ``b``, unless empty) in that order."""
    for q in range(len(keys)):
        offsets[keys[q] + 1] += 1
    for k in range(len(offsets) - 1):
        offsets[k + 1] += offsets[k]
    fill = offsets[:-1].copy()
    with_b = len(b) > 0
    for q in range(len(keys)):
        at = fill[keys[q]]
        order[at] = q
        grouped_a[at] = a[q]
        if with_b:
            grouped_b[at] = b[q]
        fill[keys[q]] += 1


def pair_features_grouped(
    p: Prepared, vacancies: np.ndarray, offsets: np.ndarray, candidates: np.ndarray, s: ScreenArrays
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`matching.features.pair_features` of the same grouped pairs (``s`` from :func:`screen_pairs`
    on exactly these pairs), and the pair each row describes.

    The rows come candidate by candidate (``x[i]`` describes pair ``order[i]``): a candidate's profile
    is read from memory once for all the vacancies of the chunk they are eligible for, not once per
    vacancy: at 100,000 candidates reading profiles costs more than the features."""
    k = kernel_data(p)
    x = np.empty((len(candidates), len(FEATURES)))
    order = np.empty(len(candidates), dtype=np.int64)
    if len(candidates):
        _features(
            np.asarray(vacancies, dtype=np.int64),
            np.asarray(offsets, dtype=np.int64),
            np.asarray(candidates, dtype=np.int64),
            k.candidates,
            k.vacancies,
            k.settings,
            (s.km, s.hard_missing, s.soft_gaps, s.licences_missing),
            x,
            order,
        )
        pair_vacancy = np.repeat(np.asarray(vacancies, dtype=np.int64), np.diff(offsets))
        side_features(p, np.asarray(candidates, dtype=np.int64)[order], pair_vacancy[order], x)
    return x, order


# -- the kernels ------------------------------------------------------------------------------------
_R_NO_CONSENT = np.uint32(Reason.NO_CONSENT)
_R_STATUS = np.uint32(Reason.STATUS)
_R_CERTIFICATE = np.uint32(Reason.CERTIFICATE)
_R_LICENCE = np.uint32(Reason.LICENCE)
_R_LANGUAGE = np.uint32(Reason.LANGUAGE)
_R_EDUCATION = np.uint32(Reason.EDUCATION)
_R_PHYSICAL = np.uint32(Reason.PHYSICAL)
_R_HOURS = np.uint32(Reason.HOURS)
_R_AVAILABILITY = np.uint32(Reason.AVAILABILITY)
_R_DISTANCE = np.uint32(Reason.DISTANCE)
_R_PREVIOUS = np.uint32(Reason.PREVIOUS_EMPLOYER)
_R_TARGET = np.uint32(Reason.TARGET_GROUP)
_R_NOT_ADDITIONAL = np.uint32(Reason.NOT_ADDITIONAL)
_N_BASE = len(BASE_FEATURES)
# positions in KernelData.settings
_S_BELOW, _S_TODAY, _S_GRACE, _S_CERTS, _S_SKILLS = range(5)
_N_GROUPS = len(GROUPS)
_N_ONE_HOT_END = _N_BASE + _N_GROUPS + len(TYPES)  # the side features after them: side_features
_I = INDEX


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _scatter(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row: int, dense: np.ndarray) -> None:
    for jj in range(indptr[row], indptr[row + 1]):
        dense[indices[jj]] += data[jj]


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _clear(indptr: np.ndarray, indices: np.ndarray, row: int, dense: np.ndarray) -> None:
    for jj in range(indptr[row], indptr[row + 1]):
        dense[indices[jj]] = 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _dot(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row: int, dense: np.ndarray) -> float:
    """Σ over the CSR row of data · dense[index], in stored order (as scipy's csr_matvec adds)."""
    s = 0.0
    for jj in range(indptr[row], indptr[row + 1]):
        s += data[jj] * dense[indices[jj]]
    return s


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _dot32(a: np.ndarray, i: int, b: np.ndarray, j: int) -> float:
    """``a[i] · b[j]`` of float32 rows in four running sums (as a BLAS kernel adds: in lanes)."""
    s0 = s1 = s2 = s3 = np.float32(0.0)
    n = a.shape[1]
    top = n - n % 4
    for k in range(0, top, 4):
        s0 += a[i, k] * b[j, k]
        s1 += a[i, k + 1] * b[j, k + 1]
        s2 += a[i, k + 2] * b[j, k + 2]
        s3 += a[i, k + 3] * b[j, k + 3]
    total = (s0 + s1) + (s2 + s3)
    for k in range(top, n):
        total += a[i, k] * b[j, k]
    return float(total)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def entry(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row: int, col: int) -> float:
    """m[row, col] of a CSR matrix with sorted, unique indices."""
    lo, hi = indptr[row], indptr[row + 1]
    at = lo + np.searchsorted(indices[lo:hi], col)
    if at < hi and indices[at] == col:
        return float(data[at])
    return 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _bits(r: np.uint32) -> int:
    """The number of bits set (of a mask of at most 63 bits), without a branch to mispredict."""
    x = np.uint64(r)
    x = x - ((x >> _U1) & _M1)
    x = (x & _M2) + ((x >> _U2) & _M2)
    x = (x + (x >> _U4)) & _M4
    return int((x * _H01) >> _U56)


_U1, _U2, _U4, _U56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
_M1, _M2, _M4 = np.uint64(0x5555555555555555), np.uint64(0x3333333333333333), np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _screen(vacancies, offsets, candidates, cand, vac, settings, out, near_settings, near):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    cs = cand.packed
    reasons, km, hard_missing, soft_gaps, lic_missing = out
    track, permanent = near_settings
    near_key, near_v, in_reach = near
    cert_p, cert_i, cert_d = cand.cert_p, cand.cert_i, cand.cert_d
    prev_p, prev_i, prev_d = cand.prev_p, cand.prev_i, cand.prev_d
    hard_p, hard_i, hard_d, soft_p, soft_i, soft_d = (
        vac.hard_p,
        vac.hard_i,
        vac.hard_d,
        vac.soft_p,
        vac.soft_i,
        vac.soft_d,
    )
    n_hard, n_soft = vac.n_hard, vac.n_soft
    v_lic, v_lang, v_edu, v_phys, v_hours, v_start = vac.licences, vac.lang, vac.edu, vac.phys, vac.hours, vac.start
    v_contractor, v_allowed, v_additional = vac.contractor, vac.allowed, vac.additional
    v_ux, v_uy, v_uz = vac.ux, vac.uy, vac.uz
    below, today, grace = settings[_S_BELOW], settings[_S_TODAY], settings[_S_GRACE]
    n_certs = np.int64(settings[_S_CERTS])
    hard_dense = np.zeros(n_certs)
    soft_dense = np.zeros(n_certs)
    for k in range(len(vacancies)):
        v = vacancies[k]
        _scatter(hard_p, hard_i, hard_d, v, hard_dense)
        _scatter(soft_p, soft_i, soft_d, v, soft_dense)
        need = v_lic[v]
        opens = rb.open_from(v_start[v], today)
        hours = v_hours[v]
        contractor = v_contractor[v]
        vx, vy, vz = v_ux[v], v_uy[v], v_uz[v]
        for q in range(offsets[k], offsets[k + 1]):
            c = candidates[q]
            r = np.uint32(0)
            if rb.lacks_consent(cs[c, rc.C_CONSENT]):
                r |= _R_NO_CONSENT
            if rb.not_available_status(cs[c, rc.C_CONSENT], cs[c, rc.C_MATCHABLE]):
                r |= _R_STATUS
            hm = n_hard[v] - _dot(cert_p, cert_i, cert_d, c, hard_dense) if n_hard[v] > 0 else 0.0
            hard_missing[q] = hm
            soft_gaps[q] = n_soft[v] - _dot(cert_p, cert_i, cert_d, c, soft_dense) if n_soft[v] > 0 else 0.0
            if rb.misses_items(hm):
                r |= _R_CERTIFICATE
            lm = _bits(need & ~np.int64(cs[c, rc.C_LICENCES])) if need else 0
            lic_missing[q] = lm
            if rb.misses_items(lm):
                r |= _R_LICENCE
            if rb.below_level(cs[c, rc.C_LANG], v_lang[v]):
                r |= _R_LANGUAGE
            if rb.below_level(cs[c, rc.C_EDU], v_edu[v]):
                r |= _R_EDUCATION
            if rb.below_level(cs[c, rc.C_PHYS], v_phys[v]):
                r |= _R_PHYSICAL
            if rb.hours_outside(hours, cs[c, rc.C_HMIN], cs[c, rc.C_HMAX], below):
                r |= _R_HOURS
            if rb.available_too_late(cs[c, rc.C_AVAIL], opens, grace):
                r |= _R_AVAILABILITY
            c2 = rb.chord2(cs[c, rc.C_UX], cs[c, rc.C_UY], cs[c, rc.C_UZ], vx, vy, vz)
            far = rb.beyond_reach(c2, cs[c, rc.C_CHORD2_MAX])
            if far:
                r |= _R_DISTANCE
            if contractor >= 0 and rb.worked_there(entry(prev_p, prev_i, prev_d, c, contractor)):
                r |= _R_PREVIOUS
            g = np.int64(cs[c, rc.C_GROUP])
            if rb.group_not_counted(g, v_allowed[v, max(g, 0)]):
                r |= _R_TARGET
            if rb.not_additional(v_additional[v]):
                r |= _R_NOT_ADDITIONAL
            reasons[q] = r
            if track and not far:
                in_reach[c] = True
            if r == 0:
                km[q] = rb.km_of_chord2(c2)
            elif track and (r & permanent) == 0:
                base = _bits(r) * 1e5
                if base < near_key[c]:  # km is worked out only when it can make this the nearest
                    d = rb.km_of_chord2(c2)
                    km[q] = d
                    key = base + (9999.0 if np.isnan(d) else d)
                    if key < near_key[c]:
                        near_key[c] = key
                        near_v[c] = v
        _clear(hard_p, hard_i, v, hard_dense)
        _clear(soft_p, soft_i, v, soft_dense)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _dense_rows(indptr, indices, data, rows, dense):  # type: ignore[no-untyped-def]
    """``dense[k]``: CSR row ``rows[k]`` made dense (entries added in stored order, as ``_scatter``)."""
    for k in range(len(rows)):
        _scatter(indptr, indices, data, rows[k], dense[k])


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _short(need, dense, k, lo, hi, indices, data):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """How many of ``need`` certificates (row ``k`` of ``dense``) the candidate's entries ``lo .. hi``
    leave unmet, added in stored order as :func:`_dot` adds; 0 when none are asked for."""
    if need <= 0:
        return 0.0
    t = 0.0
    for jj in range(lo, hi):
        t += data[jj] * dense[k, indices[jj]]
    return need - t


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sweep(vacancies, union, first, boxes_, cand, vac, settings, dense, out, near_settings, near, counters):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """:func:`_screen`'s rules, candidate by candidate over ``union`` from position ``first``, every
    vacancy in reach of each; eligible pairs into ``out`` until it might overflow. Returns the
    position to go on from (``len(union)``: done)."""
    cs = cand.packed
    boxes, v_lon, v_unlocated, limits = boxes_
    limited = len(limits) > 0
    taken = np.zeros(len(vacancies), dtype=np.int64)
    left = len(vacancies)  # vacancies still short of their limit
    if limited:
        for k in range(len(vacancies)):
            if limits[k] <= 0:
                left -= 1
    hard_dense, soft_dense = dense
    pk, pc, km, hard_missing, soft_gaps, lic_missing = out
    track, permanent = near_settings
    near_key, near_v, in_reach = near
    cert_p, cert_i, cert_d = cand.cert_p, cand.cert_i, cand.cert_d
    prev_p, prev_i, prev_d = cand.prev_p, cand.prev_i, cand.prev_d
    n_hard, n_soft = vac.n_hard, vac.n_soft
    v_lic, v_lang, v_edu, v_phys, v_hours, v_start = vac.licences, vac.lang, vac.edu, vac.phys, vac.hours, vac.start
    v_contractor, v_allowed, v_additional = vac.contractor, vac.allowed, vac.additional
    v_ux, v_uy, v_uz = vac.ux, vac.uy, vac.uz
    below, today, grace = settings[_S_BELOW], settings[_S_TODAY], settings[_S_GRACE]
    n = len(vacancies)
    opens = np.empty(n)
    for k in range(n):
        opens[k] = rb.open_from(v_start[vacancies[k]], today)
    # the vacancies' values side by side, by position: a few KB that stay in the first-level cache
    k_ux, k_uy, k_uz = v_ux[vacancies], v_uy[vacancies], v_uz[vacancies]
    k_lang, k_edu, k_phys, k_hours = v_lang[vacancies], v_edu[vacancies], v_phys[vacancies], v_hours[vacancies]
    k_lic, k_hard, k_soft = v_lic[vacancies], n_hard[vacancies], n_soft[vacancies]
    k_contractor, k_additional = v_contractor[vacancies], v_additional[vacancies]
    k_allowed = np.empty((n, v_allowed.shape[1]), dtype=np.bool_)
    for k in range(n):
        k_allowed[k] = v_allowed[vacancies[k]]
    cap = len(pk)
    found = counters[0]
    screened = counters[1]
    i = first
    while i < len(union):
        if found + n > cap:
            break
        if limited and left == 0:  # every vacancy has as many pairs as it asked for
            i = len(union)
            break
        c = union[i]
        i += 1
        cls = np.int64(cs[c, rc.C_CLASS])
        clat, clon = cs[c, rc.C_LAT], cs[c, rc.C_LON]
        consent, matchable = cs[c, rc.C_CONSENT], cs[c, rc.C_MATCHABLE]
        lang, edu, phys = cs[c, rc.C_LANG], cs[c, rc.C_EDU], cs[c, rc.C_PHYS]
        hmin, hmax, avail = cs[c, rc.C_HMIN], cs[c, rc.C_HMAX], cs[c, rc.C_AVAIL]
        ux, uy, uz, chord2_max = cs[c, rc.C_UX], cs[c, rc.C_UY], cs[c, rc.C_UZ], cs[c, rc.C_CHORD2_MAX]
        licences = np.int64(cs[c, rc.C_LICENCES])
        g = np.int64(cs[c, rc.C_GROUP])
        gi = g if g > 0 else np.int64(0)
        c0, c1 = cert_p[c], cert_p[c + 1]
        for k in range(n):
            if limited and taken[k] >= limits[k]:
                continue
            if cls >= 0 and not v_unlocated[k]:
                if not (clat >= boxes[k, cls, 0] and clat < boxes[k, cls, 1]):
                    continue
                if not abs(clon - v_lon[k]) <= boxes[k, cls, 2]:
                    continue
            v = vacancies[k]
            screened += 1
            c2 = rb.chord2(ux, uy, uz, k_ux[k], k_uy[k], k_uz[k])
            far = rb.beyond_reach(c2, chord2_max)
            if track and not far:
                in_reach[c] = True
            # the cheap rules first; the certificates and former employers only for a pair that can
            # still be eligible, or become the candidate's nearest (fewer reasons than so far)
            r = _R_DISTANCE if far else np.uint32(0)
            if rb.lacks_consent(consent):
                r |= _R_NO_CONSENT
            if rb.not_available_status(consent, matchable):
                r |= _R_STATUS
            if rb.not_additional(k_additional[k]):
                r |= _R_NOT_ADDITIONAL
            if rb.group_not_counted(g, k_allowed[k, gi]):
                r |= _R_TARGET
            if rb.below_level(lang, k_lang[k]):
                r |= _R_LANGUAGE
            if rb.below_level(edu, k_edu[k]):
                r |= _R_EDUCATION
            if rb.below_level(phys, k_phys[k]):
                r |= _R_PHYSICAL
            if rb.hours_outside(k_hours[k], hmin, hmax, below):
                r |= _R_HOURS
            if rb.available_too_late(avail, opens[k], grace):
                r |= _R_AVAILABILITY
            need = k_lic[k]
            lm = _bits(need & ~licences) if need else 0
            if rb.misses_items(lm):
                r |= _R_LICENCE
            if r != 0:
                if not track or (r & permanent) != 0:
                    continue
                if _bits(r) * 1e5 >= near_key[c]:  # more reasons only raise the key: never the nearest
                    continue
            hm = _short(k_hard[k], hard_dense, k, c0, c1, cert_i, cert_d)
            if rb.misses_items(hm):
                r |= _R_CERTIFICATE
            contractor = k_contractor[k]
            if contractor >= 0 and rb.worked_there(entry(prev_p, prev_i, prev_d, c, contractor)):
                r |= _R_PREVIOUS
            if r == 0:
                sg = _short(k_soft[k], soft_dense, k, c0, c1, cert_i, cert_d)
                pk[found] = k
                pc[found] = c
                km[found] = rb.km_of_chord2(c2)
                hard_missing[found] = hm
                soft_gaps[found] = sg
                lic_missing[found] = lm
                found += 1
                if limited:
                    taken[k] += 1
                    if taken[k] == limits[k]:
                        left -= 1
            elif track and (r & permanent) == 0:
                base = _bits(r) * 1e5
                if base < near_key[c]:  # km is worked out only when it can make this the nearest
                    d = rb.km_of_chord2(c2)
                    key = base + (9999.0 if np.isnan(d) else d)
                    if key < near_key[c]:
                        near_key[c] = key
                        near_v[c] = v
    counters[0] = found
    counters[1] = screened
    return i


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _cover(dense: np.ndarray, vp: np.ndarray, vi: np.ndarray, v: int) -> float:
    """Σ over the vacancy's skills of the candidate's credit for each (``dense``: the candidate's row)."""
    total = 0.0
    for jj in range(vp[v], vp[v + 1]):
        total += dense[vi[jj]]
    return total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _by_candidate(offsets, candidates, n_candidates, order, vacancy_of):  # type: ignore[no-untyped-def]
    """``order``: the pairs sorted by candidate (a stable counting sort); ``vacancy_of``: each pair's group."""
    for k in range(len(offsets) - 1):
        for q in range(offsets[k], offsets[k + 1]):
            vacancy_of[q] = k
    start = np.zeros(n_candidates + 1, dtype=np.int64)
    for q in range(len(candidates)):
        start[candidates[q] + 1] += 1
    for c in range(n_candidates):
        start[c + 1] += start[c]
    for q in range(len(candidates)):
        c = candidates[q]
        order[start[c]] = q
        start[c] += 1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _features(vacancies, offsets, candidates, cand, vac, settings, screened, x, order):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    cs, c_text = cand.packed, cand.text
    km, hard_missing, soft_gaps, lic_missing = screened
    csoft_p, csoft_i, csoft_d = cand.soft_p, cand.soft_i, cand.soft_d
    cskill_p, cskill_i, cskill_d = cand.skill_p, cand.skill_i, cand.skill_d
    occ_p, occ_i, occ_d = cand.occ_p, cand.occ_i, cand.occ_d
    years_p, years_i, years_d = cand.years_p, cand.years_i, cand.years_d
    sec_p, sec_i, sec_d = cand.sec_p, cand.sec_i, cand.sec_d
    title_p, title_i = cand.title_p, cand.title_i
    req_p, req_i, opt_p, opt_i = vac.req_p, vac.req_i, vac.opt_p, vac.opt_i
    n_req, n_opt = vac.n_req, vac.n_opt
    v_lic, v_lang, v_edu, v_phys, v_hours, v_start = vac.licences, vac.lang, vac.edu, vac.phys, vac.hours, vac.start
    v_occ, v_sector, v_title, v_text, title_sim = vac.occ, vac.sector, vac.title, vac.text, vac.title_sim
    v_loc, v_type, v_isco = vac.loc, vac.type, vac.isco
    ess_p, ess_i, ess_d = cand.ess_p, cand.ess_i, cand.ess_d
    iopt_p, iopt_i, iopt_d = cand.iopt_p, cand.iopt_i, cand.iopt_d
    rel_p, rel_i, rel_d = cand.rel_p, cand.rel_i, cand.rel_d
    isco_p, isco_i, isco_d = cand.isco_p, cand.isco_i, cand.isco_d
    vacancy_of = np.empty(len(candidates), dtype=np.int64)
    _by_candidate(offsets, candidates, cs.shape[0], order, vacancy_of)
    n_skills = np.int64(settings[_S_SKILLS])
    soft = np.zeros(n_skills)  # the current candidate's skill rows, made dense once for all their pairs
    exact = np.zeros(n_skills)
    implied = np.zeros(n_skills)  # and the credit their occupations and the taxonomy's relations give
    implied_opt = np.zeros(n_skills)
    near = np.zeros(n_skills)
    last = -1
    for i in range(len(order)):
        q = order[i]
        v = vacancies[vacancy_of[q]]
        c = candidates[q]
        if c != last:
            if last >= 0:
                _clear(csoft_p, csoft_i, last, soft)
                _clear(cskill_p, cskill_i, last, exact)
                _clear(ess_p, ess_i, last, implied)
                _clear(iopt_p, iopt_i, last, implied_opt)
                _clear(rel_p, rel_i, last, near)
            _scatter(csoft_p, csoft_i, csoft_d, c, soft)
            _scatter(cskill_p, cskill_i, cskill_d, c, exact)
            _scatter(ess_p, ess_i, ess_d, c, implied)
            _scatter(iopt_p, iopt_i, iopt_d, c, implied_opt)
            _scatter(rel_p, rel_i, rel_d, c, near)
            last = c
        occ, sector, title = v_occ[v], v_sector[v], v_title[v]
        hours = v_hours[v]
        start = v_start[v]
        for j in range(_N_BASE, _N_ONE_HOT_END):
            x[i, j] = 0.0
        has_skills = cs[c, rc.C_HAS_SKILLS]
        x[i, _F_COV] = rb.coverage(_cover(soft, req_p, req_i, v), n_req[v], has_skills)
        x[i, _F_COV_EXACT] = rb.coverage(_cover(exact, req_p, req_i, v), n_req[v], has_skills)
        x[i, _F_OPT] = rb.coverage(_cover(soft, opt_p, opt_i, v), n_opt[v], has_skills)
        x[i, _F_OPT_EXACT] = rb.coverage(_cover(exact, opt_p, opt_i, v), n_opt[v], has_skills)
        if occ >= 0 and cs[c, rc.C_HAS_OCC] != 0:
            x[i, _F_SAME_OCC] = entry(occ_p, occ_i, occ_d, c, occ)
            x[i, _F_YEARS] = rb.experience_years(entry(years_p, years_i, years_d, c, occ))
        else:
            x[i, _F_SAME_OCC] = np.nan
            x[i, _F_YEARS] = np.nan
        if sector >= 0 and cs[c, rc.C_HAS_OCC] != 0:
            x[i, _F_SECTOR] = 1.0 if entry(sec_p, sec_i, sec_d, c, sector) > 0 else 0.0
        else:
            x[i, _F_SECTOR] = np.nan
        t0, t1 = title_p[c], title_p[c + 1]
        if t1 > t0:
            best = np.float32(-np.inf)
            for jj in range(t0, t1):
                best = max(best, title_sim[title, title_i[jj]])
            x[i, _F_TITLE] = np.float64(best)
        else:
            x[i, _F_TITLE] = np.nan
        if cs[c, rc.C_HAS_TEXT] != 0:
            x[i, _F_TEXT] = rb.text_similarity(np.float64(_dot32(c_text, c, v_text, v)))
        else:
            x[i, _F_TEXT] = np.nan
        d = km[q]
        x[i, _F_KM] = d
        x[i, _F_KM_SHARE] = rb.distance_share(d, cs[c, rc.C_MAX_KM])
        x[i, _F_HOURS] = rb.hours_gap(hours, cs[c, rc.C_HMIN], cs[c, rc.C_HMAX])
        x[i, _F_LANG] = rb.margin(cs[c, rc.C_LANG], v_lang[v])
        x[i, _F_EDU] = rb.margin(cs[c, rc.C_EDU], v_edu[v])
        x[i, _F_PHYS] = rb.margin(cs[c, rc.C_PHYS], v_phys[v])
        x[i, _F_HARD] = hard_missing[q]
        x[i, _F_GAPS] = soft_gaps[q]
        x[i, _F_LIC_MISSING] = lic_missing[q]
        x[i, _F_LIC_REQUIRED] = np.float64(_bits(v_lic[v]))
        x[i, _F_AVAIL] = rb.availability_days(cs[c, rc.C_AVAIL], start)
        x[i, _F_COMPLETE] = cs[c, rc.C_COMPLETE]
        x[i, _F_LOCATION] = rb.location_quality(cs[c, rc.C_LOC], v_loc[v])
        has_occ = cs[c, rc.C_HAS_OCC]
        x[i, _F_INFERRED] = rb.coverage(_cover(implied, req_p, req_i, v), n_req[v], has_occ)
        x[i, _F_INFERRED_OPT] = rb.coverage(_cover(implied_opt, req_p, req_i, v), n_req[v], has_occ)
        x[i, _F_RELATED] = rb.coverage(_cover(near, req_p, req_i, v), n_req[v], max(has_skills, has_occ))
        group = v_isco[v]
        if group >= 0 and has_occ != 0:
            x[i, _F_ISCO] = 1.0 if entry(isco_p, isco_i, isco_d, c, group) > 0 else 0.0
        else:
            x[i, _F_ISCO] = np.nan
        g = np.int64(cs[c, rc.C_GROUP])
        if g >= 0:
            x[i, _N_BASE + g] = 1.0
        t = v_type[v]
        if t >= 0:
            x[i, _N_BASE + _N_GROUPS + t] = 1.0


_F_COV = _I["skill_coverage"]
_F_OPT = _I["optional_coverage"]
_F_COV_EXACT = _I["skill_coverage_exact"]
_F_OPT_EXACT = _I["optional_coverage_exact"]
_F_SAME_OCC = _I["same_occupation"]
_F_YEARS = _I["occupation_years"]
_F_SECTOR = _I["same_sector"]
_F_TITLE = _I["title_similarity"]
_F_TEXT = _I["text_similarity"]
_F_KM = _I["distance_km"]
_F_KM_SHARE = _I["distance_share"]
_F_HOURS = _I["hours_gap"]
_F_LANG = _I["language_margin"]
_F_EDU = _I["education_margin"]
_F_PHYS = _I["physical_margin"]
_F_HARD = _I["hard_certificates_missing"]
_F_GAPS = _I["trainable_gaps"]
_F_LIC_MISSING = _I["licences_missing"]
_F_LIC_REQUIRED = _I["licences_required"]
_F_AVAIL = _I["availability_days"]
_F_COMPLETE = _I["profile_completeness"]
_F_LOCATION = _I["location_quality"]
_F_INFERRED = _I["skill_coverage_inferred_essential"]
_F_INFERRED_OPT = _I["skill_coverage_inferred_optional"]
_F_RELATED = _I["skill_coverage_related"]
_F_ISCO = _I["same_isco_group"]
