"""The engine interface without a cluster: the local engine, the choice of engine, and the core
working on a machine without Dask (the extra is optional)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from matching.engines import EngineError, LocalEngine, make_engine

ROOT = Path(__file__).resolve().parents[2]


def _square_plus(offset: int, x: int) -> int:
    return x * x + offset


def test_the_local_engine_maps_in_order_and_reports_each_item() -> None:
    seen: list[tuple[int, int]] = []
    with make_engine("local") as engine:
        assert isinstance(engine, LocalEngine)
        assert engine.workers == 1
        shared = engine.share(10)
        assert engine.map(_square_plus, [1, 2, 3], shared=(shared,), done=lambda d, n: seen.append((d, n))) == [
            11,
            14,
            19,
        ]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    got: dict[int, int] = {}
    assert LocalEngine().map(_square_plus, [4, 5], shared=(0,), consume=got.__setitem__) == []
    assert got == {0: 16, 1: 25}


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("spark", {}, "unknown engine 'spark': choose one of local, dask"),
        ("local", {"workers": 2}, "--scheduler and --workers need --engine dask"),
        ("local", {"scheduler": "tcp://h:8786"}, "--scheduler and --workers need --engine dask"),
        ("dask", {"workers": 0}, "--workers 0: must be a whole number ≥ 1"),
        ("dask", {"workers": 2, "scheduler": "tcp://h:8786"}, "either --scheduler"),
    ],
)
def test_a_wrong_engine_choice_is_a_clear_error(name: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(EngineError, match=message.replace("(", r"\(")):
        make_engine(name, **options)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_core_runs_without_dask_and_the_dask_engine_says_how_to_install_it() -> None:
    """In a Python where Dask cannot be imported: the product imports and plans with the local
    engine, and asking for the dask engine is an error naming the install command."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["dask"] = None
        sys.modules["distributed"] = None
        from datetime import date
        import api.cli
        from data.synthetic.generator import WorldConfig, generate_world
        from matching.engines import EngineError, make_engine
        from matching.plan import make_plan
        from matching.prepare import MatchConfig, Prepared

        world = generate_world(WorldConfig(candidates=200, vacancies=50, seed=2))
        p = Prepared(world, config=MatchConfig(today=date(2026, 10, 1)))
        result = make_plan(p, engine=make_engine("local"))
        assert len(result.plan) > 0 and result.summary["engine"]["name"] == "local"
        try:
            make_engine("dask", workers=2)
        except EngineError as exc:
            print(exc)
        assert not any(name.startswith(("dask", "distributed")) and sys.modules[name] is not None
                       for name in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "the dask engine needs" in out.stdout
    assert "pip install 'koppelaar[dask]'" in out.stdout
