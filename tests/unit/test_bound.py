"""Bound, then score: the bound is never below a pair's score, and the kept lists are exactly those
of scoring every eligible pair, for both learned model families and the rule score."""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from matching.additive import AdditiveBoosting
from matching.blocks import BlockScores, _top, make_blocks, score_block
from matching.eligibility import screen
from matching.features import INDEX, pair_features
from matching.kernels import pair_features_grouped
from matching.matcher import Matcher, training_pairs
from matching.prepare import Prepared
from matching.scorers import RULE_WEIGHTS, LearnedScorer, RuleBlend, RuleScorer, Scorer, TitleScorer, rule_parts
from tests.conftest import Worlds
from tests.unit.pairs import eligible_pairs

pytestmark = pytest.mark.slow  # a 3000 x 900 world, every model family


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    return worlds.prepared(3000, 900, 5)


@pytest.fixture(scope="module")
def history(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    ci, vi, y = training_pairs(prepared)
    return pair_features(prepared, screen(prepared, ci, vi)), y


@pytest.fixture(scope="module")
def scorers(worlds: Worlds, history: tuple[np.ndarray, np.ndarray]) -> dict[str, Scorer]:
    """The trained scorer in each model family (the one fit did not keep refitted in its place)."""
    model = worlds.trained(3000, 900, 5, train_seed=1)
    x, y = history
    out: dict[str, Scorer] = {"rule": RuleScorer()}
    for family in ("additive_boosting", "logistic"):
        if model.family_ == family:
            out[family] = model
            continue
        other = copy.deepcopy(model)
        if family == "logistic":
            other.base_ = make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
                LogisticRegression(C=1.0, max_iter=2000),
            ).fit(x, y)
        else:
            other.base_ = AdditiveBoosting(seed=1).fit(x, y)
        other.family_ = family
        other.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(other.decision(x), y)
        out[family] = other
    return out


FAMILIES = ("additive_boosting", "logistic", "rule")


def _rows(x: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Feature rows drawn from the history column by column, some missing, some moved off the data."""
    rng = np.random.default_rng(seed)
    rows = np.column_stack([rng.choice(x[:, j], n) for j in range(x.shape[1])])
    rows[rng.random(rows.shape) < 0.1] = np.nan
    noisy = rng.random(rows.shape) < 0.2
    rows[noisy] += rng.normal(0, 3, noisy.sum())
    return rows


@pytest.mark.parametrize("family", FAMILIES)
def test_the_bound_of_a_known_row_is_its_score_never_less(
    scorers: dict[str, Scorer], history: tuple[np.ndarray, np.ndarray], family: str
) -> None:
    scorer = scorers[family]
    b = scorer.score_bound()  # type: ignore[attr-defined]
    assert b is not None
    for seed in range(5):
        x = _rows(history[0], 20_000, seed)
        exact, upper = scorer.score(x), b.row_bounds(x)
        assert (upper >= exact).all(), float((exact - upper).max())
        exact_rows = _rule_terms_exact(x) if isinstance(getattr(scorer, "base_", None), RuleBlend) else True
        # every feature known: no slack but the margin (beside the rule score, where its terms are its score)
        assert np.mean((upper - exact < 1e-6)[exact_rows]) > 0.99


def _rule_terms_exact(x: np.ndarray) -> np.ndarray:
    """The rows whose rule score is the sum of its terms: no gap penalty, no part below 0, not clipped at 1."""
    parts = np.nan_to_num(rule_parts(x))
    raw = (parts * np.array(list(RULE_WEIGHTS.values()))).sum(axis=1) / sum(RULE_WEIGHTS.values())
    gaps = np.nan_to_num(x[:, INDEX["trainable_gaps"]])
    return np.asarray((gaps == 0) & (parts >= 0).all(axis=1) & (raw <= 1))


@pytest.mark.parametrize("family", FAMILIES)
def test_pair_bounds_are_never_below_the_exact_scores(
    prepared: Prepared, scorers: dict[str, Scorer], family: str
) -> None:
    p, scorer = prepared, scorers[family]
    b = Matcher(p, scorer).score_bound()
    assert b is not None
    vacancies = np.arange(0, p.n_vacancies, 3)
    e_off, cand, chosen = eligible_pairs(p, vacancies, [p.candidates_in_reach(int(v)) for v in vacancies])
    x, order = pair_features_grouped(p, vacancies, e_off, cand, chosen)
    exact = np.empty(len(cand))
    exact[order] = Matcher(p, scorer).score_features(x)[0]
    upper = b.pair_bounds(p, vacancies, e_off, cand, chosen)
    assert len(cand) > 20_000
    assert (upper >= exact).all(), float((exact - upper).max())
    assert np.median(upper - exact) < 0.5  # and a bound worth having


def _same(a: BlockScores, b: BlockScores) -> None:
    for f in fields(BlockScores):
        if f.name == "scored":
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, list):
            assert len(x) == len(y), f.name
            for u, w in zip(x, y, strict=True):
                assert u.dtype == w.dtype, f.name
                assert np.array_equal(u, w), f.name
        else:
            assert np.array_equal(x, y), f.name


@pytest.mark.parametrize("family", [*FAMILIES, "title"])
@pytest.mark.parametrize("keep", [1, 7, 60, 100_000])
def test_bound_then_score_keeps_exactly_what_scoring_every_pair_keeps(
    prepared: Prepared, scorers: dict[str, Scorer], family: str, keep: int
) -> None:
    p = prepared
    scorer = TitleScorer() if family == "title" else scorers[family]
    per_vacancy = np.full(p.n_vacancies, keep)
    per_vacancy[::5] = 3  # mixed sizes within a block
    blocks = make_blocks(p, np.arange(p.n_vacancies), per_vacancy, block_size=150)
    eligible = scored = 0
    for block in blocks:
        every, skipping = score_block(p, scorer, block, skip=False), score_block(p, scorer, block)
        _same(every, skipping)
        assert every.scored == every.eligible
        for k, kept in enumerate(every.kept_c):
            assert len(kept) == min(every.n_eligible[k], block.keep[k])
            assert (np.diff(kept) > 0).all()  # in row order
        eligible += skipping.eligible
        scored += skipping.scored
    assert eligible > 10_000
    if family == "title":  # no bound: every pair is scored
        assert scored == eligible
    elif keep < 60:  # most lists cut short: many pairs are never scored (64% scored at keep 7 here)
        assert scored < eligible * 0.7, (scored, eligible)
    else:
        assert scored <= eligible


def test_widening_scores_every_pair(prepared: Prepared, scorers: dict[str, Scorer]) -> None:
    p = prepared
    (block,) = make_blocks(p, np.arange(40), np.full(p.n_vacancies, 2), block_size=40)[:1]
    from matching.blocks import Block

    r = score_block(p, scorers["additive_boosting"], Block(block.vacancies, block.keep, keep_all=True))
    assert r.scored == r.eligible
    assert [len(c) for c in r.kept_c] == r.n_eligible.tolist()


def test_the_kept_list_takes_equal_scores_by_candidate_row() -> None:
    scores = np.array([0.5, 0.7, 0.5, 0.9, 0.5, 0.7])
    assert _top(scores, 3).tolist() == [1, 3, 5]
    assert _top(scores, 4).tolist() == [0, 1, 3, 5]
    assert _top(scores, 5).tolist() == [0, 1, 2, 3, 5]
    assert _top(scores, 9).tolist() == list(range(6))


def test_a_learned_score_does_not_depend_on_the_rows_scored_with_it(
    scorers: dict[str, Scorer], history: tuple[np.ndarray, np.ndarray]
) -> None:
    x = _rows(history[0], 3000, 9)
    for family in ("additive_boosting", "logistic"):
        scorer = scorers[family]
        assert isinstance(scorer, LearnedScorer)
        whole = scorer.score(x)
        for start, n in [(0, 1), (5, 3), (17, 7), (100, 33), (1, 1001)]:
            assert np.array_equal(scorer.score(x[start : start + n]), whole[start : start + n]), (family, n)
        assert np.array_equal(scorer.decision(x[:5]), scorer.decision(x)[:5])
