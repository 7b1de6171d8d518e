"""The benchmark runner works (at a tiny scale): `make bench` must not rot between issues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m tests.benchmarks ARGS`` in a child process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def test_benchmark_runner_prints_figures_at_small_scale() -> None:
    result = _bench("generator", "--scale", "0.002", "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert "generate 200 candidates × 40 vacancies: median" in result.stdout
    assert "peak RSS" in result.stdout
    assert "errors: 0" in result.stdout


def test_unknown_benchmark_is_a_usage_error() -> None:
    result = _bench("nope", timeout=60)
    assert result.returncode == 2
    assert "unknown benchmark(s) nope" in result.stderr


@pytest.mark.slow
def test_the_planning_benchmark_runs_at_small_scale() -> None:
    result = _bench("planning", "--scale", "0.01", "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert "(b) match 1,000 candidates × 200 vacancies: median" in result.stdout
    assert "solve_vs_bare_ratio" in result.stdout
    assert "expected_retained_greedy" in result.stdout


@pytest.mark.slow
def test_the_http_benchmark_runs_at_small_scale() -> None:
    """The real server (2 workers) on a fresh store: import, warm-up at start, load at 1 and 32 clients
    through the benchmark's own raw-socket client."""
    result = _bench("http", "--scale", "0.002")
    assert result.returncode == 0, result.stderr
    assert "import 200 candidates × 40 vacancies into SQLite (koppelaar import): median" in result.stdout
    assert "start the server (2 workers) and warm" in result.stdout
    assert "server_workers: 2" in result.stdout
    assert "server_ready_s" in result.stdout
    assert "first request Groningen_ms" in result.stdout
    assert "suggestions over HTTP at 1 client: median" in result.stdout
    assert "suggestions over HTTP at 32 clients: median" in result.stdout
    assert "readers and 4 writers for" in result.stdout
    assert "read only again after the writes" in result.stdout
    assert "lost_writes: 0" in result.stdout or "0 lost" in result.stdout
    # the two plain runs, the mixed run's three (reads, and writes as write_errors) and its writes
    assert result.stdout.count("errors: 0") == 6


@pytest.mark.slow
def test_the_quality_benchmark_runs_on_chosen_worlds_at_small_scale(tmp_path: Path) -> None:
    out = tmp_path / "quality.json"
    options = ["--scale", "0.07", "--worlds", "skills,coaching", "--json", str(out), "--rule-weight", "1"]
    result = _bench("quality", *options, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "AUC learned" in result.stdout
    assert "skills: 210 candidates × 84 vacancies: median" in result.stdout
    assert "AUC within 0.02 of the ceiling:" in result.stdout
    figures = json.loads(out.read_text())
    assert [w["world"] for w in figures["worlds"]] == ["skills", "coaching"]
    assert figures["rule_weight"] == 1.0
    assert all(w["rule_weight"] == 1.0 for w in figures["worlds"])
    for w in figures["worlds"]:
        assert w["auc_rule"] <= w["auc_truth"] + 1e-9
        assert w["auc_ceiling"] <= w["auc_truth"] + 1e-9
        assert w["lasting_ceiling"] > 0
        assert -1 <= w["top_rule"] <= 0  # no pick beats the best one
        assert -1 <= w["top_ceiling"] <= 0
    unknown = _bench("quality", "--worlds", "nope", timeout=60)
    assert unknown.returncode != 0
    assert "unknown world(s) nope" in unknown.stderr


@pytest.mark.slow
def test_a_world_too_small_to_train_on_has_no_learned_figures(
    monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    from tests.benchmarks.quality import goals, quality_world, table

    # the bench sets the postcode table as a user would: in this process, only for this test
    monkeypatch.setenv("KOPPELAAR_POSTCODES", str(shared_data / "geo" / "pc4_centroids_geonames.txt"))
    r = quality_world(truth="coaching", candidates=200, vacancies=30, history_share=0.5, seed=7)
    assert str(r["trained_on"]).startswith("not trained: cannot train")
    assert "auc_learned" not in r
    assert "brier_learned" not in r  # the rule score stands in for no probability
    assert "plan_learned" not in r
    assert r["auc_rule"] <= r["auc_truth"]
    assert goals(r).endswith("every check MISSED")
    assert "—" in table([r])


@pytest.mark.slow
def test_the_taxonomy_benchmark_runs_at_small_scale(shared_data: Path) -> None:
    """The bench compares the built-in taxonomy with ESCO, read from ``shared_data``."""
    result = _bench("taxonomy", "--scale", "0.002", "--repeat", "1", timeout=600)
    assert result.returncode == 0, result.stderr
    assert "prepare 200 × 40 (built-in): median" in result.stdout
    assert "prepare 200 × 40 (ESCO): median" in result.stdout
    assert "ESCO / built-in prepare" in result.stdout
    assert "the goal applies at scale 1" in result.stdout


@pytest.mark.slow
def test_the_read_cost_benchmark_runs_at_small_scale() -> None:
    """The app in process (no server): questions through its ASGI interface, their CPU and its parts."""
    result = _bench("read-cost", "--scale", "0.002", "--repeat", "1", timeout=600)
    assert result.returncode == 0, result.stderr
    assert (
        "server CPU per suggestion question, 60 questions one after the other, 5 times (200 × 40): median"
        in result.stdout
    )
    for figure in ("vacancy_cpu_ms_median", "candidate_cpu_ms_median", "part key check_ms_median"):
        assert f"{figure}: " in result.stdout
    for part in ("answer", "matcher", "explanations", "audit row"):
        assert f"part {part}_ms_median: " in result.stdout
