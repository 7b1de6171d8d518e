"""The assignment problem as plain arrays, and the solver's typed result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.errors import KoppelaarError


class SolverError(KoppelaarError):
    """Coach decisions that cannot all hold (e.g. two locked places for one candidate)."""


@dataclass(frozen=True)
class Problem:
    """Candidates, places and the scored pairs between them (arcs).

    Every candidate takes at most one place; vacancy ``v`` offers ``capacity[v]`` places. Arc ``a``
    counts towards obligation ``arc_obligation[a]`` (-1: none), which still needs ``need[o]`` euros:
    the obligation depends on the candidate too (:func:`models.valuation.credited_obligations`). An
    arc's ``value`` is the euros its placement would add to it; ``retention`` its score (the predicted
    probability that it lasts 6 months, or the rule score). ``locked`` arcs are placed whatever else
    happens, ``forbidden`` arcs never.
    """

    n_candidates: int
    arc_c: np.ndarray
    arc_v: np.ndarray
    value: np.ndarray
    retention: np.ndarray
    capacity: np.ndarray
    arc_obligation: np.ndarray
    need: np.ndarray
    locked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    forbidden: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n_arcs(self) -> int:
        return len(self.arc_c)

    @property
    def n_vacancies(self) -> int:
        return len(self.capacity)

    def locked_mask(self) -> np.ndarray:
        return self.locked if len(self.locked) else np.zeros(self.n_arcs, dtype=bool)

    def forbidden_mask(self) -> np.ndarray:
        return self.forbidden if len(self.forbidden) else np.zeros(self.n_arcs, dtype=bool)

    def sroi(self, chosen: np.ndarray) -> float:
        """Level 2 of a set of arcs: Σ over obligations of min(need, value planned for it)."""
        planned = self.planned_value(chosen)
        return float(np.minimum(planned, self.need).sum())

    def planned_value(self, chosen: np.ndarray) -> np.ndarray:
        o = self.arc_obligation[chosen]
        counted = o >= 0
        return np.bincount(o[counted], weights=self.value[chosen][counted], minlength=len(self.need))


@dataclass
class Solution:
    """The chosen arcs and the three objective levels, with bounds, status and how it was solved."""

    chosen: np.ndarray  # arc indices, sorted
    placements: int  # level 1 (exact: a maximum)
    sroi_eur: float  # level 2
    sroi_bound_eur: float  # no plan with as many placements does better
    retention: float  # level 3: expected placements lasting 6 months
    retention_bound: float
    status: str  # "optimal" when levels 2 and 3 are proven optimal, else "feasible"
    components: int
    methods: dict[str, int] = field(default_factory=dict)  # components per method
    solve_seconds: float = 0.0

    @property
    def sroi_gap(self) -> float:
        return _gap(self.sroi_eur, self.sroi_bound_eur)

    @property
    def retention_gap(self) -> float:
        return _gap(self.retention, self.retention_bound)


def _gap(value: float, bound: float) -> float:
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - value) / bound)
