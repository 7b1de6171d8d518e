"""Numbers as a coach reads them: decimal comma, dots between thousands."""

from __future__ import annotations

import pytest

from models.dutch import number


@pytest.mark.parametrize(
    ("value", "decimals", "written"),
    [(3.5, None, "3,5"), (3.0, None, "3"), (37.5, None, "37,5"), (12.0, 1, "12,0"), (1234.5, 1, "1.234,5")],
)
def test_a_number_has_a_decimal_comma(value: float, decimals: int | None, written: str) -> None:
    assert number(value, decimals) == written
