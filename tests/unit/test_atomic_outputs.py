"""Output folders appear whole or not at all, even when the process is killed between two renames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from models.dataset import read_dataset, write_dataset
from models.errors import KoppelaarError
from models.folders import replacing_folder
from tests.conftest import DatasetFactory

ROOT = Path(__file__).resolve().parents[2]

#: Run in a child process: every rename after the first ``KILL_AT - 1`` kills the process (SIGKILL: no
#: ``finally``, no clean-up), as a power cut or an OOM kill would between two moves.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    calls = 0
    def killing(real):
        def rename(*args, **kwargs):
            global calls
            calls += 1
            if calls == int(os.environ["KILL_AT"]):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return rename
    os.rename, os.replace = killing(os.rename), killing(os.replace)
    """
)

PLAN = KILLER + textwrap.dedent(
    """
    from tests.unit.test_atomic_outputs import write_plan_of_run
    write_plan_of_run(sys.argv[1], sys.argv[2])
    """
)

EXPORT = KILLER + textwrap.dedent(
    """
    from tests.unit.test_atomic_outputs import export
    export(sys.argv[1], sys.argv[2])
    """
)


def write_plan_of_run(out: str | Path, run: str) -> None:
    """A plan whose every file names ``run`` (in the child process of PLAN, and in the test's own for
    the writes that are not killed: starting a process that imports the CLI costs seconds)."""
    import pandas as pd

    from api.cli.match import write_plan

    frame = pd.DataFrame({"run": [run], "explanation": ["=1+1"]})
    result = SimpleNamespace(plan=frame, unfilled=frame, unplaced=frame, summary={"run": run})
    write_plan(result, Path(out), {})  # type: ignore[arg-type]


def export(out: str | Path, dataset: str | Path) -> None:
    """The dataset at ``dataset`` written to ``out`` (in EXPORT's child process, and in the test's own)."""
    write_dataset(read_dataset(dataset), out)


def _run(script: str, *args: str, kill_at: int = 0) -> int:
    env = {**os.environ, "KILL_AT": str(kill_at), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT, check=False).returncode


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _plan_runs(folder: Path) -> set[str]:
    runs = {line.split(",")[0] for name in ("plan.csv", "unfilled.csv", "unplaced.csv") for line in
            (folder / name).read_text().splitlines()[1:]}  # fmt: skip
    return runs | {json.loads((folder / "summary.json").read_text())["run"]}


@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_a_plan_killed_between_renames_is_old_or_missing_never_mixed(tmp_path: Path, kill_at: int) -> None:
    out = tmp_path / "plan"
    write_plan_of_run(out, "old")
    assert _plan_runs(out) == {"old"}
    assert _run(PLAN, str(out), "new", kill_at=kill_at) in {-9, 0}  # 0: done in fewer renames
    if out.exists():
        assert _plan_runs(out) in ({"old"}, {"new"})  # whole, whichever it is
    write_plan_of_run(out, "new")
    assert _plan_runs(out) == {"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # the killed run's staging is gone
    assert (out / "plan.csv").read_text().splitlines()[1] == "new,'=1+1"


@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_an_export_killed_between_renames_never_mixes_two_worlds(
    tmp_path: Path, make_dataset: DatasetFactory, kill_at: int
) -> None:
    first = tmp_path / "first"
    make_dataset().rename(first)
    second = make_dataset(("obligations", 0, "client", "Gemeente Appingedam"), ("candidates", 1, "status", "inactief"))
    out = tmp_path / "backup"
    export(out, first)
    old = _contents(out)
    export(out, second)
    new = _contents(out)
    assert old != new
    export(out, first)
    assert _run(EXPORT, str(out), str(second), kill_at=kill_at) in {-9, 0}  # 0: done in fewer renames
    if out.exists():
        assert _contents(out) in (old, new)
    export(out, second)
    assert _contents(out) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "dataset", "first"]


def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with replacing_folder(out, ["a.csv", "b.csv"]) as staging:
        (staging / "a.csv").write_text("old")
        (staging / "b.csv").write_text("old")

    def half_written() -> None:
        with replacing_folder(out, ["a.csv", "b.csv"]) as staging:
            (staging / "a.csv").write_text("new")
            raise RuntimeError("the report could not be rendered")

    with pytest.raises(RuntimeError):
        half_written()
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.csv": "old", "b.csv": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_folder_holding_other_files_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(KoppelaarError, match=r"notes\.txt"), replacing_folder(tmp_path, ["plan.csv"]):
        pytest.fail("nothing may be written")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
