"""Boosted stumps compiled into one step function per feature: a fast, transparent additive model.

Gradient boosting with trees of depth 1 (scikit-learn's ``HistGradientBoostingClassifier``) learns a
sum of single-feature splits. Summing every split on the same feature gives one step function per
feature, so the model is ``logit = intercept + Σ_f shape_f(x_f)``: a generalised additive model.
Compiled that way a prediction costs one ``searchsorted`` and one table look-up per feature, however
many boosting rounds were fitted; scikit-learn would walk every tree for every row. On the synthetic
history the stumps rank as well as deeper trees (docs/SCORING.md), and each feature's effect can be
read off its own shape.

The compiled tables reproduce scikit-learn's own prediction exactly; :meth:`AdditiveBoosting.fit`
checks that on the training rows and refuses to return a model that would differ.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted


@dataclass(frozen=True)
class Shape:
    """One feature's step function: ``values[searchsorted(thresholds, x)]``, ``missing`` for NaN."""

    feature: int
    thresholds: np.ndarray  # sorted, unique; x <= thresholds[j] lies in bin <= j
    values: np.ndarray  # len(thresholds) + 1 logit contributions
    missing: float

    def __call__(self, column: np.ndarray) -> np.ndarray:
        out = self.values[np.searchsorted(self.thresholds, column, side="left")]
        out[np.isnan(column)] = self.missing
        return np.asarray(out, dtype=float)


class AdditiveBoosting(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Binary classifier: boosted stumps, served as per-feature step functions."""

    def __init__(
        self,
        *,
        learning_rate: float = 0.1,
        max_iter: int = 1000,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        early_stopping: bool = True,
        monotonic_cst: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.early_stopping = early_stopping
        self.monotonic_cst = monotonic_cst
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray) -> AdditiveBoosting:
        x = _splittable(np.asarray(x, dtype=float), self.min_samples_leaf)
        booster = HistGradientBoostingClassifier(
            max_depth=1,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=self.early_stopping,
            validation_fraction=0.15 if self.early_stopping else None,
            monotonic_cst=self.monotonic_cst,
            random_state=self.seed,
        ).fit(x, y)
        self.classes_ = booster.classes_
        self.n_features_in_ = x.shape[1]
        self.n_iter_ = int(booster.n_iter_)
        self.intercept_, self.shapes_ = _compile(booster)
        expected = np.asarray(booster.decision_function(x), dtype=float)
        if not np.allclose(self.decision_function(x), expected, rtol=0, atol=1e-9):
            raise RuntimeError("the compiled stumps differ from scikit-learn's prediction (unsupported version?)")
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """The logit: intercept plus each feature's step function, added in the shapes' order (a
        compiled loop over the rows: one pass over ``x`` instead of one per feature)."""
        check_is_fitted(self, "shapes_")
        x = np.ascontiguousarray(x, dtype=float)
        out = np.empty(len(x))
        _decision(x, *self.tables(), out)
        return out

    def tables(self) -> Tables:
        """The step functions packed for the compiled loops (made once per fit)."""
        held = _TABLES.get(self)
        if held is not None and held[0] is self.shapes_:
            return held[1]
        shapes = self.shapes_
        t_off = np.cumsum([0] + [len(sh.thresholds) for sh in shapes])
        v_off = np.cumsum([0] + [len(sh.values) for sh in shapes])
        tables = Tables(
            float(self.intercept_),
            np.array([sh.feature for sh in shapes], dtype=np.int64),
            t_off.astype(np.int64),
            np.concatenate([np.asarray(sh.thresholds, dtype=float) for sh in shapes] or [np.zeros(0)]),
            v_off.astype(np.int64),
            np.concatenate([np.asarray(sh.values, dtype=float) for sh in shapes] or [np.zeros(0)]),
            np.array([sh.missing for sh in shapes], dtype=float),
        )
        _TABLES[self] = (shapes, tables)
        return tables

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = expit(self.decision_function(x))
        return np.column_stack([1.0 - p, p])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_[(self.decision_function(x) > 0).astype(int)])


def _splittable(x: np.ndarray, min_samples_leaf: int) -> np.ndarray:
    """``x`` with every column known in fewer than ``min_samples_leaf`` rows set to 0.

    No stump can split such a column (each side of a split, the missing side included, needs
    ``min_samples_leaf`` rows), so a constant changes no fit; scikit-learn's binning would instead
    fail on a column with no known value in its training part (e.g. a feature the taxonomy cannot
    tell, such as the sector of an ESCO occupation).
    """
    sparse = np.count_nonzero(~np.isnan(x), axis=0) < min_samples_leaf
    if not sparse.any():
        return x
    x = x.copy()
    x[:, sparse] = 0.0
    return x


class Tables(NamedTuple):
    """The step functions of :class:`AdditiveBoosting` in flat arrays: shape ``k`` reads feature
    ``features[k]``, its thresholds are ``thresholds[t_off[k]:t_off[k + 1]]``, its values likewise."""

    intercept: float
    features: np.ndarray
    t_off: np.ndarray
    thresholds: np.ndarray
    v_off: np.ndarray
    values: np.ndarray
    missing: np.ndarray


_TABLES: weakref.WeakKeyDictionary[AdditiveBoosting, tuple[list[Shape], Tables]] = weakref.WeakKeyDictionary()


@numba.njit(cache=True, nogil=True)
def decision_of_row(x, i, intercept, features, t_off, thresholds, v_off, values, missing):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """Row ``i``'s logit: the intercept plus, shape by shape, ``values[searchsorted(thresholds, x,
    "left")]`` (``missing`` for NaN): the same sums, in the same order, as :meth:`Shape.__call__`
    column by column."""
    s = intercept
    for k in range(len(features)):
        xv = x[i, features[k]]
        if np.isnan(xv):
            s += missing[k]
            continue
        lo, hi = t_off[k], t_off[k + 1]
        s += values[v_off[k] + np.searchsorted(thresholds[lo:hi], xv)]
    return s


@numba.njit(cache=True, nogil=True)
def _decision(x, intercept, features, t_off, thresholds, v_off, values, missing, out):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    for i in range(x.shape[0]):
        out[i] = decision_of_row(x, i, intercept, features, t_off, thresholds, v_off, values, missing)


def _compile(booster: HistGradientBoostingClassifier) -> tuple[float, list[Shape]]:
    """Sum the fitted stumps per feature into step functions (read from the fitted predictors)."""
    intercept = float(np.ravel(booster._baseline_prediction)[0])
    stumps: dict[int, list[tuple[float, float, float, bool]]] = {}
    for (predictor,) in booster._predictors:  # one tree per round for a binary classifier
        nodes = predictor.nodes
        root = nodes[0]
        if root["is_leaf"]:  # a round that found no split adds a constant
            intercept += float(root["value"])
            continue
        if root["is_categorical"]:
            raise RuntimeError("categorical splits are not supported by the additive model")
        left, right = nodes[root["left"]], nodes[root["right"]]
        if not (left["is_leaf"] and right["is_leaf"]):
            raise RuntimeError("the booster grew deeper than stumps")
        split = (float(root["num_threshold"]), float(left["value"]), float(right["value"]))
        stumps.setdefault(int(root["feature_idx"]), []).append((*split, bool(root["missing_go_to_left"])))
    shapes = []
    for feature in sorted(stumps):
        splits = stumps[feature]
        thresholds = np.unique([t for t, *_ in splits])
        delta = np.zeros(len(thresholds) + 2)
        right_total = 0.0
        missing = 0.0
        for t, left, right, nan_left in splits:
            j = int(np.searchsorted(thresholds, t))
            right_total += right  # every bin gets the right value ...
            delta[0] += left - right  # ... and bins 0..j (x <= t) get left instead
            delta[j + 1] -= left - right
            missing += left if nan_left else right
        values = right_total + np.cumsum(delta)[: len(thresholds) + 1]
        shapes.append(Shape(feature, thresholds, values, missing))
    return intercept, shapes
