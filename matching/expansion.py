"""Eligible candidates beyond a vacancy's kept list, for the exact maximum of placements.

A block (:mod:`matching.blocks`) keeps only each vacancy's best-scored candidates. The plan's exact
maximum (:meth:`matching.plan._Arcs.add_maximum_matching`) now and then needs more of a vacancy's
eligible candidates: either a few that the current assignment leaves free (usually enough to fill
the place), or, when those did not do, every one. Neither needs a score, so only the screen runs.
:func:`expand_block` is a pure function of the prepared dataset and the request, so an engine may
run it anywhere and again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.blocks import SWEEP_VACANCIES
from matching.kernels import sweep_pairs
from matching.prepare import Prepared


@dataclass(frozen=True)
class Expansion:
    """Vacancy rows (ascending); ``free``: the candidates the assignment leaves free, as
    :func:`numpy.packbits` of one flag per candidate row, with ``limit`` per vacancy the most of them
    to return; ``free`` None: return every eligible candidate."""

    vacancies: np.ndarray
    limit: np.ndarray
    free: np.ndarray | None = None


@dataclass
class Expanded:
    """Per vacancy of the request: the eligible candidate rows found (int32, ascending) and how many
    candidates are eligible in all (-1, not counted, when only free ones were asked for: that sweep
    stops as soon as it has them)."""

    vacancies: np.ndarray
    found: list[np.ndarray]
    n_eligible: np.ndarray


def expand_block(p: Prepared, _scorer: object, request: Expansion) -> Expanded:
    """Screen every candidate in reach of each vacancy of ``request`` and return its eligible ones
    (the free ones first-come by row, up to the limit, when ``free`` is given). ``_scorer`` is unused:
    an engine passes the same shared objects to every block function."""
    free = None
    if request.free is not None:
        free = np.unpackbits(request.free, count=p.n_candidates).astype(bool)
    found: list[np.ndarray] = []
    n_eligible = np.zeros(len(request.vacancies), dtype=np.int64)
    for lo in range(0, len(request.vacancies), SWEEP_VACANCIES):  # consecutive: found stays in order
        vs = request.vacancies[lo : lo + SWEEP_VACANCIES]
        if free is None:
            sw = sweep_pairs(p, vs)
        else:  # the first free ones by row: the sweep stops once every vacancy has its limit
            sw = sweep_pairs(p, vs, among=free, limit=request.limit[lo : lo + SWEEP_VACANCIES])
        for j in range(len(sw.offsets) - 1):
            eligible = sw.candidates[sw.offsets[j] : sw.offsets[j + 1]]
            n_eligible[lo + j] = len(eligible) if free is None else -1
            found.append(eligible.astype(np.int32))
    return Expanded(request.vacancies, found, n_eligible)
