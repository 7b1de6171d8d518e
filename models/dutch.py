"""How Koppelaar writes numbers for people, the one way everywhere: the page's server side, reports, the CLI."""

from __future__ import annotations

import math


def euros(value: float | None) -> str:
    """Euros the Dutch way, whole: ``€ 1.076.350`` (``–`` when unknown)."""
    if value is None or math.isnan(value):
        return "–"
    whole = f"{abs(value):,.0f}".replace(",", ".")
    return f"-€ {whole}" if round(value) < 0 else f"€ {whole}"


def plural(count: int, one: str, many: str) -> str:
    """``1 maand``, ``2 maanden``, ``1.250 kandidaten``: the count with its noun in the right number."""
    return f"{count:,} {one if count == 1 else many}".replace(",", ".")


__all__ = ["euros", "plural"]
