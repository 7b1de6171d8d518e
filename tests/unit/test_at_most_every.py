"""The freed memory is handed back at most every few seconds during a burst of writes, and after its last."""

from __future__ import annotations

import time

from api.services.matching import AtMostEvery


def test_a_burst_runs_the_action_at_once_then_once_after_it() -> None:
    runs: list[float] = []
    every = AtMostEvery(0.2, lambda: runs.append(time.monotonic()))
    started = time.monotonic()
    for _ in range(5):  # a burst: the first runs at once, the rest are taken in by one later run
        every()
    assert len(runs) == 1
    deadline = time.monotonic() + 5
    while len(runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(runs) == 2
    assert runs[1] - started >= 0.2
    time.sleep(0.3)
    assert len(runs) == 2  # nothing more was asked
    every()  # long enough after the last run: at once
    assert len(runs) == 3
