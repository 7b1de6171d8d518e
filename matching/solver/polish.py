"""Local search on a plan with the most placements: more capped value, then more retention.

A Lagrangian flow plans by weighted euros, so it wastes retention on obligations that already have
enough and may leave one just short of its need. Four moves repair that without changing the number
of placements: a free candidate takes an assigned one's place; an assigned candidate moves to a place
left open; two assigned candidates swap places; an assigned candidate takes another's place, who goes
free, while a free candidate takes the first one's place (a chain). A move is made only when it
raises the capped value, or keeps it and raises retention (the order of levels 2 and 3), so the plan
never gets worse. Deterministic: the moves are tried in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

PASSES = 4  # sweeps over all moves at most (a tenth of a second each at 600,000 arcs; most gain comes first)
_EPS = 1e-12


@dataclass(frozen=True)
class Polisher:
    """One component's arcs, indexed by vacancy and by candidate once for every plan polished: arcs
    ``(c, v)`` of obligation ``o`` (-1: none) worth ``value`` whole euros, ``need`` whole euros per
    obligation."""

    c: np.ndarray
    v: np.ndarray
    o: np.ndarray
    value: np.ndarray
    retention: np.ndarray
    capacity: np.ndarray
    need: np.ndarray
    by_v: np.ndarray
    v_start: np.ndarray
    by_c: np.ndarray
    c_start: np.ndarray

    @classmethod
    def build(
        cls,
        c: np.ndarray,
        v: np.ndarray,
        o: np.ndarray,
        *,
        value: np.ndarray,
        retention: np.ndarray,
        capacity: np.ndarray,
        need: np.ndarray,
    ) -> Polisher:
        n_c, n_v = (int(c.max()) + 1 if len(c) else 0), len(capacity)
        c, v, o = (np.ascontiguousarray(a, dtype=np.int64) for a in (c, v, o))
        v_start = np.zeros(n_v + 1, dtype=np.int64)
        np.cumsum(np.bincount(v, minlength=n_v), out=v_start[1:])
        c_start = np.zeros(n_c + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=n_c), out=c_start[1:])
        return cls(
            c,
            v,
            o,
            np.ascontiguousarray(value, dtype=np.int64),
            np.ascontiguousarray(retention, dtype=np.float64),
            np.ascontiguousarray(capacity, dtype=np.int64),
            np.ascontiguousarray(need, dtype=np.int64),
            np.argsort(v, kind="stable"),
            v_start,
            np.argsort(c, kind="stable"),
            c_start,
        )

    def run(self, x: np.ndarray, passes: int = PASSES) -> np.ndarray:
        """A plan at least as good as ``x`` (arc mask), with as many placements."""
        mate = np.full(len(self.c_start) - 1, -1, dtype=np.int64)
        chosen = np.flatnonzero(x)
        mate[self.c[chosen]] = chosen
        _improve(
            mate,
            self.c,
            self.v,
            self.o,
            self.value,
            self.retention,
            self.need,
            self.capacity,
            self.v_start,
            self.by_v,
            self.c_start,
            self.by_c,
            passes,
        )
        out = np.zeros(len(x), dtype=bool)
        out[mate[mate >= 0]] = True
        return out


@numba.njit(cache=True)
def _gain(  # noqa: PLR0917 - numba takes no keyword-only arguments
    planned: np.ndarray, need: np.ndarray, o1: int, d1: int, o2: int, d2: int
) -> int:  # pragma: no cover - numba
    """The change in capped value when obligation ``o1`` gains ``d1`` euros and ``o2`` gains ``d2``."""
    if o1 >= 0 and o1 == o2:
        d1 += d2
        o2 = -1
    gain = 0
    if o1 >= 0 and d1 != 0:
        gain += min(planned[o1] + d1, need[o1]) - min(planned[o1], need[o1])
    if o2 >= 0 and d2 != 0:
        gain += min(planned[o2] + d2, need[o2]) - min(planned[o2], need[o2])
    return gain


@numba.njit(cache=True)
def _better(gain: int, kept: float) -> bool:  # pragma: no cover - numba
    return gain > 0 or (gain == 0 and kept > _EPS)


@numba.njit(cache=True)
def _improve(  # noqa: PLR0917 - numba takes no keyword-only arguments
    mate: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    o: np.ndarray,
    value: np.ndarray,
    retention: np.ndarray,
    need: np.ndarray,
    capacity: np.ndarray,
    v_start: np.ndarray,
    by_v: np.ndarray,
    c_start: np.ndarray,
    by_c: np.ndarray,
    passes: int,
) -> None:  # pragma: no cover - numba
    n_c, n_v = len(mate), len(capacity)
    planned = np.zeros(len(need), dtype=np.int64)
    slot_start = np.zeros(n_v + 1, dtype=np.int64)
    for j in range(n_v):
        slot_start[j + 1] = slot_start[j] + capacity[j]
    slots = np.full(slot_start[n_v], -1, dtype=np.int64)  # the arcs placed at each vacancy, -1: open
    used = np.zeros(n_v, dtype=np.int64)
    for r in range(n_c):
        a = mate[r]
        if a >= 0:
            if o[a] >= 0:
                planned[o[a]] += value[a]
            slots[slot_start[v[a]] + used[v[a]]] = a
            used[v[a]] += 1
    at = np.zeros(n_c, dtype=np.int64)  # the arc from each candidate to the vacancy last indexed
    mark = np.zeros(n_c, dtype=np.int64)
    free = np.empty(len(c), dtype=np.int64)  # the arcs from free candidates to it
    stamp, n_free, fill, fill_gain, fill_kept = 0, 0, -1, 0, 0.0
    for _ in range(passes):
        moved = 0
        # a free candidate takes the place of an assigned one (the best such exchange per arc)
        for j in range(n_v):
            for k in range(v_start[j], v_start[j + 1]):
                b = by_v[k]
                if mate[c[b]] >= 0:
                    continue
                pick, pick_gain, pick_kept = -1, 0, 0.0
                for s in range(slot_start[j], slot_start[j + 1]):
                    a = slots[s]
                    if a < 0:
                        continue
                    gain = _gain(planned, need, o[a], -value[a], o[b], value[b])
                    kept = retention[b] - retention[a]
                    if _better(gain, kept) and (pick < 0 or _better(gain - pick_gain, kept - pick_kept)):
                        pick, pick_gain, pick_kept = s, gain, kept
                if pick >= 0:
                    a = slots[pick]
                    if o[a] >= 0:
                        planned[o[a]] += value[b] - value[a]
                    mate[c[a]] = -1
                    mate[c[b]] = b
                    slots[pick] = b
                    moved += 1
        # an assigned candidate r moves to an open place; or to a taken one, whose candidate either
        # takes r's place (a swap) or goes free while a free candidate takes r's place (a chain)
        for r in range(n_c):
            stale = True
            for k in range(c_start[r], c_start[r + 1]):
                a = mate[r]
                if a < 0:
                    break
                b = by_c[k]
                j, w = v[a], v[b]
                if stale:  # index r's vacancy: who else may take r's place there, the free first
                    stale = False
                    stamp += 1
                    n_free, fill, fill_gain, fill_kept = 0, -1, 0, 0.0
                    for i in range(v_start[j], v_start[j + 1]):
                        f = by_v[i]
                        at[c[f]] = f
                        mark[c[f]] = stamp
                        if mate[c[f]] < 0:
                            free[n_free] = f
                            n_free += 1
                            gain = _gain(planned, need, o[a], value[f] - value[a], -1, 0)
                            kept = retention[f] - retention[a]
                            if fill < 0 or _better(gain - fill_gain, kept - fill_kept):
                                fill, fill_gain, fill_kept = f, gain, kept
                if w == j:
                    continue
                if used[w] < capacity[w]:
                    gain = _gain(planned, need, o[a], -value[a], o[b], value[b])
                    if _better(gain, retention[b] - retention[a]):
                        if o[a] >= 0:
                            planned[o[a]] -= value[a]
                        if o[b] >= 0:
                            planned[o[b]] += value[b]
                        _take(slots, slot_start, j, a, -1)
                        _take(slots, slot_start, w, -1, b)
                        used[j] -= 1
                        used[w] += 1
                        mate[r] = b
                        moved += 1
                        stale = True
                    continue
                for s in range(slot_start[w], slot_start[w + 1]):
                    a2 = slots[s]
                    if a2 < 0:
                        continue
                    if mark[c[a2]] == stamp:  # a swap: a2's candidate takes r's place
                        b2 = at[c[a2]]
                        gain = _gain(planned, need, o[a], value[b2] - value[a], o[b], value[b] - value[a2])
                        kept = retention[b] + retention[b2] - retention[a] - retention[a2]
                        if _better(gain, kept):
                            if o[a] >= 0:
                                planned[o[a]] += value[b2] - value[a]
                            if o[b] >= 0:
                                planned[o[b]] += value[b] - value[a2]
                            _take(slots, slot_start, j, a, b2)
                            slots[s] = b
                            mate[r] = b
                            mate[c[a2]] = b2
                            moved += 1
                            stale = True
                            break
                    # a chain: a2's candidate goes free, the best free candidate takes r's place
                    f, gain, kept = fill, 0, 0.0
                    if o[a] >= 0 and o[a] == o[b]:  # one obligation: the best filler depends on both
                        f = -1
                        for q in range(n_free):
                            g = _gain(planned, need, o[a], value[free[q]] - value[a] + value[b] - value[a2], -1, 0)
                            kk = retention[free[q]] - retention[a] + retention[b] - retention[a2]
                            if f < 0 or _better(g - gain, kk - kept):
                                f, gain, kept = free[q], g, kk
                    elif f >= 0:
                        gain = fill_gain + _gain(planned, need, o[b], value[b] - value[a2], -1, 0)
                        kept = fill_kept + retention[b] - retention[a2]
                    if f >= 0 and _better(gain, kept):
                        if o[a] >= 0:
                            planned[o[a]] += value[f] - value[a]
                        if o[b] >= 0:
                            planned[o[b]] += value[b] - value[a2]
                        _take(slots, slot_start, j, a, f)
                        slots[s] = b
                        mate[r] = b
                        mate[c[a2]] = -1
                        mate[c[f]] = f
                        moved += 1
                        stale = True
                        break
        if moved == 0:
            return


@numba.njit(cache=True)
def _take(slots: np.ndarray, slot_start: np.ndarray, j: int, old: int, new: int) -> None:  # pragma: no cover
    for s in range(slot_start[j], slot_start[j + 1]):
        if slots[s] == old:
            slots[s] = new
            return
