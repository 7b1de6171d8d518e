"""Issue 3 benchmarks: match quality on held-out placements, and suggestion latency.

Quality: a synthetic world's labelled placements are split; 30% are held out (their labels removed
before preparation and training, so the model never sees them). On the held-out placements we report
the AUC of the learned scorer, the rule-based score, a fuzzy-title-only baseline, and the generator's
true probabilities (the ceiling no scorer can beat on average).

Latency: after one-time preparation (and training), top-10 candidates for each of 200 open vacancies
out of the whole pool, timed per request including the explanations; p50 and p95.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from tests.paths import POSTCODES


def scoring(_: None, *, candidates: int, vacancies: int, seed: int) -> dict[str, Any]:
    from api.loaders import read_postcodes
    from data.synthetic.generator import WorldConfig, generate_world
    from data.synthetic.truth import HiddenModel
    from matching.eligibility import screen
    from matching.features import pair_features
    from matching.matcher import Matcher, train
    from matching.prepare import MatchConfig, Prepared
    from matching.scorers import RuleScorer, TitleScorer
    from models.dataset import Dataset

    out: dict[str, Any] = {}
    config = WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed)
    world = generate_world(config)
    plc = world.placements
    labelled = np.flatnonzero(plc["retained_6m"].notna().to_numpy())
    rng = np.random.default_rng(seed)
    held = np.sort(rng.choice(labelled, size=int(0.3 * len(labelled)), replace=False))
    train_plc = plc.copy()
    for column in ("retained_6m", "retained_12m"):
        train_plc.loc[held, column] = pd.NA
    train_ds = Dataset(world.contractors, world.obligations, world.vacancies, world.candidates, train_plc)
    postcodes = read_postcodes(POSTCODES) if POSTCODES.is_file() else None

    t = time.perf_counter()
    prepared = Prepared(train_ds, config=MatchConfig(today=config.as_of), postcodes=postcodes)
    out["prepare_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    model = train(prepared, seed=seed)
    out["train_s"] = round(time.perf_counter() - t, 2)
    out["training_placements"] = model.training_size_
    out["validation_auc_inside_training"] = round(model.metrics_["validation_auc"], 4)

    ci = prepared.candidate_rows(plc["candidate_id"].iloc[held])
    vi = prepared.vacancy_rows(plc["vacancy_id"].iloc[held])
    y = plc["retained_6m"].iloc[held].astype(bool).to_numpy()
    x = pair_features(prepared, screen(prepared, ci, vi))
    truth = HiddenModel(world).p6(ci, vi)
    out["held_out_placements"] = len(y)
    out["held_out_retained"] = round(float(y.mean()), 3)
    aucs = {
        "learned": roc_auc_score(y, model.score(x)),
        "rule": roc_auc_score(y, RuleScorer().score(x)),
        "fuzzy_title_only": roc_auc_score(y, TitleScorer().score(x)),
        "ceiling_true_probability": roc_auc_score(y, truth),
    }
    out.update({f"auc_{k}": round(float(v), 4) for k, v in aucs.items()})
    out["learned_gap_to_ceiling"] = round(float(aucs["ceiling_true_probability"] - aucs["learned"]), 4)

    # latency: prepared on everything we know, the learned scorer, 200 open vacancies
    full = Prepared(world, config=MatchConfig(today=config.as_of), postcodes=postcodes)
    open_rows = np.flatnonzero(world.vacancies["additional"].astype(bool).to_numpy() & ~_history(world, config.as_of))
    sample = rng.choice(open_rows, size=min(200, len(open_rows)), replace=False)
    for name, scorer in (("learned", model), ("rule", RuleScorer())):
        matcher = Matcher(full, scorer)
        matcher.suggest_for_vacancy(full.vacancy_ids[sample[0]], 10)  # warm caches
        times = []
        for v in sample:
            t = time.perf_counter()
            matcher.suggest_for_vacancy(full.vacancy_ids[v], 10)
            times.append((time.perf_counter() - t) * 1000)
        out[f"suggest_{name}_p50_ms"] = round(float(np.percentile(times, 50)), 1)
        out[f"suggest_{name}_p95_ms"] = round(float(np.percentile(times, 95)), 1)
    return out


def _history(world: Any, as_of: date) -> np.ndarray:
    obl = world.obligations.set_index("obligation_id")["end_date"]
    end: pd.Series = world.vacancies["obligation_id"].map(obl)
    return (end < pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
