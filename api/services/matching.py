"""The matching engine behind the API: one prepared matcher per region, kept while the data stands.

Preparing candidates (normalising skills, text vectors, the spatial index) is the expensive step,
so each region's :class:`~matching.matcher.Matcher` is kept and reused while the data it holds stands
(:meth:`Store.matching_version`: the region's candidates, the vacancies, the catalogue) and the date
is the same. A regional key's suggestions come from its region's matcher, which holds no other
region's candidates at all; a write in another region leaves it as it is.

After a write to its candidates or to the vacancies, a matcher is updated, not prepared again: the
rows whose ``updated_at`` changed (or that came or went) are read, prepared and their pairs ranked
(:meth:`Matcher.updated`), everything else is kept; the answers are those of a matcher prepared anew
with the same fitted text space and vocabularies. A change to the contractors or obligations, a new
day, or a change to more than :data:`MAX_UPDATE_SHARE` of the rows prepares the region again.

A server warms up as it starts (:meth:`MatchingService.start_warming`): a background thread prepares
the matcher of every region the stored candidates are in, one after the other, so that no request
after a restart waits for it. A request for a region that is being prepared waits for that
region's matcher; it is never given a half-built one.

Each matcher then ranks every eligible pair of its region once (:meth:`Matcher.rank_everything`,
:mod:`matching.shortlists`), so a suggestion is read from a shortlist instead of screening
thousands of pairs: at start-up as part of the warm-up, after a write in a background thread
(the compiled kernels release the GIL) while the new matcher answers each question on demand.
The answers are the same either way.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import pandas as pd

from api.bootstrap import Runtime
from matching.matcher import Matcher, check_min_retention
from matching.scorers import Scorer
from models.dataset import Dataset
from models.schema import FILES_BY_NAME
from models.store import Store
from models.store.convert import db_rows_to_table

log = logging.getLogger("koppelaar.api")

#: What ``/healthz`` says of a process's matchers: being prepared at start-up, all prepared, or
#: prepared by the first request of each region (warm-up switched off).
WarmState = Literal["warming", "ready", "on demand"]


#: A write that changes more than this share of a region's candidates or of the vacancies prepares
#: the region again instead of updating it row by row.
MAX_UPDATE_SHARE = 0.1

Version = tuple[int, int, int]  # Store.matching_version
Stamps = dict[str, datetime]  # when each row last changed, by id


@dataclass
class _Entry:
    version: Version
    day: date
    matcher: Matcher
    candidates: Stamps  # the rows the matcher holds, as they were when read
    vacancies: Stamps


class MatchingService:
    """Prepared matchers per region, rebuilt when the store's data changes."""

    def __init__(self, store: Store, runtime: Runtime) -> None:
        self.store = store
        self.runtime = runtime
        self._scorer: Scorer | None = runtime.model
        check_min_retention(self._scorer, runtime.settings.min_retention)  # refused at start-up, not per request
        self._entries: dict[str | None, _Entry] = {}
        self._locks: dict[str | None, threading.Lock] = {}
        self._guard = threading.Lock()
        self._ranking: set[str | None] = set()  # regions whose pairs a background thread is ranking
        self._state: WarmState = "on demand"
        self._stop = threading.Event()
        self._warmer: threading.Thread | None = None

    @property
    def scorer(self) -> Scorer | None:
        return self._scorer

    @property
    def state(self) -> WarmState:
        """``warming`` while the start-up warm-up runs, then ``ready``; ``on demand`` without warm-up."""
        return self._state

    def _lock(self, region: str | None) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(region, threading.Lock())

    def prepared(self, region: str | None, version: Version, day: date) -> Matcher | None:
        """The matcher of ``region`` if it is prepared for data ``version`` and ``day``, else ``None``
        (then :meth:`matcher` prepares it, which takes seconds). Never waits."""
        entry = self._entries.get(region)
        if entry is not None and entry.version == version and entry.day == day:
            return entry.matcher
        return None

    def matcher(self, region: str | None, today: date | None = None, version: Version | None = None) -> Matcher:
        """The matcher of ``region``'s candidates (``None``: every region) for the current data.

        ``version`` is :meth:`Store.matching_version` when the caller has just read it (one query less).
        """
        day = today or date.today()
        if version is None:
            with self.store.connect() as conn:
                version = self.store.matching_version(conn, region)
        matcher = self.prepared(region, version, day)
        if matcher is not None:
            return matcher
        with self._lock(region):
            matcher = self.prepared(region, version, day)
            if matcher is not None:
                return matcher
            started = time.perf_counter()
            entry = self._entries.get(region)
            if entry is not None and entry.day == day and entry.version[2] == version[2]:
                updated = self._update(region, entry, version)
                if updated is not None:
                    self._entries[region] = updated
                    log.info("updated the matcher of %s in %.0f ms", region or "every region", _ms_since(started))
                    return updated.matcher
            with self.store.connect() as conn:  # the stamps first: the rows read after are as new or newer
                candidates = self.store.stamps(conn, "candidates", region)
                vacancies = self.store.stamps(conn, "vacancies")
            ds = self.store.load_dataset(region)
            matcher = Matcher(
                self.runtime.prepare(ds, day), self._scorer, min_retention=self.runtime.settings.min_retention
            )
            self._entries[region] = _Entry(version, day, matcher, candidates, vacancies)
            log.info(
                "prepared the matcher of %s (data version %s) in %.1f s",
                region or "every region",
                version,
                time.perf_counter() - started,
            )
        if self._state != "warming":  # the warm-up settles once, at its end (and ranks as it goes)
            settle()
            if matcher.shortlists is None:
                self._rank_later(region)
        return matcher

    def _update(self, region: str | None, entry: _Entry, version: Version) -> _Entry | None:
        """``entry`` brought up to ``version`` row by row, or ``None`` when too much changed."""
        store = self.store
        with store.connect() as conn:
            candidates = store.stamps(conn, "candidates", region)
            vacancies = store.stamps(conn, "vacancies")
            c_changed, c_gone = _changes(entry.candidates, candidates)
            v_changed, v_gone = _changes(entry.vacancies, vacancies)
            held = entry.matcher.p
            if len(c_changed) + len(c_gone) > MAX_UPDATE_SHARE * max(held.n_candidates, 1) or len(v_changed) + len(
                v_gone
            ) > MAX_UPDATE_SHARE * max(held.n_vacancies, 1):
                return None
            c_rows = store.fetch_rows(conn, "candidates", c_changed)
            if region is not None:  # one that moved away since its stamp was read is not this region's
                c_rows = [r for r in c_rows if r["region"] == region]
            v_rows = store.fetch_rows(conn, "vacancies", v_changed)
        old = held.ds
        ds = Dataset(
            contractors=old.contractors,
            obligations=old.obligations,
            vacancies=_splice(old.vacancies, "vacancies", [*v_changed, *v_gone], v_rows),
            candidates=_splice(old.candidates, "candidates", [*c_changed, *c_gone], c_rows),
            placements=old.placements,  # no matcher reads them
        )
        matcher = entry.matcher.updated(ds, candidates=[*c_changed, *c_gone], vacancies=[*v_changed, *v_gone])
        return _Entry(version, entry.day, matcher, candidates, vacancies)

    def _rank(self, matcher: Matcher, region: str | None) -> None:
        started = time.perf_counter()
        lists = matcher.rank_everything()
        log.info(
            "ranked the pairs of %s: %d eligible of %d screened, %.1f MB of shortlists, in %.1f s",
            region or "every region",
            lists.pairs_eligible,
            lists.pairs_screened,
            lists.nbytes / 1e6,
            time.perf_counter() - started,
        )

    def _rank_later(self, region: str | None) -> None:
        """Rank the pairs of ``region``'s current matcher in a background thread, one at a time per
        region; until it is done, that matcher answers each question on demand."""
        with self._guard:
            if region in self._ranking:
                return
            self._ranking.add(region)

        def run() -> None:
            try:
                while not self._stop.is_set():
                    entry = self._entries.get(region)
                    if entry is None or entry.matcher.shortlists is not None:
                        break
                    self._rank(entry.matcher, region)  # a write meanwhile: the loop ranks the new one
            except Exception as exc:  # the type only: a message could hold candidate data
                log.warning("could not rank the pairs of %s (%s)", region or "every region", type(exc).__name__)
            finally:
                with self._guard:
                    self._ranking.discard(region)

        threading.Thread(target=run, name="koppelaar-rank", daemon=True).start()

    # -- warm-up at start ----------------------------------------------------------------------

    def warm(self, regions: Iterable[str | None] | None = None) -> int:
        """Prepare the matcher of each of ``regions`` (default: every region of the stored candidates),
        one after the other; returns how many were prepared. A region that fails is logged and left
        to its first request. National keys (no region) are not warmed: their matcher holds every
        candidate and is prepared when one is first used."""
        done = 0
        for region in self.store.regions() if regions is None else regions:
            if self._stop.is_set():
                break
            try:
                matcher = self.matcher(region)
            except Exception as exc:  # the type only: a message could hold candidate data
                log.warning(
                    "could not prepare the matcher of %s (%s); its first request will", region, type(exc).__name__
                )
                continue
            if matcher.shortlists is None:
                try:
                    self._rank(matcher, region)
                except Exception as exc:  # the type only; the region's questions are answered on demand
                    log.warning("could not rank the pairs of %s (%s)", region or "every region", type(exc).__name__)
            with suppress(Exception):  # only a head start: a real request reports its own errors
                _first_requests(matcher)
            done += 1
        return done

    def start_warming(self) -> None:
        """Warm every region in a background thread: :attr:`state` is ``warming`` until it is done."""
        self._state = "warming"

        def run() -> None:
            started = time.perf_counter()
            try:
                done = self.warm()
                log.info("warm-up: prepared %d regions' matchers in %.1f s", done, time.perf_counter() - started)
            except Exception as exc:  # the store went away (shutting down), or could not list the regions
                log.warning("warm-up stopped (%s); each region is prepared by its first request", type(exc).__name__)
            finally:
                settle()
                self._state = "ready"

        self._warmer = threading.Thread(target=run, name="koppelaar-warm-up", daemon=True)
        self._warmer.start()

    def close(self, timeout: float = 60.0) -> None:
        """Stop warming after the region in hand (waiting at most ``timeout`` seconds for it)."""
        self._stop.set()
        if self._warmer is not None:
            self._warmer.join(timeout)


def _changes(held: Stamps, now: Stamps) -> tuple[list[str], list[str]]:
    """The ids whose rows changed or came (by their stamps), and the ids that are gone."""
    changed = [key for key, stamp in now.items() if held.get(key) != stamp]
    return changed, [key for key in held if key not in now]


def _splice(frame: pd.DataFrame, file: str, replaced: list[str], rows: list[dict[str, object]]) -> pd.DataFrame:
    """``frame`` without the rows of ``replaced``, with ``rows`` (database values) instead, in id order."""
    if not replaced:
        return frame
    spec = FILES_BY_NAME[file]
    kept = frame[~frame[spec.key].astype(str).isin(set(replaced))]
    if rows:
        kept = pd.concat([kept, db_rows_to_table(spec, rows)], ignore_index=True)
    order = kept[spec.key].astype(str).to_numpy().argsort(kind="stable")
    return kept.iloc[order].reset_index(drop=True)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def settle() -> None:
    """Collect what the matchers just replaced left behind, then exempt every object alive now from the
    cyclic garbage collector (:func:`gc.freeze`).

    Prepared matchers are a great many long-lived objects; without this, each full collection walks
    them all, a pause for every request in the process that grows with the candidates (up to a few
    hundred milliseconds with 10,000 of them). Frozen objects are still freed when their last
    reference goes; the ``unfreeze`` first lets a full collection free what a replaced matcher kept
    in reference cycles.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _first_requests(matcher: Matcher, tries: int = 3) -> None:
    """A suggestion each way, so that the first real request does not pay for what a matcher does once
    (its id ranks; in a new process, loading the compiled kernels): with the first ids that have one."""
    p = matcher.p
    for ids, suggest in (
        (p.vacancy_ids, matcher.suggest_for_vacancy),
        (p.candidate_ids, matcher.suggest_for_candidate),
    ):
        for key in ids[:tries]:
            if len(suggest(str(key), 1)):
                break


__all__ = ["MatchingService", "WarmState", "settle"]
