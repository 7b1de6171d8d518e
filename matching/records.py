"""The record layout of a prepared dataset: what the rules, the compiled kernels and the score bound read
of each candidate and vacancy, in one place.

A candidate's scalars sit side by side in one row of :attr:`Records.candidates` (the ``C_*`` columns):
a compiled loop reads one candidate's record with one cache miss, not twenty. Vacancy scalars are
plain arrays, since a vacancy is read once for many candidates. Dates are float days since the epoch
(NaN: unknown) and locations unit vectors, as :mod:`matching.rulebook` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matching import rulebook as rb

if TYPE_CHECKING:
    from matching.prepare import Prepared

# the columns of a candidate record
(
    C_CONSENT,
    C_MATCHABLE,
    C_LANG,
    C_EDU,
    C_PHYS,
    C_HMIN,
    C_HMAX,
    C_AVAIL,
    C_UX,
    C_UY,
    C_UZ,
    C_CHORD2_MAX,
    C_MAX_KM,
    C_GROUP,
    C_HAS_SKILLS,
    C_HAS_OCC,
    C_HAS_TEXT,
    C_LICENCES,
    C_COMPLETE,
    C_LOC,
    C_LAT,
    C_LON,
    C_CLASS,
) = range(23)
C_WIDTH = 23


def bit_masks(held: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix (at most 63 columns) as the bits of one integer."""
    return np.asarray((np.asarray(held, dtype=np.int64) << np.arange(held.shape[1])).sum(axis=1), dtype=np.int64)


@dataclass(frozen=True)
class Records:
    """Candidate records and vacancy scalars of one prepared dataset, and the settings the rules read."""

    candidates: np.ndarray  # a row per candidate, the C_* columns
    v_start: np.ndarray  # float days, NaN: unknown
    v_ux: np.ndarray  # unit vectors of the vacancies' locations (NaN: unknown)
    v_uy: np.ndarray
    v_uz: np.ndarray
    v_licences: np.ndarray  # bit mask of the licences asked for
    today: float  # float days
    grace: float  # days a candidate may become available after a place opens
    hours_below_min: float  # hours a place may lie below the candidate's minimum

    def column(self, col: int) -> np.ndarray:
        """One column of the candidate records (a view)."""
        return self.candidates[:, col]

    @property
    def c_available(self) -> np.ndarray:
        return self.column(C_AVAIL)

    @property
    def c_ux(self) -> np.ndarray:
        return self.column(C_UX)

    @property
    def c_uy(self) -> np.ndarray:
        return self.column(C_UY)

    @property
    def c_uz(self) -> np.ndarray:
        return self.column(C_UZ)

    @property
    def c_chord2_max(self) -> np.ndarray:
        return self.column(C_CHORD2_MAX)

    @property
    def settings(self) -> np.ndarray:
        """The settings as the kernels take them: hours below the minimum, today, grace."""
        return np.array([self.hours_below_min, self.today, self.grace])


def build_records(
    p: Prepared, completeness: np.ndarray, *, before: Records | None = None, rows: np.ndarray | None = None
) -> Records:
    """The records of ``p`` (``completeness``: each candidate's profile completeness feature). ``before``
    and ``rows``: the records of a prepared dataset whose candidates ``p`` holds but for the rows ``rows``,
    replaced in place; only those rows (and any whose reach class was numbered anew, as a class came or
    went) are worked out, into a copy (``before`` is never changed)."""
    if before is not None and rows is not None:
        rows = np.union1d(rows, np.flatnonzero(before.column(C_CLASS) != p.c_reach_class))
    if before is None or rows is None:
        candidates = _candidate_records(p, completeness, slice(None))
    elif len(rows):
        candidates = before.candidates.copy()
        candidates[rows] = _candidate_records(p, completeness, rows)
    else:
        candidates = before.candidates
    vx, vy, vz = rb.unit_vectors(p.v_lat, p.v_lon)
    return Records(
        candidates=candidates,
        v_start=rb.float_days(p.v_start),
        v_ux=vx,
        v_uy=vy,
        v_uz=vz,
        v_licences=bit_masks(p.v_licences),
        today=float(np.datetime64(p.config.today, "D").view(np.int64)),
        grace=float(p.config.availability_grace_days),
        hours_below_min=float(p.config.hours_below_min),
    )


def _candidate_records(p: Prepared, completeness: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
    """The records of the candidates ``rows`` of ``p`` (a record depends on its own candidate alone)."""
    lat, lon, max_km = p.c_lat[rows], p.c_lon[rows], p.c_max_km[rows]
    ux, uy, uz = rb.unit_vectors(lat, lon)
    columns = {
        C_CONSENT: p.c_consent[rows],
        C_MATCHABLE: p.c_matchable[rows],
        C_LANG: p.c_lang[rows],
        C_EDU: p.c_edu[rows],
        C_PHYS: p.c_phys[rows],
        C_HMIN: p.c_hmin[rows],
        C_HMAX: p.c_hmax[rows],
        C_AVAIL: rb.float_days(p.c_available[rows]),
        C_UX: ux,
        C_UY: uy,
        C_UZ: uz,
        C_CHORD2_MAX: rb.ufunc(rb.chord2_of_km)(max_km),
        C_MAX_KM: max_km,
        C_GROUP: p.c_group[rows],
        C_HAS_SKILLS: p.c_has_skills[rows],
        C_HAS_OCC: p.c_has_occ[rows],
        C_HAS_TEXT: p.c_has_text[rows],
        C_LICENCES: bit_masks(p.c_licences[rows]),
        C_COMPLETE: completeness[rows],
        C_LOC: p.c_loc[rows],
        C_LAT: lat,
        C_LON: lon,
        C_CLASS: p.c_reach_class[rows],
    }
    records = np.zeros((len(lat), C_WIDTH))
    for col, values in columns.items():
        records[:, col] = values
    return records
