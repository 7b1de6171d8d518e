"""Eligibility: the hard rules of DOMAIN.md, vectorised over (candidate, vacancy) pairs.

Each rule sets a bit in ``reasons`` when it excludes a pair; a pair is eligible when no bit is set.
What is *unknown* never excludes (a missing language level is not a failed one): the features and
the explanation say what is unknown instead. Certificates and licences are the exception: an empty
list means "none on record", which is what a coach can rely on. A trainable certificate is a soft
gap (``soft_gaps``), not an exclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from matching import rulebook as rb
from matching.prepare import Prepared
from matching.rulebook import Reason, reason_codes, reason_texts

__all__ = [
    "Reason",
    "Screen",
    "column",
    "constant",
    "reason_codes",
    "reason_texts",
    "rowdot",
    "rowdots",
    "rows_of",
    "screen",
]


@dataclass
class Screen:
    """Eligibility of pairs: the verdict, the reasons, and values the features reuse."""

    ci: np.ndarray
    vi: np.ndarray
    reasons: np.ndarray  # uint32 bit set of Reason
    km: np.ndarray  # NaN where a location is unknown
    hard_missing: np.ndarray  # required, non-trainable certificates the candidate lacks
    soft_gaps: np.ndarray  # trainable certificates to obtain
    licences_missing: np.ndarray

    @property
    def eligible(self) -> np.ndarray:
        return np.asarray(self.reasons == 0)

    def subset(self, mask: np.ndarray) -> Screen:
        return Screen(
            self.ci[mask],
            self.vi[mask],
            self.reasons[mask],
            self.km[mask],
            self.hard_missing[mask],
            self.soft_gaps[mask],
            self.licences_missing[mask],
        )


def constant(index: np.ndarray) -> bool:
    return len(index) > 0 and bool(index[0] == index[-1]) and bool((index == index[0]).all())


def rows_of(m: sparse.csr_matrix, index: np.ndarray) -> sparse.csr_matrix:
    """``m[index]``, without a copy when ``index`` is every row in order."""
    n = m.shape[0]
    if len(index) == n and n and index[0] == 0 and index[-1] == n - 1 and (np.diff(index) == 1).all():
        return m
    return m[index]


def rowdots(a: sparse.csr_matrix, bs: list[sparse.csr_matrix], ai: np.ndarray, bi: np.ndarray) -> list[np.ndarray]:
    """:func:`rowdot` of ``a`` with several ``b`` at once: ``a``'s rows are gathered only once."""
    if len(ai) and constant(bi) and not constant(ai):
        dense = np.column_stack([b[int(bi[0])].toarray().ravel() for b in bs])
        out = np.asarray(rows_of(a, ai) @ dense, dtype=float)
        return [out[:, j] for j in range(len(bs))]
    return [rowdot(a, b, ai, bi) for b in bs]


def column(m: sparse.csc_matrix, j: int, rows: np.ndarray) -> np.ndarray:
    """``m[rows, j]`` of a CSC matrix as a dense vector, in time that grows with ``len(rows)`` and the
    column's entries, not with the matrix's height (a pool of a million is never made dense)."""
    start, end = int(m.indptr[j]), int(m.indptr[j + 1])
    where, values = m.indices[start:end], m.data[start:end]
    out = np.zeros(len(rows))
    if end == start or not len(rows):
        return out
    if not m.has_sorted_indices:
        order = np.argsort(where, kind="stable")
        where, values = where[order], values[order]
    k = np.minimum(np.searchsorted(where, rows), len(where) - 1)
    hit = where[k] == rows
    out[hit] = values[k[hit]]
    return out


def rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix, ai: np.ndarray, bi: np.ndarray) -> np.ndarray:
    """Σ_k a[ai, k] · b[bi, k] for each pair.

    When one side is the same row for every pair (one vacancy against the pool, or one candidate
    against all vacancies), the other side's rows are multiplied by that row made dense: no
    pair-by-pair gathering of the constant side.
    """
    if len(ai) == 0:
        return np.zeros(0)
    if constant(bi):
        return np.asarray(rows_of(a, ai) @ b[int(bi[0])].toarray().ravel(), dtype=float)
    if constant(ai):
        return np.asarray(rows_of(b, bi) @ a[int(ai[0])].toarray().ravel(), dtype=float)
    return np.asarray(a[ai].multiply(b[bi]).sum(axis=1), dtype=float).ravel()


def screen(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> Screen:
    """Apply every hard rule of :mod:`matching.rulebook` to the pairs (``ci[k]``, ``vi[k]``)."""
    ci = np.asarray(ci, dtype=np.int64)
    vi = np.asarray(vi, dtype=np.int64)
    r = np.zeros(len(ci), dtype=np.uint32)

    def flag(rule: object, reason: Reason, *args: object) -> None:
        r[np.asarray(rb.ufunc(rule)(*args), dtype=bool)] |= np.uint32(reason)

    rec = p.records
    with np.errstate(invalid="ignore"):
        flag(rb.lacks_consent, Reason.NO_CONSENT, p.c_consent[ci])
        flag(rb.not_available_status, Reason.STATUS, p.c_consent[ci], p.c_matchable[ci])
        have_hard, have_soft = rowdots(p.c_certs, [p.v_hard, p.v_soft], ci, vi)
        hard_missing = p.v_n_hard[vi] - have_hard
        soft_gaps = p.v_n_soft[vi] - have_soft
        flag(rb.misses_items, Reason.CERTIFICATE, hard_missing)
        if constant(vi):  # one vacancy: only the licences it asks for
            need = np.flatnonzero(p.v_licences[int(vi[0])])
            lic_missing = (~p.c_licences[ci[:, np.newaxis], need]).sum(axis=1)
        else:
            lic_missing = (p.v_licences[vi] & ~p.c_licences[ci]).sum(axis=1)
        flag(rb.misses_items, Reason.LICENCE, lic_missing)
        flag(rb.below_level, Reason.LANGUAGE, p.c_lang[ci], p.v_lang[vi])
        flag(rb.below_level, Reason.EDUCATION, p.c_edu[ci], p.v_edu[vi])
        flag(rb.below_level, Reason.PHYSICAL, p.c_phys[ci], p.v_phys[vi])
        flag(rb.hours_outside, Reason.HOURS, p.v_hours[vi], p.c_hmin[ci], p.c_hmax[ci], rec.hours_below_min)
        opens = rb.ufunc(rb.open_from)(rec.v_start[vi], rec.today)
        flag(rb.available_too_late, Reason.AVAILABILITY, rec.c_available[ci], opens, rec.grace)
        c2 = rb.ufunc(rb.chord2)(rec.c_ux[ci], rec.c_uy[ci], rec.c_uz[ci], rec.v_ux[vi], rec.v_uy[vi], rec.v_uz[vi])
        flag(rb.beyond_reach, Reason.DISTANCE, c2, rec.c_chord2_max[ci])
        km = rb.ufunc(rb.km_of_chord2)(c2)
        contractor = p.v_contractor[vi]
        known = contractor >= 0
        worked = np.zeros(len(ci))
        if constant(contractor) and known[0]:
            worked = column(p.c_previous, int(contractor[0]), ci)
        elif known.any():
            worked[known] = np.asarray(p.c_previous[ci[known], contractor[known]]).ravel()
        flag(rb.worked_there, Reason.PREVIOUS_EMPLOYER, worked)
        group = p.c_group[ci]
        flag(rb.group_not_counted, Reason.TARGET_GROUP, group, p.v_allowed_groups[vi, np.maximum(group, 0)])
        flag(rb.not_additional, Reason.NOT_ADDITIONAL, p.v_additional[vi])
    return Screen(ci, vi, r, km, hard_missing, soft_gaps, lic_missing.astype(float))
