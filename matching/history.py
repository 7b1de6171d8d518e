"""What a coach knows beyond the pair: each candidate's and each contractor's track record, time on
benefit, what the coach notes say, levels of one side alone.

These features belong to one side of a pair, so they are worked out once per candidate and once per
vacancy (its contractor's record, its physical load) and looked up per pair
(:func:`matching.features.side_features`); the pair features stay in :mod:`matching.rulebook`.

**A track record is read as of a day.** Only placements that started at least :data:`OUTCOME_DAYS`
before that day and whose 6-month outcome is known count: by then every such outcome was known, so
early failures are not over-counted among recent placements. For suggestions and the plan the day is
today; for a training placement it is that placement's own start, so neither its own outcome nor any
later one is read (:func:`training_side_features`). Shares are smoothed towards the whole history's
rate as of the same day with :data:`PRIOR_WEIGHT` pseudo-placements, so one placement does not make a
record.

**The coach notes** (``profile_text``) get a text model of retention: TF-IDF on character n-grams
within words (:func:`matching.prepare.tfidf_matrix`) and a logistic regression on the labelled
placements. It is cross-fitted: the candidates are split into :data:`NOTES_FOLDS` groups and a
candidate's estimate comes from the model fitted on the other groups' placements, so it never reads
their own outcomes; a candidate without a labelled placement gets the model fitted on all of them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from matching import rulebook as rb
from matching.prepare import Prepared, tfidf_matrix

#: Days after a placement's start by which its 6-month outcome is known.
OUTCOME_DAYS = 183.0
#: Pseudo-placements at the overall rate added to every track record.
PRIOR_WEIGHT = 5.0
#: Candidate groups of the notes model's cross-fitting.
NOTES_FOLDS = 5
#: Fewer labelled placements than this (or one outcome only): no notes model, the estimate is unknown.
NOTES_MIN_LABELS = 40

CANDIDATE_FEATURES: tuple[str, ...] = (
    "candidate_placements",  # the candidate's earlier placements with a known 6-month outcome
    "candidate_retention",  # the smoothed share of those that lasted 6 months
    "benefit_months",  # months on benefit (as of the day the record is read)
    "language_level",  # the candidate's Dutch, in CEFR steps
    "notes_retention",  # the coach notes' text model's estimate of lasting 6 months (cross-fitted)
)
VACANCY_FEATURES: tuple[str, ...] = (
    "contractor_placements",  # the contractor's earlier placements with a known 6-month outcome
    "contractor_retention",  # the smoothed share of those that lasted 6 months
    "contractor_pso_level",  # the contractor's PSO rung (geen 0 … trede3 5)
    "physical_load",  # the place's physical load level
)
SIDE_FEATURES: tuple[str, ...] = (*CANDIDATE_FEATURES, *VACANCY_FEATURES)


@dataclass(frozen=True)
class History:
    """The labelled placement history of a prepared dataset, as row numbers and float days."""

    candidate: np.ndarray  # candidate row of each labelled placement
    vacancy: np.ndarray  # vacancy row
    contractor: np.ndarray  # contractor row of the vacancy (-1: unknown)
    start: np.ndarray  # float days
    retained: np.ndarray  # bool: lasted 6 months


def labelled_history(p: Prepared) -> History:
    """Every placement whose 6-month outcome is known and whose candidate and vacancy are in the dataset."""
    plc = p.ds.placements
    known = plc["retained_6m"].notna().to_numpy()
    ci = p.candidate_rows(plc["candidate_id"][known])
    vi = p.vacancy_rows(plc["vacancy_id"][known])
    start = rb.float_days(plc["start_date"][known].to_numpy(dtype="datetime64[D]"))
    retained = plc["retained_6m"][known].astype(bool).to_numpy()
    ok = (ci >= 0) & (vi >= 0) & ~np.isnan(start)
    ci, vi = ci[ok], vi[ok]
    contractor = np.asarray(p.v_contractor, dtype=np.int64)[vi]
    return History(ci, vi, contractor, start[ok], retained[ok])


def track_record(
    keys: np.ndarray,
    starts: np.ndarray,
    retained: np.ndarray,
    *,
    query: np.ndarray,
    as_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per query (a key and a day): how many placements of that key started :data:`OUTCOME_DAYS` or
    more before the day, and the share that lasted, smoothed towards :func:`overall_rate` as of the
    same day. A key of -1 is unknown: NaN, NaN."""
    keys = np.asarray(keys, dtype=np.int64)
    query = np.asarray(query, dtype=np.int64)
    order = np.lexsort((starts, keys))
    k_sorted, s_sorted = keys[order], np.asarray(starts, dtype=float)[order]
    kept = np.concatenate([[0], np.cumsum(retained[order].astype(np.int64))])
    first = np.searchsorted(k_sorted, query, side="left")
    last = np.searchsorted(k_sorted, query, side="right")
    cutoff = np.asarray(as_of, dtype=float) - OUTCOME_DAYS
    count = np.zeros(len(query), dtype=np.int64)
    for i in np.flatnonzero(last > first):  # few keys and few placements each: a search per query
        count[i] = np.searchsorted(s_sorted[first[i] : last[i]], cutoff[i], side="right")
    lasted = kept[first + count] - kept[first]
    share = (lasted + PRIOR_WEIGHT * overall_rate(starts, retained, cutoff)) / (count + PRIOR_WEIGHT)
    unknown = (query < 0) | np.isnan(cutoff)
    return np.where(unknown, np.nan, count.astype(float)), np.where(unknown, np.nan, share)


def overall_rate(starts: np.ndarray, retained: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """Per cut-off day, the share of all placements started by then that lasted, with one lasting and
    one failed pseudo-placement (a half before any)."""
    order = np.argsort(starts, kind="stable")
    s_sorted = np.asarray(starts, dtype=float)[order]
    kept = np.concatenate([[0], np.cumsum(np.asarray(retained, dtype=np.int64)[order])])
    count = np.searchsorted(s_sorted, np.nan_to_num(cutoff, nan=-np.inf), side="right")
    return np.asarray((kept[count] + 1.0) / (count + 2.0), dtype=float)


def notes_retention(p: Prepared, h: History) -> np.ndarray:
    """Per candidate, the notes model's cross-fitted estimate of lasting 6 months (NaN: no notes, or
    too little history to fit a model)."""
    notes = p.ds.candidates["profile_text"].astype(object)
    has = np.asarray([isinstance(t, str) and bool(t.strip()) for t in notes], dtype=bool)
    out = np.full(p.n_candidates, np.nan)
    rows = np.flatnonzero(has[h.candidate])
    if len(rows) < NOTES_MIN_LABELS or h.retained[rows].min() == h.retained[rows].max():
        return out
    written = np.flatnonzero(has)
    try:
        m = tfidf_matrix([str(notes.iloc[i]) for i in written])
    except ValueError:  # no n-gram in two notes: nothing to learn from
        return out
    position = np.full(p.n_candidates, -1, dtype=np.int64)
    position[written] = np.arange(len(written))
    cand, y = h.candidate[rows], h.retained[rows]
    fold = _candidate_folds(cand)

    def fitted(use: np.ndarray) -> LogisticRegression | None:
        if len(use) < NOTES_MIN_LABELS or y[use].min() == y[use].max():
            return None
        return LogisticRegression(C=1.0, max_iter=1000).fit(m[position[cand[use]]], y[use])

    everyone = fitted(np.arange(len(y)))
    if everyone is not None:
        out[written] = everyone.predict_proba(m)[:, 1]
    for k in range(NOTES_FOLDS):
        inside = np.unique(cand[fold == k])
        model = fitted(np.flatnonzero(fold != k))
        out[inside] = model.predict_proba(m[position[inside]])[:, 1] if model is not None else np.nan
    return out


def _candidate_folds(cand: np.ndarray) -> np.ndarray:
    """A fold per row, the same for all rows of a candidate: candidates dealt round-robin in the
    order of a seeded shuffle (deterministic)."""
    distinct = np.unique(cand)
    rng = np.random.default_rng(0)
    fold_of = np.empty(len(distinct), dtype=np.int64)
    fold_of[rng.permutation(len(distinct))] = np.arange(len(distinct)) % NOTES_FOLDS
    return np.asarray(fold_of[np.searchsorted(distinct, cand)], dtype=np.int64)


@dataclass(frozen=True)
class SideTables:
    """The side features of one prepared dataset read as of its today: a row per candidate
    (:data:`CANDIDATE_FEATURES`) and a row per vacancy (:data:`VACANCY_FEATURES`)."""

    candidates: np.ndarray
    vacancies: np.ndarray
    history: History
    notes: np.ndarray  # per candidate, the notes model's estimate
    benefit_since: np.ndarray  # per candidate, float days
    pso: np.ndarray  # per contractor, the PSO rung (NaN: unknown)


def side_tables(p: Prepared) -> SideTables:
    """The per-candidate and per-vacancy tables as of ``p``'s today (made once per dataset)."""
    h = labelled_history(p)
    today = float(rb.float_days(np.array([p.config.today], dtype="datetime64[D]"))[0])
    notes = notes_retention(p, h)
    since = rb.float_days(p.ds.candidates["benefit_since"].to_numpy(dtype="datetime64[D]"))
    pso = _ordinal(p.ds.contractors["pso_level"])
    everyone = np.arange(p.n_candidates)
    candidates = _candidate_rows(p, h, notes, since, ci=everyone, as_of=np.full(p.n_candidates, today))
    vac = np.arange(p.n_vacancies)
    vacancies = _vacancy_rows(p, h, pso, vac, np.full(p.n_vacancies, today))
    return SideTables(candidates, vacancies, h, notes, since, pso)


def training_side_features(p: Prepared, tables: SideTables) -> np.ndarray:
    """The side features of each labelled placement of ``tables.history`` (rows × :data:`SIDE_FEATURES`),
    read as of that placement's start."""
    h = tables.history
    c = _candidate_rows(p, h, tables.notes, tables.benefit_since, ci=h.candidate, as_of=h.start)
    v = _vacancy_rows(p, h, tables.pso, h.vacancy, h.start)
    return np.hstack([c, v])


def _candidate_rows(
    p: Prepared, h: History, notes: np.ndarray, since: np.ndarray, *, ci: np.ndarray, as_of: np.ndarray
) -> np.ndarray:
    count, share = track_record(h.candidate, h.start, h.retained, query=ci, as_of=as_of)
    benefit = rb.ufunc(rb.months_since)(since[ci], as_of)
    return np.column_stack([count, share, benefit, p.c_lang[ci], notes[ci]]).astype(float)


def _vacancy_rows(p: Prepared, h: History, pso: np.ndarray, vi: np.ndarray, as_of: np.ndarray) -> np.ndarray:
    contractor = np.asarray(p.v_contractor, dtype=np.int64)[vi]
    count, share = track_record(h.contractor, h.start, h.retained, query=contractor, as_of=as_of)
    level = np.where(contractor >= 0, pso[np.maximum(contractor, 0)] if len(pso) else np.nan, np.nan)
    return np.column_stack([count, share, level, p.v_phys[vi]]).astype(float)


def carry_tables(base: Prepared, p: Prepared, moved: tuple[np.ndarray, np.ndarray] | None = None) -> SideTables:
    """The side tables of ``p``, a dataset prepared row by row from ``base`` (:meth:`Prepared.updated`),
    fitted at ``base``'s full preparation as its text space is: ``base``'s labelled history and notes
    estimates, looked up by id, read as of ``p``'s today. A candidate who is new or whose notes changed
    has no notes estimate until the next full preparation (a new day at the latest). Registered for
    :func:`tables_of`.

    ``moved``: per row of ``base``'s candidates and of its vacancies, its row in ``p`` (-1: prepared
    anew or gone), as :class:`~matching.prepare.RowUpdate` gives them. A kept row is then found
    through it (only the rows prepared anew are looked up by id), and keeps its row of the tables, as
    long as the history is the same placements with the same contractors on the same day (a row's side
    features depend on nothing else); only the other rows are worked out."""
    fitted = tables_of(base)
    h = fitted.history
    c_moved, v_moved = moved if moved is not None else (None, None)
    same_people = p.ds.candidates is base.ds.candidates  # the very rows: ids, notes and dates as they were
    ci = h.candidate if same_people else _rows_now(h.candidate, c_moved, base.candidate_ids, p.candidate_rows)
    vi = _rows_now(h.vacancy, v_moved, base.vacancy_ids, p.vacancy_rows)
    ok = (ci >= 0) & (vi >= 0)
    history = History(ci[ok], vi[ok], np.asarray(p.v_contractor, dtype=np.int64)[vi[ok]], h.start[ok], h.retained[ok])
    if same_people:
        notes, since = fitted.notes, fitted.benefit_since
    else:
        notes, since = _carried_notes(base, p, fitted.notes, c_moved)
    today = float(rb.float_days(np.array([p.config.today], dtype="datetime64[D]"))[0])
    pso = _ordinal(p.ds.contractors["pso_level"])
    same_history = (
        moved is not None
        and bool(ok.all())
        and p.config.today == base.config.today
        and np.array_equal(history.contractor, h.contractor)
        and np.array_equal(pso, fitted.pso, equal_nan=True)
    )
    c_kept = c_moved if c_moved is not None and same_history else np.full(base.n_candidates, -1)
    v_kept = v_moved if v_moved is not None and same_history else np.full(base.n_vacancies, -1)
    candidates, c_new = _taken_over(fitted.candidates, c_kept, p.n_candidates)
    candidates[c_new] = _candidate_rows(p, history, notes, since, ci=c_new, as_of=np.full(len(c_new), today))
    vacancies, v_new = _taken_over(fitted.vacancies, v_kept, p.n_vacancies)
    vacancies[v_new] = _vacancy_rows(p, history, pso, v_new, np.full(len(v_new), today))
    tables = SideTables(
        candidates,
        vacancies,
        history,
        notes,
        since,
        pso,
    )
    _TABLES[p] = tables
    return tables


def _rows_now(
    rows: np.ndarray, moved: np.ndarray | None, ids: np.ndarray, rows_of: Callable[[pd.Series], np.ndarray]
) -> np.ndarray:
    """The row in the updated dataset of each of ``rows`` (rows of the dataset it was updated from, whose
    ids are ``ids``), -1 where it is gone: a kept row's from ``moved``, any other by its id (``rows_of``)."""
    if moved is None:
        return rows_of(pd.Series(ids[rows]))
    now: np.ndarray = moved[rows]  # a copy (rows is an index array)
    anew = np.flatnonzero(now < 0)
    if len(anew):
        now[anew] = rows_of(pd.Series(ids[rows[anew]]))
    return now


def _carried_notes(
    base: Prepared, p: Prepared, estimates: np.ndarray, moved: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate of ``p``: the notes estimate of ``base`` when the notes are the same (NaN for a new
    candidate or changed notes), and the benefit start in float days. ``moved``: per candidate row of
    ``base``, its row in ``p`` when it was kept as it was (its notes too), else -1."""
    notes = np.full(p.n_candidates, np.nan)
    if moved is None:
        asked = np.arange(p.n_candidates)
    else:
        kept = np.flatnonzero(moved >= 0)
        notes[moved[kept]] = estimates[kept]
        known = np.zeros(p.n_candidates, dtype=bool)
        known[moved[kept]] = True
        asked = np.flatnonzero(~known)  # the rows prepared anew: compared by id and notes
    old = base.candidate_rows(pd.Series(p.candidate_ids[asked]))
    had = np.flatnonzero(old >= 0)
    now_text = p.ds.candidates["profile_text"].iloc[asked[had]].astype(object).to_numpy()
    then_text = base.ds.candidates["profile_text"].iloc[old[had]].astype(object).to_numpy()
    now, then = pd.Series(now_text), pd.Series(then_text)
    same = (now == then) | (now.isna() & then.isna())  # the same notes, or none then and now
    kept_notes = had[same.to_numpy(dtype=bool)]
    notes[asked[kept_notes]] = estimates[old[kept_notes]]
    since = rb.float_days(p.ds.candidates["benefit_since"].to_numpy(dtype="datetime64[D]"))
    return notes, since


def _taken_over(table: np.ndarray, moved: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A table of ``n`` rows holding the rows of ``table`` that ``moved`` maps to a new row (-1: none),
    and the new rows that are left to work out."""
    out = np.empty((n, table.shape[1]))
    kept = np.flatnonzero(moved >= 0)
    out[moved[kept]] = table[kept]
    taken = np.zeros(n, dtype=bool)
    taken[moved[kept]] = True
    return out, np.flatnonzero(~taken)


def _ordinal(series: pd.Series) -> np.ndarray:
    """An ordered categorical's rank, NaN where unknown."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return np.full(len(series), np.nan)
    codes = series.cat.codes.to_numpy().astype(float)
    codes[codes < 0] = np.nan
    return codes


_TABLES: weakref.WeakKeyDictionary[Prepared, SideTables] = weakref.WeakKeyDictionary()


def tables_of(p: Prepared) -> SideTables:
    """:func:`side_tables` of ``p``, made once per prepared dataset."""
    hit = _TABLES.get(p)
    if hit is None:
        hit = _TABLES[p] = side_tables(p)
    return hit
