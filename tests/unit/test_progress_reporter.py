"""The CLI's progress reporter without a terminal: JSON shape, throttling, plain lines, quiet, errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import typer
from rich.console import Console

from api.cli.progress import LogFormat, Reporter
from models.errors import DatasetInvalid, KoppelaarError, Problem


class Clock:
    """A clock the test moves by hand; ``now`` is the same instant as a date and time."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 11, 22, 10, 0, tzinfo=UTC) + timedelta(seconds=self.t - 100.0)

    def tick(self, seconds: float) -> None:
        self.t += seconds


def json_reporter(clock: Clock, stream: io.StringIO, command: str = "match") -> Reporter:
    return Reporter(command, "json", stream=stream, clock=clock, now=clock.now)


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def plain_reporter(clock: Clock, out: io.StringIO) -> Reporter:
    console = Console(file=out, force_terminal=False, width=200)
    return Reporter("match", "text", console=console, clock=clock)


def test_every_event_is_one_json_object_of_the_documented_shape() -> None:
    clock, out = Clock(), io.StringIO()
    with json_reporter(clock, out) as reporter:
        with reporter.stage("load"):
            clock.tick(0.25)
        with reporter.stage("score", total=2) as stage:
            clock.tick(1.5)
            stage.update(1)
            clock.tick(0.5)
            stage.advance()
        reporter.done({"placements": 7, "open_places": 9}, engine={"name": "local", "workers": 1})
    got = events(out)
    assert [(e["event"], e.get("stage")) for e in got] == [
        ("stage_start", "load"),
        ("stage_end", "load"),
        ("stage_start", "score"),
        ("progress", "score"),
        ("progress", "score"),
        ("stage_end", "score"),
        ("done", None),
    ]
    assert got[0] == {
        "time": "2026-11-22T10:00:00.000+00:00",
        "command": "match",
        "event": "stage_start",
        "stage": "load",
        "done": None,
        "total": None,
    }
    assert got[1]["elapsed_s"] == 0.25
    assert got[1]["time"] == "2026-11-22T10:00:00.250+00:00"
    assert got[3] | {} == {
        "time": "2026-11-22T10:00:01.750+00:00", "command": "match", "event": "progress", "stage": "score",
        "done": 1, "total": 2, "elapsed_s": 1.5,
    }  # fmt: skip
    assert (got[4]["done"], got[4]["total"], got[4]["elapsed_s"]) == (2, 2, 2.0)
    assert got[-1] == {
        "time": "2026-11-22T10:00:02.250+00:00",
        "command": "match",
        "event": "done",
        "elapsed_s": 2.25,
        "stages": {"load": 0.25, "score": 2.0},
        "counts": {"placements": 7, "open_places": 9},
        "engine": {"name": "local", "workers": 1},
    }


def test_json_progress_is_at_most_once_a_second_per_stage_and_the_last_one_always() -> None:
    clock, out = Clock(), io.StringIO()
    with json_reporter(clock, out) as reporter, reporter.stage("score", total=100) as stage:
        for k in range(1, 101):
            clock.tick(0.05)  # 100 blocks in 5 s
            stage.update(k)
    progress = [e for e in events(out) if e["event"] == "progress"]
    assert 4 <= len(progress) <= 6
    assert progress[-1]["done"] == progress[-1]["total"] == 100
    times = [e["elapsed_s"] for e in progress[:-1]]
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip([0.0, *times], times, strict=False))


def test_the_last_progress_is_written_before_the_stage_ends_even_when_throttled() -> None:
    clock, out = Clock(), io.StringIO()
    with json_reporter(clock, out) as reporter:
        with reporter.stage("solve", total=10) as stage:
            for k in range(1, 4):
                clock.tick(0.1)
                stage.update(k)
        reporter.done()
    got = events(out)
    assert [e["event"] for e in got] == ["stage_start", "progress", "stage_end", "done"]
    assert (got[1]["done"], got[1]["total"]) == (3, 10)
    assert (got[2]["done"], got[2]["total"]) == (3, 10)


def test_the_callback_follows_make_plans_stages_and_adds_up_a_stage_entered_twice() -> None:
    clock, out = Clock(), io.StringIO()
    with json_reporter(clock, out) as reporter:
        progress = reporter.callback()
        for stage, done, total in [
            ("score", 0, 3), ("score", 3, 3), ("solve", 0, 2), ("solve", 2, 2), ("widen", 0, 1), ("widen", 1, 1),
            ("solve", 0, 1), ("solve", 1, 1), ("explain", 0, 1), ("explain", 1, 1),
        ]:  # fmt: skip
            clock.tick(1.0)
            progress(stage, done, total)
        clock.tick(1.0)
        reporter.done()
    got = events(out)
    starts = [e["stage"] for e in got if e["event"] == "stage_start"]
    ends = [e["stage"] for e in got if e["event"] == "stage_end"]
    assert starts == ends == ["score", "solve", "widen", "solve", "explain"]
    assert got[-1]["stages"] == {"score": 2.0, "solve": 4.0, "widen": 2.0, "explain": 2.0}
    assert all(e["done"] <= e["total"] for e in got if e["event"] == "progress")


def fail_while_loading(reporter: Reporter, clock: Clock) -> None:
    with reporter, reporter.stage("load"):
        clock.tick(2.0)
        raise KoppelaarError("--out plan is a file; give a folder")


def test_a_user_error_is_one_json_event_and_exit_2() -> None:
    clock, out = Clock(), io.StringIO()
    with pytest.raises(typer.Exit) as exit_info:
        fail_while_loading(json_reporter(clock, out), clock)
    assert exit_info.value.exit_code == 2
    got = events(out)
    assert [e["event"] for e in got] == ["stage_start", "error"]
    assert got[-1] | {} == {
        "time": "2026-11-22T10:00:02.000+00:00", "command": "match", "event": "error", "stage": "load",
        "message": "--out plan is a file; give a folder", "exit_code": 2, "elapsed_s": 2.0,
    }  # fmt: skip


def test_an_invalid_dataset_is_reported_by_its_counts_not_its_values() -> None:
    clock, out = Clock(), io.StringIO()
    problems = [
        Problem("candidates.csv", 3, "target_group", "secret-value", "is not allowed"),
        Problem("candidates.csv", 4, "postcode", "9999", "is unknown", severity="warning"),
    ]
    with pytest.raises(typer.Exit), json_reporter(clock, out):
        raise DatasetInvalid("ds", problems)
    error = events(out)[-1]
    assert (error["event"], error["errors"], error["warnings"], error["exit_code"]) == ("error", 1, 1, 2)
    assert "secret-value" not in out.getvalue()


def test_a_bug_is_logged_by_its_kind_only_and_raised() -> None:
    clock, out = Clock(), io.StringIO()
    with pytest.raises(ValueError, match="KND-000001"), json_reporter(clock, out):
        raise ValueError("bad row KND-000001")
    error = events(out)[-1]
    assert (error["event"], error["message"], error["exit_code"]) == ("error", "internal error (ValueError)", 1)
    assert "KND" not in out.getvalue()


def test_in_text_mode_a_user_error_is_left_to_the_command_wrapper() -> None:
    clock, out = Clock(), io.StringIO()
    with pytest.raises(KoppelaarError), plain_reporter(clock, out) as reporter, reporter.stage("load"):
        raise KoppelaarError("nope")
    assert "nope" not in out.getvalue()  # exit_on_user_error prints it, once


def test_plain_lines_when_stderr_is_not_a_terminal_are_few() -> None:
    clock, out = Clock(), io.StringIO()
    with plain_reporter(clock, out) as reporter:
        with reporter.stage("load"):
            clock.tick(0.5)
        with reporter.stage("score", total=80) as stage:
            for k in range(1, 81):
                clock.tick(0.25)  # 20 s
                stage.update(k)
        reporter.done({"placements": 3})
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["match: load started", "match: load done in 0.5 s", "match: score started, 0/80"]
    assert lines[-1] == "match: score 80/80 done in 20.0 s"
    assert lines[3:-1] == [f"match: score {k}/80, {k / 4:.1f} s" for k in (20, 40, 60, 80)]  # one every 5 s


def test_quiet_writes_nothing_and_still_times_the_stages() -> None:
    clock, out = Clock(), io.StringIO()
    reporter = Reporter("match", "quiet", console=Console(file=out), stream=out, clock=clock)
    with reporter:
        with reporter.stage("load"):
            clock.tick(1.0)
        progress = reporter.callback()
        progress("score", 1, 1)
        reporter.done({"placements": 1})
    assert out.getvalue() == ""
    assert reporter.timings == {"load": 1.0, "score": 0.0}


def test_on_a_terminal_each_stage_leaves_one_line() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with Reporter("match", "text", console=console) as reporter:
        with reporter.stage("load"):
            pass
        with reporter.stage("score", total=3) as stage:
            stage.update(3)
    text = out.getvalue()
    assert "load" in text
    assert "score" in text
    assert "3/3" in text
    assert "✓" in text


def test_the_options_choose_the_mode() -> None:
    assert Reporter.from_options("match", quiet=True, log=LogFormat.TEXT).mode == "quiet"
    assert Reporter.from_options("match", quiet=False, log="json").mode == "json"
    assert Reporter.from_options("match", quiet=False, log=LogFormat.TEXT).mode == "text"
    with pytest.raises(KoppelaarError, match="--quiet or --log json, not both"):
        Reporter.from_options("match", quiet=True, log=LogFormat.JSON)
