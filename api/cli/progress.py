"""Progress of the CLI's long steps on stderr: a progress display, plain lines, JSON lines, or nothing.

Every command that takes a while declares the same two options (:data:`QuietOpt`, :data:`LogOpt`)
and runs its work inside one :class:`Reporter`::

    with Reporter.from_options("match", quiet=quiet, log=log) as reporter:
        with reporter.stage("load"):
            ...
        make_plan(..., progress=reporter.callback())  # stages named by make_plan
        reporter.done(placements=12)

The modes:

* ``text`` (default): on a terminal a rich display, one line per stage: a bar with done/total and
  the elapsed time when the stage counts its work, a spinner when it does not. When stderr is not a
  terminal (a pipe, a log file): plain lines, one when a stage starts, one when it ends, and at most
  one every :data:`TEXT_EVERY_S` seconds in between.
* ``json``: one JSON object per line on stderr, for schedulers and log collectors, and nothing else
  on stderr (a user error becomes an ``error`` event, not a rich line). Events: ``stage_start``,
  ``progress`` (at most one per :data:`JSON_EVERY_S` seconds per stage, the last one always),
  ``stage_end``, then ``done`` (stage timings and a few counts) or ``error`` (the one-line message
  and the exit code).
* ``quiet``: no progress at all; errors are still printed on stderr.

Candidate data is personal: the reporter only ever writes stage names, counts and times, and the
commands pass it counts only.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import Annotated, Any, Literal, TextIO

import click
import typer
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from api.cli.render import EXIT_USER_ERROR
from models.errors import DatasetInvalid, KoppelaarError

#: At most one ``progress`` event per stage this often (seconds) with ``--log json``; the last one always.
JSON_EVERY_S = 1.0
#: At most one progress line per stage this often (seconds) when stderr is not a terminal.
TEXT_EVERY_S = 5.0

Mode = Literal["text", "json", "quiet"]
#: ``progress(stage, done, total)``, as :func:`matching.plan.make_plan` calls it.
ProgressFn = Callable[[str, int, int], None]


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress on stderr (errors are still printed there)."),
]
LogOpt = Annotated[
    LogFormat,
    typer.Option(
        "--log",
        case_sensitive=False,
        help="Progress on stderr: text (a progress display for people) or json "
        "(one JSON object per line, for schedulers and log collectors).",
    ),
]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _State:
    """The open stage."""

    name: str
    total: int | None
    started: float
    done: int | None = None
    shown_at: float = 0.0  # when a line or event about it was last written
    shown: tuple[int | None, int | None] = (None, None)  # the (done, total) last written

    @property
    def counted(self) -> bool:
        return self.total is not None


class Stage:
    """A handle on an open stage: report how much of it is done."""

    def __init__(self, reporter: Reporter, name: str) -> None:
        self._reporter, self.name = reporter, name

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` items are finished (``total`` None: keep the one known)."""
        self._reporter._update(self.name, done, total)

    def advance(self, n: int = 1) -> None:
        state = self._reporter._state
        if state is not None and state.name == self.name:
            self._reporter._update(self.name, (state.done or 0) + n, None)


class Reporter:
    """Progress of one command; see the module docstring. Use it as a context manager.

    ``console`` (text mode) and ``stream`` (json mode) default to the process's stderr at the time
    of writing; ``clock`` times the stages and ``now`` stamps the JSON events, both replaceable in
    tests, as is ``tty`` (whether the text mode draws the rich display; default: stderr is a terminal).
    """

    def __init__(
        self,
        command: str,
        mode: Mode = "text",
        *,
        console: Console | None = None,
        stream: TextIO | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
        json_every_s: float = JSON_EVERY_S,
        text_every_s: float = TEXT_EVERY_S,
    ) -> None:
        self.command, self.mode = command, mode
        #: Seconds spent in each stage (a stage entered twice counts both times).
        self.timings: dict[str, float] = {}
        self._clock = clock
        self._started = clock()
        self._state: _State | None = None
        self._finished = False
        self._sink: _Sink
        if mode == "json":
            self._sink = _JsonSink(command, stream, clock, now, json_every_s)
        elif mode == "text":
            console = console or Console(stderr=True)
            terminal = console.is_terminal and not console.is_dumb_terminal if tty is None else tty
            self._sink = _RichSink(console) if terminal else _PlainSink(command, console, clock, text_every_s)
        elif mode == "quiet":
            self._sink = _Sink()
        else:
            raise ValueError(f"unknown progress mode {mode!r}")

    @classmethod
    def from_options(cls, command: str, *, quiet: bool, log: LogFormat | str) -> Reporter:
        """The reporter the ``--quiet`` and ``--log`` options ask for."""
        log = LogFormat(log)
        if quiet and log is LogFormat.JSON:
            raise KoppelaarError("give --quiet or --log json, not both")
        return cls(command, "quiet" if quiet else "json" if log is LogFormat.JSON else "text")

    # -- stages ----------------------------------------------------------------------------------
    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Stage]:
        """A stage around a block of work; ended when the block ends (not when it raises)."""
        handle = self.begin(name, total)
        yield handle
        if self._state is not None and self._state.name == name:
            self.end()

    def begin(self, name: str, total: int | None = None) -> Stage:
        """Open a stage; the stage open before is ended first. Ended by :meth:`end`, the next stage or :meth:`done`."""
        self.end()
        now = self._clock()
        self._state = _State(name, total, now, 0 if total is not None else None, now)
        self._state.shown = (self._state.done, total)
        self._sink.start(self._state)
        return Stage(self, name)

    def end(self) -> None:
        """End the open stage, if any."""
        state, self._state = self._state, None
        if state is None:
            return
        elapsed = self._clock() - state.started
        self.timings[state.name] = self.timings.get(state.name, 0.0) + elapsed
        self._sink.end(state, elapsed)

    def callback(self) -> ProgressFn:
        """``progress(stage, done, total)`` for :func:`matching.plan.make_plan`: a new stage name
        ends the stage open before and opens the new one."""

        def progress(stage: str, done: int, total: int) -> None:
            if self._state is None or self._state.name != stage:
                self.begin(stage, total)
            self._update(stage, done, total)

        return progress

    def _update(self, name: str, done: int, total: int | None) -> None:
        state = self._state
        if state is None or state.name != name:
            return
        state.done = done
        if total is not None:
            state.total = total
        self._sink.update(state)

    # -- the end -----------------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def done(self, counts: Mapping[str, Any] | None = None, **fields: Any) -> None:
        """The command succeeded: end the open stage and report the stage timings, ``counts`` and
        ``fields`` (numbers and names of things, never a candidate's id or data)."""
        if self._finished:
            return
        self.end()
        self._finished = True
        self._sink.done(self.elapsed, self.timings, dict(counts or {}), fields)

    def error(self, message: str, exit_code: int = EXIT_USER_ERROR, **fields: Any) -> None:
        """The command failed with ``message``: stop the display and, with ``--log json``, say so
        in an ``error`` event. The caller still prints the message in the other modes."""
        if self._finished:
            return
        self._finished = True
        stage = self._state.name if self._state is not None else None
        self._sink.abort()
        self._sink.error(stage, message, exit_code, self.elapsed, fields)

    def __enter__(self) -> Reporter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.done()
            return
        if isinstance(exc, typer.Exit | click.exceptions.Exit):
            if exc.exit_code == 0:
                self.done()
            else:
                self.error(f"stopped with exit code {exc.exit_code}", exc.exit_code)
            return
        if isinstance(exc, KoppelaarError):
            extra = {}
            if isinstance(exc, DatasetInvalid):
                extra = {"errors": len(exc.errors), "warnings": len(exc.problems) - len(exc.errors)}
            self.error(str(exc), EXIT_USER_ERROR, **extra)
            if self.mode == "json":  # the event was the error message; no rich line after it
                raise typer.Exit(EXIT_USER_ERROR) from None
            return
        if isinstance(exc, KeyboardInterrupt):
            self.error("interrupted", 130)
            return
        # a bug: its message may hold data, so only its kind is logged; the traceback follows
        self.error(f"internal error ({type(exc).__name__})", 1)


# -- where the progress goes ----------------------------------------------------------------------------
class _Sink:
    """Nowhere (``--quiet``); the base of the others."""

    def start(self, state: _State) -> None:
        return None

    def update(self, state: _State) -> None:
        return None

    def end(self, state: _State, elapsed: float) -> None:
        return None

    def abort(self) -> None:
        return None

    def done(self, elapsed: float, timings: dict[str, float], counts: dict[str, Any], fields: dict[str, Any]) -> None:
        return None

    def error(self, stage: str | None, message: str, exit_code: int, elapsed: float, fields: dict[str, Any]) -> None:
        return None


class _JsonSink(_Sink):
    """One JSON object per line."""

    def __init__(
        self,
        command: str,
        stream: TextIO | None,
        clock: Callable[[], float],
        now: Callable[[], datetime],
        every_s: float,
    ) -> None:
        self.command, self.stream, self.clock, self.now, self.every_s = command, stream, clock, now, every_s

    def emit(self, event: str, **fields: Any) -> None:
        record = {
            "time": self.now().isoformat(timespec="milliseconds"),
            "command": self.command,
            "event": event,
            **fields,
        }
        stream = self.stream or sys.stderr
        stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        stream.flush()

    def start(self, state: _State) -> None:
        self.emit("stage_start", stage=state.name, done=state.done, total=state.total)

    def _progress(self, state: _State) -> None:
        now = self.clock()
        state.shown, state.shown_at = (state.done, state.total), now
        self.emit("progress", stage=state.name, done=state.done, total=state.total, elapsed_s=_s(now - state.started))

    def update(self, state: _State) -> None:
        if (state.done, state.total) == state.shown:
            return
        last = state.total is not None and state.done is not None and state.done >= state.total
        if last or self.clock() - state.shown_at >= self.every_s:
            self._progress(state)

    def end(self, state: _State, elapsed: float) -> None:
        if (state.done, state.total) != state.shown:  # the last progress is never swallowed
            self._progress(state)
        self.emit("stage_end", stage=state.name, done=state.done, total=state.total, elapsed_s=_s(elapsed))

    def done(self, elapsed: float, timings: dict[str, float], counts: dict[str, Any], fields: dict[str, Any]) -> None:
        stages = {name: _s(seconds) for name, seconds in timings.items()}
        self.emit("done", elapsed_s=_s(elapsed), stages=stages, counts=counts, **fields)

    def error(self, stage: str | None, message: str, exit_code: int, elapsed: float, fields: dict[str, Any]) -> None:
        self.emit("error", stage=stage, message=message, exit_code=exit_code, elapsed_s=_s(elapsed), **fields)


class _PlainSink(_Sink):
    """Plain lines when stderr is not a terminal: a stage's start and end, and now and then its count."""

    def __init__(self, command: str, console: Console, clock: Callable[[], float], every_s: float) -> None:
        self.command, self.console, self.clock, self.every_s = command, console, clock, every_s

    def line(self, text: str) -> None:
        self.console.print(f"{self.command}: {text}", markup=False, highlight=False, soft_wrap=True)

    def start(self, state: _State) -> None:
        self.line(f"{state.name} started" + (f", {_count(state)}" if state.counted else ""))

    def update(self, state: _State) -> None:
        now = self.clock()
        if now - state.shown_at >= self.every_s:
            state.shown_at = now
            self.line(f"{state.name} {_count(state)}, {now - state.started:.1f} s")

    def end(self, state: _State, elapsed: float) -> None:
        count = f" {_count(state)}" if state.counted else ""
        self.line(f"{state.name}{count} done in {elapsed:.1f} s")


class _IfCounted(ProgressColumn):
    """A column shown only for a stage that counts its work (a bar, done/total)."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: Task) -> RenderableType:
        return self.column.render(task) if task.fields.get("counted") else Text("")


class _RichSink(_Sink):
    """On a terminal: one rich line per stage, live while the stage runs and left in place after."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None

    def start(self, state: _State) -> None:
        self.abort()
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description:<8}"),
            _IfCounted(BarColumn()),
            _IfCounted(MofNCompleteColumn()),
            TimeElapsedColumn(),
            console=self.console,
            redirect_stdout=False,  # stdout may be a file: nothing is printed while a stage runs
            redirect_stderr=False,
        )
        self.progress.add_task(state.name, total=state.total, completed=state.done or 0, counted=state.counted)
        self.progress.start()

    def update(self, state: _State) -> None:
        if self.progress is not None:
            task = self.progress.task_ids[0]
            self.progress.update(task, completed=state.done or 0, total=state.total, counted=state.counted)

    def end(self, state: _State, elapsed: float) -> None:
        if self.progress is not None:
            task = self.progress.task_ids[0]
            if state.counted:
                self.progress.update(task, completed=state.done or 0, total=state.total)
            else:  # a spinner stage is finished when it ends: its spinner turns into a tick
                self.progress.update(task, completed=1, total=1)
        self.abort()

    def abort(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _count(state: _State) -> str:
    return f"{state.done or 0}/{state.total}"


def _s(seconds: float) -> float:
    return round(seconds, 3)
