"""Progress of the long commands as a user or a scheduler sees it: --log json, --quiet, plain lines,
and the engine options' mistakes as one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import SAMPLE, DatasetFactory

runner = CliRunner()
MATCH = ["match", str(SAMPLE), "--today", "2026-10-01"]
MATCH_STAGES = ("engine", "load", "prepare", "score", "solve", "explain", "write")
CANDIDATE_PREFIX = "KND-"  # every candidate id of the sample starts so


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def koppelaar(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as a terminal or a scheduler runs it."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_match_log_json_reports_every_stage_and_no_candidate(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, [*MATCH, "--out", str(out), "--log", "json"])
    assert result.exit_code == 0, result.output
    events = json_lines(result.stderr)  # every line of stderr is a JSON object
    assert {e["command"] for e in events} == {"match"}
    stages = [e["stage"] for e in events if e["event"] == "stage_start"]
    assert stages == [e["stage"] for e in events if e["event"] == "stage_end"]
    assert set(stages) >= set(MATCH_STAGES)
    assert set(stages) <= {*MATCH_STAGES, "widen"}
    assert stages.index("load") < stages.index("prepare") < stages.index("score") < stages.index("solve")
    assert stages.index("solve") < stages.index("explain") < stages.index("write")
    open_stage = None
    for e in events[:-1]:  # a stage starts, reports and ends before the next one starts
        if e["event"] == "stage_start":
            assert open_stage is None
            open_stage = e["stage"]
        elif e["event"] == "progress":
            assert e["stage"] == open_stage
            assert 0 <= e["done"] <= e["total"]
        else:
            assert (e["event"], e["stage"]) == ("stage_end", open_stage)
            open_stage = None
    done = events[-1]
    assert done["event"] == "done"
    assert set(done["stages"]) == set(stages)
    summary = json.loads((out / "summary.json").read_text())
    assert done["counts"]["placements"] == summary["counts"]["placements"] > 0
    assert done["counts"]["open_places"] == summary["counts"]["open_places"]
    assert done["engine"] == summary["engine"] == {"name": "local", "workers": 1}
    assert CANDIDATE_PREFIX not in result.stderr
    placed = {line.split(",")[0] for line in (out / "plan.csv").read_text().splitlines()[1:]}
    assert not any(c in result.stderr for c in placed)
    assert "on the local engine, 1 worker" in " ".join(result.stdout.split())  # the summary line stays


def test_match_without_a_terminal_prints_a_few_plain_lines(tmp_path: Path) -> None:
    result = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert all(line.startswith("match: ") for line in lines)
    for stage in MATCH_STAGES:
        assert f"match: {stage} started" in result.stderr
        assert any(line.startswith(f"match: {stage}") and " done in " in line for line in lines)
    assert len(lines) <= 2 * (len(MATCH_STAGES) + 2)  # no line per block: a start and an end per stage
    assert CANDIDATE_PREFIX not in result.stderr


def test_quiet_prints_no_progress(tmp_path: Path) -> None:
    result = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "wrote" in result.stdout
    generated = runner.invoke(app, ["generate", "--out", str(tmp_path / "w"), "--candidates", "50", "-q"])
    assert generated.exit_code == 0, generated.output
    assert generated.stderr == ""
    both = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan"), "--quiet", "--log", "json"])
    assert both.exit_code == 2
    assert both.stderr == "error: give --quiet or --log json, not both\n"


def test_engine_option_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "plan")
    for args, message in [
        (["--engine", "dask", "--workers", "0"], "error: --workers 0: must be a whole number ≥ 1"),
        (["--workers", "2"], "error: --scheduler and --workers need --engine dask"),
        (["--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"], "error: --scheduler and --workers need"),
        (["--engine", "dask", "--scheduler", "nonsense"], "error: --scheduler 'nonsense' is not a Dask scheduler"),
        (["--engine", "dask", "--scheduler", "tcp://h:1", "--workers", "2"], "error: give either --scheduler"),
    ]:
        result = runner.invoke(app, [*MATCH, "--out", out, *args, "--quiet"])
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)  # not an exception let through
        assert result.stderr.count("\n") == 1, (args, result.stderr)  # one line, nothing else
        assert result.stderr.startswith(message), (args, result.stderr)
    assert not Path(out).exists()
    # in a process of its own, as a scheduler runs it: JSON lines only, the last one the error
    logged = koppelaar(*MATCH, "--out", out, "--engine", "dask", "--workers", "0", "--log", "json")
    assert logged.returncode == 2
    events = json_lines(logged.stderr)
    assert [e["event"] for e in events] == ["stage_start", "error"]
    assert (events[-1]["stage"], events[-1]["exit_code"]) == ("engine", 2)
    assert events[-1]["message"] == "--workers 0: must be a whole number ≥ 1"


def test_the_engine_settings_are_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPPELAAR_ENGINE", "dask")
    result = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan"), "--workers", "0", "-q"])
    assert result.exit_code == 2
    assert "--workers 0: must be a whole number ≥ 1" in result.stderr  # the engine came from KOPPELAAR_ENGINE
    monkeypatch.setenv("KOPPELAAR_DASK_SCHEDULER", "http://x:1")
    bad = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan"), "-q"])
    assert bad.exit_code == 2
    assert "bad configuration: KOPPELAAR_DASK_SCHEDULER" in bad.stderr
    monkeypatch.setenv("KOPPELAAR_ENGINE", "spark")
    unknown = runner.invoke(app, [*MATCH, "--out", str(tmp_path / "plan"), "-q"])
    assert unknown.exit_code == 2
    assert "bad configuration: KOPPELAAR_ENGINE" in unknown.stderr


def test_an_unreachable_scheduler_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    result = koppelaar(*MATCH, "--out", str(tmp_path / "plan"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if not line.startswith("match: ")]  # the rest is the engine stage starting
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:1: ")
    assert "Traceback" not in result.stderr
    assert "distributed" not in result.stderr  # none of Dask's own log lines
    assert not (tmp_path / "plan").exists()


def test_an_invalid_dataset_with_log_json_keeps_stderr_json(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(("candidates", 1, "target_group", "bijstand"))
    result = runner.invoke(app, ["validate", str(folder), "--log", "json"])
    assert result.exit_code == 2
    events = json_lines(result.stderr)
    assert events[-1]["event"] == "error"
    assert (events[-1]["errors"], events[-1]["exit_code"]) == (1, 2)
    assert "bijstand" not in result.stderr  # a candidate's field stays out of the log
    assert "candidates.csv row 3, column target_group" in result.stdout  # validate's result: the problems
    matched = runner.invoke(app, ["match", str(folder), "--out", str(folder / "plan"), "--log", "json"])
    assert matched.exit_code == 2
    error = json_lines(matched.stderr)[-1]
    assert (error["event"], error["stage"], error["errors"]) == ("error", "load", 1)
    assert error["message"].endswith("nothing was imported")
    assert "bijstand" not in matched.stderr


def test_the_other_long_commands_report_their_stages(tmp_path: Path) -> None:
    world = tmp_path / "world"
    steps = {
        "generate": ["generate", "--out", str(world), "--candidates", "60", "--vacancies", "20"],
        "validate": ["validate", str(world)],
        "train": ["train", str(SAMPLE), "--model", str(tmp_path / "m.pkl"), "--today", "2026-10-01"],
        "report": ["report", str(SAMPLE), "--out", str(tmp_path / "report"), "--today", "2026-10-01"],
    }
    expected = {
        "generate": ["generate", "write"],
        "validate": ["validate"],
        "train": ["load", "prepare", "train", "write"],
        "report": ["figures", "write"],
    }
    for command, args in steps.items():
        result = runner.invoke(app, [*args, "--log", "json"])
        assert result.exit_code == 0, result.output
        events = json_lines(result.stderr)
        assert [e["stage"] for e in events if e["event"] == "stage_end"] == expected[command]
        assert events[-1]["event"] == "done"
        assert {e["command"] for e in events} == {command}
        assert CANDIDATE_PREFIX not in result.stderr
