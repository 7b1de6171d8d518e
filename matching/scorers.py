"""Scorers: a transparent rule-based score, a learned probability of lasting 6 months, and a baseline.

All scorers map a feature matrix (pairs × :data:`~matching.features.FEATURES`) to a score in 0..1.
Unknown features never add to a score: the rule score counts them as zero and reports a lower
``confidence``; the learned score is capped by how complete the profile is, so an empty profile can
never look like a perfect match.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import warnings
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numba
import numpy as np
import sklearn
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from matching.additive import AdditiveBoosting, decision_of_row
from matching.bound import (
    Bound,
    Pieces,
    Terms,
    additive_terms,
    clipped_line,
    logistic_terms,
    not_negative,
    pieces,
    stump_terms,
    weighted_sum,
)
from matching.features import FEATURE_SET_VERSION, FEATURES, INDEX, monotone_directions
from models.errors import KoppelaarError

MODEL_FORMAT = "koppelaar-retention-model"
MODEL_FORMAT_VERSION = 2


class Scorer(Protocol):
    name: str
    #: whether score() is a calibrated probability (that the placement lasts 6 months) or a rule score
    calibrated: bool

    def score(self, x: np.ndarray) -> np.ndarray: ...

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per pair and feature, how much it moved the score (for "what weighed most")."""
        ...


@dataclass(frozen=True)
class ScoreMeaning:
    """What a score is, in the words a coach reads: its name, how it is shown and a short explanation."""

    label: str  # "passingsscore" or "kans op 6 maanden"
    probability: bool  # only a calibrated model's score is a probability
    explanation: str


RULE_SCORE = ScoreMeaning(
    label="passingsscore",
    probability=False,
    explanation="Hoe goed kandidaat en plaats bij elkaar passen, van 0 tot 100: een gewogen optelling van regels "
    "(vaardigheden, beroep, reisafstand, ervaring, uren). Het is geen percentage: 70 zegt niet dat 7 van de 10 "
    "zulke plaatsingen slagen.",
)
MODEL_SCORE = ScoreMeaning(
    label="kans op 6 maanden",
    probability=True,
    explanation="De kans dat de plaatsing na 6 maanden nog loopt, voorspeld door een model dat is getraind en "
    "gekalibreerd op eerdere plaatsingen.",
)


def score_meaning(scorer: Scorer | None) -> ScoreMeaning:
    """What ``scorer``'s score is (``None``: the rule score, the default)."""
    return MODEL_SCORE if scorer is not None and scorer.calibrated else RULE_SCORE


#: The rule-based score: each part in 0..1 with its weight; parts whose input is unknown count 0.
RULE_WEIGHTS: dict[str, float] = {
    "skill_coverage": 0.30,
    "same_occupation": 0.15,
    "distance_km": 0.15,
    "title_similarity": 0.10,
    "occupation_years": 0.05,
    "optional_coverage": 0.05,
    "text_similarity": 0.05,
    "hours_gap": 0.05,
    "language_margin": 0.04,
    "education_margin": 0.03,
    "physical_margin": 0.03,
}
TRAINABLE_GAP_PENALTY = 0.05


#: The rule parts that are a clipped line of their feature, clip(offset + sign · feature / divisor, 0, 1):
#: ``(feature, offset, sign, divisor)``. Distance counts down to 0 at the candidate's own maximum,
#: experience up to 5 years, profile text up to half similar; the hours part loses an eighth per hour
#: beside the wanted ones. Read by the compiled rule score (:func:`_rule_part`) and its bound
#: (:func:`_rule_terms`).
RULE_LINES: dict[str, tuple[str, float, float, float]] = {
    "distance_km": ("distance_share", 1.0, -1.0, 1.0),
    "occupation_years": ("occupation_years", 0.0, 1.0, 5.0),
    "text_similarity": ("text_similarity", 0.0, 1.0, 0.5),
    "hours_gap": ("hours_gap", 1.0, -1.0, 8.0),
}
#: The feature each rule part is worked out from (:func:`_rule_part`), in :data:`RULE_WEIGHTS` order.
RULE_INPUTS: dict[str, str] = {name: RULE_LINES[name][0] if name in RULE_LINES else name for name in RULE_WEIGHTS}
# how :func:`_rule_part` works each part out from its feature: the feature itself, a clipped line
# (:data:`RULE_LINES`) or a margin (whole when the candidate meets the level)
_ITSELF, _LINE, _MARGIN = range(3)
_RULE_KINDS = np.array(
    [_LINE if name in RULE_LINES else _MARGIN if name.endswith("_margin") else _ITSELF for name in RULE_WEIGHTS],
    dtype=np.int64,
)
_RULE_LINES = np.array([RULE_LINES.get(name, ("", 0.0, 1.0, 1.0))[1:] for name in RULE_WEIGHTS], dtype=np.float64)
_RULE_COLUMNS = np.array([INDEX[feature] for feature in RULE_INPUTS.values()], dtype=np.int64)
_RULE_W = np.array(list(RULE_WEIGHTS.values()), dtype=np.float64)
_RULE_TOTAL = float(_RULE_W.sum())
_GAPS = INDEX["trainable_gaps"]
_RULE = (_RULE_KINDS, _RULE_LINES, _RULE_COLUMNS, _RULE_W, _RULE_TOTAL, _GAPS)  # what the compiled rule score reads
_FLOAT_MAX = float(np.finfo(np.float64).max)
_N_PARTS = len(RULE_WEIGHTS)
_PAIRWISE_MAX = 128  # _numpy_sum follows numpy's order up to this many terms
if _N_PARTS > _PAIRWISE_MAX:
    raise ValueError(f"more than {_PAIRWISE_MAX} rule parts")


@numba.njit(cache=True, nogil=True)
def _clip01_of(v):  # type: ignore[no-untyped-def]
    """``v`` clipped to 0..1 as ``np.clip`` does it (NaN stays NaN)."""
    if np.isnan(v):
        return v
    v = 0.0 if v < 0.0 else v
    return 1.0 if v > 1.0 else v


@numba.njit(cache=True, nogil=True)
def _rule_part(kind, line, v):  # type: ignore[no-untyped-def]
    """A rule part from its feature's value (:data:`RULE_INPUTS`): 0..1, NaN when unknown. ``kind``: the
    feature itself, a clipped line (``line``: its offset, sign and divisor, :data:`RULE_LINES`) or a
    margin, which counts whole when the candidate meets the level."""
    if kind == _LINE:
        return _clip01_of(line[0] + line[1] * v / line[2])
    if kind == _MARGIN:
        if np.isnan(v):
            return np.nan
        return 1.0 if v >= 0 else 0.0
    return v


@numba.njit(cache=True, nogil=True)
def _numpy_sum(a):  # type: ignore[no-untyped-def]
    """Σ ``a`` (at most :data:`_PAIRWISE_MAX` terms) added in the order ``np.sum`` adds them along a
    contiguous axis (eight running sums, then the rest), so that the compiled scores are numpy's to the bit."""
    n = len(a)
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0, r1, r2, r3 = r0 + a[i], r1 + a[i + 1], r2 + a[i + 2], r3 + a[i + 3]
        r4, r5, r6, r7 = r4 + a[i + 4], r5 + a[i + 5], r6 + a[i + 6], r7 + a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True)
def _rule_row(x, i, rule, parts, terms):  # type: ignore[no-untyped-def]
    """Row ``i``'s rule score and confidence (``rule``: :data:`_RULE`; ``parts``, ``terms``: scratch of
    one row each)."""
    kinds, lines, columns, w, total, gaps = rule
    for k in range(len(columns)):
        parts[k] = _rule_part(kinds[k], lines[k], x[i, columns[k]])
        terms[k] = 0.0 if np.isnan(parts[k]) else parts[k] * w[k]
    raw = _numpy_sum(terms) / total
    g = x[i, gaps]
    if np.isnan(g):
        g = 0.0
    elif np.isinf(g):
        g = _FLOAT_MAX if g > 0 else -_FLOAT_MAX  # as np.nan_to_num
    score = _clip01_of(raw - TRAINABLE_GAP_PENALTY * g)
    for k in range(len(columns)):
        terms[k] = 0.0 if np.isnan(parts[k]) else w[k]
    return score, _numpy_sum(terms) / total


@numba.njit(cache=True, nogil=True)
def _rule_scores(x, rule, score, confidence):  # type: ignore[no-untyped-def]
    parts, terms = np.empty(_N_PARTS), np.empty(_N_PARTS)
    for i in range(x.shape[0]):
        score[i], confidence[i] = _rule_row(x, i, rule, parts, terms)


@numba.njit(cache=True, nogil=True)
def _rule_parts_into(x, kinds, lines, columns, out):  # type: ignore[no-untyped-def]
    for i in range(x.shape[0]):
        for k in range(len(columns)):
            out[i, k] = _rule_part(kinds[k], lines[k], x[i, columns[k]])


def _features(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def rule_parts(x: np.ndarray) -> np.ndarray:
    """The rule score's parts (pairs × RULE_WEIGHTS), each 0..1, NaN when unknown."""
    out = np.empty((len(x), len(RULE_WEIGHTS)))
    _rule_parts_into(_features(x), _RULE_KINDS, _RULE_LINES, _RULE_COLUMNS, out)
    return out


@dataclass
class RuleScorer:
    """Transparent weighted score: Σ weight × part over known parts, minus soft-gap penalties."""

    name: str = "rule"
    calibrated: bool = False

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.score_and_confidence(x)[0]

    def score_and_confidence(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ weight × part over the known parts, over Σ weight; less the gap penalty; clipped to 0..1.
        Worked out row by row (a pair's score does not depend on the rows scored with it)."""
        score, confidence = np.empty(len(x)), np.empty(len(x))
        _rule_scores(_features(x), _RULE, score, confidence)
        return score, confidence

    def score_bound(self) -> Bound:
        """The rule score is additive per feature, clipped to 0..1: see :mod:`matching.bound`."""
        global _RULE_BOUND  # noqa: PLW0603  (one for every rule scorer: they are all the same)
        if _RULE_BOUND is None:
            _RULE_BOUND = _rule_bound()
        return _RULE_BOUND

    def contributions(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x)
        parts = np.nan_to_num(rule_parts(x), nan=0.5)  # unknown is neutral: neither for nor against
        w = np.array(list(RULE_WEIGHTS.values())) / sum(RULE_WEIGHTS.values())
        for j, name in enumerate(RULE_WEIGHTS):
            out[:, INDEX[name]] = (parts[:, j] - 0.5) * w[j]  # above or below a half-way part
        out[:, INDEX["trainable_gaps"]] = -TRAINABLE_GAP_PENALTY * np.nan_to_num(x[:, INDEX["trainable_gaps"]])
        return out


_RULE_BOUND: Bound | None = None


def _rule_bound() -> Bound:
    """:func:`rule_parts` term by term (unknown parts count 0), minus the gap penalty."""
    terms = _rule_terms()
    terms[INDEX["trainable_gaps"]] = ([], [(-TRAINABLE_GAP_PENALTY, 0.0, 0.0)], 0.0, 0.0)
    return Bound(0.0, pieces(terms), ("clip", None, 0.0))


def _rule_terms(*, floored: bool = False) -> Terms:
    """:func:`rule_parts` term by term, before the gap penalty: Σ weight × part over known parts.
    ``floored``: every term at least 0 (a part that is the feature itself counts 0 below 0, the clipped
    parts and margins never go below it, and the gap penalty counts only where it would add), so that
    the sum is never below the rule score, which is this sum less the penalty, clipped to 0..1."""
    total = sum(RULE_WEIGHTS.values())
    w = {name: weight / total for name, weight in RULE_WEIGHTS.items()}
    terms: Terms = {}
    for name, weight in w.items():
        if name in RULE_LINES:
            feature, offset, sign, divisor = RULE_LINES[name]
            thresholds, bins = clipped_line(sign / divisor, offset, weight)
        elif name.endswith("_margin"):
            feature, (thresholds, bins) = name, not_negative(weight)
        elif floored:  # the feature itself, 0 below 0
            feature, thresholds, bins = name, [0.0], [(0.0, 0.0, 0.0), (weight, 0.0, 0.0)]
        else:  # the feature itself
            feature, thresholds, bins = name, [], [(weight, 0.0, 0.0)]
        terms[INDEX[feature]] = (thresholds, bins, 0.0, 0.0)
    if floored:  # a negative count of gaps would add to the score: that much, and nothing for the rest
        terms[INDEX["trainable_gaps"]] = ([0.0], [(-TRAINABLE_GAP_PENALTY, 0.0, 0.0), (0.0, 0.0, 0.0)], 0.0, 0.0)
    return terms


@dataclass
class TitleScorer:
    """The status-quo baseline: how well the title fuzzily matches the candidate's occupations."""

    name: str = "fuzzy-title"
    calibrated: bool = False

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.nan_to_num(x[:, INDEX["title_similarity"]]), dtype=float)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x)
        out[:, INDEX["title_similarity"]] = self.score(x)
        return out

    def score_bound(self) -> None:
        """Only the costly title similarity counts: no cheap bound worth having."""
        return None


_BOUNDS: weakref.WeakKeyDictionary[LearnedScorer, Bound | None] = weakref.WeakKeyDictionary()


#: The share of the labelled history, latest by start date, held out to report on.
HOLDOUT_SHARE = 0.2
#: Folds of the out-of-fold predictions (grouped by candidate) that choose a family, weigh it against the
#: rule score and calibrate it.
CV_FOLDS = 4
#: Equal-width bins of the reliability table.
RELIABILITY_BINS = 10
#: Fewer known values of a feature than this in a fit's rows: that fit leaves the feature out.
MIN_KNOWN = 5
#: The families a learned scorer can hold; "rule" is the rule score itself, calibrated. ``logistic`` (a
#: logistic regression with missing-value indicators) is not fitted by :meth:`LearnedScorer.fit`: it
#: cannot be held to the known directions. Model files that hold one still score.
FAMILIES = ("additive_boosting", "boosted_trees", "logistic")
#: The families :meth:`LearnedScorer.fit` chooses from, in order of preference.
CHOSEN_FROM = ("additive_boosting", "boosted_trees")
#: How much higher a later family's out-of-fold AUC must be to be chosen over an earlier one.
SELECTION_MARGIN = 0.01
#: The fewest rows on each side of a stump's split.
STUMP_MIN_LEAF = 20
#: The boosted stumps' learning rate (over ``max_iter`` = 100 rounds, no early stopping). At 0.05 they
#: stayed near the history's rate where coaches chose the history (predicting 0.50 for pairs of which
#: 0.32 last in a development language world); 0.2 ranked best of 0.05, 0.1, 0.2, 0.3 and 0.4 on the
#: development worlds.
STUMP_LEARNING_RATE = 0.2
#: The rule score's weight beside the learned family's decision in a kept learned model
#: (:class:`RuleBlend`), both in standard deviations of the history's (out-of-fold decisions, rule
#: scores). The learned family ranks the history's placements better over all pairs, mostly by telling
#: which vacancies' places last; among one vacancy's own candidates, whom a plan chooses between, the
#: rule score's pair similarity often ranks better. 0.5 kept the first and gained most of the second on
#: the development worlds (docs/SCORING.md).
RULE_WEIGHT = 0.5


class LearnedScorer(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated probability that a placement lasts 6 months, learned from placement history.

    Honest model choice (:meth:`fit`): the families of :data:`CHOSEN_FROM` (boosted stumps compiled into
    per-feature step functions, :mod:`matching.additive`; boosted trees of depth 3 for interactions),
    both held to the known directions of :data:`~matching.features.KNOWN_DIRECTIONS`, compete by
    out-of-fold AUC over the whole history, the folds grouped by candidate; a later family is chosen only
    when it beats an earlier one by more than :data:`SELECTION_MARGIN`. The chosen family's decision with
    the rule score beside it (:class:`RuleBlend`, the rule weighing ``rule_weight``) is kept only when
    its out-of-fold AUC beats the rule score's; otherwise the scorer is the rule score calibrated by Platt
    scaling (:class:`Platt`: it keeps the rule's ranking). The kept one is fitted on the whole history and
    calibrated on its out-of-fold predictions (:class:`PlattCurve`). For the report, the latest
    :data:`HOLDOUT_SHARE` of the history by start date is held out: both the learned model (the chosen
    family with the rule score beside it) and the rule score are fitted on the earlier placements and
    scored on the latest (``metrics_``, ``reliability_``).
    Follows the scikit-learn contract: parameters stored by ``__init__``, fitted attributes end in ``_``.
    """

    name = "learned"
    calibrated = True
    #: a model file saved without this setting has no rule score beside its model
    rule_weight: float = 0.0

    def __init__(
        self,
        *,
        seed: int = 0,
        max_iter: int = 100,
        learning_rate: float = STUMP_LEARNING_RATE,
        rule_weight: float = RULE_WEIGHT,
    ) -> None:
        self.seed = seed
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.rule_weight = rule_weight

    def _family(self, family: str) -> Any:
        if family == "additive_boosting":
            return AdditiveBoosting(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                min_samples_leaf=STUMP_MIN_LEAF,
                early_stopping=False,
                monotonic_cst=monotone_directions(),
                seed=self.seed,
            )
        if family == "boosted_trees":
            return HistGradientBoostingClassifier(
                monotonic_cst=monotone_directions(),
                max_depth=3,
                learning_rate=0.05,
                max_iter=300,
                min_samples_leaf=20,
                l2_regularization=1.0,
                early_stopping=True,
                validation_fraction=0.15,
                random_state=self.seed,
            )
        raise ValueError(f"cannot fit family {family!r}: choose from {', '.join(CHOSEN_FROM)}")

    def _fitted(self, family: str, x: np.ndarray, y: np.ndarray) -> Any:
        """``family`` fitted on these rows; a column with fewer than :data:`MIN_KNOWN` known values among
        them counts as 0 throughout (nothing to learn from it, and scikit-learn's binning fails on a
        column with none: a feature nobody in a small history has, or a taxonomy's unused one)."""
        sparse = np.isfinite(x).sum(axis=0) < MIN_KNOWN
        if sparse.any():
            x = x.copy()
            x[:, sparse] = 0.0
        return self._family(family).fit(x, y)

    def fit(
        self, x: np.ndarray, y: np.ndarray, *, start: np.ndarray | None = None, groups: np.ndarray | None = None
    ) -> LearnedScorer:
        """Choose, fit and calibrate (see the class). ``start``: each placement's start (float days), for
        the held-out part; without it a seeded stratified fifth. ``groups``: each placement's candidate,
        so that no candidate is on both sides of a fold.

        Boosting runs on one OpenMP thread: a history has thousands of rows, not millions, and on a
        busy machine threads that wait for each other made every boosting round 10–40 ms."""
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(x, y, start=start, groups=groups)

    def _fit(
        self, x: np.ndarray, y: np.ndarray, *, start: np.ndarray | None, groups: np.ndarray | None
    ) -> LearnedScorer:
        y = np.asarray(y, dtype=int)
        if x.shape[1] != len(FEATURES):
            raise ValueError(f"expected {len(FEATURES)} features, got {x.shape[1]}")
        if len(y) < 40 or y.min() == y.max():
            raise KoppelaarError(
                f"cannot train: {len(y)} placements with a known retained_6m "
                f"({int(y.sum())} retained); at least 40, with both outcomes, are needed"
            )
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        rule = RuleScorer().score(x)
        # the choice: every family and the rule score out of fold over the whole history
        oof = {f: self._out_of_fold(f, x, y, groups) for f in CHOSEN_FROM}
        selection = {f: float(roc_auc_score(y, oof[f])) for f in CHOSEN_FROM}
        best = CHOSEN_FROM[0]
        for family in CHOSEN_FROM[1:]:  # a less constrained family must earn its place
            if selection[family] > selection[best] + SELECTION_MARGIN:
                best = family
        self.best_family_ = best
        selection_rule = float(roc_auc_score(y, rule))
        blend = RuleBlend.scaled(oof[best], rule, self.rule_weight)
        oof_kept = blend.combine(oof[best], rule)
        selection_kept = float(roc_auc_score(y, oof_kept))
        self.kept_ = "learned" if selection_kept > selection_rule else "rule"
        # the report: both fitted on the earlier placements and scored on the latest ones
        hold = self._holdout(y, start)
        dev = ~hold
        self.classes_ = np.array([0, 1])
        self.base_rate_ = float(y[dev].mean())
        oof_dev = self._out_of_fold(best, x[dev], y[dev], groups[dev])
        blend_dev = RuleBlend.scaled(oof_dev, rule[dev], self.rule_weight)
        self.family_, self.base_ = best, blend_dev.around(self._fitted(best, x[dev], y[dev]))
        self.calibrator_: PlattCurve | Platt = _calibration(blend_dev.combine(oof_dev, rule[dev]), y[dev])
        learned = self.score(x[hold])
        self.family_, self.base_ = "rule", RuleScorer()
        self.calibrator_ = Platt().fit(rule[dev], y[dev])
        ruled = self.score(x[hold])
        figures = {"learned": _figures(y[hold], learned), "rule": _figures(y[hold], ruled)}
        kept = learned if self.kept_ == "learned" else ruled
        self.reliability_ = reliability(y[hold], kept)
        # the kept one, fitted on everything and calibrated on its out-of-fold predictions
        self.base_rate_ = float(y.mean())
        if self.kept_ == "learned":
            self.family_, self.base_ = best, blend.around(self._fitted(best, x, y))
            self.calibrator_ = _calibration(oof_kept, y)
        else:
            self.calibrator_ = Platt().fit(rule, y)
        with warnings.catch_warnings():  # a feature no training row has: its typical value is unknown
            warnings.simplefilter("ignore", RuntimeWarning)
            self.medians_ = np.nanmedian(np.where(np.isfinite(x), x, np.nan), axis=0)
        self.training_size_ = len(y)
        self.metrics_ = {
            "validation_auc": figures[self.kept_]["auc"],
            "validation_brier": figures[self.kept_]["brier"],
            "validation_log_loss": figures[self.kept_]["log_loss"],
            "validation_size": float(hold.sum()),
            "validation_retained": float(y[hold].mean()),
            "validation_predicted": float(kept.mean()),
            "base_rate": self.base_rate_,
            **{f"{who}_validation_{k}": v for who, f in figures.items() for k, v in f.items()},
            **{f"selection_auc_{k}": v for k, v in selection.items()},
            "selection_auc_rule": selection_rule,
            "selection_auc_kept": selection_kept,
        }
        return self

    def _holdout(self, y: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        """The held-out rows: the latest by start (ties broken by row), or a seeded stratified fifth;
        both outcomes on both sides, else the stratified fifth."""
        n_hold = max(round(HOLDOUT_SHARE * len(y)), 2)
        hold = np.zeros(len(y), dtype=bool)
        if start is not None:
            order = np.lexsort((np.arange(len(y)), np.nan_to_num(np.asarray(start, dtype=float), nan=-np.inf)))
            hold[order[-n_hold:]] = True
            if len(np.unique(y[hold])) == 2 and len(np.unique(y[~hold])) == 2:
                return hold
            hold[:] = False
        _, rows = train_test_split(np.arange(len(y)), test_size=n_hold, random_state=self.seed, stratify=y)
        hold[rows] = True
        return hold

    def _out_of_fold(self, family: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Decision values of ``family`` for every row from a model that did not see its candidate."""
        n_splits = min(CV_FOLDS, len(np.unique(groups)))
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.seed)
        out = np.zeros(len(y))
        for fit_rows, rows in folds.split(x, y, groups):
            if y[fit_rows].min() == y[fit_rows].max():  # a fold with one outcome learns nothing
                out[rows] = y[fit_rows].mean()
                continue
            out[rows] = _decision_of(family, self._fitted(family, x[fit_rows], y[fit_rows]), x[rows])
        return out

    def decision(self, x: np.ndarray) -> np.ndarray:
        """The kept model's decision value per row (the rule score itself for the rule family)."""
        return _decision_of(self.family_, self.base_, x)

    def raw_probability(self, x: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "calibrator_")
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(self.calibrator_.predict(self.decision(x)), dtype=float)

    def score_bound(self) -> Bound | None:
        """An upper bound on :meth:`score` from cheap features (:mod:`matching.bound`), made once;
        ``None`` for boosted trees and the calibrated rule score: every eligible pair is then scored."""
        check_is_fitted(self, "calibrator_")
        if self not in _BOUNDS:
            _BOUNDS[self] = self._make_bound()
        return _BOUNDS[self]

    def _make_bound(self) -> Bound | None:
        made: tuple[float, Pieces] | None = None
        if isinstance(self.base_, AdditiveBoosting):
            made = additive_terms(self.base_)
        elif isinstance(self.base_, RuleBlend) and isinstance(self.base_.model, AdditiveBoosting):
            made = self.base_.bound_terms()
        elif self.family_ == "logistic" and len(self.base_.steps) == 3:
            imputer, scaler, model = (step for _, step in self.base_.steps)
            if (
                isinstance(imputer, SimpleImputer)
                and isinstance(scaler, StandardScaler)
                and isinstance(model, LogisticRegression)
            ):
                made = logistic_terms(imputer, scaler, model)
        if made is None:
            return None
        try:
            return Bound(made[0], made[1], ("calibrated", self.calibrator_, self.base_rate_))
        except ValueError:  # a calibrator that is not non-decreasing
            return None

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = self.score(x)
        return np.column_stack([1.0 - p, p])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.score(x) >= 0.5).astype(int)

    def score(self, x: np.ndarray) -> np.ndarray:
        """P(lasts 6 months), capped at base + completeness × (1 − base) for incomplete profiles."""
        p = self.raw_probability(x)
        completeness = np.nan_to_num(x[:, INDEX["profile_completeness"]], nan=0.0)
        return np.asarray(np.minimum(p, self.base_rate_ + completeness * (1.0 - self.base_rate_)), dtype=float)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """One-at-a-time: how much the probability drops when a feature is set to its typical value.

        Measured on the model before calibration: the calibration curve is flat beyond its outer
        knots, where a single feature's change would move nothing even where the model weighs it. The
        rule family explains itself as the rule score does.
        """
        check_is_fitted(self, "medians_")
        if self.family_ == "rule":
            return RuleScorer().contributions(x)
        n = len(x)
        out = np.zeros_like(x, dtype=float)
        if n == 0:
            return out
        typical = np.asarray(self.medians_, dtype=float)
        # a feature already at its typical value moves nothing (a pair's score does not depend on the
        # rows scored with it): only the other probes are scored, in one batch after the pairs
        rows, cols = np.nonzero((x != typical) & ~(np.isnan(x) & np.isnan(typical)))
        probes = np.concatenate([x, x[rows]])
        probes[n + np.arange(len(rows)), cols] = typical[cols]
        scores = self.base_.predict_proba(probes)[:, 1]
        out[rows, cols] = scores[rows] - scores[n:]
        return out

    # -- persistence ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        check_is_fitted(self, "calibrator_")
        payload = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "feature_set_version": FEATURE_SET_VERSION,
            "features": list(FEATURES),
            "sklearn_version": sklearn.__version__,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "training_size": self.training_size_,
            "metrics": self.metrics_,
            "scorer": self,
        }
        buffer = io.BytesIO()
        pickle.dump(payload, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def describe(data: bytes, source: str) -> dict[str, Any]:
        """The metadata of a model file, after checking it fits this version of Koppelaar."""
        try:
            payload = pickle.loads(data)  # model files are written by `koppelaar train`; load only trusted ones
        except Exception as exc:  # a truncated or foreign file
            raise KoppelaarError(
                f"{source} is not a Koppelaar model file ({type(exc).__name__}): retrain it with `koppelaar train`"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise KoppelaarError(f"{source} is not a Koppelaar model file: retrain it with `koppelaar train`")
        problems = []
        if payload.get("format_version") != MODEL_FORMAT_VERSION:
            problems.append(f"model format {payload.get('format_version')} (this version reads {MODEL_FORMAT_VERSION})")
        if payload.get("feature_set_version") != FEATURE_SET_VERSION or payload.get("features") != list(FEATURES):
            problems.append(
                f"feature set v{payload.get('feature_set_version')} (this version computes v{FEATURE_SET_VERSION})"
            )
        if str(payload.get("sklearn_version", "")).split(".")[:2] != sklearn.__version__.split(".")[:2]:
            problems.append(
                f"scikit-learn {payload.get('sklearn_version')} (this installation has {sklearn.__version__})"
            )
        if problems:
            raise KoppelaarError(
                f"{source} was trained with {', '.join(problems)}; "
                f"retrain it with `koppelaar train DATASET --model {source}`"
            )
        return payload

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "the model file") -> LearnedScorer:
        scorer = cls.describe(data, source)["scorer"]
        if not isinstance(scorer, cls):
            raise KoppelaarError(f"{source} does not hold a retention model: retrain it with `koppelaar train`")
        return scorer


def _decision_of(family: str, model: Any, x: np.ndarray) -> np.ndarray:
    """A fitted family's decision value per row. For the logistic pipeline the weighted sum is taken
    row by row here rather than by a BLAS product, whose rounding depends on how many rows come
    together: a pair's score must not depend on which pairs it is scored with."""
    if family == "rule":
        return np.asarray(model.score(x), dtype=float)
    if family == "logistic":
        *steps, last = (step for _, step in model.steps)
        z = np.asarray(x, dtype=float)
        for step in steps:
            z = step.transform(z)
        return np.asarray((np.asarray(z) * last.coef_[0]).sum(axis=1) + last.intercept_[0], dtype=float)
    return np.asarray(model.decision_function(x), dtype=float)


@dataclass(frozen=True)
class RuleBlend:
    """A learned family's decision and the rule score side by side, each in standard units of the
    history's (the family's out-of-fold decisions, the rule scores): decision − ``mean``, over ``spread``,
    plus ``weight`` × (rule − ``rule_mean``) over ``rule_spread``. The learned part carries what sets one
    vacancy's places apart from another's; the rule score's pair similarity orders who fits one place."""

    weight: float
    mean: float
    spread: float
    rule_mean: float
    rule_spread: float
    model: Any = None

    @classmethod
    def scaled(cls, decision: np.ndarray, rule: np.ndarray, weight: float) -> RuleBlend:
        return cls(
            weight,
            float(np.mean(decision)),
            max(float(np.std(decision)), 1e-9),
            float(np.mean(rule)),
            max(float(np.std(rule)), 1e-9),
        )

    def around(self, model: Any) -> Any:
        """``model`` with the rule score beside it; ``model`` itself when the rule score weighs nothing."""
        return dataclasses.replace(self, model=model) if self.weight else model

    def combine(self, decision: np.ndarray, rule: np.ndarray) -> np.ndarray:
        if not self.weight:
            return np.asarray(decision, dtype=float)
        own = (np.asarray(decision, dtype=float) - self.mean) / self.spread
        return np.asarray(own + self.weight * (np.asarray(rule, dtype=float) - self.rule_mean) / self.rule_spread)

    def bound_terms(self) -> tuple[float, Pieces]:
        """The stumps' terms and the rule score's (:func:`_rule_terms`, never below it), each scaled as
        :meth:`combine` scales them: a bound on the decision (:mod:`matching.bound`)."""
        intercept, stumps = stump_terms(self.model)
        rule = self.weight / self.rule_spread
        terms = weighted_sum([(1.0 / self.spread, stumps), (rule, _rule_terms(floored=True))])
        return (intercept - self.mean) / self.spread - rule * self.rule_mean, pieces(terms)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        if not (self.weight and isinstance(self.model, AdditiveBoosting)):
            return self.combine(np.asarray(self.model.decision_function(x), dtype=float), RuleScorer().score(x))
        # boosted stumps: both parts in one compiled pass over the rows, the same numbers as combine's
        check_is_fitted(self.model, "shapes_")
        out = np.empty(len(x))
        scaled = np.array([self.mean, self.spread, self.weight, self.rule_mean, self.rule_spread])
        _blend(_features(x), self.model.tables(), _RULE, scaled, out)
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = expit(self.decision_function(x))
        return np.column_stack([1.0 - p, p])


@numba.njit(cache=True, nogil=True)
def _blend(x, stumps, rule, scaled, out):  # type: ignore[no-untyped-def]
    """:meth:`RuleBlend.combine` of the stumps' logit and the rule score, row by row in one pass."""
    intercept, features, t_off, thresholds, v_off, values, missing = stumps
    mean, spread, weight, rule_mean, rule_spread = scaled[0], scaled[1], scaled[2], scaled[3], scaled[4]
    parts, terms = np.empty(_N_PARTS), np.empty(_N_PARTS)
    for i in range(x.shape[0]):
        decision = decision_of_row(x, i, intercept, features, t_off, thresholds, v_off, values, missing)
        score = _rule_row(x, i, rule, parts, terms)[0]
        out[i] = (decision - mean) / spread + weight * (score - rule_mean) / rule_spread


#: The least a calibration moves the probability per standard deviation of the decision (at the rate).
LEAST_SPREAD = 0.01


def least_slope(score: np.ndarray, y: np.ndarray) -> float:
    """The least Platt slope: one standard deviation of ``score`` moves the probability by
    :data:`LEAST_SPREAD` at the history's rate. A short, noisy history can rank a model's out-of-fold
    decisions (or the rule score) the wrong way round by chance; calibrating by that fit would turn
    every pair round and put the best pairs last. Both are made to rank the right way round (the known
    directions, the rule's weights), so they keep their order, with probabilities close to the rate
    that still differ in the plan's thousandths."""
    rate = float(np.clip(np.mean(y), 1e-3, 1 - 1e-3))
    return LEAST_SPREAD / (rate * (1 - rate) * max(float(np.std(score)), 1e-9))


class Platt:
    """Platt scaling: P = σ(a · score + b), fitted by logistic regression with the slope at least
    :func:`least_slope`. Strictly increasing, so the calibrated rule score ranks pairs exactly as the
    rule score does (isotonic calibration would tie pairs within a step)."""

    def fit(self, score: np.ndarray, y: np.ndarray) -> Platt:
        """The logistic fit; below :func:`least_slope` (it would turn the score round, or nearly flatten
        it) that slope instead, through the history's rate at the mean score."""
        score = np.asarray(score, dtype=float)
        model = LogisticRegression(C=1e6, max_iter=1000).fit(score.reshape(-1, 1), y)
        self.slope_, self.intercept_ = float(model.coef_[0, 0]), float(model.intercept_[0])
        least = least_slope(score, y)
        if self.slope_ < least:
            rate = float(np.clip(np.mean(y), 1e-3, 1 - 1e-3))
            self.slope_ = least
            self.intercept_ = float(np.log(rate / (1 - rate)) - least * np.mean(score))
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        return np.asarray(expit(self.slope_ * np.asarray(score, dtype=float) + self.intercept_), dtype=float)


#: Knots of the learned model's calibration curve.
CALIBRATION_KNOTS = 65


class PlattCurve:
    """Platt scaling (:class:`Platt`) read as a curve through :data:`CALIBRATION_KNOTS` knots, linear
    between them and flat beyond the outer ones, which lie half the decisions' range beyond the
    lowest and the highest. Strictly increasing between the outer knots when the decision ranks the
    right way round, so the probabilities keep the model's ranking: isotonic calibration on a few
    hundred placements has 10 to 25 steps, and pairs within a step tie (in the plan too). A curve
    like the isotonic calibrator's (``X_thresholds_``, ``y_thresholds_``, linear between), so the score
    bound (:mod:`matching.bound`) follows it exactly."""

    def fit(self, decision: np.ndarray, y: np.ndarray) -> PlattCurve:
        decision = np.asarray(decision, dtype=float)
        platt = Platt().fit(decision, y)
        lo, hi = float(decision.min()), float(decision.max())
        pad = max(hi - lo, 1e-6) / 2
        self.X_thresholds_ = np.linspace(lo - pad, hi + pad, CALIBRATION_KNOTS)
        self.y_thresholds_ = platt.predict(self.X_thresholds_)
        self.increasing_ = platt.slope_ >= 0
        return self

    def predict(self, decision: np.ndarray) -> np.ndarray:
        """Linear between the knots, worked out as the bound's ``_calibrate`` does (to the last digit)."""
        cx, cy = self.X_thresholds_, self.y_thresholds_
        x = np.clip(np.asarray(decision, dtype=float), cx[0], cx[-1])
        j = np.clip(np.searchsorted(cx, x), 1, len(cx) - 1)
        slope = (cy[j] - cy[j - 1]) / (cx[j] - cx[j - 1])
        return np.asarray(slope * (x - cx[j - 1]) + cy[j - 1], dtype=float)


def _calibration(decision: np.ndarray, y: np.ndarray) -> PlattCurve:
    return PlattCurve().fit(decision, y)


def _figures(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "auc": float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
    }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict[str, float]]:
    """Predicted against realised per equal-width bin of the prediction (bins holding no pair left out)."""
    which = np.minimum((np.asarray(p) * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            out.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "pairs": float(inside.sum()),
                    "predicted": float(p[inside].mean()),
                    "realised": float(np.asarray(y)[inside].mean()),
                }
            )
    return out
