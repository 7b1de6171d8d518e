"""The runtime both ways in build from the settings: loaded once, each part built once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import api.bootstrap
import api.settings
from api.bootstrap import Runtime
from api.settings import Settings
from tests.conftest import DatasetFactory


def test_each_part_is_built_once_and_shared(tmp_path: Path) -> None:
    schemes = tmp_path / "schemes.toml"
    schemes.write_text('[schemes.regio_zuid]\nextends = "standaard"\n', "utf-8")
    runtime = Runtime(Settings(database_url="sqlite://", valuation_schemes=schemes))
    assert runtime.schemes is runtime.schemes
    assert {"standaard", "oost_nl", "regio_zuid"} <= runtime.known_schemes
    assert runtime.taxonomy is None  # the built-in taxonomy: the engine's default
    assert runtime.postcodes is None
    assert runtime.model is None


def test_match_loads_the_settings_once(
    make_dataset: DatasetFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli import app

    calls: list[Settings] = []
    load = api.settings.load_settings

    def counted() -> Settings:
        calls.append(load())
        return calls[-1]

    monkeypatch.setattr(api.bootstrap, "load_settings", counted)
    result = CliRunner().invoke(
        app, ["match", str(make_dataset()), "--out", str(tmp_path / "plan"), "--today", "2026-11-01"]
    )
    assert result.exit_code == 0, result.output
    assert len(calls) == 1


def test_the_http_side_imports_no_command_line() -> None:
    code = "import sys, api.http.app; print(sorted(m for m in sys.modules if m == 'typer' or m.startswith('api.cli')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
