"""Each side's observables (track records, time on benefit, the notes model) and the honest model choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching import rulebook as rb
from matching.eligibility import screen
from matching.features import FEATURES, INDEX, pair_features
from matching.history import (
    OUTCOME_DAYS,
    PRIOR_WEIGHT,
    SIDE_FEATURES,
    labelled_history,
    overall_rate,
    side_tables,
    track_record,
    training_side_features,
)
from matching.matcher import Matcher, check_min_retention, training_features
from matching.plan import PlanConfig, make_plan
from matching.prepare import MatchConfig, Prepared
from matching.scorers import FAMILIES, LearnedScorer, RuleScorer, reliability
from models.errors import KoppelaarError
from tests.conftest import AS_OF, Worlds

WORLD = (4000, 1200, 5)


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    return worlds.prepared(*WORLD)


@pytest.fixture(scope="module")
def model(worlds: Worlds) -> LearnedScorer:
    return worlds.trained(*WORLD, train_seed=1)


def test_a_track_record_counts_only_outcomes_known_by_the_day() -> None:
    # key 7: lasted at day 0, failed at day 100, lasted at day 400; key 8: one failure
    keys = np.array([7, 7, 7, 8])
    starts = np.array([0.0, 100.0, 400.0, 0.0])
    retained = np.array([True, False, True, False])
    query = np.array([7, 7, 7, 8, 9, -1])
    as_of = np.array([OUTCOME_DAYS, OUTCOME_DAYS + 100, 1000.0, 1000.0, 1000.0, 1000.0])
    count, share = track_record(keys, starts, retained, query=query, as_of=as_of)
    np.testing.assert_array_equal(count[:5], [1, 2, 3, 1, 0])
    # the whole history's rate by each day, with a lasting and a failed pseudo-placement
    rate = [(1 + 1) / (2 + 2), (1 + 1) / (3 + 2), (2 + 1) / (4 + 2), (2 + 1) / (4 + 2), (2 + 1) / (4 + 2)]
    np.testing.assert_allclose(rate, overall_rate(starts, retained, as_of[:5] - OUTCOME_DAYS))
    w = PRIOR_WEIGHT
    expected = [(1 + w * rate[0]) / (1 + w), (1 + w * rate[1]) / (2 + w), (2 + w * rate[2]) / (3 + w)]
    np.testing.assert_allclose(share[:3], expected)
    assert share[3] == pytest.approx(w * rate[3] / (1 + w))
    assert share[4] == pytest.approx(rate[4])  # no record: the overall rate
    assert np.isnan(count[5])
    assert np.isnan(share[5])


def test_no_placement_reads_its_own_outcome(worlds: Worlds) -> None:
    """Flip one labelled placement's outcome: its own training row and its candidate's notes estimate
    stay the same to the bit, and the contractor's record as of today moves."""
    ds = worlds.copy(*WORLD)
    p = Prepared(ds, config=MatchConfig(today=AS_OF))
    tables = side_tables(p)
    rows = training_side_features(p, tables)
    h = tables.history
    today = float(rb.float_days(np.array([AS_OF], dtype="datetime64[D]"))[0])
    counted = np.flatnonzero((h.contractor >= 0) & (h.start <= today - OUTCOME_DAYS))  # in today's record
    i = int(counted[len(counted) // 2])
    plc = ds.placements
    labelled = np.flatnonzero(plc["retained_6m"].notna().to_numpy())
    ds.placements.loc[labelled[i], "retained_6m"] = not bool(plc["retained_6m"].iloc[labelled[i]])
    q = Prepared(ds, config=MatchConfig(today=AS_OF))
    flipped = side_tables(q)
    assert labelled_history(q).retained[i] != h.retained[i]
    np.testing.assert_array_equal(training_side_features(q, flipped)[i], rows[i])
    c = h.candidate[i]
    assert flipped.notes[c] == tables.notes[c] or (np.isnan(flipped.notes[c]) and np.isnan(tables.notes[c]))
    j = SIDE_FEATURES.index("contractor_retention") - len(SIDE_FEATURES)
    assert flipped.vacancies[h.vacancy[i], j] != tables.vacancies[h.vacancy[i], j]


def test_side_features_are_looked_up_the_same_by_the_reference_and_the_kernels(prepared: Prepared) -> None:
    ci, vi = np.arange(50), np.full(50, prepared.n_vacancies - 1)
    x = pair_features(prepared, screen(prepared, ci, vi))
    tables = side_tables(prepared)
    start = INDEX[SIDE_FEATURES[0]]
    np.testing.assert_array_equal(x[:, start : start + 5], tables.candidates[ci])
    np.testing.assert_array_equal(x[:, start + 5 :], tables.vacancies[vi])
    assert FEATURES[-len(SIDE_FEATURES) :] == SIDE_FEATURES
    assert np.isfinite(tables.notes).any()  # the world's notes carry a model


def test_training_rows_read_each_side_as_of_the_placement_start(prepared: Prepared) -> None:
    x = training_features(prepared)
    h = labelled_history(prepared)
    first = np.argmin(h.start)  # nothing started half a year before the first placement
    assert x[first, INDEX["candidate_placements"]] == 0
    assert x[first, INDEX["contractor_placements"]] == 0
    assert x[:, INDEX["contractor_placements"]].max() > 0


def test_the_rule_score_always_competes_and_the_better_is_kept(model: LearnedScorer) -> None:
    m = model.metrics_
    assert model.kept_ in ("learned", "rule")
    better = "learned" if m["selection_auc_kept"] > m["selection_auc_rule"] else "rule"
    assert model.kept_ == better
    assert model.family_ == (model.best_family_ if better == "learned" else "rule")
    assert model.best_family_ in FAMILIES
    assert m["validation_auc"] == m[f"{better}_validation_auc"]
    table = model.reliability_
    assert sum(b["pairs"] for b in table) == m["validation_size"]
    assert all(b["low"] <= b["predicted"] <= b["high"] for b in table)


def test_a_signal_only_each_side_carries_is_learned_and_kept() -> None:
    """Outcomes that follow the contractor's record alone: the rule score cannot see it, the learned
    model can, and it is kept, calibrated."""
    rng = np.random.default_rng(3)
    n = 2000
    x = rng.random((n, len(FEATURES)))
    record = x[:, INDEX["contractor_retention"]]
    y = rng.random(n) < record
    start = np.arange(n, dtype=float)
    scorer = LearnedScorer(seed=0).fit(x, y, start=start, groups=np.arange(n) // 2)
    m = scorer.metrics_
    assert scorer.kept_ == "learned"
    assert m["learned_validation_auc"] > m["rule_validation_auc"] + 0.1
    # calibrated out of fold: the mean prediction within three standard errors of the held-out rate
    held_out = n - int(0.8 * n)
    rate = m["validation_retained"]
    assert abs(m["validation_predicted"] - rate) < 3 * np.sqrt(rate * (1 - rate) / held_out)


def test_without_signal_for_the_learned_model_the_calibrated_rule_score_is_kept() -> None:
    """Outcomes that follow the rule score: the learned model cannot rank better than the rule itself
    by much, and when it does not the file holds the rule score calibrated (a probability)."""
    rng = np.random.default_rng(4)
    n = 1500
    x = rng.random((n, len(FEATURES)))
    y = rng.random(n) < RuleScorer().score(x) ** 3 * 3
    scorer = LearnedScorer(seed=0).fit(x, y, start=np.arange(n, dtype=float))
    if scorer.kept_ == "rule":
        p = scorer.score(x)
        assert p.min() >= 0
        assert p.max() <= 1
        assert np.corrcoef(p, RuleScorer().score(x))[0, 1] > 0.9
        assert scorer.score_bound() is None  # no bound: every eligible pair is scored
    m = scorer.metrics_
    assert m["learned_validation_auc"] <= m["rule_validation_auc"] + 0.03


def test_the_reliability_table_bins_predictions() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.95, 0.91, 0.5, 1.0])
    table = reliability(y, p)
    assert [b["pairs"] for b in table] == [1, 1, 3]
    assert [b["realised"] for b in table] == [0.0, 0.0, 1.0]
    assert table[-1]["predicted"] == pytest.approx((0.91 + 0.95 + 1.0) / 3)


def test_a_minimum_retention_needs_a_probability(prepared: Prepared, model: LearnedScorer) -> None:
    with pytest.raises(KoppelaarError, match="rule score is no probability"):
        Matcher(prepared, None, min_retention=0.4)
    with pytest.raises(KoppelaarError, match="between 0 and 1"):
        check_min_retention(model, 1.5)
    assert check_min_retention(RuleScorer(), None) is None


def test_no_suggestion_below_the_minimum_retention(prepared: Prepared, model: LearnedScorer) -> None:
    v = prepared.vacancy_ids[-1]
    everyone = Matcher(prepared, model).suggest_for_vacancy(v, 200)
    assert len(everyone) > 2
    # half a unit of the shown scores' last decimal above their median: no score rounds onto the floor
    median = float(everyone["score"].median())
    floor = median + 0.00005
    kept = Matcher(prepared, model, min_retention=floor).suggest_for_vacancy(v, 200)
    assert (kept["score"] >= floor - 1e-4).all()
    assert 0 < len(kept) < len(everyone)
    pd.testing.assert_series_equal(
        kept["candidate_id"], everyone["candidate_id"][everyone["score"] > median].reset_index(drop=True)
    )


def test_the_plan_leaves_out_pairs_below_the_minimum_and_says_what_that_costs(
    prepared: Prepared, model: LearnedScorer
) -> None:
    # the places of a quarter of the obligations: over the whole world, the plan held to the floor has
    # components CP-SAT cannot prove optimal, and it searches each up to its limit (half a minute of CPU)
    vacancies = prepared.ds.vacancies
    obligations = vacancies["obligation_id"].dropna().unique()
    scope = set(vacancies.loc[vacancies["obligation_id"].isin(obligations[: len(obligations) // 4]), "vacancy_id"])
    free = make_plan(prepared, model, scope=scope)
    realised = prepared.ds.placements["retained_6m"].dropna().astype(bool)
    summary = free.summary["retention"]
    assert summary["predicted_mean"] == pytest.approx(free.plan["score"].mean(), abs=1e-3)
    assert summary["history_realised_rate"] == pytest.approx(realised.mean(), abs=1e-4)
    assert summary["history_placements"] == len(realised)
    assert summary["min_retention"] is None
    floor = float(free.plan["score"].quantile(0.5))
    held = make_plan(prepared, model, config=PlanConfig(min_retention=floor), scope=scope)
    assert (held.plan["score"] >= floor - 1e-4).all()
    s = held.summary["retention"]
    assert s["min_retention"] == floor
    assert s["pairs_below_min_retention"] > 0
    assert 0 < s["places_left_open_by_min_retention"] <= len(free.plan)
    assert len(held.plan) == len(free.plan) - s["places_left_open_by_min_retention"]  # the most placements first
    assert s["predicted_mean"] > summary["predicted_mean"]
    rule = make_plan(prepared, None, scope=scope)
    assert rule.summary["retention"]["predicted_mean"] is None  # a rule score is no probability


def test_a_feature_no_training_row_has_is_left_out_not_a_crash() -> None:
    """scikit-learn's binning fails on a column without a known value; such a feature (nobody in a
    small history has it) and one known for 3 rows are left out of the fit."""
    rng = np.random.default_rng(5)
    n = 400
    x = rng.random((n, len(FEATURES)))
    x[:, INDEX["notes_retention"]] = np.nan
    x[:, INDEX["benefit_months"]] = np.nan
    x[:3, INDEX["benefit_months"]] = 4.0
    y = rng.random(n) < x[:, INDEX["skill_coverage"]]
    scorer = LearnedScorer(seed=0).fit(x, y, start=np.arange(n, dtype=float))
    assert np.isnan(scorer.medians_[INDEX["notes_retention"]])
    probe = x.copy()
    probe[:, INDEX["notes_retention"]] = 0.9  # known at scoring time: it cannot move a score it never learned
    np.testing.assert_allclose(scorer.score(probe), scorer.score(x))
