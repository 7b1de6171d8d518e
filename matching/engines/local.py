"""The local engine: every task in this process, one after the other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


class LocalEngine:
    """Runs each item in this process, in order. Shared objects are passed as they are."""

    name = "local"

    @property
    def workers(self) -> int:
        return 1

    def share(self, obj: Any) -> Any:
        return obj

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
        out = []
        for k, item in enumerate(items):
            result = fn(*shared, item)
            if consume is not None:
                consume(k, result)
            else:
                out.append(result)
            if done is not None:
                done(k + 1, len(items))
        return out

    def close(self) -> None:
        return None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
