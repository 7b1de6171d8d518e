"""Eligibility: the hard rules of DOMAIN.md, vectorised over (candidate, vacancy) pairs.

Each rule sets a bit in ``reasons`` when it excludes a pair; a pair is eligible when no bit is set.
What is *unknown* never excludes (a missing language level is not a failed one): the features and
the explanation say what is unknown instead. Certificates and licences are the exception: an empty
list means "none on record", which is what a coach can rely on. A trainable certificate is a soft
gap (``soft_gaps``), not an exclusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
from scipy import sparse

from matching.geo import haversine_km
from matching.prepare import Prepared


class Reason(IntFlag):
    """Why a pair is not eligible (combinable)."""

    NO_CONSENT = 1 << 0
    STATUS = 1 << 1
    CERTIFICATE = 1 << 2
    LICENCE = 1 << 3
    LANGUAGE = 1 << 4
    EDUCATION = 1 << 5
    PHYSICAL = 1 << 6
    HOURS = 1 << 7
    AVAILABILITY = 1 << 8
    DISTANCE = 1 << 9
    PREVIOUS_EMPLOYER = 1 << 10
    TARGET_GROUP = 1 << 11
    NOT_ADDITIONAL = 1 << 12


#: Short code and Dutch text of each reason, for explanations.
REASON_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.NO_CONSENT: ("no_consent", "geen toestemming om te matchen"),
    Reason.STATUS: ("status", "niet beschikbaar (status)"),
    Reason.CERTIFICATE: ("certificate", "mist een vereist certificaat"),
    Reason.LICENCE: ("licence", "mist een vereist rijbewijs"),
    Reason.LANGUAGE: ("language", "taalniveau onder het minimum"),
    Reason.EDUCATION: ("education", "opleiding onder het minimum"),
    Reason.PHYSICAL: ("physical", "werk is fysiek te zwaar"),
    Reason.HOURS: ("hours", "uren passen niet"),
    Reason.AVAILABILITY: ("availability", "pas later beschikbaar"),
    Reason.DISTANCE: ("distance", "te ver weg"),
    Reason.PREVIOUS_EMPLOYER: ("previous_employer", "werkte eerder bij deze werkgever (verdringing)"),
    Reason.TARGET_GROUP: ("target_group", "doelgroep telt niet voor deze verplichting"),
    Reason.NOT_ADDITIONAL: ("not_additional", "plaats is niet additioneel (verdringing)"),
}


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
    """Apply every hard rule to the pairs (``ci[k]``, ``vi[k]``)."""
    ci = np.asarray(ci, dtype=np.int64)
    vi = np.asarray(vi, dtype=np.int64)
    r = np.zeros(len(ci), dtype=np.uint32)

    def flag(mask: np.ndarray, reason: Reason) -> None:
        r[np.asarray(mask, dtype=bool)] |= np.uint32(reason)

    flag(~p.c_consent[ci], Reason.NO_CONSENT)
    flag(p.c_consent[ci] & ~p.c_matchable[ci], Reason.STATUS)
    have_hard, have_soft = rowdots(p.c_certs, [p.v_hard, p.v_soft], ci, vi)
    hard_missing = p.v_n_hard[vi] - have_hard
    soft_gaps = p.v_n_soft[vi] - have_soft
    flag(hard_missing > 0, Reason.CERTIFICATE)
    if constant(vi):  # one vacancy: only the licences it asks for
        need = np.flatnonzero(p.v_licences[int(vi[0])])
        lic_missing = (~p.c_licences[ci[:, np.newaxis], need]).sum(axis=1)
    else:
        lic_missing = (p.v_licences[vi] & ~p.c_licences[ci]).sum(axis=1)
    flag(lic_missing > 0, Reason.LICENCE)
    with np.errstate(invalid="ignore"):
        flag(p.c_lang[ci] < p.v_lang[vi], Reason.LANGUAGE)
        flag(p.c_edu[ci] < p.v_edu[vi], Reason.EDUCATION)
        flag(p.c_phys[ci] < p.v_phys[vi], Reason.PHYSICAL)
    hours = p.v_hours[vi]
    slack = p.config.hours_tolerance
    flag((hours < p.c_hmin[ci] - slack) | (hours > p.c_hmax[ci] + slack), Reason.HOURS)
    today = np.datetime64(p.config.today, "D")
    start = p.v_start[vi]
    start = np.where(np.isnat(start) | (start < today), today, start)  # a place that started is open now
    grace = np.timedelta64(p.config.availability_grace_days, "D")
    available = p.c_available[ci]
    flag(~np.isnat(available) & (available > start + grace), Reason.AVAILABILITY)
    km = haversine_km(p.c_lat[ci], p.c_lon[ci], p.v_lat[vi], p.v_lon[vi])
    with np.errstate(invalid="ignore"):
        flag(km > p.c_max_km[ci], Reason.DISTANCE)
    contractor = p.v_contractor[vi]
    known = contractor >= 0
    worked = np.zeros(len(ci), dtype=bool)
    if constant(contractor) and known[0]:
        worked = column(p.c_previous, int(contractor[0]), ci) > 0
    elif known.any():
        worked[known] = np.asarray(p.c_previous[ci[known], contractor[known]]).ravel() > 0
    flag(worked, Reason.PREVIOUS_EMPLOYER)
    group = p.c_group[ci]
    flag((group >= 0) & ~p.v_allowed_groups[vi, np.maximum(group, 0)], Reason.TARGET_GROUP)
    flag(~p.v_additional[vi], Reason.NOT_ADDITIONAL)
    return Screen(ci, vi, r, km, hard_missing, soft_gaps, lic_missing.astype(float))


def reason_codes(bits: int) -> list[str]:
    return [REASON_TEXT[reason][0] for reason in Reason if bits & reason]


def reason_texts(bits: int) -> list[str]:
    return [REASON_TEXT[reason][1] for reason in Reason if bits & reason]
