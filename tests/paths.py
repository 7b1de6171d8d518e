"""Where the tests and benchmarks find the data shared beside the repository (``../shared/data``):
the ESCO export, the postcode table, the skill extraction spans. Absent on a machine without it; the
tests that need it skip, the benchmarks say so."""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ESCO = SHARED_DATA / "esco"
#: The four-digit postcode centroids (GeoNames), as a user points ``KOPPELAAR_POSTCODES`` at them.
POSTCODES = SHARED_DATA / "geo" / "pc4_centroids_geonames.txt"
