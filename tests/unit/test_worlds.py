"""The generator's family of truth models and each world's observable ceiling."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data.synthetic import surface
from data.synthetic.generator import WorldConfig, generate_world, hidden_model, hidden_of
from data.synthetic.truth import (
    STANDARD,
    TRUTH_MODELS,
    HiddenModel,
    TruthModel,
    hidden_parts,
    observable_retention_probability,
    true_retention_probability,
)
from matching.eligibility import screen
from matching.features import pair_features
from matching.prepare import MatchConfig, Prepared
from matching.scorers import RuleScorer
from models.dataset import Dataset, write_dataset
from models.schema import FILES
from tests.benchmarks.quality import expected_auc, top_pick_regret, within_vacancy_auc

#: Each world's dominant factor, as the TruthModel weights that make it up.
DOMINANT: dict[str, tuple[str, ...]] = {
    "skills": ("required_skills", "optional_skills", "below_skill_floor"),
    "motivation": ("motivation",),
    "coaching": ("coaching",),
    "distance": ("per_km", "beyond_far_km"),
    "language": ("language_gap",),
}


def _tables(ds: Dataset) -> dict[str, pd.DataFrame]:
    return {spec.name: getattr(ds, spec.name) for spec in FILES}


@pytest.mark.parametrize("truth", list(TRUTH_MODELS))
def test_each_world_is_deterministic_for_its_seed(truth: str) -> None:
    config = WorldConfig(candidates=150, vacancies=40, seed=4, truth=truth)
    a, b = _tables(generate_world(config)), _tables(generate_world(config))
    for name, frame in a.items():
        pd.testing.assert_frame_equal(frame, b[name], obj=f"{truth} {name}")
    other = _tables(generate_world(dataclasses.replace(config, seed=5)))
    assert not a["candidates"].equals(other["candidates"])
    hidden, again = hidden_of(config), hidden_of(config)
    assert np.array_equal(hidden.motivation, again.motivation)
    assert np.array_equal(hidden.coaching_noise, again.coaching_noise)


@pytest.mark.parametrize("truth", ["motivation", "coaching"])
def test_a_world_is_byte_identical_across_processes(truth: str, tmp_path: Path) -> None:
    """`koppelaar generate --truth` under another hash seed writes the same bytes as this process."""
    write_dataset(generate_world(WorldConfig(candidates=200, vacancies=50, seed=11, truth=truth)), tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "321"}
    cmd = [sys.executable, "-m", "api.cli", "generate", "--out", str(tmp_path / "there"), "--truth", truth,
           "--candidates", "200", "--vacancies", "50", "--seed", "11"]  # fmt: skip
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=120)
    for spec in FILES:
        assert (tmp_path / "here" / spec.filename).read_bytes() == (tmp_path / "there" / spec.filename).read_bytes()


def test_the_default_world_is_the_standard_one() -> None:
    assert WorldConfig().truth == "standard"
    assert TRUTH_MODELS["standard"] == STANDARD
    assert len(TRUTH_MODELS) >= 6
    with pytest.raises(ValueError, match="unknown truth model 'nope'"):
        generate_world(WorldConfig(candidates=10, vacancies=5, truth="nope"))


@pytest.fixture(scope="module")
def world() -> tuple[Dataset, WorldConfig]:
    config = WorldConfig(candidates=600, vacancies=150, seed=3)
    return generate_world(config), config


def _near_pairs(model: HiddenModel, km: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate–vacancy pair of the world less than ``km`` apart (both located)."""
    from matching.geo import haversine_km

    grid_c, grid_v = np.meshgrid(np.arange(len(model.c_lat)), np.arange(len(model.v_lat)), indexing="ij")
    ci, vi = grid_c.ravel(), grid_v.ravel()
    d = haversine_km(model.c_lat[ci], model.c_lon[ci], model.v_lat[vi], model.v_lon[vi])
    near = d < km
    return ci[near], vi[near]


def _importance(ds: Dataset, truth: TruthModel, weights: tuple[str, ...], pairs: tuple[np.ndarray, ...]) -> float:
    """How much the logit moves, on average, when the factor's weights are set to zero."""
    hidden = hidden_parts(3, len(ds.candidates), len(ds.contractors))
    full = HiddenModel(ds, truth, hidden).logit(*pairs)
    zeroed: dict[str, Any] = dict.fromkeys(weights, 0.0)  # mypy types replace()'s keywords field by field
    without = dataclasses.replace(truth, **zeroed)
    return float(np.mean(np.abs(full - HiddenModel(ds, without, hidden).logit(*pairs))))


def test_the_worlds_differ_in_what_dominates(world: tuple[Dataset, WorldConfig]) -> None:
    """Read on the same pairs, each world's dominant factor matters more there than in any other
    world, and more than any other world's dominant factor does in it."""
    ds, _ = world
    pairs = _near_pairs(HiddenModel(ds))
    assert len(pairs[0]) > 1000
    importance = {
        (w, f): _importance(ds, TRUTH_MODELS[w], weights, pairs)
        for w in TRUTH_MODELS
        for f, weights in DOMINANT.items()
    }
    for factor in DOMINANT:
        elsewhere = max(importance[w, factor] for w in TRUTH_MODELS if w != factor)
        assert importance[factor, factor] > 1.5 * elsewhere, factor
        others = max(importance[factor, f] for f in DOMINANT if f != factor)
        assert importance[factor, factor] > others, factor


def test_label_noise_and_history_differ_too() -> None:
    assert TRUTH_MODELS["noisy"].label_noise >= 0.3 > STANDARD.label_noise
    assert TRUTH_MODELS["distance"].coach_insight == 0 < STANDARD.coach_insight < TRUTH_MODELS["language"].coach_insight
    writings = {t.skill_writing for t in TRUTH_MODELS.values()}
    assert {"esco_uri", "english", "dutch_free_text"} <= writings


def test_skills_are_written_as_the_world_says() -> None:
    def share(truth: str, group: str) -> float:
        ds = generate_world(WorldConfig(candidates=200, vacancies=60, seed=2, truth=truth))
        written = [s for items in ds.vacancies["required_skills"] for s in items]
        forms = surface.skill_forms()
        kinds = {f: kind for code in forms for kind in ("english", "uri") for f in getattr(forms[code], kind)}
        return sum(kinds.get(s) == group for s in written) / len(written)

    assert share("skills", "uri") > 0.7 > share("standard", "uri")
    assert share("motivation", "english") > 0.7 > share("standard", "english")
    assert share("language", "uri") == share("language", "english") == 0


def test_motivation_shows_only_in_the_note() -> None:
    config = WorldConfig(candidates=800, vacancies=60, seed=6, truth="motivation")
    ds, hidden = generate_world(config), hidden_of(config)
    tone = np.array([surface.note_tone(t) for t in ds.candidates["profile_text"]])
    noted = tone >= 0
    assert 0.45 < noted.mean() < 0.65  # the notes' share is the standard world's
    agree = (tone[noted] - 1) == hidden.motivation[noted]
    assert 0.6 < agree.mean() < 0.8  # the wording follows the motivation, with noise
    assert surface.note_tone("Gemotiveerde kandidaat met interesse in timmerman.") == -1


def test_the_ceiling_reads_only_what_the_files_show() -> None:
    config = WorldConfig(candidates=400, vacancies=80, seed=8, truth="coaching")
    ds = generate_world(config)
    ci, vi = np.repeat(np.arange(400), 3), np.tile(np.arange(0, 80, 30), 400)
    mine = HiddenModel(ds, TRUTH_MODELS["coaching"], hidden_of(config))
    other = HiddenModel(ds, TRUTH_MODELS["coaching"], hidden_parts(99, 400, len(ds.contractors)))
    assert np.allclose(mine.observable_p6(ci, vi), other.observable_p6(ci, vi))
    assert not np.allclose(mine.p6(ci, vi), other.p6(ci, vi))


def test_the_ceiling_is_the_truth_averaged_over_the_hidden_parts() -> None:
    """Monte Carlo over the contractors' hidden spread agrees with the ceiling's quadrature."""
    config = WorldConfig(candidates=300, vacancies=40, seed=8, truth="coaching")
    ds = generate_world(config)
    ci, vi = np.repeat(np.arange(300), 2), np.tile([0, 25], 300)
    model = hidden_model(ds, config)
    ceiling = model.observable_p6(ci, vi)
    rng = np.random.default_rng(1)
    draws = []
    for _ in range(300):
        model.v_quality_noise = rng.standard_normal(len(ds.vacancies))
        draws.append(model.p6(ci, vi))
    gap = np.abs(np.mean(draws, axis=0) - ceiling)
    assert gap.mean() < 0.015
    assert gap.max() < 0.06


def test_without_hidden_parts_the_ceiling_is_the_truth(world: tuple[Dataset, WorldConfig]) -> None:
    ds, _ = world
    ids = ds.placements[["candidate_id", "vacancy_id"]]
    truth = true_retention_probability(ds, ids["candidate_id"], ids["vacancy_id"])
    ceiling = observable_retention_probability(ds, ids["candidate_id"], ids["vacancy_id"])
    assert np.array_equal(truth, ceiling)
    with pytest.raises(ValueError, match="hidden parts"):
        HiddenModel(ds, TRUTH_MODELS["motivation"])


def test_label_noise_pulls_the_truth_towards_a_coin(world: tuple[Dataset, WorldConfig]) -> None:
    ds, _ = world
    ci, vi = np.arange(100), np.arange(100) % len(ds.vacancies)
    clean = HiddenModel(ds, dataclasses.replace(TRUTH_MODELS["noisy"], label_noise=0.0)).p6(ci, vi)
    noisy = HiddenModel(ds, TRUTH_MODELS["noisy"]).p6(ci, vi)
    assert np.allclose(noisy, 0.175 + 0.65 * clean)


@pytest.mark.parametrize("truth", ["motivation", "coaching"])
def test_the_ceiling_lies_between_the_rule_score_and_the_truth(truth: str) -> None:
    config = WorldConfig(candidates=800, vacancies=200, seed=12, truth=truth)
    ds = generate_world(config)
    p = Prepared(ds, config=MatchConfig(today=date(2026, 10, 1)))
    rng = np.random.default_rng(0)
    cs = [rng.choice(p.candidates_in_reach(v), 30) for v in range(0, p.n_vacancies, 2)]
    vs = [np.full(30, v) for v in range(0, p.n_vacancies, 2)]
    s = screen(p, np.concatenate(cs).astype(np.int64), np.concatenate(vs).astype(np.int64))
    model = hidden_model(ds, config)
    truth_p, ceiling = model.p6(s.ci, s.vi), model.observable_p6(s.ci, s.vi)
    rule = RuleScorer().score(pair_features(p, s))
    auc_rule, auc_ceiling, auc_truth = (expected_auc(truth_p, x) for x in (rule, ceiling, truth_p))
    assert auc_rule < auc_ceiling < auc_truth


def test_a_vacancy_s_own_level_does_not_count_within_a_vacancy() -> None:
    vacancy = np.repeat([0, 1], 4)
    candidate_effect = np.tile([0.1, 0.2, 0.3, 0.4], 2)
    p = candidate_effect + np.where(vacancy == 1, 0.5, 0.0)  # vacancy 1's places last more, whoever fills them
    level = np.where(vacancy == 1, 1.0, 0.0)  # knows only which vacancy lasts
    assert expected_auc(p, level) > 0.6
    assert within_vacancy_auc(p, level, vacancy) == pytest.approx(0.5)
    assert within_vacancy_auc(p, candidate_effect, vacancy) > 0.6
    assert within_vacancy_auc(p, -candidate_effect, vacancy) < 0.4


def test_the_top_pick_regret_is_what_the_scores_first_candidate_gives_up_to_the_best() -> None:
    vacancy = np.array([3, 3, 3, 1, 1])
    p = np.array([0.2, 0.6, 0.4, 0.5, 0.3])
    assert top_pick_regret(p, p, vacancy) == 0.0
    assert top_pick_regret(p, -p, vacancy) == pytest.approx(((0.2 - 0.6) + (0.3 - 0.5)) / 2)
    tied = np.array([1.0, 1.0, 0.0, 0.0, 1.0])  # a tie at the top counts its candidates' mean
    assert top_pick_regret(p, tied, vacancy) == pytest.approx(((0.4 - 0.6) + (0.3 - 0.5)) / 2)
