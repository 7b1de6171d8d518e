"""The vectorised screen, features and rule score equal a plain per-pair reference (Hypothesis).

The reference recomputes each pair with Python loops over sets, ``math`` and single rapidfuzz calls,
sharing nothing with the vectorised code but the prepared look-up tables (normalised codes, the skill
credit matrix, coordinates).
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from data.synthetic.generator import WorldConfig, generate_world
from matching.eligibility import Reason, screen
from matching.features import FEATURES, INDEX, pair_features
from matching.history import CANDIDATE_FEATURES, VACANCY_FEATURES, tables_of
from matching.prepare import GROUPS, TYPES, MatchConfig, Prepared
from matching.scorers import RULE_WEIGHTS, TRAINABLE_GAP_PENALTY, RuleScorer


@cache
def world(seed: int) -> Prepared:
    ds = generate_world(WorldConfig(candidates=160, vacancies=40, seed=seed))
    return Prepared(ds, config=MatchConfig(today=date(2026, 10, 1)))


def row_set(m: object, i: int) -> dict[int, float]:
    r = m[i]  # type: ignore[index]
    return dict(zip(r.indices.tolist(), r.data.tolist(), strict=True))


def ref_km(p: Prepared, c: int, v: int) -> float:
    lat1, lon1, lat2, lon2 = p.c_lat[c], p.c_lon[c], p.v_lat[v], p.v_lon[v]
    if any(math.isnan(x) for x in (lat1, lon1, lat2, lon2)):
        return math.nan
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


def ref_coverage(p: Prepared, c: int, needed: dict[int, float]) -> float:
    have = row_set(p.c_skills, c)
    if not needed or not have:
        return math.nan
    sim = p.similarity.tocsr()
    total = 0.0
    for r in needed:
        total += min(1.0, sum(sim[s, r] for s in have))
    return total / len(needed)


def ref_inferred(p: Prepared, c: int, v: int, years: dict[str, float]) -> dict[str, float]:
    """What the candidate's occupations (code → years) imply, from the taxonomy's relations as sets."""
    tax = p.taxonomy
    needed = [p.skill_names[j] for j in row_set(p.v_req, v)]
    written = {p.skill_names[j] for j in row_set(p.c_skills, c)}
    credit = {occ: 0.5 if y <= 0 else min(0.5 + y / 4.0, 1.0) for occ, y in years.items()}
    out: dict[str, float] = {}
    for name, relation in (
        ("skill_coverage_inferred_essential", tax.essential),
        ("skill_coverage_inferred_optional", tax.optional),
    ):
        if needed and years:
            got = [min(1.0, sum(w for occ, w in credit.items() if k in relation.get(occ, ()))) for k in needed]
            out[name] = sum(got) / len(needed)
    if needed and (years or written):
        got = []
        for k in needed:
            from_skills = sum(1.0 for s in written if k in tax.related.get(s, ()))
            from_work = sum(
                w for occ, w in credit.items() if any(k in tax.related.get(s, ()) for s in tax.essential.get(occ, ()))
            )
            got.append(min(1.0, from_skills + from_work))
        out["skill_coverage_related"] = sum(got) / len(needed)
    occ = p.v_occ[v]
    group = tax.get(p.occupation_codes[occ], "occupation").isco_group if occ >= 0 else None  # type: ignore[union-attr]
    if group is not None and years:
        out["same_isco_group"] = float(any(tax.get(o, "occupation").isco_group == group for o in years))  # type: ignore[union-attr]
    return out


def ref_features(p: Prepared, c: int, v: int) -> list[float]:
    f = dict.fromkeys(FEATURES, math.nan)
    f["skill_coverage"] = ref_coverage(p, c, row_set(p.v_req, v))
    f["optional_coverage"] = ref_coverage(p, c, row_set(p.v_opt, v))
    have = set(row_set(p.c_skills, c))
    for name, needed in (
        ("skill_coverage_exact", row_set(p.v_req, v)),
        ("optional_coverage_exact", row_set(p.v_opt, v)),
    ):
        if needed and have:
            f[name] = len(have & set(needed)) / len(needed)
    occ = row_set(p.c_occ_years, c)
    present = row_set(p.c_occ, c)
    if p.v_occ[v] >= 0 and present:
        f["same_occupation"] = float(int(p.v_occ[v]) in present)
        f["occupation_years"] = min(occ.get(int(p.v_occ[v]), 0.0), 15.0)
    if p.v_sector[v] >= 0 and present:
        f["same_sector"] = float(int(p.v_sector[v]) in row_set(p.c_sectors, c))
    f.update(ref_inferred(p, c, v, {p.occupation_codes[j]: years for j, years in occ.items()}))
    cand_texts = row_set(p.c_titles, c)
    if cand_texts:
        title = p.title_texts[p.v_title[v]]
        # cdist with an integer dtype rounds each score half up to a whole percent
        f["title_similarity"] = max(math.floor(fuzz.WRatio(title, _occ_text(p, j)) + 0.5) / 100.0 for j in cand_texts)
    if p.c_has_text[c]:
        dot = sum(float(a) * float(b) for a, b in zip(p.c_text[c], p.v_text[v], strict=True))
        f["text_similarity"] = min(max(dot, 0.0), 1.0)
    km = ref_km(p, c, v)
    f["distance_km"] = km
    f["distance_share"] = km / p.c_max_km[c]
    hours = p.v_hours[v]
    f["hours_gap"] = max(p.c_hmin[c] - hours, 0) + max(hours - p.c_hmax[c], 0)
    f["language_margin"] = p.c_lang[c] - p.v_lang[v]
    f["education_margin"] = p.c_edu[c] - p.v_edu[v]
    f["physical_margin"] = p.c_phys[c] - p.v_phys[v]
    certs = set(row_set(p.c_certs, c))
    f["hard_certificates_missing"] = float(len(set(row_set(p.v_hard, v)) - certs))
    f["trainable_gaps"] = float(len(set(row_set(p.v_soft, v)) - certs))
    f["licences_missing"] = float(sum(1 for k in range(7) if p.v_licences[v, k] and not p.c_licences[c, k]))
    f["licences_required"] = float(p.v_licences[v].sum())
    avail, start = p.c_available[c], p.v_start[v]
    if not (np.isnat(avail) or np.isnat(start)):
        f["availability_days"] = float((avail - start).astype(int))
    known = [
        bool(row_set(p.c_skills, c)),
        bool(present),
        not math.isnan(p.c_lang[c]),
        not math.isnan(p.c_edu[c]),
        not math.isnan(p.c_phys[c]),
        bool(p.c_hours_known[c]),
        p.c_loc[c] <= 1,
    ]
    f["profile_completeness"] = sum(known) / len(known)
    f["location_quality"] = float(max(p.c_loc[c], p.v_loc[v]))
    for k, g in enumerate(GROUPS):
        f[f"group_{g}"] = float(p.c_group[c] == k)
    for k, t in enumerate(TYPES):
        f[f"type_{t}"] = float(p.v_type[v] == k)
    tables = tables_of(p)  # each side's own: looked up (matching.history has its own tests)
    for k, name in enumerate(CANDIDATE_FEATURES):
        f[name] = float(tables.candidates[c, k])
    for k, name in enumerate(VACANCY_FEATURES):
        f[name] = float(tables.vacancies[v, k])
    return [f[name] for name in FEATURES]


def _occ_text(p: Prepared, j: int) -> str:
    return _texts(id(p), p)[j]


_TEXTS: dict[int, list[str]] = {}


def _texts(key: int, p: Prepared) -> list[str]:
    if key not in _TEXTS:
        # the candidate occupation texts in the order Prepared numbers them, rebuilt from the dataset
        from matching.text import clean_title

        ids: dict[str, int] = {}
        for items in p.ds.candidates["occupations"]:
            for e in items:
                m = p.normaliser.normalise([e.label], "occupation", title=True)[0]
                extra = {clean_title(p.taxonomy.label(m.code, "occupation"))} if m.code else set()
                for t in [clean_title(e.label), *extra]:
                    if t:
                        ids.setdefault(t, len(ids))
        _TEXTS[key] = list(ids)
    return _TEXTS[key]


def ref_reasons(p: Prepared, c: int, v: int) -> int:
    bits = 0
    if not p.c_consent[c]:
        bits |= Reason.NO_CONSENT
    elif not p.c_matchable[c]:
        bits |= Reason.STATUS
    certs = set(row_set(p.c_certs, c))
    if set(row_set(p.v_hard, v)) - certs:
        bits |= Reason.CERTIFICATE
    if any(p.v_licences[v, k] and not p.c_licences[c, k] for k in range(7)):
        bits |= Reason.LICENCE
    for cand, vac, reason in (
        (p.c_lang[c], p.v_lang[v], Reason.LANGUAGE),
        (p.c_edu[c], p.v_edu[v], Reason.EDUCATION),
        (p.c_phys[c], p.v_phys[v], Reason.PHYSICAL),
    ):
        if not (math.isnan(cand) or math.isnan(vac)) and cand < vac:
            bits |= reason
    if not (p.c_hmin[c] - p.config.hours_below_min <= p.v_hours[v] <= p.c_hmax[c]):
        bits |= Reason.HOURS
    today = np.datetime64(p.config.today, "D")
    start = p.v_start[v] if not np.isnat(p.v_start[v]) and p.v_start[v] >= today else today
    if not np.isnat(p.c_available[c]) and p.c_available[c] > start + np.timedelta64(
        p.config.availability_grace_days, "D"
    ):
        bits |= Reason.AVAILABILITY
    km = ref_km(p, c, v)
    if not math.isnan(km) and km > p.c_max_km[c]:
        bits |= Reason.DISTANCE
    k = int(p.v_contractor[v])
    if k >= 0 and p.c_previous[c, k] > 0:
        bits |= Reason.PREVIOUS_EMPLOYER
    if p.c_group[c] >= 0 and not p.v_allowed_groups[v, p.c_group[c]]:
        bits |= Reason.TARGET_GROUP
    if not p.v_additional[v]:
        bits |= Reason.NOT_ADDITIONAL
    return int(bits)


def ref_rule_score(x: list[float]) -> float:
    f = dict(zip(FEATURES, x, strict=True))
    parts = {
        "skill_coverage": f["skill_coverage"],
        "same_occupation": f["same_occupation"],
        "distance_km": math.nan if math.isnan(f["distance_share"]) else min(max(1 - f["distance_share"], 0), 1),
        "title_similarity": f["title_similarity"],
        "occupation_years": math.nan if math.isnan(f["occupation_years"]) else min(f["occupation_years"] / 5, 1),
        "optional_coverage": f["optional_coverage"],
        "text_similarity": math.nan if math.isnan(f["text_similarity"]) else min(2 * f["text_similarity"], 1),
        "hours_gap": min(max(1 - f["hours_gap"] / 8, 0), 1),
        "language_margin": math.nan if math.isnan(f["language_margin"]) else float(f["language_margin"] >= 0),
        "education_margin": math.nan if math.isnan(f["education_margin"]) else float(f["education_margin"] >= 0),
        "physical_margin": math.nan if math.isnan(f["physical_margin"]) else float(f["physical_margin"] >= 0),
    }
    total = sum(RULE_WEIGHTS.values())
    raw = sum(RULE_WEIGHTS[k] * v for k, v in parts.items() if not math.isnan(v)) / total
    gaps = 0.0 if math.isnan(f["trainable_gaps"]) else f["trainable_gaps"]
    return min(max(raw - TRAINABLE_GAP_PENALTY * gaps, 0.0), 1.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(1, 4), data=st.data())
def test_vectorised_equals_per_pair_reference(seed: int, data: st.DataObject) -> None:
    p = world(seed)
    pairs = data.draw(
        st.lists(
            st.tuples(st.integers(0, p.n_candidates - 1), st.integers(0, p.n_vacancies - 1)), min_size=1, max_size=25
        )
    )
    ci = np.array([c for c, _ in pairs])
    vi = np.array([v for _, v in pairs])
    s = screen(p, ci, vi)
    x = pair_features(p, s)
    rule = RuleScorer().score(x)
    for k, (c, v) in enumerate(pairs):
        assert int(s.reasons[k]) == ref_reasons(p, c, v), (c, v)
        expected = ref_features(p, c, v)
        np.testing.assert_allclose(x[k], expected, rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=f"pair {(c, v)}")
        assert math.isclose(rule[k], ref_rule_score(expected), abs_tol=1e-6)


def test_scores_do_not_depend_on_the_batch() -> None:
    """A pair scores the same alone as in a batch (no cross-row leakage)."""
    p = world(1)
    ci = np.arange(40)
    vi = np.arange(40) % p.n_vacancies
    together = pair_features(p, screen(p, ci, vi))
    alone = np.vstack([pair_features(p, screen(p, ci[k : k + 1], vi[k : k + 1])) for k in range(40)])
    np.testing.assert_allclose(together, alone, rtol=1e-6, atol=1e-7)  # float32 text sums may round apart
    assert INDEX["skill_coverage"] == 0


def numpy_rule_score(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule score and confidence as numpy works them out column by column (``np.clip``, ``np.where``,
    a sum along the rows): the numbers the compiled rule score must give to the last bit."""
    f = {name: x[:, INDEX[name]] for name in (*RULE_WEIGHTS, "distance_share", "trainable_gaps")}
    with np.errstate(invalid="ignore"):
        parts = np.column_stack(
            [
                f["skill_coverage"],
                f["same_occupation"],
                np.clip(1.0 - f["distance_share"], 0.0, 1.0),
                f["title_similarity"],
                np.clip(f["occupation_years"] / 5.0, 0.0, 1.0),
                f["optional_coverage"],
                np.clip(2.0 * f["text_similarity"], 0.0, 1.0),
                np.clip(1.0 - f["hours_gap"] / 8.0, 0.0, 1.0),
                *(np.where(np.isnan(f[m]), np.nan, f[m] >= 0) for m in list(RULE_WEIGHTS)[-3:]),
            ]
        )
    assert list(RULE_WEIGHTS)[-3:] == ["language_margin", "education_margin", "physical_margin"]
    w = np.array(list(RULE_WEIGHTS.values()))
    known = ~np.isnan(parts)
    raw = (np.where(known, parts, 0.0) * w).sum(axis=1) / w.sum()
    score = np.clip(raw - TRAINABLE_GAP_PENALTY * np.nan_to_num(f["trainable_gaps"]), 0.0, 1.0)
    return score, (known * w).sum(axis=1) / w.sum()


def test_the_compiled_rule_score_is_numpys_to_the_bit() -> None:
    """Rows of a world's features, some missing, moved or extreme: the same score, confidence and parts."""
    p = world(2)
    ci = np.repeat(np.arange(p.n_candidates), 4)
    vi = np.tile(np.arange(4), p.n_candidates) % p.n_vacancies
    real = pair_features(p, screen(p, ci, vi))
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.choice(real[:, j], 20_000) for j in range(real.shape[1])])
    x[rng.random(x.shape) < 0.15] = np.nan
    moved = rng.random(x.shape) < 0.3
    x[moved] += rng.normal(0, 3, moved.sum())
    odd = rng.random(x.shape) < 0.02
    x[odd] = rng.choice([np.inf, -np.inf, 0.0, -0.0, 1.0, 5.0, 8.0, 1e300, -1e-300], odd.sum())
    score, confidence = RuleScorer().score_and_confidence(x)
    expected_score, expected_confidence = numpy_rule_score(x)
    for got, expected in ((score, expected_score), (confidence, expected_confidence)):
        assert np.array_equal(got, expected, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(expected))
    for start, n in [(0, 1), (7, 3), (100, 1000)]:  # whatever rows come with it
        assert np.array_equal(RuleScorer().score(x[start : start + n]), score[start : start + n])
