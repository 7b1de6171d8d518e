"""Output folders that appear whole or not at all: written beside the target, then renamed in one step.

A plan, a report and an export are several files that belong together. :func:`replacing_folder`
yields a fresh staging folder next to the target; when the files are written, the staging folder
becomes the target by a directory rename (an existing target is first renamed out of the way and
then removed). A process killed at any moment therefore leaves the target as it was, or missing,
or whole and new: never a mix of two runs. Staging and set-aside folders of a killed process are
removed by the next write to the same target.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from models.errors import KoppelaarError

_STAGING, _OLD = "staging", "old"


def _hidden(target: Path, what: str) -> str:
    return f".{target.name}.{what}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the staging and set-aside folders of ``target`` left by processes that no longer run."""
    removed = []
    for what in (_STAGING, _OLD):
        prefix = _hidden(target, what)
        for path in target.parent.glob(prefix + "*"):
            pid = path.name[len(prefix) :].split("-", 1)[0]
            if path.is_dir() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _check_target(target: Path, outputs: Collection[str]) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise KoppelaarError(f"{target} is a file; give a folder")
    others = sorted(p.name for p in target.iterdir() if p.name not in outputs)
    if others:
        shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        raise KoppelaarError(
            f"{target} holds files that are not Koppelaar's output ({shown}): the folder is replaced as a whole, "
            "so give a new or empty folder, or the folder of an earlier run"
        )


@contextmanager
def replacing_folder(folder: str | os.PathLike[str], outputs: Collection[str]) -> Iterator[Path]:
    """Yield a staging folder to write ``outputs`` into; when the block ends, it replaces ``folder`` whole.

    ``folder`` may be missing, empty, or hold only ``outputs`` (an earlier run's); anything else in it is
    refused with a :class:`KoppelaarError` before anything is written. When the block raises, ``folder``
    is left as it was.
    """
    target = Path(folder).resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target)
        _check_target(target, outputs)
        staging = Path(tempfile.mkdtemp(prefix=f"{_hidden(target, _STAGING)}{os.getpid()}-", dir=target.parent))
    except OSError as exc:
        raise KoppelaarError(f"cannot write to {target}: {exc.strerror or exc}") from None
    try:
        yield staging
        os.chmod(staging, stat.S_IMODE(target.stat().st_mode) if target.is_dir() else 0o755)
        if target.exists():
            old = target.parent / f"{_hidden(target, _OLD)}{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, target)
    except OSError as exc:
        raise KoppelaarError(f"cannot write to {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


__all__ = ["remove_leftovers", "replacing_folder"]
