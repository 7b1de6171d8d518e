"""Scorers: a transparent rule-based score, a learned probability of lasting 6 months, and a baseline.

All scorers map a feature matrix (pairs × :data:`~matching.features.FEATURES`) to a score in 0..1.
Unknown features never add to a score: the rule score counts them as zero and reports a lower
``confidence``; the learned score is capped by how complete the profile is, so an empty profile can
never look like a perfect match.
"""

from __future__ import annotations

import io
import pickle
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from matching.additive import AdditiveBoosting
from matching.bound import Bound, Pieces, Terms, additive_terms, clipped_line, logistic_terms, not_negative, pieces
from matching.features import FEATURE_SET_VERSION, FEATURES, INDEX
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


def _clip01(a: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(a, 0.0, 1.0), dtype=float)


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


def rule_parts(x: np.ndarray) -> np.ndarray:
    """The rule score's parts (pairs × RULE_WEIGHTS), each 0..1, NaN when unknown."""
    f = {name: x[:, INDEX[name]] for name in RULE_WEIGHTS}
    with np.errstate(invalid="ignore"):
        parts = {
            "skill_coverage": f["skill_coverage"],
            "same_occupation": f["same_occupation"],
            "distance_km": _clip01(1.0 - x[:, INDEX["distance_share"]]),
            "title_similarity": f["title_similarity"],
            "occupation_years": _clip01(f["occupation_years"] / 5.0),
            "optional_coverage": f["optional_coverage"],
            "text_similarity": _clip01(2.0 * f["text_similarity"]),
            "hours_gap": _clip01(1.0 - f["hours_gap"] / 8.0),
            "language_margin": np.where(np.isnan(f["language_margin"]), np.nan, f["language_margin"] >= 0),
            "education_margin": np.where(np.isnan(f["education_margin"]), np.nan, f["education_margin"] >= 0),
            "physical_margin": np.where(np.isnan(f["physical_margin"]), np.nan, f["physical_margin"] >= 0),
        }
    return np.column_stack([np.asarray(parts[name], dtype=float) for name in RULE_WEIGHTS])


@dataclass
class RuleScorer:
    """Transparent weighted score: Σ weight × part over known parts, minus soft-gap penalties."""

    name: str = "rule"
    calibrated: bool = False

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.score_and_confidence(x)[0]

    def score_and_confidence(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parts = rule_parts(x)
        w = np.array(list(RULE_WEIGHTS.values()))
        known = ~np.isnan(parts)
        total = w.sum()
        raw = (np.where(known, parts, 0.0) * w).sum(axis=1) / total  # row by row: not a BLAS product, whose
        # rounding depends on how many rows come together (a pair's score must not)
        penalty = TRAINABLE_GAP_PENALTY * np.nan_to_num(x[:, INDEX["trainable_gaps"]])
        confidence = (known * w).sum(axis=1) / total
        return _clip01(raw - penalty), confidence

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
    total = sum(RULE_WEIGHTS.values())
    w = {name: weight / total for name, weight in RULE_WEIGHTS.items()}
    lines = {  # part: (feature, alpha, beta) of clip(alpha · x + beta, 0, 1)
        "distance_km": ("distance_share", -1.0, 1.0),
        "occupation_years": ("occupation_years", 1.0 / 5.0, 0.0),
        "text_similarity": ("text_similarity", 2.0, 0.0),
        "hours_gap": ("hours_gap", -1.0 / 8.0, 1.0),
    }
    terms: Terms = {}
    for name, weight in w.items():
        if name in lines:
            feature, alpha, beta = lines[name]
            thresholds, bins = clipped_line(alpha, beta, weight)
        elif name.endswith("_margin"):
            feature, (thresholds, bins) = name, not_negative(weight)
        else:  # the feature itself
            feature, thresholds, bins = name, [], [(weight, 0.0, 0.0)]
        terms[INDEX[feature]] = (thresholds, bins, 0.0, 0.0)
    terms[INDEX["trainable_gaps"]] = ([], [(-TRAINABLE_GAP_PENALTY, 0.0, 0.0)], 0.0, 0.0)
    return Bound(0.0, pieces(terms), ("clip", None, 0.0))


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


class LearnedScorer(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated probability that a placement lasts 6 months, learned from placement history.

    Two model families are fitted and the one that ranks a held-out part better is kept: boosted
    stumps compiled into per-feature step functions (:mod:`matching.additive`; missing values handled
    natively) and a logistic regression with missing-value indicators. Isotonic calibration on that
    held-out part; validation metrics come from a further held-out part. Follows the
    scikit-learn contract: parameters stored by ``__init__``, fitted attributes end in ``_``.
    """

    name = "learned"
    calibrated = True

    def __init__(self, *, seed: int = 0, max_iter: int = 1000, learning_rate: float = 0.1) -> None:
        self.seed = seed
        self.max_iter = max_iter
        self.learning_rate = learning_rate

    def fit(self, x: np.ndarray, y: np.ndarray) -> LearnedScorer:
        y = np.asarray(y, dtype=int)
        if x.shape[1] != len(FEATURES):
            raise ValueError(f"expected {len(FEATURES)} features, got {x.shape[1]}")
        if len(y) < 40 or y.min() == y.max():
            raise KoppelaarError(
                f"cannot train: {len(y)} placements with a known retained_6m "
                f"({int(y.sum())} retained); at least 40, with both outcomes, are needed"
            )
        x_fit, x_val, y_fit, y_val = train_test_split(x, y, test_size=0.2, random_state=self.seed, stratify=y)
        x_tree, x_cal, y_tree, y_cal = train_test_split(
            x_fit, y_fit, test_size=0.25, random_state=self.seed, stratify=y_fit
        )
        # two model families; the one that ranks the calibration part better is kept
        families = {
            "additive_boosting": AdditiveBoosting(
                learning_rate=self.learning_rate, max_iter=self.max_iter, seed=self.seed
            ),
            "logistic": make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
                LogisticRegression(C=1.0, max_iter=2000),
            ),
        }
        selection: dict[str, float] = {}
        fitted = {}
        for family, model in families.items():
            fitted[family] = model.fit(x_tree, y_tree)
            selection[family] = float(roc_auc_score(y_cal, fitted[family].predict_proba(x_cal)[:, 1]))
        self.family_ = max(selection, key=lambda k: selection[k])
        self.base_ = fitted[self.family_]
        # isotonic calibration of the kept model's decision values on the held-out calibration part
        self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
            self.decision(x_cal), y_cal
        )
        self.classes_ = np.array([0, 1])
        self.base_rate_ = float(y_fit.mean())
        self.medians_ = np.nanmedian(np.where(np.isfinite(x_fit), x_fit, np.nan), axis=0)
        self.training_size_ = len(y)
        p = self.score(x_val)
        self.metrics_ = {
            "validation_auc": float(roc_auc_score(y_val, p)),
            "validation_brier": float(brier_score_loss(y_val, p)),
            "validation_log_loss": float(log_loss(y_val, np.clip(p, 1e-6, 1 - 1e-6))),
            "validation_size": float(len(y_val)),
            "base_rate": self.base_rate_,
            **{f"selection_auc_{k}": v for k, v in selection.items()},
        }
        return self

    def decision(self, x: np.ndarray) -> np.ndarray:
        """The kept model's decision value (logit) per row. For the logistic pipeline the weighted sum
        is taken row by row here rather than by a BLAS product, whose rounding depends on how many
        rows come together: a pair's score must not depend on which pairs it is scored with."""
        if self.family_ == "logistic":
            *steps, model = (step for _, step in self.base_.steps)
            z = np.asarray(x, dtype=float)
            for step in steps:
                z = step.transform(z)
            return np.asarray((np.asarray(z) * model.coef_[0]).sum(axis=1) + model.intercept_[0], dtype=float)
        return np.asarray(self.base_.decision_function(x), dtype=float)

    def raw_probability(self, x: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "calibrator_")
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(self.calibrator_.predict(self.decision(x)), dtype=float)

    def score_bound(self) -> Bound | None:
        """An upper bound on :meth:`score` from cheap features (:mod:`matching.bound`), made once;
        ``None`` for a model laid out otherwise than the two families :meth:`fit` makes."""
        check_is_fitted(self, "calibrator_")
        if self not in _BOUNDS:
            _BOUNDS[self] = self._make_bound()
        return _BOUNDS[self]

    def _make_bound(self) -> Bound | None:
        made: tuple[float, Pieces] | None = None
        if isinstance(self.base_, AdditiveBoosting):
            made = additive_terms(self.base_)
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

        Measured on the model before calibration: isotonic calibration is a step function, under
        which a single feature's change often moves nothing even where the model weighs it.
        """
        check_is_fitted(self, "medians_")
        n, d = x.shape
        if n == 0:
            return np.zeros_like(x)
        probes = np.repeat(x[np.newaxis, :, :], d + 1, axis=0)  # one batch: the pairs, then each feature typical
        for j in range(d):
            probes[j + 1, :, j] = self.medians_[j]
        scores = self.base_.predict_proba(probes.reshape(-1, d))[:, 1].reshape(d + 1, n)
        return np.asarray((scores[0] - scores[1:]).T, dtype=float)

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
