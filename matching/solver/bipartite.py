"""Largest assignments with capacities (rows once, column ``j`` up to ``capacity[j]`` times), in numba.

- :func:`maximum_matching`, the count of level 1 over tens of millions of eligible pairs: a greedy
  start, then Hopcroft–Karp phases of shortest augmenting paths from the columns that still have
  room (a breadth-first search lays the columns out in layers, depth-first searches along the
  layers augment).
- :class:`Bipartite`, the same with integer weights: the most pairs, then the most weight, by
  successive shortest paths (Dijkstra with potentials) from the columns, exact like OR-Tools'
  min-cost flow and several times faster on the batch match's graphs, where places are scarce.

Both are exact, and the same input always gives the same assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from ortools.graph.python import min_cost_flow

_FREE = -1
_UNREACHED = np.iinfo(np.int64).max
# arcs the shortest-path searches may look at, per arc, before OR-Tools takes over. The batch match's
# components need about 50 per arc at 200,000 candidates and grow slowly with size (about 200 on a
# million candidates mixed into one component), where OR-Tools takes two to three times as long as
# searching on (its cost scaling pays for the large W · euros weights). Instances past this (nearly
# as many places as candidates, or random values without the match's structure) are where OR-Tools
# is the faster of the two.
SEARCH_BUDGET = 256


def maximum_matching(n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Which arcs form a largest assignment: each row at most once, column ``j`` at most
    ``capacity[j]`` times. Costs play no part: this is the exact count of level 1."""
    capacity, rows, cols = _arcs(n_rows, capacity, rows, cols)
    if not len(rows):
        return np.zeros(0, dtype=bool)
    start, order = _by_column(cols, len(capacity))
    mate = _match(n_rows, capacity, rows, cols, start, order)
    chosen = np.zeros(len(rows), dtype=bool)
    chosen[mate[mate >= 0]] = True
    return chosen


def _arcs(
    n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The capacities and arcs as contiguous arrays, checked: one row and one column per arc, in range."""
    rows, cols = np.ascontiguousarray(rows), np.ascontiguousarray(cols)
    capacity = np.ascontiguousarray(capacity, dtype=np.int64)
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError("rows and cols must be 1-d arrays of the same length")
    if len(rows) and (rows.min() < 0 or rows.max() >= n_rows or cols.min() < 0 or cols.max() >= len(capacity)):
        raise ValueError("an arc names a row or a column out of range")
    return capacity, rows, cols


@numba.njit(cache=True, nogil=True)
def _by_column(cols: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Where each column's arcs start, and the arcs grouped by column in their given order (a stable
    counting sort; empty when they already are, the usual case, so that 40 million arcs are not copied)."""
    start = np.zeros(n_cols + 1, dtype=np.int64)
    grouped = True
    for a in range(len(cols)):
        start[cols[a] + 1] += 1
        if a > 0 and cols[a] < cols[a - 1]:
            grouped = False
    for j in range(n_cols):
        start[j + 1] += start[j]
    if grouped:
        return start, np.empty(0, dtype=np.int64)
    order = np.empty(len(cols), dtype=np.int64)
    fill = start[:-1].copy()
    for a in range(len(cols)):
        order[fill[cols[a]]] = a
        fill[cols[a]] += 1
    return start, order


@numba.njit(cache=True, nogil=True)
def _match(  # noqa: PLR0917 - numba takes no keyword-only arguments
    n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, start: np.ndarray, order: np.ndarray
) -> np.ndarray:  # pragma: no cover - numba
    """The arc that assigns each row, or -1: greedy, then Hopcroft–Karp phases until no column with
    room reaches a free row by an alternating path."""
    n_cols = len(capacity)
    grouped = len(order) == 0
    mate = np.full(n_rows, _FREE, dtype=np.int64)
    used = np.zeros(n_cols, dtype=np.int64)
    for j in range(n_cols):
        for k in range(start[j], start[j + 1]):
            if used[j] >= capacity[j]:
                break
            a = k if grouped else order[k]
            if mate[rows[a]] == _FREE:
                mate[rows[a]] = a
                used[j] += 1
    dist = np.empty(n_cols, dtype=np.int64)
    queue = np.empty(n_cols, dtype=np.int64)
    cursor = np.empty(n_cols, dtype=np.int64)
    path = np.empty(n_cols + 1, dtype=np.int64)
    via = np.empty(n_cols + 1, dtype=np.int64)
    while True:
        # breadth first from the columns with room, up to the first layer that reaches a free row
        tail = 0
        for j in range(n_cols):
            dist[j] = _UNREACHED
            if used[j] < capacity[j]:
                dist[j] = 0
                queue[tail] = j
                tail += 1
        limit = _UNREACHED
        head = 0
        while head < tail:
            j = queue[head]
            head += 1
            if dist[j] + 1 >= limit:
                break
            for k in range(start[j], start[j + 1]):
                a = k if grouped else order[k]
                m = mate[rows[a]]
                if m == _FREE:
                    limit = dist[j] + 1
                elif dist[cols[m]] == _UNREACHED:
                    dist[cols[m]] = dist[j] + 1
                    queue[tail] = cols[m]
                    tail += 1
        if limit == _UNREACHED:
            return mate  # no augmenting path is left: a largest assignment
        # depth first along the layers from each column with room, until it is full or stuck
        cursor[:] = start[:-1]
        for root in range(n_cols):
            if dist[root] != 0:
                continue
            while used[root] < capacity[root]:
                if not _augment(root, rows, cols, order, grouped, start, mate, dist, cursor, path, via, limit):
                    break
                used[root] += 1


@numba.njit(cache=True, nogil=True)
def _augment(  # noqa: PLR0917 - numba takes no keyword-only arguments
    root: int,
    rows: np.ndarray,
    cols: np.ndarray,
    order: np.ndarray,
    grouped: bool,
    start: np.ndarray,
    mate: np.ndarray,
    dist: np.ndarray,
    cursor: np.ndarray,
    path: np.ndarray,
    via: np.ndarray,
    limit: int,
) -> bool:  # pragma: no cover - numba
    """One augmenting path from ``root`` along the layers (iterative depth first), applied if found.
    A column that leads nowhere is taken out of the layers for the rest of the phase."""
    depth = 0
    path[0] = root
    while depth >= 0:
        j = path[depth]
        descended = False
        while cursor[j] < start[j + 1]:
            k = cursor[j]
            a = k if grouped else order[k]
            m = mate[rows[a]]
            if m == _FREE:
                via[depth] = a
                for i in range(depth + 1):
                    mate[rows[via[i]]] = via[i]
                cursor[j] += 1
                return True
            jj = cols[m]
            if dist[jj] == dist[j] + 1 and dist[jj] < limit:
                via[depth] = a
                depth += 1
                path[depth] = jj
                descended = True
                break
            cursor[j] += 1
        if not descended:
            dist[j] = _UNREACHED
            depth -= 1
            if depth >= 0:
                cursor[path[depth]] += 1
    return False


def reachable_columns(
    n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """The columns an alternating path reaches from a column with room, given an assignment
    (``chosen``, e.g. from :func:`maximum_matching`): along any arc from a column to its row, then
    along the chosen arc from that row to the column it is assigned to. When the assignment is a
    largest one, an arc outside the given ones can only make it larger if it leaves a reached column."""
    return column_distances(n_rows, capacity, rows, cols, chosen) >= 0


def column_distances(
    n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """Per column, the fewest steps (column, row, column) of an alternating path from a column with
    room to it, as in :func:`reachable_columns`: 0 for a column with room, -1 for one not reached."""
    capacity, rows, cols = _arcs(n_rows, capacity, rows, cols)
    if chosen.shape != rows.shape:
        raise ValueError("chosen must say for each arc whether it is chosen (the same length)")
    start, order = _by_column(cols, len(capacity))
    return _reach(n_rows, capacity, rows, cols, start, order, np.ascontiguousarray(chosen, dtype=np.bool_))


@numba.njit(cache=True, nogil=True)
def _reach(  # noqa: PLR0917 - numba takes no keyword-only arguments
    n_rows: int,
    capacity: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    start: np.ndarray,
    order: np.ndarray,
    chosen: np.ndarray,
) -> np.ndarray:  # pragma: no cover - numba
    n_cols = len(capacity)
    grouped = len(order) == 0
    assigned = np.full(n_rows, _FREE, dtype=np.int64)
    used = np.zeros(n_cols, dtype=np.int64)
    for a in range(len(rows)):
        if chosen[a]:
            assigned[rows[a]] = cols[a]
            used[cols[a]] += 1
    distance = np.full(n_cols, -1, dtype=np.int64)
    queue = np.empty(n_cols, dtype=np.int64)
    tail = 0
    for j in range(n_cols):
        if used[j] < capacity[j]:
            distance[j] = 0
            queue[tail] = j
            tail += 1
    head = 0
    while head < tail:  # breadth first: a column is first reached along a shortest path
        j = queue[head]
        head += 1
        for k in range(start[j], start[j + 1]):
            a = k if grouped else order[k]
            jj = assigned[rows[a]]
            if jj != _FREE and distance[jj] < 0:
                distance[jj] = distance[j] + 1
                queue[tail] = jj
                tail += 1
    return distance


# --- the weighted assignment: the most pairs, then the most weight --------------------------------


@dataclass(frozen=True)
class Bipartite:
    """Rows, columns with capacities, and the arcs between them grouped by column: built once, then
    solved for as many weights as needed (:meth:`best`)."""

    n_rows: int
    capacity: np.ndarray  # per column
    order: np.ndarray  # the arc at each position; positions are grouped by column
    start: np.ndarray  # where each column's positions start
    rows: np.ndarray  # the row at each position
    cols: np.ndarray  # the column at each position
    flows_max: int  # no assignment has more pairs

    @classmethod
    def build(cls, n_rows: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Bipartite:
        capacity = np.asarray(capacity, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(cols, kind="stable")
        start = np.zeros(len(capacity) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=len(capacity)), out=start[1:])
        has_arc = np.zeros(n_rows, dtype=bool)
        has_arc[rows] = True
        flows_max = min(int(has_arc.sum()), int(capacity.sum()))
        return cls(n_rows, capacity, order, start, rows[order], cols[order], flows_max)

    def best(self, weight: np.ndarray) -> np.ndarray:
        """Which arcs form a largest assignment of the greatest total integer ``weight`` among the
        largest ones (exact). Raises OverflowError when the weights are too large for exact 64-bit
        arithmetic (:func:`weight_limit`).

        Successive shortest paths are fast when places are scarce or candidates plentiful (the
        usual case: each search stops near its start); when nearly everyone can be placed the last
        searches grow long, so past :data:`SEARCH_BUDGET` arcs looked at per arc the same optimum
        comes from OR-Tools' min-cost flow. The budget counts work, not time: the same input always
        takes the same way and gives the same plan."""
        chosen = np.zeros(len(self.order), dtype=bool)
        if not len(self.order):
            return chosen
        w = np.asarray(weight, dtype=np.int64)[self.order]
        w = w - w.min()  # the same optimum: every largest assignment has as many pairs
        top = int(w.max())
        if top > weight_limit(self.flows_max):
            raise OverflowError("arc weights too large for exact 64-bit potentials; scale them down first")
        big = self.flows_max * top + 1
        budget = SEARCH_BUDGET * (len(w) + 2000)
        mate, finished = _ssp(self.n_rows, self.capacity, self.start, self.rows, self.cols, w, big, budget)
        if finished:
            chosen[self.order[mate[mate >= 0]]] = True
            return chosen
        used = self._min_cost_flow(w)
        if used is None:  # OR-Tools refuses the cost range: search to the end
            mate, _ = _ssp(self.n_rows, self.capacity, self.start, self.rows, self.cols, w, big, 2**62)
            chosen[self.order[mate[mate >= 0]]] = True
            return chosen
        chosen[self.order[used]] = True
        return chosen

    def _min_cost_flow(self, w: np.ndarray) -> np.ndarray | None:
        """The positions used by OR-Tools' maximum flow of minimum cost -w, or None if it fails."""
        n_rows, n_cols = self.n_rows, len(self.capacity)
        source, sink = n_rows + n_cols, n_rows + n_cols + 1
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([np.full(n_rows, source), self.rows, n_rows + np.arange(n_cols)]),
            np.concatenate([np.arange(n_rows), n_rows + self.cols, np.full(n_cols, sink)]),
            np.concatenate([np.ones(n_rows + len(self.rows), dtype=np.int64), self.capacity]),
            np.concatenate([np.zeros(n_rows, dtype=np.int64), -w, np.zeros(n_cols, dtype=np.int64)]),
        )
        flow.set_node_supply(source, self.flows_max)
        flow.set_node_supply(sink, -self.flows_max)
        if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
            return None
        pairs = np.arange(n_rows, n_rows + len(self.rows))
        return np.flatnonzero(flow.flows(pairs) > 0)


def weight_limit(flows_max: int) -> int:
    """The largest arc weight (above the smallest) that :meth:`Bipartite.best` takes for at most
    ``flows_max`` pairs: its potentials and distances stay below 8 · (flows_max + 1) times that."""
    return (2**63 - 1) // (8 * (flows_max + 2))


@numba.njit(cache=True, nogil=True)
def _push(keys: np.ndarray, nodes: np.ndarray, size: int, key: int, node: int) -> int:  # pragma: no cover
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    return size + 1


@numba.njit(cache=True, nogil=True)
def _pop(keys: np.ndarray, nodes: np.ndarray, size: int) -> int:  # pragma: no cover - numba
    """Drop the smallest entry (read it at position 0 first); returns the new size."""
    size -= 1
    key, node = keys[size], nodes[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        nodes[i] = nodes[child]
        i = child
    keys[i] = key
    nodes[i] = node
    return size


@numba.njit(cache=True, nogil=True)
def _ssp(  # noqa: PLR0917 - numba takes no keyword-only arguments
    n_rows: int,
    capacity: np.ndarray,
    start: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    weight: np.ndarray,
    big: int,
    budget: int,
) -> tuple[np.ndarray, bool]:  # pragma: no cover - numba
    """The position that assigns each row, or -1: successive shortest paths on columns → rows → sink,
    each column sending its capacity (a unit that reaches no free row ends on the column's idle arc to
    the sink). A pair costs -(big + weight), so one more pair outweighs any weight. Nodes: columns,
    rows, the sink; reduced cost: cost - pi[tail] + pi[head], never negative on a residual arc.
    Gives up (False) once the searches have looked at more than ``budget`` arcs."""
    n_cols = len(capacity)
    sink = n_cols + n_rows
    n = sink + 1
    inf = np.iinfo(np.int64).max
    # prices: each column at its best weight and every row at zero, so its best arcs are tight
    best = np.full(n_cols, -1, dtype=np.int64)
    for j in range(n_cols):
        for k in range(start[j], start[j + 1]):
            best[j] = max(best[j], weight[k])
    top = max(best.max(), 0)
    pi = np.zeros(n, dtype=np.int64)
    pi[n_cols:] = big + top
    mate = np.full(n_rows, -1, dtype=np.int64)
    used = np.zeros(n_cols, dtype=np.int64)  # units sent, to a row or idle
    idle = np.zeros(n_cols, dtype=np.int64)
    for j in range(n_cols):
        if best[j] < 0:
            continue
        pi[j] = top - best[j]
        for k in range(start[j], start[j + 1]):
            if used[j] >= capacity[j]:
                break
            if weight[k] == best[j] and mate[rows[k]] < 0:
                mate[rows[k]] = k
                used[j] += 1
    dist = np.full(n, inf, dtype=np.int64)
    pred = np.full(n, -1, dtype=np.int64)  # a row: the position it was reached by; a column: its row
    done = np.zeros(n, dtype=np.bool_)
    settled = np.empty(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    keys = np.empty(len(rows) + 2 * n, dtype=np.int64)
    nodes = np.empty(len(rows) + 2 * n, dtype=np.int64)
    work = 0
    for s in range(n_cols):
        while used[s] < capacity[s]:
            n_settled, n_touched, size = 0, 1, 1
            dist[s] = 0
            touched[0] = s
            keys[0], nodes[0] = 0, s
            while size > 0:
                du, u = keys[0], nodes[0]
                if du >= dist[sink]:
                    break  # nothing left is nearer than the sink (ties go to the sink: less to settle)
                size = _pop(keys, nodes, size)
                if done[u] or du > dist[u]:
                    continue
                done[u] = True
                settled[n_settled] = u
                n_settled += 1
                if u < n_cols:  # a column: to a row by an arc it does not use, or idle to the sink
                    if idle[u] < capacity[u]:
                        nd = du + pi[sink] - pi[u]
                        if nd < dist[sink]:
                            if dist[sink] == inf:
                                touched[n_touched] = sink
                                n_touched += 1
                            dist[sink], pred[sink] = nd, u
                    base = du - big - pi[u]
                    work += start[u + 1] - start[u]
                    for k in range(start[u], start[u + 1]):
                        r = rows[k]
                        node = n_cols + r
                        if done[node] or mate[r] == k:
                            continue
                        nd = base - weight[k] + pi[node]
                        if nd < dist[node]:
                            if dist[node] == inf:
                                touched[n_touched] = node
                                n_touched += 1
                            dist[node], pred[node] = nd, k
                            size = _push(keys, nodes, size, nd, node)
                else:  # a row: free to the sink, or back to the column it is assigned to
                    k = mate[u - n_cols]
                    if k < 0:
                        nd = du + pi[sink] - pi[u]
                        if nd < dist[sink]:
                            if dist[sink] == inf:
                                touched[n_touched] = sink
                                n_touched += 1
                            dist[sink], pred[sink] = nd, u
                    else:
                        j = cols[k]
                        if not done[j]:
                            nd = du + big + weight[k] - pi[u] + pi[j]
                            if nd < dist[j]:
                                if dist[j] == inf:
                                    touched[n_touched] = j
                                    n_touched += 1
                                dist[j], pred[j] = nd, u
                                size = _push(keys, nodes, size, nd, j)
            reach = dist[sink]
            for i in range(n_settled):
                u = settled[i]
                pi[u] += reach - dist[u]
            # augment back from the sink to s; every row on the path moves to the column before it
            u = pred[sink]
            if u < n_cols:  # ends idle at column u, which hands its row on (unless it is s)
                idle[u] += 1
                u = pred[u] if u != s else -1
            while u >= n_cols:
                k = pred[u]
                mate[u - n_cols] = k
                j = cols[k]
                u = pred[j] if j != s else -1
            used[s] += 1
            for i in range(n_touched):
                dist[touched[i]] = inf
                done[touched[i]] = False
            if work > budget:
                return mate, False
    return mate, True
