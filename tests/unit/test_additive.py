"""The additive model: boosted stumps served as per-feature step functions, equal to scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from matching.additive import AdditiveBoosting, _compile


def _data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    x[rng.random((n, 6)) < 0.2] = np.nan  # missing values, as in real profiles
    logit = 1.5 * np.nan_to_num(x[:, 0]) - np.abs(np.nan_to_num(x[:, 1])) + 0.8 * (np.nan_to_num(x[:, 2]) > 0.5)
    logit += np.where(np.isnan(x[:, 3]), 1.0, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def test_compiled_stumps_equal_scikit_learn_on_new_rows_with_missing_values() -> None:
    x, y = _data()
    booster = HistGradientBoostingClassifier(max_depth=1, max_iter=200, random_state=0).fit(x, y)
    intercept, shapes = _compile(booster)
    fresh, _ = _data(2000, seed=1)
    fresh[:5] = np.nan  # a row with nothing known
    fresh[5:10] = np.inf
    got = intercept + sum((s(fresh[:, s.feature]) for s in shapes), np.zeros(len(fresh)))
    np.testing.assert_allclose(got, booster.decision_function(fresh), rtol=0, atol=1e-9)


def test_a_feature_at_a_split_threshold_goes_left_like_scikit_learn() -> None:
    x, y = _data()
    booster = HistGradientBoostingClassifier(max_depth=1, max_iter=100, random_state=0).fit(x, y)
    intercept, shapes = _compile(booster)
    at = np.zeros((sum(len(s.thresholds) for s in shapes), 6))
    k = 0
    for s in shapes:
        at[k : k + len(s.thresholds), s.feature] = s.thresholds
        k += len(s.thresholds)
    got = intercept + sum((s(at[:, s.feature]) for s in shapes), np.zeros(len(at)))
    np.testing.assert_allclose(got, booster.decision_function(at), rtol=0, atol=1e-9)


def test_the_model_learns_the_shapes_and_predicts_probabilities() -> None:
    x, y = _data(6000)
    model = AdditiveBoosting(seed=0).fit(x, y)
    p = model.predict_proba(x)
    assert p.shape == (len(x), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    used = {s.feature for s in model.shapes_}
    assert {0, 1, 2, 3} <= used  # the features that carry the signal
    first = next(s for s in model.shapes_ if s.feature == 0)
    assert first.values[-1] > first.values[0]  # rising in x0
    assert set(model.predict(x)) <= {0, 1}


def test_fitting_is_deterministic() -> None:
    x, y = _data()
    a = AdditiveBoosting(seed=3).fit(x, y).decision_function(x)
    b = AdditiveBoosting(seed=3).fit(x, y).decision_function(x)
    np.testing.assert_array_equal(a, b)


def test_unfitted_model_refuses_to_predict() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AdditiveBoosting().decision_function(np.zeros((1, 3)))


def test_the_compiled_row_loop_adds_exactly_what_the_shapes_add() -> None:
    """decision_function walks the rows in compiled code; the sums are the column-by-column ones."""
    x, y = _data()
    model = AdditiveBoosting(seed=0, max_iter=200).fit(x, y)
    fresh, _ = _data(2000, seed=2)
    fresh[:5] = np.nan
    fresh[5:10] = -np.inf
    at = np.concatenate([s.thresholds for s in model.shapes_])  # exactly on a threshold: goes left
    fresh[10 : 10 + len(at), model.shapes_[0].feature] = np.resize(at, len(at))
    expected = np.full(len(fresh), model.intercept_)
    for shape in model.shapes_:
        expected += shape(fresh[:, shape.feature])
    assert np.array_equal(model.decision_function(fresh), expected)
    assert np.array_equal(model.decision_function(np.asfortranarray(fresh)), expected)


@pytest.mark.parametrize("known", [0, 3])
def test_a_feature_known_in_almost_no_row_is_never_split_on(known: int) -> None:
    """A feature the taxonomy cannot tell (NaN in every row, or in all but a few) fits as if absent."""
    x, y = _data()
    x[:, 4] = np.nan
    x[:known, 4] = 1.0
    model = AdditiveBoosting(max_iter=100).fit(x, y)
    assert 4 not in {s.feature for s in model.shapes_}
    without = AdditiveBoosting(max_iter=100).fit(_zero_column(x, 4), y)
    np.testing.assert_allclose(model.decision_function(x), without.decision_function(x), rtol=0, atol=1e-12)


def _zero_column(x: np.ndarray, j: int) -> np.ndarray:
    out = x.copy()
    out[:, j] = 0.0
    return out
