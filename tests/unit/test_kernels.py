"""The compiled kernels of the batch match give what the numpy reference path gives."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from matching import kernels
from matching.eligibility import screen
from matching.features import FEATURES, pair_features
from matching.kernels import Nearest, pair_features_grouped, screen_pairs, sweep_pairs
from matching.prepare import MatchConfig, Prepared
from matching.rulebook import TRAINING_CANNOT_REMOVE
from tests.conftest import Worlds
from tests.unit.pairs import eligible_pairs


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    world = worlds.copy(1500, 300, 11)
    c = world.candidates
    # the rarer cases, made common: no consent, unknown location, level or start date, a former employer
    rng = np.random.default_rng(3)
    c.loc[rng.random(len(c)) < 0.1, "consent"] = False
    unknown = rng.random(len(c)) < 0.1
    c.loc[unknown, ["lat", "lon", "postcode", "region"]] = None
    c.loc[rng.random(len(c)) < 0.1, "language_level"] = None
    c.loc[rng.random(len(c)) < 0.1, "available_from"] = pd.NaT
    first = str(world.contractors["contractor_id"].iloc[0])
    c["previous_employers"] = [(first,) if k % 7 == 0 else items for k, items in enumerate(c["previous_employers"])]
    v = world.vacancies
    v.loc[rng.random(len(v)) < 0.1, "start_date"] = pd.NaT
    return Prepared(world, config=MatchConfig(today=date(2026, 10, 1)))


def _pairs(p: Prepared) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    vacancies = np.arange(p.n_vacancies)
    lists = [p.candidates_in_reach(int(v)) for v in vacancies]
    offsets = np.concatenate([[0], np.cumsum([len(ci) for ci in lists])])
    return vacancies, offsets, lists


def test_screen_matches_the_numpy_rules(prepared: Prepared) -> None:
    p = prepared
    vacancies, offsets, lists = _pairs(p)
    got = screen_pairs(p, vacancies, offsets, np.concatenate(lists))
    ref = [screen(p, ci, np.full(len(ci), v)) for v, ci in zip(vacancies, lists, strict=True)]
    reasons = np.concatenate([r.reasons for r in ref])
    assert len(reasons) > 10_000
    assert np.array_equal(got.reasons, reasons)
    # every rule fires somewhere, so each branch of the kernel is compared
    seen = np.bitwise_or.reduce(reasons)
    assert seen & 0b1_1111_1111_1101 == 0b1_1111_1111_1101, bin(seen)
    assert (reasons == 0).sum() > 1000
    for field in ("hard_missing", "soft_gaps", "licences_missing"):
        assert np.array_equal(getattr(got, field), np.concatenate([getattr(r, field) for r in ref])), field
    ok = reasons == 0
    km = np.concatenate([r.km for r in ref])
    np.testing.assert_allclose(got.km[ok], km[ok], rtol=1e-9, atol=1e-9)
    assert np.isnan(got.km[ok]).sum() == np.isnan(km[ok]).sum() > 0


def test_features_match_the_numpy_features(prepared: Prepared) -> None:
    p = prepared
    vacancies, _, lists = _pairs(p)
    e_off, cand, chosen = eligible_pairs(p, vacancies, lists)
    rows, order = pair_features_grouped(p, vacancies, e_off, cand, chosen)
    assert np.array_equal(np.sort(order), np.arange(len(cand)))
    assert (np.diff(cand[order]) >= 0).all()  # candidate by candidate
    got = np.empty_like(rows)
    got[order] = rows
    ref = np.vstack(
        [
            pair_features(p, (r := screen(p, ci, np.full(len(ci), v))).subset(r.eligible))
            for v, ci in zip(vacancies, lists, strict=True)
        ]
    )
    assert got.shape == ref.shape
    for j, name in enumerate(FEATURES):
        assert np.array_equal(np.isnan(got[:, j]), np.isnan(ref[:, j])), name
        # text vectors are float32 and the distance is worked out from unit vectors: last-digit differences
        tolerance = 1e-5 if name == "text_similarity" else 1e-9
        np.testing.assert_allclose(got[:, j], ref[:, j], rtol=tolerance, atol=tolerance, err_msg=name)


def test_nearest_vacancy_book_keeping(prepared: Prepared) -> None:
    """Per candidate: the fewest removable reasons, then the least km, then the first vacancy."""
    p = prepared
    vacancies, offsets, lists = _pairs(p)
    nearest = Nearest.empty(p.n_candidates)
    screen_pairs(p, vacancies, offsets, np.concatenate(lists), nearest=nearest, permanent=int(TRAINING_CANNOT_REMOVE))
    key = np.full(p.n_candidates, np.inf)
    near = np.full(p.n_candidates, -1)
    in_reach = np.zeros(p.n_candidates, dtype=bool)
    for v, ci in zip(vacancies, lists, strict=True):
        s = screen(p, ci, np.full(len(ci), v))
        bad = ~s.eligible
        fixable = (s.reasons[bad] & np.uint32(TRAINING_CANNOT_REMOVE)) == 0
        k = np.bitwise_count(s.reasons[bad]).astype(float) * 1e5 + np.nan_to_num(s.km[bad], nan=9_999.0)
        rows = s.ci[bad]
        better = fixable & (k < key[rows])
        key[rows[better]] = k[better]
        near[rows[better]] = v
        in_reach[ci[np.isnan(s.km) | ~(s.reasons & 512).astype(bool)]] = True
    assert (near >= 0).sum() > 100
    assert np.array_equal(nearest.vacancy, near)
    np.testing.assert_allclose(nearest.key, key, rtol=1e-12)
    assert np.array_equal(nearest.in_reach, in_reach)


@pytest.mark.parametrize("held", [1 << 21, 777])
def test_the_sweep_finds_what_screening_each_vacancy_finds(
    prepared: Prepared, held: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidate by candidate over the union of the vacancies' reach: the same eligible pairs and
    screen arrays, the same count of screened pairs and the same nearest vacancies as screening each
    vacancy's matchable candidates in reach, also when the pairs are handed on in many parts."""
    p = prepared
    monkeypatch.setattr(kernels, "SWEEP_PAIRS", held)
    vacancies = np.arange(p.n_vacancies)
    lists = [ci[p.c_matchable[ci]] for ci in (p.candidates_in_reach(int(v)) for v in vacancies)]
    offsets = np.concatenate([[0], np.cumsum([len(ci) for ci in lists])])
    cand = np.concatenate(lists)
    ref_near, got_near = Nearest.empty(p.n_candidates), Nearest.empty(p.n_candidates)
    ref = screen_pairs(p, vacancies, offsets, cand, nearest=ref_near, permanent=int(TRAINING_CANNOT_REMOVE))
    ok = ref.reasons == 0
    got = sweep_pairs(p, vacancies, nearest=got_near, permanent=int(TRAINING_CANNOT_REMOVE))
    assert got.screened == len(cand) > 10_000
    group = np.repeat(np.arange(len(vacancies)), np.diff(offsets))
    assert np.array_equal(
        got.offsets, np.concatenate([[0], np.cumsum(np.bincount(group[ok], minlength=len(vacancies)))])
    )
    assert np.array_equal(got.candidates, cand[ok])
    assert not got.s.reasons.any()
    for field in ("km", "hard_missing", "soft_gaps", "licences_missing"):
        assert np.array_equal(getattr(got.s.subset(got.at), field), getattr(ref, field)[ok], equal_nan=True), field
    assert np.array_equal(got_near.vacancy, ref_near.vacancy)
    assert np.array_equal(got_near.key, ref_near.key)
    assert np.array_equal(got_near.in_reach, ref_near.in_reach)
    assert (got_near.vacancy >= 0).sum() > 100


def test_the_sweep_of_a_few_vacancies_and_of_an_unlocated_one(prepared: Prepared) -> None:
    """A handful of vacancies far apart, and one whose place is unknown (every candidate in reach)."""
    p = prepared
    picks = [np.array([3, 150, 299]), np.array([0])]
    lost = np.flatnonzero(np.isnan(p.v_lat))
    if len(lost):
        picks.append(np.array([0, int(lost[0])]))
    for vacancies in picks:
        lists = [ci[p.c_matchable[ci]] for ci in (p.candidates_in_reach(int(v)) for v in vacancies)]
        offsets = np.concatenate([[0], np.cumsum([len(ci) for ci in lists])])
        cand = np.concatenate(lists)
        ok = screen_pairs(p, vacancies, offsets, cand).reasons == 0
        got = sweep_pairs(p, vacancies)
        assert got.screened == len(cand)
        assert np.array_equal(got.candidates, cand[ok])
