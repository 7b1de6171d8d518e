"""The learned scorer: trains on history, saves and loads with its metadata, refuses what does not fit."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from matching.additive import AdditiveBoosting
from matching.features import FEATURES, INDEX, KNOWN_DIRECTIONS
from matching.matcher import Matcher, train, training_pairs
from matching.prepare import Prepared
from matching.scorers import (
    CHOSEN_FROM,
    FAMILIES,
    LEAST_SPREAD,
    RULE_WEIGHT,
    LearnedScorer,
    Platt,
    PlattCurve,
    RuleBlend,
    RuleScorer,
)
from models.errors import KoppelaarError
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    # not test_bound's 3000 x 900: the validation figures below want the longer history of this world
    return worlds.prepared(4000, 1200, 5)


@pytest.fixture(scope="module")
def model(worlds: Worlds) -> LearnedScorer:
    return worlds.trained(4000, 1200, 5, train_seed=1)


def test_trains_on_labelled_placements_and_reports_validation(prepared: Prepared, model: LearnedScorer) -> None:
    _, _, y = training_pairs(prepared)
    assert model.training_size_ == len(y) > 300
    m = model.metrics_
    assert m["validation_auc"] > 0.55  # the history carries signal the model finds (a small world here)
    assert 0 < m["validation_brier"] < 0.25
    assert model.family_ in (*FAMILIES, "rule")  # the best learned family, or the rule score when it ranked better


def test_scores_are_probabilities_and_deterministic(prepared: Prepared, model: LearnedScorer) -> None:
    result = Matcher(prepared, model).suggest_for_vacancy(prepared.vacancy_ids[-1], 5)
    again = Matcher(prepared, train(prepared, seed=1)).suggest_for_vacancy(prepared.vacancy_ids[-1], 5)
    assert result.equals(again)
    assert result["score"].between(0, 1).all()


def test_save_and_load_round_trip(model: LearnedScorer) -> None:
    data = model.to_bytes()
    loaded = LearnedScorer.from_bytes(data, "m.pkl")
    x = np.random.default_rng(0).random((20, len(FEATURES)))
    np.testing.assert_array_equal(loaded.score(x), model.score(x))
    meta = LearnedScorer.describe(data, "m.pkl")
    assert meta["features"] == list(FEATURES)
    assert meta["training_size"] == model.training_size_
    assert meta["metrics"]["validation_auc"] == model.metrics_["validation_auc"]
    assert meta["sklearn_version"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"feature_set_version": 0}, "feature set v0"),
        ({"features": ["other"]}, "feature set"),
        ({"sklearn_version": "0.1.0"}, "scikit-learn 0.1.0"),
        ({"format_version": 99}, "model format 99"),
    ],
)
def test_an_incompatible_model_file_is_refused_with_advice(
    model: LearnedScorer, change: dict[str, object], message: str
) -> None:
    payload = pickle.loads(model.to_bytes())
    payload.update(change)
    with pytest.raises(KoppelaarError, match=message) as info:
        LearnedScorer.from_bytes(pickle.dumps(payload), "old.pkl")
    assert "retrain it with `koppelaar train DATASET --model old.pkl`" in str(info.value)


def test_a_foreign_file_is_refused() -> None:
    with pytest.raises(KoppelaarError, match="is not a Koppelaar model file"):
        LearnedScorer.from_bytes(b"not a model", "x.pkl")
    with pytest.raises(KoppelaarError, match="is not a Koppelaar model file"):
        LearnedScorer.from_bytes(pickle.dumps({"hello": 1}), "x.pkl")


def test_too_little_history_is_a_clear_error() -> None:
    x = np.zeros((10, len(FEATURES)))
    with pytest.raises(KoppelaarError, match="at least 40, with both outcomes"):
        LearnedScorer().fit(x, np.ones(10))


def test_missing_fields_never_produce_an_invented_high_score(prepared: Prepared, model: LearnedScorer) -> None:
    """An empty profile is capped near the base rate; the rule score counts unknown parts as zero."""
    ci, vi, _ = training_pairs(prepared)
    from matching.eligibility import screen
    from matching.features import pair_features

    x = pair_features(prepared, screen(prepared, ci[:200], vi[:200]))
    empty = x.copy()
    knowledge = [n for n in FEATURES if not n.startswith(("group_", "type_"))]
    for name in knowledge:
        empty[:, INDEX[name]] = np.nan
    empty[:, INDEX["profile_completeness"]] = 0.0
    learned = model.score(empty)
    assert (learned <= model.base_rate_ + 1e-9).all()
    rule, confidence = RuleScorer().score_and_confidence(empty)
    full_rule = RuleScorer().score(x)
    assert (rule <= 0.06).all()  # only the hours part can still count (defaults apply)
    assert (confidence < 0.1).all()
    assert full_rule.mean() > rule.mean()


def test_contributions_explain_the_learned_score(prepared: Prepared, model: LearnedScorer) -> None:
    ci, vi, _ = training_pairs(prepared)
    from matching.eligibility import screen
    from matching.features import pair_features

    x = pair_features(prepared, screen(prepared, ci[:50], vi[:50]))
    contributions = model.contributions(x)
    assert contributions.shape == x.shape
    assert np.abs(contributions).max() > 0.01  # some feature moves some pair's probability
    ids = prepared.candidate_ids[ci[:50]].tolist(), prepared.vacancy_ids[vi[:50]].tolist()
    explained = Matcher(prepared, model).score_pairs(*ids)
    eligible = explained[explained["eligible"]]
    assert eligible["reasons"].str.contains("top:").any()
    assert eligible["explanation"].str.contains("Spreekt het meest (?:voor|tegen): ", regex=True).any()


def test_every_known_direction_names_a_feature() -> None:
    assert set(KNOWN_DIRECTIONS) <= set(FEATURES)
    assert set(KNOWN_DIRECTIONS.values()) <= {-1, 1}


@pytest.mark.parametrize("family", CHOSEN_FROM)
def test_a_learned_family_holds_the_known_directions_whatever_the_history_says(family: str) -> None:
    """Outcomes made to fall with skill coverage and rise with distance: the fitted model does not follow
    them (it stays flat instead), and raising any feature of known direction moves its decision only
    that way."""
    rng = np.random.default_rng(5)
    n = 600
    x = rng.random((n, len(FEATURES)))
    x[:, INDEX["distance_km"]] *= 40
    y = rng.random(n) < 0.2 + 0.3 * (1 - x[:, INDEX["skill_coverage"]]) + 0.01 * x[:, INDEX["distance_km"]]
    model = LearnedScorer(seed=0)._fitted(family, x, y.astype(int))
    probe = rng.random((200, len(FEATURES)))
    base = model.decision_function(probe)
    for name, direction in KNOWN_DIRECTIONS.items():
        more = probe.copy()
        more[:, INDEX[name]] += 0.5
        moved = model.decision_function(more) - base
        assert (direction * moved >= -1e-12).all(), name


def test_the_calibration_curve_keeps_the_models_ranking() -> None:
    """Platt scaling read as a curve: distinct decisions within the fitted range get distinct
    probabilities in the same order (an isotonic fit on 300 outcomes ties them in a few steps)."""
    rng = np.random.default_rng(2)
    decision = rng.normal(0, 1, 300)
    y = (rng.random(300) < 1 / (1 + np.exp(-decision))).astype(int)
    curve = PlattCurve().fit(decision, y)
    probe = np.sort(rng.uniform(decision.min(), decision.max(), 1000))
    p = curve.predict(probe)
    assert (np.diff(p) > 0).all()
    assert 0 < p[0] < p[-1] < 1
    assert curve.predict(np.array([decision.min() - 100]))[0] == curve.y_thresholds_[0]  # flat beyond the knots
    platt = Platt().fit(decision, y).predict(probe)
    assert np.abs(p - platt).max() < 0.01  # the curve follows Platt scaling closely


def test_a_calibration_never_turns_the_ranking_round() -> None:
    """Outcomes that run against the decision by chance (a short, noisy history): the calibration keeps
    the decision's order, at the least slope, with the mean prediction at the history's rate; a fit
    that ranks the right way round is left as it is."""
    rng = np.random.default_rng(4)
    decision = rng.normal(0, 2, 150)
    y = (rng.random(150) < 1 / (1 + np.exp(decision))).astype(int)  # the wrong way round
    curve = PlattCurve().fit(decision, y)
    p = curve.predict(np.sort(decision))
    assert (np.diff(p) > 0).all()
    assert curve.increasing_
    assert p.mean() == pytest.approx(y.mean(), abs=0.01)
    rate = y.mean()
    per_sd = Platt().fit(decision, y).slope_ * decision.std() * rate * (1 - rate)
    assert per_sd == pytest.approx(LEAST_SPREAD)
    right = 1 - y
    fitted = Platt().fit(decision, right)
    assert fitted.slope_ * decision.std() * rate * (1 - rate) > 10 * LEAST_SPREAD


def test_a_model_file_without_the_rule_weight_has_no_rule_score_beside_it(model: LearnedScorer) -> None:
    saved = copy.deepcopy(model)
    del saved.__dict__["rule_weight"]  # as written before the setting existed
    loaded = LearnedScorer.from_bytes(saved.to_bytes(), "old.pkl")
    assert loaded.rule_weight == 0.0
    assert "rule_weight=0.0" in repr(loaded)


def test_the_blend_of_stumps_and_rule_score_is_its_two_parts_combined(prepared: Prepared) -> None:
    """Worked out in one compiled pass, the blend's decision is that of its two parts, to the bit."""
    ci, vi, y = training_pairs(prepared)
    from matching.eligibility import screen
    from matching.features import pair_features

    x = pair_features(prepared, screen(prepared, ci, vi))
    stumps = AdditiveBoosting(max_iter=30, min_samples_leaf=20, early_stopping=False).fit(x, y)
    rule = RuleScorer().score(x)
    blend = RuleBlend.scaled(stumps.decision_function(x), rule, 0.5).around(stumps)
    rng = np.random.default_rng(4)
    rows = np.column_stack([rng.choice(x[:, j], 5000) for j in range(x.shape[1])])
    rows[rng.random(rows.shape) < 0.1] = np.nan
    parts = blend.combine(stumps.decision_function(rows), RuleScorer().score(rows))
    assert np.array_equal(blend.decision_function(rows), parts)
    assert np.array_equal(blend.decision_function(rows[17:20]), parts[17:20])


def test_train_fits_with_the_rule_weight_it_is_given(prepared: Prepared, monkeypatch: pytest.MonkeyPatch) -> None:
    fitted: list[float] = []

    def fit(self: LearnedScorer, *args: object, **kwargs: object) -> LearnedScorer:
        fitted.append(self.rule_weight)
        return self

    monkeypatch.setattr(LearnedScorer, "fit", fit)
    assert train(prepared, seed=1, rule_weight=2.0).rule_weight == 2.0
    assert train(prepared, seed=1).rule_weight == RULE_WEIGHT
    assert fitted == [2.0, RULE_WEIGHT]
