"""The engine interface: what every engine offers, and its error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from models.errors import KoppelaarError

R = TypeVar("R")


class EngineError(KoppelaarError):
    """An engine that cannot be made or that lost work it could not redo."""


#: ``done(items finished, items in all)``: called after each finished item.
Done = Callable[[int, int], None]


class Engine(Protocol):
    """Runs pure functions over work items, here or on workers."""

    name: str

    @property
    def workers(self) -> int:
        """How many tasks can run at once."""
        ...

    def share(self, obj: Any) -> Any:
        """A handle on ``obj`` that :meth:`map` passes to its function in place of ``obj``."""
        ...

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[Any],
        *,
        shared: Sequence[Any] = (),
        done: Done | None = None,
        label: str = "task",
        consume: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        """``[fn(*shared_objects, item) for item in items]``, in the items' order.

        With ``consume``, each result is handed to ``consume(index, result)`` as soon as it is ready
        (in any order) and not kept: the list returned is then empty.
        """
        ...

    def close(self) -> None:
        """Let go of workers and shared objects."""
        ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...
