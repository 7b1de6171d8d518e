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

Nobody waits for an update. The process that took a write brings the matchers it holds up to date
before it answers the write (:meth:`MatchingService.catch_up`), so its next answer holds what was
written. A question that finds its matcher behind the rows (a write in another process, or one
being taken in) is answered at once from the matcher in hand (:meth:`MatchingService.answering`),
while one background thread per process brings the stale matchers up to date, in turns that
take at most :data:`UPDATE_SHARE` of a core; the new matcher is swapped in whole. The caller
removes from such an answer what must never be suggested (see :mod:`api.http.suggestions`).
Only a region's first matcher, a new day or a change to the catalogue makes a question wait.

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

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from api.bootstrap import Runtime
from matching.matcher import Matcher, Suggestions, check_min_retention
from matching.scorers import Scorer
from models.dataset import Dataset
from models.rules import matchable
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

#: The share of one core the background updater may take during a burst of writes: after each turn
#: of updates it pauses so long that its turns take at most this share of the time. Lower keeps
#: more of the machine for questions, higher brings stale matchers up to date sooner.
UPDATE_SHARE = 0.25

#: After a catch-up, the freed memory is handed back to the system at most this often (seconds):
#: ``malloc_trim`` walks the whole heap, several milliseconds of CPU each time.
RELEASE_EVERY = 2.0

#: Splices of the vacancies' frame kept for the other regions' matchers (one per write or turn of updates).
_SPLICES_KEPT = 4

Version = tuple[int, int, int]  # Store.matching_version
Stamps = dict[str, object]  # when each row last changed, by id (Store.stamps)


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
        self._behind: set[str | None] = set()  # regions whose matcher the background updater is to bring up to date
        self._updater: threading.Thread | None = None
        self._state: WarmState = "on demand"
        self._stop = threading.Event()
        self._warmer: threading.Thread | None = None
        self._places_read: tuple[int, Stamps] | None = None  # the vacancies' stamps and the version read before them
        self._places_changed: tuple[Stamps, Stamps, tuple[list[str], list[str]]] | None = None
        self._places_spliced: dict[tuple[object, ...], tuple[pd.DataFrame, pd.DataFrame]] = {}
        self._release_soon = AtMostEvery(RELEASE_EVERY, release_freed_memory)

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

    def answering(self, region: str | None, version: Version, day: date) -> tuple[Matcher, bool] | None:
        """The matcher to answer a question of ``region`` from without waiting, and whether it is behind
        ``version`` (the data as the question read it): the current matcher, or, when only rows of the
        region's candidates or of the vacancies changed since it was made, the matcher in hand while the
        background updater brings it up to date. ``None`` when there is none to answer from (no matcher
        yet, a new day, the catalogue changed): then :meth:`matcher` prepares one, and the question waits."""
        entry = self._entries.get(region)
        if entry is None or entry.day != day:
            return None
        if _covers(entry.version, version):
            return entry.matcher, False
        if entry.version[2] != version[2]:
            return None
        self._update_later(region)
        return entry.matcher, True

    def _current(self, region: str | None, version: Version, day: date) -> Matcher | None:
        """The matcher of ``region`` if it holds at least the data of ``version`` (a newer one will do)."""
        entry = self._entries.get(region)
        if entry is not None and entry.day == day and _covers(entry.version, version):
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
        matcher = self._current(region, version, day)
        if matcher is not None:
            return matcher
        with self._lock(region):
            matcher = self._current(region, version, day)
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
            ds = self._shared_places(self.store.load_dataset(region), vacancies)
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
            # a part whose data version stands holds the rows its stamps were read for (the version and
            # the rows change in one transaction): its stamps are not read again
            same_people, same_places = entry.version[0] == version[0], entry.version[1] == version[1]
            candidates = entry.candidates if same_people else store.stamps(conn, "candidates", region)
            vacancies = entry.vacancies if same_places else self._vacancy_stamps(conn, version)
            c_changed, c_gone = _changes(entry.candidates, candidates)
            v_changed, v_gone = self._vacancy_changes(entry.vacancies, vacancies)
            held = entry.matcher.p
            if len(c_changed) + len(c_gone) > MAX_UPDATE_SHARE * max(held.n_candidates, 1) or len(v_changed) + len(
                v_gone
            ) > MAX_UPDATE_SHARE * max(held.n_vacancies, 1):
                return None
            c_rows = store.fetch_rows(conn, "candidates", c_changed)
            if region is not None:  # one that moved away since its stamp was read is not this region's
                c_rows = [r for r in c_rows if r["region"] == region]
            v_rows = store.fetch_rows(conn, "vacancies", v_changed)
        if not (c_changed or c_gone or v_changed or v_gone):  # the writes counted touched no row it holds
            return _Entry(version, entry.day, entry.matcher, candidates, vacancies)
        old = held.ds
        ds = Dataset(
            contractors=old.contractors,
            obligations=old.obligations,
            vacancies=self._spliced_places(old.vacancies, vacancies, [*v_changed, *v_gone], v_rows),
            candidates=_splice(old.candidates, "candidates", [*c_changed, *c_gone], c_rows),
            placements=old.placements,  # no matcher reads them
            contributions=old.contributions,
        )
        matcher = entry.matcher.updated(ds, candidates=[*c_changed, *c_gone], vacancies=[*v_changed, *v_gone])
        return _Entry(version, entry.day, matcher, candidates, vacancies)

    def _vacancy_changes(self, held: Stamps, now: Stamps) -> tuple[list[str], list[str]]:
        """:func:`_changes` of the vacancies, worked out once for every region's matcher that held the same
        stamps (the matchers brought up to one version share the stamps read for it)."""
        found = self._places_changed
        if found is not None and found[0] is held and found[1] is now:
            return found[2]
        changes = _changes(held, now)
        self._places_changed = (held, now, changes)
        return changes

    def _spliced_places(
        self, frame: pd.DataFrame, now: Stamps, replaced: list[str], rows: list[dict[str, object]]
    ) -> pd.DataFrame:
        """:func:`_splice` of the vacancies, made once for every region's matcher holding the same
        ``frame``: the rows read for one set of stamps of ``replaced`` are at least as new as those stamps,
        so each matcher may take the same rows, whichever of them read them."""
        if not replaced:
            return frame
        key = (id(frame), tuple((i, now.get(i)) for i in replaced))
        with self._guard:
            hit = self._places_spliced.get(key)
        if hit is not None and hit[0] is frame:  # the frame is held there: its id is not reused meanwhile
            return hit[1]
        spliced = _splice(frame, "vacancies", replaced, rows)
        with self._guard:
            self._places_spliced[key] = (frame, spliced)
            while len(self._places_spliced) > _SPLICES_KEPT:
                del self._places_spliced[next(iter(self._places_spliced))]
        return spliced

    def _shared_places(self, ds: Dataset, stamps: Stamps) -> Dataset:
        """``ds`` with the vacancies' frame of a matcher held already when it holds the same rows, so that
        every region's matcher holds one frame of the vacancies and a write's rows are spliced into it once."""
        for entry in list(self._entries.values()):
            held = entry.matcher.p.ds.vacancies
            if held is ds.vacancies or entry.vacancies != stamps:
                continue
            if held.equals(ds.vacancies):
                return replace(ds, vacancies=held)
        return ds

    def _vacancy_stamps(self, conn: Connection, version: Version) -> Stamps:
        """The vacancies' stamps, read after data ``version`` was: read once for every region's matcher
        brought up to that version (a vacancy is in all of them)."""
        held = self._places_read
        if held is not None and held[0] == version[1]:
            return held[1]
        stamps = self.store.stamps(conn, "vacancies")
        self._places_read = (version[1], stamps)
        return stamps

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

    def suggestable(self, found: Suggestions, region: str | None) -> Suggestions:
        """The suggestions of ``found`` that the rows as they are now still allow, for an answer from a
        matcher behind the store: the candidate has consented, is available
        (:func:`models.rules.matchable`) and is in ``region`` (any, for ``None``), and the vacancy is
        additional. What a write changed otherwise shows once the matcher is up to date."""
        if not len(found):
            return found
        people_asked = sorted(set(found.candidate_ids.astype(str).tolist()))
        places_asked = sorted(set(found.vacancy_ids.astype(str).tolist()))
        with self.store.connect() as conn:
            candidates = self.store.fetch_columns(conn, "candidates", people_asked, ["region", "consent", "status"])
            vacancies = self.store.fetch_columns(conn, "vacancies", places_asked, ["additional"])
        allowed = matchable(candidates)
        if region is not None:
            allowed &= candidates["region"].eq(region).fillna(False).astype(bool)
        people = set(candidates.loc[allowed, "candidate_id"])
        places = set(vacancies.loc[vacancies["additional"].fillna(False).astype(bool), "vacancy_id"])
        keep = np.isin(found.candidate_ids.astype(str), list(people)) & np.isin(
            found.vacancy_ids.astype(str), list(places)
        )
        return found.subset(keep)

    # -- bringing matchers up to date after writes ------------------------------------------------

    def catch_up(self) -> None:
        """Bring every matcher this process holds whose candidates' or vacancies' rows changed up to date
        now, row by row: called after a write, so that the next question to this process sees it.
        A matcher whose catalogue or day changed is left to its next question (that prepares it)."""
        day = date.today()
        updated = False
        for region in list(self._entries):
            entry = self._entries.get(region)
            if entry is None or entry.day != day:
                continue
            with self.store.connect() as conn:
                version = self.store.matching_version(conn, region)
            if entry.version[2] == version[2] and not _covers(entry.version, version):
                self.matcher(region, day, version)
                updated = True
        if updated:
            self._release_soon()

    def _update_later(self, region: str | None) -> None:
        """Have the background updater bring ``region``'s matcher up to date (started when idle)."""
        with self._guard:
            self._behind.add(region)
            if self._updater is not None:
                return
            updater = self._updater = threading.Thread(target=self._update_behind, name="koppelaar-update", daemon=True)
        updater.start()

    def _update_behind(self) -> None:
        """The background updater: brings each region that was found behind up to date, in turns, and
        pauses after each turn so that it takes at most :data:`UPDATE_SHARE` of a core; stops when no
        region is behind. Writes that land during a turn or a pause are taken in by the next turn, all
        at once."""
        try:
            while not self._stop.is_set():
                with self._guard:
                    regions, self._behind = self._behind, set()
                    if not regions:
                        self._updater = None
                        break
                started = time.perf_counter()
                for region in sorted(regions, key=lambda r: r or ""):
                    try:
                        self.matcher(region)
                    except Exception as exc:  # the type only; the region's next question tries again
                        what = region or "every region"
                        log.warning("could not update the matcher of %s (%s)", what, type(exc).__name__)
                self._stop.wait((time.perf_counter() - started) * (1 - UPDATE_SHARE) / UPDATE_SHARE)
            release_freed_memory()
        finally:
            with self._guard:
                if self._updater is threading.current_thread():
                    self._updater = None

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


class AtMostEvery:
    """``action`` run at most once every ``seconds``: called sooner, it runs once that much time after its
    last run (so the last of a burst of calls is never dropped), in a timer thread."""

    def __init__(self, seconds: float, action: Callable[[], object]) -> None:
        self.seconds = seconds
        self.action = action
        self._lock = threading.Lock()
        self._last = -seconds  # time.monotonic of the last run
        self._pending = False

    def __call__(self) -> None:
        now = time.monotonic()
        with self._lock:
            if self._pending:
                return
            wait = self._last + self.seconds - now
            if wait > 0:
                self._pending = True
                timer = threading.Timer(wait, self._run_later)
                timer.daemon = True
                timer.start()
                return
            self._last = now
        self.action()

    def _run_later(self) -> None:
        with self._lock:
            self._pending = False
            self._last = time.monotonic()
        self.action()


def _covers(held: Version, asked: Version) -> bool:
    """Whether a matcher made at data version ``held`` holds every change counted in ``asked``."""
    return all(h >= a for h, a in zip(held, asked, strict=True))


def _changes(held: Stamps, now: Stamps) -> tuple[list[str], list[str]]:
    """The ids whose rows changed or came (by their stamps), and the ids that are gone."""
    if now is held:
        return [], []
    changed = [key for key, stamp in now.items() if held.get(key) != stamp]
    return changed, [key for key in held if key not in now]


def _splice(frame: pd.DataFrame, file: str, replaced: list[str], rows: list[dict[str, object]]) -> pd.DataFrame:
    """``frame`` (in id order) without the rows of ``replaced``, with ``rows`` (database values) instead,
    in id order: the kept runs of rows between them are taken as they are, so the frame is copied once.
    When every replaced row is held and comes back (edits only), the rows are replaced in their places
    and only the columns whose values changed are copied (:func:`_with_rows`)."""
    if not replaced:
        return frame
    spec = FILES_BY_NAME[file]
    ids = frame[spec.key].astype(str).to_numpy()
    if len(ids) > 1 and not bool((ids[:-1] < ids[1:]).all()):  # a database's collation may order ids otherwise
        order = ids.argsort(kind="stable")
        frame, ids = frame.iloc[order].reset_index(drop=True), ids[order]
    new = db_rows_to_table(spec, rows) if rows else frame.iloc[:0]
    new_ids = new[spec.key].astype(str).to_numpy()
    order = new_ids.argsort(kind="stable")
    new, new_ids = new.iloc[order], new_ids[order]
    edited = _edited_rows(ids, set(replaced), new_ids)
    if edited is not None and new.dtypes.equals(frame.dtypes) and frame.index.equals(pd.RangeIndex(len(frame))):
        return _with_rows(frame, edited, new)
    gone = set(np.flatnonzero(np.isin(ids, list(set(replaced)))).tolist())
    insert_at = np.searchsorted(ids, new_ids, side="left").tolist()  # ids are unique: an edited row's own place
    pieces: list[pd.DataFrame] = []
    start, j = 0, 0
    for at in sorted(gone | set(insert_at)):
        pieces.append(frame.iloc[start:at])
        while j < len(insert_at) and insert_at[j] == at:
            pieces.append(new.iloc[j : j + 1])
            j += 1
        start = at + 1 if at in gone else at
    pieces.append(frame.iloc[start:])
    return pd.concat([p for p in pieces if len(p)] or [frame.iloc[:0]], ignore_index=True)


def _edited_rows(ids: np.ndarray, replaced: set[str], new_ids: np.ndarray) -> np.ndarray | None:
    """Where the rows of ``new_ids`` (sorted) stand among ``ids`` (sorted) when they are exactly the rows of
    ``replaced`` and every one is held (edits only: nothing comes, nothing goes); else ``None``."""
    if not len(ids) or len(new_ids) != len(replaced) or not replaced.issuperset(new_ids.tolist()):
        return None
    at = np.searchsorted(ids, new_ids)
    if not bool((at < len(ids)).all()) or not np.array_equal(ids[at], new_ids):
        return None
    return at


def _with_rows(frame: pd.DataFrame, at: np.ndarray, new: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its rows ``at`` replaced by the rows of ``new`` (the same columns and types): a column
    whose values these rows leave as they were is shared with ``frame`` (copy on write keeps them apart),
    any other is copied once with the new values in place."""
    places = at.tolist()
    columns = {}
    for (name, held), (_, changed) in zip(frame.items(), new.items(), strict=True):
        before, after = held.array, changed.array
        if all(_same_cell(before[i], after[j]) for j, i in enumerate(places)):
            columns[name] = held
        else:
            values = before.copy()
            values[at] = after
            columns[name] = values
    return pd.DataFrame(columns, copy=False)


def _same_cell(a: object, b: object) -> bool:
    """Whether two cells of a typed table hold the same value (two missing values are the same)."""
    if isinstance(a, tuple) or isinstance(b, tuple):  # a list cell
        return a == b
    missing_a, missing_b = bool(pd.isna(a)), bool(pd.isna(b))  # type: ignore[call-overload]
    return (missing_a and missing_b) or (not missing_a and not missing_b and bool(a == b))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` where the C library has none (not glibc)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand the memory the replaced matchers left free back to the system.

    A matcher's arrays are allocated by the threads that prepare or update it, and glibc keeps what
    they free in those threads' arenas, so after a burst of writes a process stays at its peak
    although its matchers are back to their size; ``malloc_trim`` returns the free pages (tens of
    milliseconds, off the event loop: it is called by the thread that swapped the matchers in).
    """
    if _TRIM is not None:
        _TRIM(0)


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
    release_freed_memory()


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


__all__ = ["MatchingService", "WarmState", "release_freed_memory", "settle"]
