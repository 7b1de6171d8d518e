"""The benchmark runner works (at a tiny scale): `make bench` must not rot between issues."""

from __future__ import annotations

import subprocess
import sys


def test_benchmark_runner_prints_figures_at_small_scale() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "generator", "--scale", "0.002", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "generate 200 candidates × 40 vacancies: median" in result.stdout
    assert "peak RSS" in result.stdout
    assert "errors: 0" in result.stdout


def test_unknown_benchmark_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "nope"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert "unknown benchmark(s) nope" in result.stderr
