"""How Koppelaar writes numbers for people, the one way everywhere: the page's server side, reports, the CLI."""

from __future__ import annotations

import math


def euros(value: float | None) -> str:
    """Euros the Dutch way, whole: ``€ 1.076.350`` (``–`` when unknown)."""
    if value is None or math.isnan(value):
        return "–"
    whole = f"{abs(value):,.0f}".replace(",", ".")
    return f"-€ {whole}" if round(value) < 0 else f"€ {whole}"


def number(value: float, decimals: int | None = None) -> str:
    """A number the Dutch way, with a decimal comma: ``3,5`` (``37,5 uur``); ``decimals`` fixes the digits
    after the comma (``12,0``), else as few as the value needs (``3``, ``3,5``)."""
    text = f"{value:g}" if decimals is None else f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def plural(count: int, one: str, many: str) -> str:
    """``1 maand``, ``2 maanden``, ``1.250 kandidaten``: the count with its noun in the right number."""
    return f"{count:,} {one if count == 1 else many}".replace(",", ".")


__all__ = ["euros", "number", "plural"]
