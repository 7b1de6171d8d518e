"""A prepared dataset and its shortlists updated row by row equal those prepared and ranked anew."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from matching.history import carry_tables
from matching.kernels import _build, kernel_data
from matching.matcher import Matcher, train
from matching.prepare import GROUPS, MatchConfig, Prepared, _counted_target_groups
from matching.records import C_CLASS, build_records
from matching.shortlists import Ranked, Shortlists, _best_per, _merge, id_rank
from matching.shortlists import build as build_shortlists
from matching.shortlists import updated as updated_shortlists
from models.dataset import Dataset
from models.valuation import counted_target_groups
from tests.conftest import Worlds

TODAY = date(2026, 10, 1)


@pytest.fixture(scope="module")
def before(worlds: Worlds) -> Matcher:
    world = worlds.copy(1500, 300, 12)
    p = Prepared(world, config=MatchConfig(today=TODAY))
    matcher = Matcher(p, train(p, seed=0))
    matcher.rank_everything()
    return matcher


def _by_id(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _changed(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """Edits, additions, deletions and a consent withdrawn, as the store would hand them over: every
    table in id order. Returns the dataset and the candidate and vacancy ids whose rows changed."""
    c, v = ds.candidates.copy(), ds.vacancies.copy()
    cid, vid = c["candidate_id"].astype(str), v["vacancy_id"].astype(str)
    available = np.flatnonzero(c["consent"].fillna(False).to_numpy(bool) & (c["status"] == "beschikbaar").to_numpy())
    edited, withdrawn, gone = (cid[int(i)] for i in available[[3, 7, 11]])
    i = int(np.flatnonzero(cid == edited)[0])
    # pandas-stubs type a cell of .at as a scalar; the skill columns hold tuples
    skills = cast(tuple[str, ...], c.at[i, "skills"])
    c.at[i, "skills"] = (*skills, "onderwaterlassen met kraan")  # type: ignore[assignment]  # a skill no one had
    c.at[i, "profile_text"] = "Lasser met tien jaar ervaring op zee en in de haven"
    c.at[i, "max_travel_km"] = 60.0
    c.loc[cid == withdrawn, "consent"] = False
    added = c.iloc[[int(available[20])]].copy()
    added["candidate_id"] = "KND-999999"
    added["region"] = "Twente"
    c = _by_id(pd.concat([c[cid != gone], added], ignore_index=True), "candidate_id")
    open_ = np.flatnonzero(v["additional"].fillna(False).to_numpy(bool))
    v_edited, v_gone = vid[int(open_[2])], vid[int(open_[5])]
    j = int(np.flatnonzero(vid == v_edited)[0])
    v.at[j, "title"] = "Zeilmaker jachtbouw"
    v.at[j, "required_skills"] = ("zeilen naaien",)  # type: ignore[assignment]  # a tuple cell, as above
    v_added = v.iloc[[int(open_[9])]].copy()
    v_added["vacancy_id"] = "VAC-999999"
    v_added["hours_per_week"] = 24.0
    v = _by_id(pd.concat([v[vid != v_gone], v_added], ignore_index=True), "vacancy_id")
    out = replace(ds, candidates=c, vacancies=v)
    return out, [edited, withdrawn, gone, "KND-999999"], [v_edited, v_gone, "VAC-999999"]


def _equal(a: object, b: object) -> bool:
    if sparse.issparse(a):
        # scipy has no annotations, so issparse does not narrow: the matrices are taken as Any
        x: Any = a
        y: Any = b
        return bool(sparse.issparse(y) and x.shape == y.shape and x.format == y.format and (x != y).nnz == 0)
    if isinstance(a, np.ndarray) and a.dtype.kind == "M":  # NaT is not equal to itself
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, pd.Index):
        return a.equals(b)
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a is b or a == b


def test_an_update_prepares_only_the_changed_rows_and_equals_a_full_prepare(before: Matcher) -> None:
    ds, candidates, vacancies = _changed(before.p.ds)
    update = before.p.updated(ds, candidates=candidates, vacancies=vacancies)
    full = Prepared(ds, config=before.p.config, fitted=before.p)
    got, want = vars(update.prepared), vars(full)
    assert sorted(got) == sorted(want)
    different = [name for name in want if name != "ds" and not _equal(got[name], want[name])]
    assert different == []
    # only the changed and added rows were prepared anew; the rest came from the prepared dataset
    new_ids = set(update.prepared.candidate_ids[update.changed_candidates])
    assert new_ids == {candidates[0], candidates[1], "KND-999999"}
    assert set(update.prepared.vacancy_ids[update.changed_vacancies]) == {vacancies[0], "VAC-999999"}
    assert (update.candidate_rows == -1).sum() == 3  # edited, withdrawn, gone
    assert "onderwaterlassen met kraan" in update.prepared.skill_key


def _vacancy_hours(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """One open vacancy's hours changed, nothing else."""
    v = ds.vacancies.copy()
    j = int(np.flatnonzero(v["additional"].fillna(False).to_numpy(bool))[3])
    v.at[j, "hours_per_week"] = 13.0
    return replace(ds, vacancies=v), [], [str(v.at[j, "vacancy_id"])]


def _candidate_travel(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """One available candidate's travel distance and notes changed, nothing else."""
    c = ds.candidates.copy()
    i = int(np.flatnonzero(c["consent"].fillna(False).to_numpy(bool) & (c["status"] == "beschikbaar").to_numpy())[2])
    c.at[i, "max_travel_km"] = 7.0
    c.at[i, "profile_text"] = "Wil in de groenvoorziening werken"
    return replace(ds, candidates=c), [str(c.at[i, "candidate_id"])], []


def _candidate_skills(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """One available candidate takes another's skills and occupations: skills the dataset knows."""
    c = ds.candidates.copy()
    i, j = np.flatnonzero(c["consent"].fillna(False).to_numpy(bool) & (c["status"] == "beschikbaar").to_numpy())[[4, 9]]
    for column in ("skills", "occupations"):
        c[column] = c[column].where(c.index != i, pd.Series([c.at[int(j), column]] * len(c), index=c.index))
    return replace(ds, candidates=c), [str(c.at[int(i), "candidate_id"])], []


def _candidate_new_skill(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """One candidate in its place with a skill no one had: the skill vocabulary grows."""
    c = ds.candidates.copy()
    skills = cast(tuple[str, ...], c.at[6, "skills"])
    c.at[6, "skills"] = (*skills, "glasblazen voor de scheepvaart")  # type: ignore[assignment]  # a tuple cell
    return replace(ds, candidates=c), [str(c.at[6, "candidate_id"])], []


def _snapshot(p: Prepared) -> dict[str, Any]:
    return {
        name: value.copy() for name, value in vars(p).items() if isinstance(value, np.ndarray) or sparse.issparse(value)
    }


@pytest.mark.parametrize("change", [_vacancy_hours, _candidate_travel, _candidate_skills, _candidate_new_skill])
def test_an_update_of_one_side_keeps_the_other_sides_arrays_and_equals_a_full_prepare(
    before: Matcher, change: Any
) -> None:
    ds, candidates, vacancies = change(before.p.ds)
    held = _snapshot(before.p)
    update = before.p.updated(ds, candidates=candidates, vacancies=vacancies)
    full = Prepared(ds, config=before.p.config, fitted=before.p)
    got, want = vars(update.prepared), vars(full)
    assert sorted(got) == sorted(want)
    assert [name for name in want if name != "ds" and not _equal(got[name], want[name])] == []
    again = before.p.updated(ds, candidates=candidates, vacancies=vacancies).prepared  # what was kept, used
    assert [name for name in want if name != "ds" and not _equal(vars(again)[name], want[name])] == []
    # the rows were copied into new arrays: the prepared dataset they came from is as it was
    assert [name for name, value in held.items() if not _equal(vars(before.p)[name], value)] == []
    p = update.prepared
    if change is _vacancy_hours:  # the candidates' arrays and what follows from them are taken over
        assert p.c_skills is before.p.c_skills
        assert p.c_soft is before.p.c_soft
        assert p.v_hours is not before.p.v_hours
        assert p.v_req is before.p.v_req  # a row replaced in place: an array whose row is the same is kept
    elif change is not _candidate_new_skill:
        assert p.v_req is before.p.v_req
    if change is _candidate_travel:  # the row replaced in place: only what its travel distance and notes touch
        assert p.c_max_km is not before.p.c_max_km
        assert p._reach is not before.p._reach
        assert p.c_text is not before.p.c_text
        assert p.c_skills is before.p.c_skills
        assert p.c_soft is before.p.c_soft
        assert p.c_related is before.p.c_related
        assert p.candidate_index is before.p.candidate_index
    if change is _candidate_skills:  # the credit for related and inferred skills worked out for the row
        assert p.c_skills is not before.p.c_skills
        assert p.c_soft is not before.p.c_soft
        assert p.c_inferred_essential is not before.p.c_inferred_essential
        assert p.c_max_km is before.p.c_max_km
        assert p._reach is before.p._reach
    if change is _candidate_new_skill:  # a wider vocabulary: both sides' rows gathered and worked out anew
        assert p.c_skills.shape[1] == p.v_req.shape[1] == before.p.c_skills.shape[1] + 1
        assert p.c_max_km is not before.p.c_max_km


def _answers(m: Matcher, k: int) -> dict[str, pd.DataFrame]:
    out = {f"v {v}": m.suggest_for_vacancy(str(v), k) for v in m.p.vacancy_ids[::2]}
    out.update({f"c {c}": m.suggest_for_candidate(str(c), k) for c in m.p.candidate_ids[::9]})
    return out


def _prefixes(got: Shortlists, want: Shortlists) -> int:
    """Each list of ``got`` is a prefix of ``want``'s; a complete one is all of it. Returns how many
    lists are cut."""
    cut = 0
    for a, b in ((got.by_vacancy, want.by_vacancy), (got.by_candidate, want.by_candidate)):
        assert len(a.offsets) == len(b.offsets)
        for i in range(len(a.offsets) - 1):
            x, y = slice(a.offsets[i], a.offsets[i + 1]), slice(b.offsets[i], b.offsets[i + 1])
            n = x.stop - x.start
            assert n <= y.stop - y.start
            np.testing.assert_array_equal(a.items[x], b.items[y][:n])
            np.testing.assert_array_equal(a.scores[x], b.scores[y][:n])
            if a.complete[i]:
                assert b.complete[i]
                assert n == y.stop - y.start
            cut += not a.complete[i]
    return cut


@pytest.mark.parametrize("keep", [4, 12])
def test_updated_shortlists_are_prefixes_of_those_ranked_anew(before: Matcher, keep: int) -> None:
    """Short lists, so that many are cut and lose pairs: each stays a prefix of the full ranking, and
    one that falls below half is ranked again."""
    ds, candidates, vacancies = _changed(before.p.ds)
    score = lambda x: before.score_features(x)[0]  # noqa: E731
    old = build_shortlists(before.p, score, keep=keep)
    update = before.p.updated(ds, candidates=candidates, vacancies=vacancies)
    ranks = (id_rank(update.prepared.candidate_ids), id_rank(update.prepared.vacancy_ids))
    carry_tables(before.p, update.prepared)  # as Matcher.updated does
    got = updated_shortlists(old, update, score, ranks=ranks, keep=keep)
    anew = Prepared(ds, config=before.p.config, fitted=before.p)
    carry_tables(before.p, anew)  # "the same fitted parts": the side tables too
    want = build_shortlists(anew, score, keep=keep)
    assert _prefixes(got, want) > 100
    lengths = np.diff(got.by_vacancy.offsets)
    assert (lengths[~got.by_vacancy.complete] >= keep // 2).all()


def test_an_updated_matcher_answers_as_one_prepared_and_ranked_anew(before: Matcher) -> None:
    ds, candidates, vacancies = _changed(before.p.ds)
    updated = before.updated(ds, candidates=candidates, vacancies=vacancies)
    prepared = Prepared(ds, config=before.p.config, fitted=before.p)
    carry_tables(before.p, prepared)  # "the same fitted parts": the side tables too
    anew = Matcher(prepared, before.scorer)
    lists = anew.rank_everything()
    assert updated.shortlists is not None
    _prefixes(updated.shortlists, lists)
    for k in (10, 50):  # 50: past a list that lost pairs, answered on demand
        got_answers, want_answers = _answers(updated, k), _answers(anew, k)
        for key, frame in want_answers.items():
            pd.testing.assert_frame_equal(got_answers[key], frame, obj=key)
    # the changes show: the withdrawn and the removed are suggested nowhere, the added are
    shown = set().union(*(set(f["candidate_id"]) for f in _answers(updated, 50).values()))
    assert candidates[1] not in shown
    assert candidates[2] not in shown
    assert not updated.suggest_for_vacancy("VAC-999999", 10).empty
    assert "KND-999999" in set(updated.p.candidate_ids)


def test_a_vacancy_update_takes_over_the_candidates_kernel_data_and_answers_as_one_prepared_anew(
    before: Matcher,
) -> None:
    ds, candidates, vacancies = _vacancy_hours(before.p.ds)
    held = kernel_data(before.p)
    updated = before.updated(ds, candidates=candidates, vacancies=vacancies)
    prepared = Prepared(ds, config=before.p.config, fitted=before.p)
    got, want = kernel_data(updated.p), _build(prepared)
    assert got.candidates is held.candidates  # not converted again
    assert got.vacancies is not held.vacancies
    for side in ("candidates", "vacancies"):
        mine, theirs = getattr(got, side), getattr(want, side)
        assert [name for name in theirs._fields if not _equal(getattr(mine, name), getattr(theirs, name))] == []
    assert _equal(got.settings, want.settings)
    carry_tables(before.p, prepared)
    anew = Matcher(prepared, before.scorer)
    anew.rank_everything()
    got_answers = _answers(updated, 10)
    for key, frame in _answers(anew, 10).items():
        pd.testing.assert_frame_equal(got_answers[key], frame, obj=key)


def test_carried_side_tables_keep_each_kept_candidates_notes_estimate_and_drop_changed_notes(before: Matcher) -> None:
    from matching.history import tables_of

    ds, candidates, vacancies = _changed(before.p.ds)
    update = before.p.updated(ds, candidates=candidates, vacancies=vacancies)
    carried = carry_tables(before.p, update.prepared)
    fitted = tables_of(before.p)
    rows = update.prepared.candidate_rows(pd.Series([candidates[0]]))  # its notes were rewritten
    assert np.isnan(carried.notes[rows[0]])
    kept = [c for c in update.prepared.candidate_ids[:200] if c not in candidates]
    now, then = update.prepared.candidate_rows(pd.Series(kept)), before.p.candidate_rows(pd.Series(kept))
    np.testing.assert_array_equal(carried.notes[now], fitted.notes[then])
    assert np.isfinite(fitted.notes[then]).any()  # there is something to keep


def _edited(ds: Dataset) -> tuple[Dataset, list[str], list[str]]:
    """Edits and an addition, nothing removed: a candidate with placements behind them and another
    change their notes and travel distance, a vacancy its hours and physical load."""
    c, v = ds.candidates.copy(), ds.vacancies.copy()
    cid, vid = c["candidate_id"].astype(str), v["vacancy_id"].astype(str)
    placed = set(ds.placements.loc[ds.placements["retained_6m"].notna(), "candidate_id"].astype(str))
    with_history = next(k for k in cid if k in placed)
    other = next(k for k in cid if k not in placed)
    for key in (with_history, other):
        i = int(np.flatnonzero(cid == key)[0])
        c.at[i, "profile_text"] = "Heftruckchauffeur, wil graag in de logistiek werken"
        c.at[i, "max_travel_km"] = 45.0
    added = c.iloc[[5]].copy()
    added["candidate_id"] = "KND-999998"
    c = _by_id(pd.concat([c, added], ignore_index=True), "candidate_id")
    j = int(np.flatnonzero(v["additional"].fillna(False).to_numpy(bool))[4])
    v.at[j, "hours_per_week"] = 20.0
    v.at[j, "physical_load"] = v["physical_load"].dropna().iloc[0]
    return replace(ds, candidates=c, vacancies=v), [with_history, other, "KND-999998"], [str(vid[j])]


@pytest.mark.parametrize("change", [_edited, _changed])
def test_carried_side_tables_take_over_the_kept_rows_and_equal_those_worked_out_in_full(
    before: Matcher, change: Any
) -> None:
    from matching.history import tables_of

    ds, candidates, vacancies = change(before.p.ds)
    update = before.p.updated(ds, candidates=candidates, vacancies=vacancies)
    full = carry_tables(before.p, update.prepared)
    taken = carry_tables(before.p, update.prepared, (update.candidate_rows, update.vacancy_rows))
    for name in ("candidates", "vacancies", "notes", "benefit_since", "pso"):  # kept rows found by where they went
        np.testing.assert_array_equal(getattr(taken, name), getattr(full, name), err_msg=name)
    for name in ("candidate", "vacancy", "contractor", "start", "retained"):
        np.testing.assert_array_equal(getattr(taken.history, name), getattr(full.history, name), err_msg=name)
    if change is _edited:  # the same placements behind it: the kept rows were taken over
        assert len(taken.history.start) == len(tables_of(before.p).history.start)


def test_a_few_places_target_groups_are_kept_by_the_obligations_content_not_by_the_frame(before: Matcher) -> None:
    ds = before.p.ds
    obligations = ds.obligations
    named = obligations.dropna(subset=["allowed_target_groups"]).iloc[0]
    place = ds.vacancies.iloc[[0]].copy()
    place["obligation_id"], place["contractor_id"] = named["obligation_id"], named["contractor_id"]
    place = place.reset_index(drop=True)
    on = np.datetime64(TODAY, "D")

    def direct(table: pd.DataFrame) -> np.ndarray:
        return counted_target_groups(
            table,
            named=place["obligation_id"].to_numpy(dtype=object),
            contractor=place["contractor_id"].astype(str).to_numpy(dtype=object),
            on=on,
            groups=GROUPS,
        )

    first = _counted_target_groups(obligations, place, on=on)
    assert np.array_equal(first, direct(obligations))
    assert np.array_equal(_counted_target_groups(obligations.copy(), place, on=on), first)  # equal content
    # the same ids with other target groups: a frame of another content is worked out anew
    other = obligations.copy()
    row = int(np.flatnonzero(other["obligation_id"].astype(str) == str(named["obligation_id"]))[0])
    kept = set(named["allowed_target_groups"])
    # pandas-stubs take the value of .at as a scalar; the column holds tuples
    other.at[row, "allowed_target_groups"] = tuple(g for g in GROUPS if g not in kept)[:1]  # type: ignore[assignment]
    want = direct(other)
    assert not np.array_equal(want, first)
    assert np.array_equal(_counted_target_groups(other, place, on=on), want)


def _merged_list_by_list(
    old: Ranked,
    maps: tuple[np.ndarray, np.ndarray],
    n: int,
    *,
    full_owners: np.ndarray,
    new: tuple[np.ndarray, np.ndarray, np.ndarray],
    other_rank: np.ndarray,
    keep: int,
    forget: np.ndarray,
) -> Ranked:
    """What ``_merge`` gives, worked out for one list after the other from its rules."""
    owner_map, other_map = maps
    items: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    complete = np.zeros(n, dtype=bool)
    for row in range(n):
        was = np.flatnonzero(owner_map == row)
        kept_items, kept_scores = np.zeros(0, np.int64), np.zeros(0)
        full = row in set(full_owners.tolist())
        if len(was) and row not in set(forget.tolist()):
            span = slice(int(old.offsets[was[0]]), int(old.offsets[was[0] + 1]))
            mapped = other_map[old.items[span]]
            kept_items, kept_scores = mapped[mapped >= 0], old.scores[span][mapped >= 0]
        if len(was):
            full = full or bool(old.complete[was[0]])
        mine = new[0] == row
        other, score = new[1][mine], new[2][mine]
        if full:
            take = np.ones(len(other), dtype=bool)
        elif len(kept_items):
            last_score, last_rank = kept_scores[-1], other_rank[kept_items[-1]]
            take = (score > last_score) | ((score == last_score) & (other_rank[other] < last_rank))
        else:
            take = np.zeros(len(other), dtype=bool)
        complete[row] = full and len(kept_items) + int(take.sum()) <= keep
        if take.any():
            both_items = np.concatenate([kept_items, other[take]])
            both_scores = np.concatenate([kept_scores, score[take]])
            order = np.lexsort((other_rank[both_items], -both_scores))[:keep]
            kept_items, kept_scores = both_items[order], both_scores[order]
        items.append(kept_items)
        scores.append(kept_scores)
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in items])]).astype(np.int64)
    return Ranked(offsets, np.concatenate(items).astype(np.int32), np.concatenate(scores), complete)


def _rows_after(rng: np.random.Generator, n_old: int, in_place: bool) -> tuple[np.ndarray, int]:
    """Per old row its new row (-1: changed or removed), and how many rows there are then: rows replaced
    in place, or also rows removed and added between them (in id order, as an update keeps them)."""
    if in_place:
        return np.where(rng.random(n_old) < 0.15, -1, np.arange(n_old)), n_old
    out, row = np.full(n_old, -1, dtype=np.int64), 0
    for i in range(n_old):
        row += int(rng.random() < 0.1)  # a row added before this one
        fate = rng.random()
        if fate < 0.1:  # removed
            continue
        if fate >= 0.2:  # kept (else changed)
            out[i] = row
        row += 1
    return out, row + int(rng.random() < 0.2)


def test_merging_updated_shortlists_copies_the_unchanged_lists_and_works_out_each_changed_one_by_its_rules() -> None:
    rng = np.random.default_rng(3)
    for _ in range(400):
        n_old, m_old, keep = int(rng.integers(1, 25)), int(rng.integers(1, 25)), int(rng.integers(1, 7))
        flat = rng.choice(n_old * m_old, size=int(rng.integers(0, n_old * m_old + 1)), replace=False)
        owner, other, score = _best_per(
            flat // m_old, flat % m_old, rng.integers(0, 5, len(flat)) / 4.0, rng.permutation(m_old), keep
        )
        offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n_old))]).astype(np.int64)
        old = Ranked(offsets, other.astype(np.int32), score, rng.random(n_old) < 0.5)
        in_place = bool(rng.random() < 0.5)
        (owner_map, n), (other_map, m) = _rows_after(rng, n_old, in_place), _rows_after(rng, m_old, in_place)
        fresh = np.setdiff1d(np.arange(n), owner_map)
        fresh_other = np.setdiff1d(np.arange(m), other_map)
        pairs = np.array([(a, b) for a in range(n) for b in range(m) if a in fresh or b in fresh_other], dtype=np.int64)
        pairs = pairs.reshape(-1, 2)[rng.random(len(pairs)) < 0.6]
        new = (pairs[:, 0], pairs[:, 1], rng.integers(0, 5, len(pairs)) / 4.0)
        forget = np.sort(rng.choice(n, size=min(n, int(rng.integers(0, 3))), replace=False))
        args: dict[str, Any] = {
            "full_owners": np.union1d(fresh, forget),
            "new": new,
            "other_rank": rng.permutation(m),
            "keep": keep,
            "forget": forget,
        }
        got = _merge(old, (owner_map, other_map), n, **args)
        want = _merged_list_by_list(old, (owner_map, other_map), n, **args)
        for name in ("offsets", "items", "scores", "complete"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
            assert getattr(got, name).dtype == getattr(want, name).dtype


def test_a_vacancy_write_is_prepared_once_for_every_regions_matcher_and_each_equals_a_full_prepare(
    before: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = before.p.ds
    regions = ds.candidates["region"].dropna().unique()[:2]
    held = [
        Prepared(
            replace(ds, candidates=ds.candidates[ds.candidates["region"] == r].reset_index(drop=True)),
            config=before.p.config,
        )
        for r in regions
    ]
    changed, _, vacancies = _vacancy_hours(ds)  # one table of the vacancies, as every region's matcher holds
    worked_out: list[str] = []
    for name in ("_vacancy_scalars", "_vacancy_locations"):
        method = getattr(Prepared, name)

        def counted(self: Prepared, *args: Any, _method: Any = method, _name: str = name) -> None:
            worked_out.append(_name)
            _method(self, *args)

        monkeypatch.setattr(Prepared, name, counted)
    updates = [p.updated(replace(p.ds, vacancies=changed.vacancies), candidates=[], vacancies=vacancies) for p in held]
    assert sorted(worked_out) == ["_vacancy_locations", "_vacancy_scalars"]  # once, not once per region
    for p, update in zip(held, updates, strict=True):
        full = Prepared(update.prepared.ds, config=p.config, fitted=p)
        got, want = vars(update.prepared), vars(full)
        assert [name for name in want if name != "ds" and not _equal(got[name], want[name])] == []


@pytest.mark.parametrize("travel_km", [7.0, 80.0])  # 80: a class of travel distance no one was in
def test_a_candidate_replaced_in_place_keeps_the_kernel_data_of_what_it_did_not_change(
    before: Matcher, travel_km: float
) -> None:
    ds, candidates, vacancies = _candidate_travel(before.p.ds)
    c = ds.candidates.copy()
    c.loc[c["candidate_id"].astype(str) == candidates[0], "max_travel_km"] = travel_km
    ds = replace(ds, candidates=c)
    held = kernel_data(before.p)
    updated = before.updated(ds, candidates=candidates, vacancies=vacancies)
    got, want = kernel_data(updated.p), _build(Prepared(ds, config=before.p.config, fitted=before.p))
    for side in ("candidates", "vacancies"):
        mine, theirs = getattr(got, side), getattr(want, side)
        assert [name for name in theirs._fields if not _equal(getattr(mine, name), getattr(theirs, name))] == []
    assert got.candidates.skill_p is held.candidates.skill_p  # the skills did not change: not converted again
    assert got.candidates.text is not held.candidates.text  # the notes did
    assert got.candidates.packed is not held.candidates.packed
    np.testing.assert_array_equal(held.candidates.packed, _build(before.p).candidates.packed)  # left as it was


def test_records_of_rows_replaced_in_place_work_out_the_rows_whose_reach_class_was_numbered_anew(
    before: Matcher,
) -> None:
    p = before.p
    records = build_records(p, p.c_completeness)
    stale = records.candidates.copy()
    stale[:10, C_CLASS] += 1  # as when a class of travel distance came or went before them
    got = build_records(p, p.c_completeness, before=replace(records, candidates=stale), rows=np.zeros(0, np.int64))
    np.testing.assert_array_equal(got.candidates, records.candidates)
    assert (
        build_records(p, p.c_completeness, before=records, rows=np.zeros(0, np.int64)).candidates is records.candidates
    )
