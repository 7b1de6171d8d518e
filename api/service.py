"""The matching engine behind the API: one prepared matcher per region, kept while the data stands.

Preparing candidates (normalising skills, text vectors, the spatial index) is the expensive step,
so each region's :class:`~matching.engine.Matcher` is kept and reused until a write changes the
store's data version or the date changes. A regional key's suggestions come from its region's
matcher, which holds no other region's candidates at all.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date

from api.cli_match import prepared_from
from api.loaders import read_model
from api.settings import Settings
from matching.engine import Matcher
from matching.scorers import Scorer
from models.store import Store

log = logging.getLogger("koppelaar.api")


@dataclass
class _Entry:
    version: int
    day: date
    matcher: Matcher


class MatchingService:
    """Prepared matchers per region, rebuilt when the store's data changes."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._scorer: Scorer | None = read_model(settings.model) if settings.model is not None else None
        self._entries: dict[str | None, _Entry] = {}
        self._locks: dict[str | None, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def scorer(self) -> Scorer | None:
        return self._scorer

    def _lock(self, region: str | None) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(region, threading.Lock())

    def matcher(self, region: str | None, today: date | None = None) -> Matcher:
        """The matcher of ``region``'s candidates (``None``: every region) for the current data."""
        day = today or date.today()
        version = self.store.version()
        entry = self._entries.get(region)
        if entry is not None and entry.version == version and entry.day == day:
            return entry.matcher
        with self._lock(region):
            entry = self._entries.get(region)
            if entry is not None and entry.version == version and entry.day == day:
                return entry.matcher
            started = time.perf_counter()
            ds = self.store.load_dataset(region)
            matcher = Matcher(prepared_from(ds, day, self.settings), self._scorer)
            self._entries[region] = _Entry(version, day, matcher)
            log.info(
                "prepared the matcher of %s (data version %d) in %.1f s",
                region or "every region",
                version,
                time.perf_counter() - started,
            )
            return matcher


__all__ = ["MatchingService"]
