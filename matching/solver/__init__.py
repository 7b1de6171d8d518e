"""The assignment solver: who goes where, most placements first, then SROI value, then retention."""

from matching.solver.assignment import min_cost_assignment, min_cost_assignment_arcs
from matching.solver.bipartite import column_distances, maximum_matching, reachable_columns
from matching.solver.flow import Progress, solve
from matching.solver.problem import Problem, Solution, SolverError

__all__ = [
    "Problem",
    "Progress",
    "Solution",
    "SolverError",
    "column_distances",
    "maximum_matching",
    "min_cost_assignment",
    "min_cost_assignment_arcs",
    "reachable_columns",
    "solve",
]
