"""The generic assignment entry point reaches the published optimum of every OR-Library instance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.solver import SolverError, min_cost_assignment, min_cost_assignment_arcs


def _optima(folder: Path) -> dict[str, int]:
    lines = (folder / "assignopt.txt").read_text().splitlines()[1:]
    return {parts[0]: int(parts[1]) for parts in (line.split() for line in lines) if len(parts) == 2}


@pytest.fixture
def folder(shared_data: Path) -> Path:
    return shared_data / "orlib_assign"


def _read(path: Path) -> tuple[int, np.ndarray]:
    numbers = np.array(path.read_text().split(), dtype=np.int64)
    return int(numbers[0]), numbers[1:]


@pytest.mark.parametrize(
    "name",
    [
        "assign100",
        "assign200",
        "assign300",
        "assign400",
        "assign500",
        "assign600",
        "assign700",
        "assignp800",
        "assignp1500",
        "assignp3000",
    ],
)
def test_the_published_optimum_is_reached(folder: Path, name: str) -> None:
    n, numbers = _read(folder / f"{name}.txt")
    if len(numbers) == n * n:  # a dense cost matrix, row by row
        costs = numbers.reshape(n, n)
        columns, total = min_cost_assignment(costs)
        assert total == costs[np.arange(n), columns].sum()
    else:  # sparse: (row, column, cost) triples, 1-based
        triples = numbers.reshape(-1, 3)
        rows, cols, costs = triples[:, 0] - 1, triples[:, 1] - 1, triples[:, 2]
        columns, total = min_cost_assignment_arcs(n, n, rows, cols, costs)
    assert len(np.unique(columns)) == n  # a true assignment: every column once
    assert total == _optima(folder)[name]


def test_impossible_assignments_are_refused() -> None:
    with pytest.raises(SolverError, match="no more rows than columns"):
        min_cost_assignment(np.zeros((3, 2), dtype=int))
    with pytest.raises(SolverError, match="whole numbers"):
        min_cost_assignment(np.zeros((2, 2)))
    with pytest.raises(SolverError, match="no assignment of every row"):
        min_cost_assignment_arcs(2, 2, np.array([0, 1]), np.array([0, 0]), np.array([1, 1]))
