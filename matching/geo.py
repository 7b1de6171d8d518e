"""Distances: haversine on WGS84 points, and PC4 postcode centroids from a GeoNames-layout table.

The table itself is read by an adapter (``api.loaders.read_postcodes``); this module only looks up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km, element-wise; NaN where a coordinate is unknown."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


def nearest(
    lat: np.ndarray, lon: np.ndarray, names: list[str], centre_lat: np.ndarray, centre_lon: np.ndarray
) -> np.ndarray:
    """Per point, the name of the nearest centre (``None`` where the point or every centre is unknown)."""
    out = np.full(len(lat), None, dtype=object)
    if not names:
        return out
    km = haversine_km(
        np.asarray(lat, dtype=float)[:, None],
        np.asarray(lon, dtype=float)[:, None],
        centre_lat[None, :],
        centre_lon[None, :],
    )
    known = ~np.isnan(km).all(axis=1)
    out[known] = np.asarray(names, dtype=object)[np.nanargmin(km[known], axis=1)]
    return out


@dataclass(frozen=True)
class PostcodeTable:
    """PC4 → centroid. A PC6 code is looked up by its first four digits."""

    centroids: dict[str, tuple[float, float]]

    @classmethod
    def from_columns(cls, postcodes: Sequence[str], lat: Sequence[float], lon: Sequence[float]) -> PostcodeTable:
        table: dict[str, tuple[float, float]] = {}
        for pc, la, lo in zip(postcodes, lat, lon, strict=True):
            key = str(pc).strip()[:4]
            if len(key) == 4 and key.isdigit() and np.isfinite(la) and np.isfinite(lo):
                table.setdefault(key, (float(la), float(lo)))
        return cls(table)

    def __len__(self) -> int:
        return len(self.centroids)

    def lookup(self, postcodes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Centroids of ``postcodes`` (NaN where missing or unknown)."""
        lat = np.full(len(postcodes), np.nan)
        lon = np.full(len(postcodes), np.nan)
        for i, pc in enumerate(postcodes):
            if isinstance(pc, str):
                hit = self.centroids.get(pc[:4])
                if hit is not None:
                    lat[i], lon[i] = hit
        return lat, lon


#: How a location was found, worst last: given coordinates, the postcode, the region's centre, unknown.
LOC_GIVEN, LOC_POSTCODE, LOC_REGION, LOC_UNKNOWN = 0, 1, 2, 3


def resolve_points(
    lat: pd.Series, lon: pd.Series, postcode: pd.Series, table: PostcodeTable | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates per row: given lat/lon, else the postcode's centroid; and how each was found."""
    la = lat.to_numpy(dtype=float, na_value=np.nan).copy()
    lo = lon.to_numpy(dtype=float, na_value=np.nan).copy()
    source = np.where(np.isnan(la) | np.isnan(lo), LOC_UNKNOWN, LOC_GIVEN)
    if table is not None and len(table):
        missing = source == LOC_UNKNOWN
        if missing.any():
            pla, plo = table.lookup(postcode[missing])
            la[missing], lo[missing] = pla, plo
            source[missing] = np.where(np.isnan(pla), LOC_UNKNOWN, LOC_POSTCODE)
    return la, lo, source
