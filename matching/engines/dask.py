"""The Dask engine: tasks on the workers of a dask.distributed cluster.

``DaskEngine(scheduler="tcp://host:8786")`` joins a running cluster; ``DaskEngine(workers=N)`` starts a
LocalCluster of N single-threaded worker processes on this machine and stops it on :meth:`close`.
Shared objects are scattered once to every worker (``broadcast``), so a task carries only its
item. A worker that dies mid-task is survived: the scheduler hands its tasks to another worker,
which fetches the shared objects from a surviving copy, and the results are still gathered in the
items' order. Only when the same task has killed workers ``distributed.scheduler.allowed-failures``
times does the run stop, with an :class:`~matching.engines.EngineError`.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from dask.distributed import Client, KilledWorker, LocalCluster, as_completed

from matching.engines.base import EngineError

R = TypeVar("R")
CONNECT_TIMEOUT_S = 15


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
        future = self.client.scatter(obj, broadcast=True, hash=False)
        self._shared[id(obj)] = (obj, future)
        return future

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
        futures = [
            self.client.submit(fn, *shared, item, key=f"koppelaar-{label}-{run}-{k}", pure=False)
            for k, item in enumerate(items)
        ]
        index = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(items) if consume is None else []
        finished = 0
        try:
            for future in as_completed(futures, loop=self.client.loop):
                result = future.result()
                future.release()
                if consume is not None:
                    consume(index[future.key], result)
                else:
                    out[index[future.key]] = result
                finished += 1
                if done is not None:
                    done(finished, len(items))
        except KilledWorker as exc:
            raise EngineError(
                f"Dask workers died again and again on the same {label} ({exc}); they may be short of memory: "
                "give them more, or use more, smaller blocks"
            ) from None
        finally:
            for f in futures:
                f.release()
        return out

    def close(self) -> None:
        self._shared.clear()
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
