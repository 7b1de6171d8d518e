"""Settings come from KOPPELAAR_* variables with safe defaults, and refuse paths that do not exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_defaults_are_the_embedded_store_and_built_ins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("KOPPELAAR_DATABASE_URL", "KOPPELAAR_POSTCODES", "KOPPELAAR_TAXONOMY"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.database_url.startswith("sqlite:///")
    assert s.postcodes is None
    assert s.taxonomy is None


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, shared_data: Path) -> None:
    table = shared_data / "geo" / "pc4_centroids_geonames.txt"
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", "postgresql+psycopg://127.0.0.1/test")
    monkeypatch.setenv("KOPPELAAR_POSTCODES", str(table))
    s = Settings()
    assert s.database_url == "postgresql+psycopg://127.0.0.1/test"
    assert s.postcodes == table


def test_a_postcode_table_that_does_not_exist_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOPPELAAR_POSTCODES", str(tmp_path / "missing.txt"))
    with pytest.raises(ValidationError, match="KOPPELAAR_POSTCODES points to"):
        Settings()


def test_hours_below_min_reaches_the_matching_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from api.bootstrap import Runtime

    assert Settings().hours_below_min == 0.0  # a place below a candidate's minimum hours does not fit
    monkeypatch.setenv("KOPPELAAR_HOURS_BELOW_MIN", "4")
    assert Runtime(Settings()).match_config(date(2026, 10, 1)).hours_below_min == 4.0
    monkeypatch.setenv("KOPPELAAR_HOURS_BELOW_MIN", "-1")
    with pytest.raises(ValidationError):
        Settings()
