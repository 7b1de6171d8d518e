"""Where the heavy work runs: in this process (``local``) or on a Dask cluster (``dask``).

Both engines do the same thing through one small interface: make a large read-only object (the
prepared dataset, the scorer) available to tasks with :meth:`Engine.share`, then :meth:`Engine.map`
a pure top-level function over work items and get the results back *in the items' order*. Because
the functions are pure and the results are merged in a fixed order, the engines give identical
plans for the same input. Dask is an optional extra, imported only when the dask engine is made.
"""

from __future__ import annotations

from matching.engines.base import Done, Engine, EngineError
from matching.engines.local import LocalEngine

ENGINES = ("local", "dask")
INSTALL_HINT = "pip install 'koppelaar[dask]'  (or: make install-dev)"


def make_engine(name: str = "local", *, scheduler: str | None = None, workers: int | None = None) -> Engine:
    """The engine called ``name``: ``local`` (in process) or ``dask`` (a cluster at ``scheduler``, or a
    LocalCluster of ``workers`` processes on this machine)."""
    if name == "local":
        if scheduler is not None or workers is not None:
            raise EngineError("--scheduler and --workers need --engine dask")
        return LocalEngine()
    if name == "dask":
        if scheduler is not None and workers is not None:
            raise EngineError("give either --scheduler (a running cluster) or --workers (a cluster on this machine)")
        if workers is not None and workers < 1:
            raise EngineError(f"--workers {workers}: must be a whole number ≥ 1")
        try:
            from matching.engines.dask import DaskEngine  # noqa: PLC0415 -- an optional extra, loaded on demand
        except ImportError:
            raise EngineError(
                f"the dask engine needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT}"
            ) from None
        return DaskEngine(scheduler=scheduler, workers=workers)
    raise EngineError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Done", "Engine", "EngineError", "LocalEngine", "make_engine"]
