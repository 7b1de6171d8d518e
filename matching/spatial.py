"""Where things are: points on the sphere as unit vectors in a k-d tree.

The straight-line (chord) distance between unit vectors orders points exactly as the great-circle
distance does, and it is what the rule book's distance rule reads (:func:`matching.rulebook.chord2`),
so "nearest" and "within reach" here agree with eligibility everywhere. :class:`SphereIndex` answers
the nearest place to a point and the places within a radius of a point; :func:`compact_order` orders
points so that runs of them lie close together (blocks of nearby candidates).

The batch match's own question, "which candidates are within their travel distance of a vacancy",
is answered inside the compiled sweep from latitude bands per class of travel radius
(:meth:`matching.prepare.Prepared.reach_boxes`): boxes a compiled loop can test without a tree.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from matching.rulebook import chord2_of_km, ufunc, unit_vectors


def units(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points as rows of unit vectors (NaN where unknown)."""
    return np.column_stack(unit_vectors(lat, lon))


def chord_of_km(km: np.ndarray | float) -> np.ndarray:
    """The chord (straight-line distance between unit vectors) of a great-circle distance in km: the
    root of the rule book's squared chord, so a radius here means what the distance rule reads."""
    return np.asarray(np.sqrt(ufunc(chord2_of_km)(np.asarray(km, dtype=float))))


class SphereIndex:
    """The located points among ``lat``/``lon`` in a k-d tree of their unit vectors."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray) -> None:
        self.unit = units(lat, lon)
        self.located = np.flatnonzero(~np.isnan(self.unit).any(axis=1))
        self.unlocated = np.flatnonzero(np.isnan(self.unit).any(axis=1))
        self._tree = cKDTree(self.unit[self.located]) if len(self.located) else None

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The nearest located point to each query point (row; -1 when the query or the index has no location)."""
        out = np.full(len(lat), -1, dtype=np.int64)
        query = units(lat, lon)
        known = ~np.isnan(query).any(axis=1)
        if self._tree is None or not known.any():
            return out
        _, k = self._tree.query(query[known])
        out[known] = self.located[k]
        return out

    def within(self, centre: np.ndarray, chord: float) -> np.ndarray:
        """The located points within ``chord`` of the unit vector ``centre`` (rows, ascending)."""
        if self._tree is None:
            return np.zeros(0, dtype=np.int64)
        hits = np.asarray(self._tree.query_ball_point(centre, chord), dtype=np.int64)
        return np.asarray(self.located[np.sort(hits)], dtype=np.int64)


def compact_order(unit: np.ndarray) -> np.ndarray:
    """An order of the (located) points in which runs lie close together: a balanced k-d tree's leaves."""
    return np.asarray(cKDTree(unit, leafsize=32, balanced_tree=True).indices, dtype=np.int64)
