"""The Dask engine: tasks on the workers of a dask.distributed cluster.

``DaskEngine(scheduler="tcp://host:8786")`` joins a running cluster; ``DaskEngine(workers=N)`` starts a
LocalCluster of N single-threaded worker processes on this machine and stops it on :meth:`close`.
Shared objects are scattered once to every worker (``broadcast``), so a task carries only its
item. A worker that dies mid-task is survived: the scheduler hands its tasks to another worker,
which fetches the shared objects from a surviving copy, and the results are still gathered in the
items' order. Dask keeps fewer copies than it was given (its memory manager drops the extra ones),
so the dead worker may have held the last copy of a shared object: Dask then forgets it and cancels
every task that needs it. Such a shared object is scattered again from this process, and a task
Dask cancelled is submitted again, up to :data:`RETRIES` times. Only when the same task has killed
workers ``distributed.scheduler.allowed-failures`` times, or was cancelled more than ``RETRIES``
times, does the run stop, with an :class:`~matching.engines.EngineError`.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from dask.distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from matching.engines.base import EngineError

R = TypeVar("R")
CONNECT_TIMEOUT_S = 15
RETRIES = 3  # times one item is submitted again after Dask cancelled its task


def _reachable(address: str) -> None:
    """Fail at once, not after the connect timeout, when nothing listens at a ``tcp://`` address."""
    parts = urlsplit(address)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return
    with socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT_S):
        pass


@contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Dask's loggers silenced for the duration (they are configured when ``distributed`` is imported)."""
    known = logging.root.manager.loggerDict
    loggers = [logging.getLogger("distributed")]
    loggers += [v for k, v in known.items() if k.startswith("distributed.") and isinstance(v, logging.Logger)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class DaskEngine:
    """Tasks on a Dask cluster; see the module docstring."""

    name = "dask"

    def __init__(self, *, scheduler: str | None = None, workers: int | None = None) -> None:
        self._cluster: LocalCluster | None = None
        self._shared: dict[int, tuple[Any, Any]] = {}  # id(obj) -> (obj, future): obj kept so its id stays unique
        self._owner: dict[Any, int] = {}  # key of every future share() made -> id(obj): scattered again when lost
        try:
            if scheduler is not None:
                _reachable(scheduler)
                with _quiet_dask_logs():  # an unreachable scheduler is our one line, not Dask's warnings too
                    self.client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # the HTTP endpoints on a free port, never a clash
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise EngineError(f"cannot reach {where}: {exc}") from None
        self.scheduler = self.client.scheduler.address if self.client.scheduler else scheduler

    @property
    def workers(self) -> int:
        return max(len(self.client.scheduler_info(n_workers=-1).get("workers", {})), 1)

    def share(self, obj: Any) -> Any:
        known = self._shared.get(id(obj))
        if known is not None and known[0] is obj:
            return known[1]
        return self._scatter(obj)

    def _scatter(self, obj: Any) -> Any:
        [future] = self.client.scatter([obj], broadcast=True, hash=False)  # one future, even for a dict or list
        self._shared[id(obj)] = (obj, future)
        self._owner[future.key] = id(obj)
        return future

    def _current(self, arg: Any) -> Any:
        """The live future of a shared object (``arg`` may be one that was lost and scattered again)."""
        owner = self._owner.get(arg.key) if isinstance(arg, Future) else None
        return arg if owner is None else self._shared[owner][1]

    def _renewed(self, args: list[Any], label: str) -> list[Any]:
        """``args`` with every shared object the cluster lost (all workers holding it died) scattered again."""
        futures = [a for a in args if isinstance(a, Future)]
        lost = {f.key for f in futures if f.cancelled()}
        ours = [f for f in futures if f.key in self._owner and f.key not in lost]
        if ours:  # forgotten by the scheduler, though the news may not have reached this client yet
            try:
                held = self.client.who_has(ours)
            except CancelledError:  # the news arrived meanwhile
                lost |= {f.key for f in ours if f.cancelled()}
            else:
                lost |= {f.key for f in ours if not held.get(f.key)}
        if not lost:
            return args
        return [self._again(a, label) if isinstance(a, Future) and a.key in lost else a for a in args]

    def _again(self, lost: Any, label: str) -> Any:
        """A lost shared object scattered again from this process, or the run stopped when it cannot be."""
        owner = self._owner.get(lost.key)
        why = "it was not shared through this engine"
        if owner is not None:
            try:
                return self._scatter(self._shared[owner][0])
            except (OSError, TimeoutError) as exc:
                why = str(exc) or type(exc).__name__
        raise EngineError(
            f"Dask lost an object shared by the {label} tasks with the workers that held it, and could not send "
            f"it again ({why}): check the workers, and run again"
        )

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[Any],
        *,
        shared: Sequence[Any] = (),
        done: Callable[[int, int], None] | None = None,
        label: str = "task",
        consume: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        if not items:
            return []
        run = uuid.uuid4().hex[:8]
        args = self._renewed([self._current(s) for s in shared], label)
        retries = [0] * len(items)
        index: dict[Any, int] = {}
        submitted: list[Any] = []

        def submit(k: int) -> Any:  # with the shared objects as they are now (args is renewed on a loss)
            again = f"-retry{retries[k]}" if retries[k] else ""
            future = self.client.submit(fn, *args, items[k], key=f"koppelaar-{label}-{run}-{k}{again}", pure=False)
            index[future.key] = k
            submitted.append(future)
            return future

        ac = as_completed([submit(k) for k in range(len(items))], loop=self.client.loop)
        out: list[Any] = [None] * len(items) if consume is None else []
        finished = 0
        try:
            for future in ac:
                k = index[future.key]
                try:
                    result = future.result()
                except CancelledError as exc:
                    if not future.cancelled():
                        raise  # the task's own error, not Dask dropping it
                    future.release()
                    if retries[k] == RETRIES:
                        why = getattr(exc, "reason", None) or "no reason given"
                        raise EngineError(
                            f"Dask cancelled the same {label} {RETRIES + 1} times (last: {why}); its workers "
                            "may keep dying: check them, and run again"
                        ) from None
                    retries[k] += 1
                    args = self._renewed(args, label)  # the shared objects it needs may be gone
                    ac.add(submit(k))
                    continue
                future.release()
                if consume is not None:
                    consume(k, result)
                else:
                    out[k] = result
                finished += 1
                if done is not None:
                    done(finished, len(items))
        except KilledWorker as exc:
            raise EngineError(
                f"Dask workers died again and again on the same {label} ({exc}); they may be short of memory: "
                "give them more, or use more, smaller blocks"
            ) from None
        finally:
            for f in submitted:
                f.release()
        return out

    def close(self) -> None:
        self._shared.clear()
        self._owner.clear()
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
