"""Eligible candidates beyond a vacancy's kept list: every one, or the free ones up to a limit."""

from __future__ import annotations

import numpy as np
import pytest

from matching.eligibility import screen
from matching.expansion import Expansion, expand_block
from matching.prepare import Prepared
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    return worlds.prepared(400, 90, 7)


def _eligible(p: Prepared, v: int) -> np.ndarray:
    ci = np.arange(p.n_candidates)
    ok = screen(p, ci, np.full(len(ci), v)).eligible & p.c_matchable
    eligible: np.ndarray = ci[ok]
    return eligible


def test_every_eligible_candidate_or_the_free_ones_up_to_a_limit(prepared: Prepared) -> None:
    vacancies = np.arange(prepared.n_vacancies)
    truth = [_eligible(prepared, v) for v in vacancies.tolist()]
    assert sum(len(t) > 3 for t in truth) > 10  # the limit below bites somewhere
    every = expand_block(prepared, None, Expansion(vacancies, np.zeros(len(vacancies), dtype=np.int64)))
    assert every.vacancies.tolist() == vacancies.tolist()
    assert every.n_eligible.tolist() == [len(t) for t in truth]
    for got, want in zip(every.found, truth, strict=True):
        assert got.dtype == np.int32
        assert got.tolist() == want.tolist()

    free = np.random.default_rng(3).random(prepared.n_candidates) < 0.5
    limit = np.arange(len(vacancies), dtype=np.int64) % 5  # 0 to 4, so the sweep ends early for some
    some = expand_block(prepared, None, Expansion(vacancies, limit, np.packbits(free)))
    assert (some.n_eligible == -1).all()  # not counted: the sweep stops once it has them
    for got, want, k in zip(some.found, truth, limit.tolist(), strict=True):
        assert got.tolist() == want[free[want]][:k].tolist()  # free ones, lowest rows first
