"""Suggestions (compiled kernels) rank and explain pairs as the numpy reference path does."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from matching.matcher import Matcher, train
from matching.prepare import MatchConfig, Prepared
from matching.shortlists import build as build_shortlists
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def matcher(worlds: Worlds) -> Matcher:
    world = worlds.copy(1500, 300, 12)
    c = world.candidates
    rng = np.random.default_rng(5)  # rarer cases made common: no consent, no location, no level
    c.loc[rng.random(len(c)) < 0.1, "consent"] = False
    c.loc[rng.random(len(c)) < 0.1, ["lat", "lon", "postcode", "region"]] = None
    c.loc[rng.random(len(c)) < 0.1, "language_level"] = None
    p = Prepared(world, config=MatchConfig(today=date(2026, 10, 1)))
    return Matcher(p, train(p, seed=0))


def _reference(m: Matcher, candidates: list[str], vacancies: list[str], by: str) -> pd.DataFrame:
    """Every pair through the numpy path (:meth:`Matcher.score_pairs`), the eligible ones ranked."""
    every = m.score_pairs(candidates, vacancies)
    eligible = every[every["eligible"]].copy()
    eligible["exact"] = m.score_features(_features(m, eligible))[0]
    return eligible.sort_values(["exact", by], ascending=[False, True])


def _features(m: Matcher, pairs: pd.DataFrame) -> np.ndarray:
    from matching.eligibility import screen
    from matching.features import pair_features

    ci = m.p.candidate_rows(pairs["candidate_id"].tolist())
    vi = m.p.vacancy_rows(pairs["vacancy_id"].tolist())
    return pair_features(m.p, screen(m.p, ci, vi))


def _same(got: pd.DataFrame, ref: pd.DataFrame, by: str) -> None:
    top = ref.head(len(got))
    assert len(got) == min(10, len(ref)) > 0
    np.testing.assert_allclose(got["score"].to_numpy(float), top["exact"].to_numpy(float), atol=1e-4)
    # the same pairs in the same order, but where two scores are within the kernels' float32 text
    # similarity of each other (a tie the two paths may break differently)
    exact = ref.set_index(by)["exact"]
    for k, (a, b) in enumerate(zip(got[by], top[by], strict=True)):
        if a != b:
            assert abs(exact[a] - exact[b]) < 1e-5, (k, a, b, exact[a], exact[b])
    same = got.merge(top, on=by, suffixes=("", "_ref"))
    assert (same["explanation"] == same["explanation_ref"]).all()
    assert (same["reasons"] == same["reasons_ref"]).all()


def test_who_fits_a_vacancy_as_the_reference_ranks_them(matcher: Matcher) -> None:
    m, everyone = matcher, list(matcher.p.candidate_ids)
    checked = 0
    for v in m.p.vacancy_ids[:: max(1, m.p.n_vacancies // 25)]:
        got = m.suggest_for_vacancy(str(v), 10)
        ref = _reference(m, everyone, [str(v)] * len(everyone), "candidate_id")
        if len(ref) == 0:
            assert len(got) == 0
            continue
        _same(got, ref, "candidate_id")
        assert list(got["rank"]) == list(range(1, len(got) + 1))
        checked += 1
    assert checked >= 10


def test_where_a_candidate_fits_as_the_reference_ranks_it(matcher: Matcher) -> None:
    m, places = matcher, list(matcher.p.vacancy_ids)
    checked = 0
    for c in m.p.candidate_ids[:: max(1, m.p.n_candidates // 40)]:
        got = m.suggest_for_candidate(str(c), 10)
        ref = _reference(m, [str(c)] * len(places), places, "vacancy_id")
        if len(ref) == 0:
            assert len(got) == 0
            continue
        _same(got, ref, "vacancy_id")
        checked += 1
    assert checked >= 10


def test_no_consent_is_never_suggested(matcher: Matcher) -> None:
    m = matcher
    refused = set(m.p.candidate_ids[~m.p.c_matchable])
    assert refused
    for v in m.p.vacancy_ids[:60]:
        assert not refused & set(m.suggest_for_vacancy(str(v), 50)["candidate_id"])
    for c in list(refused)[:10]:
        assert m.suggest_for_candidate(str(c), 10).empty


@pytest.mark.parametrize("keep", [50, 3])
def test_shortlists_answer_as_the_question_itself(matcher: Matcher, keep: int) -> None:
    """Ranked once, answered from the shortlists: the very frames the questions' own screening gives,
    also past a shortlist that was cut (answered on demand) and for a list shorter than asked."""
    ranked = Matcher(matcher.p, matcher.scorer)
    lists = ranked.rank_everything() if keep == 50 else None
    if lists is None:
        ranked.shortlists = lists = build_shortlists(ranked.p, lambda x: ranked.score_features(x)[0], keep=keep)
    assert lists.pairs_eligible > 1000
    asked = 0
    for v in matcher.p.vacancy_ids[::7]:
        for k in (1, 2, 10):
            pd.testing.assert_frame_equal(ranked.suggest_for_vacancy(str(v), k), matcher.suggest_for_vacancy(str(v), k))
            asked += 1
    for c in matcher.p.candidate_ids[::31]:
        for k in (1, 2, 10):
            pd.testing.assert_frame_equal(
                ranked.suggest_for_candidate(str(c), k), matcher.suggest_for_candidate(str(c), k)
            )
    assert asked > 100
    # where a list was cut, it holds the best pairs: as many as kept, and more were eligible
    cut = np.flatnonzero(~lists.by_vacancy.complete)
    assert (np.diff(lists.by_vacancy.offsets)[cut] == keep).all()
    if keep == 3:
        assert len(cut) > 10
        assert lists.by_vacancy.take(int(cut[0]), 10) is None
