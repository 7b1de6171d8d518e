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


def build_records(p: Prepared, completeness: np.ndarray) -> Records:
    """The records of ``p`` (``completeness``: each candidate's profile completeness feature)."""
    ux, uy, uz = rb.unit_vectors(p.c_lat, p.c_lon)
    columns = {
        C_CONSENT: p.c_consent,
        C_MATCHABLE: p.c_matchable,
        C_LANG: p.c_lang,
        C_EDU: p.c_edu,
        C_PHYS: p.c_phys,
        C_HMIN: p.c_hmin,
        C_HMAX: p.c_hmax,
        C_AVAIL: rb.float_days(p.c_available),
        C_UX: ux,
        C_UY: uy,
        C_UZ: uz,
        C_CHORD2_MAX: rb.ufunc(rb.chord2_of_km)(p.c_max_km),
        C_MAX_KM: p.c_max_km,
        C_GROUP: p.c_group,
        C_HAS_SKILLS: p.c_has_skills,
        C_HAS_OCC: p.c_has_occ,
        C_HAS_TEXT: p.c_has_text,
        C_LICENCES: bit_masks(p.c_licences),
        C_COMPLETE: completeness,
        C_LOC: p.c_loc,
        C_LAT: p.c_lat,
        C_LON: p.c_lon,
        C_CLASS: p.c_reach_class,
    }
    candidates = np.zeros((p.n_candidates, C_WIDTH))
    for col, values in columns.items():
        candidates[:, col] = values
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
