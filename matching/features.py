"""Features of (candidate, vacancy) pairs, vectorised; NaN where a side is unknown: the pair's own
(similarities, margins, worked out by the rule book) and then each side's (:mod:`matching.history`).

The feature list is part of a trained model's identity: changing a name, its meaning or the order
means bumping :data:`FEATURE_SET_VERSION`, and old model files are then refused with a clear message.
"""

from __future__ import annotations

import numpy as np

from matching import rulebook as rb
from matching.eligibility import Screen, column, constant, rowdots
from matching.history import CANDIDATE_FEATURES, SIDE_FEATURES, tables_of, training_side_features
from matching.prepare import GROUPS, TYPES, Prepared

FEATURE_SET_VERSION = 5

BASE_FEATURES: tuple[str, ...] = (
    "skill_coverage",  # share of required skills covered (partial credit for related/fuzzy skills)
    "optional_coverage",  # the same for optional skills
    "skill_coverage_exact",  # share of required skills the candidate lists itself (no partial credit)
    "optional_coverage_exact",
    "same_occupation",  # the candidate lists the vacancy's occupation
    "occupation_years",  # years of experience in it (0 when not the same)
    "same_sector",  # the candidate lists an occupation of the vacancy's sector
    "title_similarity",  # rapidfuzz WRatio of the title against the candidate's occupations, 0..1
    "text_similarity",  # cosine of profile and vacancy text (TF-IDF char n-grams, latent semantic space)
    "distance_km",
    "distance_share",  # km / the candidate's maximum travel distance
    "hours_gap",  # hours per week outside the candidate's range (0 when inside)
    "language_margin",  # candidate's level minus the minimum, in CEFR steps
    "education_margin",
    "physical_margin",  # capacity minus load, in steps
    "hard_certificates_missing",
    "trainable_gaps",
    "licences_missing",
    "licences_required",
    "availability_days",  # days between available_from and the start (negative: available earlier)
    "profile_completeness",  # share of the candidate's key fields that are filled in
    "location_quality",  # 0 given coordinates, 1 postcode, 2 estimated from the region, 3 unknown
    # what the candidate's occupations imply (the taxonomy's relations), apart from the skills they list:
    "skill_coverage_inferred_essential",  # required skills essential to an occupation they list (credit by years)
    "skill_coverage_inferred_optional",  # required skills optional to an occupation they list
    "skill_coverage_related",  # required skills related to skills they list or their occupations' essential ones
    "same_isco_group",  # they list an occupation of the ISCO unit group of the vacancy's occupation
)
FEATURES: tuple[str, ...] = (
    *BASE_FEATURES,
    *(f"group_{g}" for g in GROUPS),
    *(f"type_{t}" for t in TYPES),
    *SIDE_FEATURES,  # one side's alone, looked up per pair: see side_features
)
INDEX = {name: i for i, name in enumerate(FEATURES)}

#: The features whose direction is known before any history is read: more of it never makes a placement
#: less likely to last (+1), or never more likely (−1). A learned model is held to these directions
#: (:func:`monotone_directions`), which a history of a few hundred placements cannot contradict by chance.
#: Features not named here (the one-hot groups and types, hours, loads, time on benefit, how the location
#: is known) may go either way.
KNOWN_DIRECTIONS: dict[str, int] = {
    "skill_coverage": 1,
    "optional_coverage": 1,
    "skill_coverage_exact": 1,
    "optional_coverage_exact": 1,
    "same_occupation": 1,
    "occupation_years": 1,
    "same_sector": 1,
    "title_similarity": 1,
    "text_similarity": 1,
    "distance_km": -1,
    "distance_share": -1,
    "hours_gap": -1,
    "language_margin": 1,
    "education_margin": 1,
    "physical_margin": 1,
    "hard_certificates_missing": -1,
    "trainable_gaps": -1,
    "licences_missing": -1,
    "skill_coverage_inferred_essential": 1,
    "skill_coverage_inferred_optional": 1,
    "skill_coverage_related": 1,
    "same_isco_group": 1,
    "candidate_retention": 1,
    "language_level": 1,
    "notes_retention": 1,
    "contractor_retention": 1,
    "contractor_pso_level": 1,
}


def monotone_directions() -> np.ndarray:
    """:data:`KNOWN_DIRECTIONS` as one entry per feature of :data:`FEATURES` (0: free), for scikit-learn's
    ``monotonic_cst``."""
    return np.array([KNOWN_DIRECTIONS.get(name, 0) for name in FEATURES], dtype=np.int64)


def _coverages(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> list[np.ndarray]:
    """Required and optional coverage (:func:`matching.rulebook.coverage`), with partial credit and exact."""
    out = []
    cover = rb.ufunc(rb.coverage)
    for matrix in (p.c_soft, p.c_skills):
        for got, n in zip(rowdots(matrix, [p.v_req, p.v_opt], ci, vi), (p.v_n_req[vi], p.v_n_opt[vi]), strict=True):
            out.append(np.asarray(cover(got, n, p.c_has_skills[ci]), dtype=float))
    return out  # soft required, soft optional, exact required, exact optional


def _inferred_coverages(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> list[np.ndarray]:
    """Required skills covered by what the candidate's occupations imply: their essential skills,
    their optional ones (NaN without an occupation), and related skills (NaN without either)."""
    cover = rb.ufunc(rb.coverage)
    n = p.v_n_req[vi]
    out = []
    for matrix, has in (
        (p.c_inferred_essential, p.c_has_occ),
        (p.c_inferred_optional, p.c_has_occ),
        (p.c_related, p.c_has_skills_or_occ),
    ):
        (got,) = rowdots(matrix, [p.v_req], ci, vi)
        out.append(np.asarray(cover(got, n, has[ci]), dtype=float))
    return out


def _title_similarity(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
    """max over the candidate's occupation texts of the title similarity; NaN when they list none."""
    rows = p.c_titles[ci]
    out = np.full(len(ci), np.nan)
    lengths = np.diff(rows.indptr)
    has = lengths > 0
    if has.any():
        owner = np.repeat(np.arange(len(ci)), lengths)
        values = p.title_sim[p.v_title[vi][owner], rows.indices]
        out[has] = np.maximum.reduceat(values, rows.indptr[:-1][has])  # rows are consecutive runs
    return out


def _same_group(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
    """1 when the candidate lists an occupation of the ISCO unit group of the vacancy's occupation,
    else 0; NaN when that group or the candidate's occupations are unknown."""
    group = p.v_isco[vi]
    out = np.full(len(ci), np.nan)
    known = (group >= 0) & p.c_has_occ[ci]
    if known.any() and constant(group):
        out[known] = column(p.c_isco_csc, int(group[0]), ci[known]) > 0
    elif known.any():
        out[known] = np.asarray(p.c_isco[ci[known], group[known]]).ravel() > 0
    return out


def _occupation(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    occ, sector = p.v_occ[vi], p.v_sector[vi]
    same = np.full(len(ci), np.nan)
    years = np.full(len(ci), np.nan)
    in_sector = np.full(len(ci), np.nan)
    known = (occ >= 0) & p.c_has_occ[ci]
    if known.any() and constant(occ):  # one vacancy: a column each
        same[known] = column(p.c_occ_csc, int(occ[0]), ci[known])
        years[known] = column(p.c_occ_years_csc, int(occ[0]), ci[known])
    elif known.any():
        same[known] = np.asarray(p.c_occ[ci[known], occ[known]]).ravel()
        years[known] = np.asarray(p.c_occ_years[ci[known], occ[known]]).ravel()
    ks = (sector >= 0) & p.c_has_occ[ci]
    if ks.any() and constant(sector):
        in_sector[ks] = column(p.c_sectors_csc, int(sector[0]), ci[ks]) > 0
    elif ks.any():
        in_sector[ks] = np.asarray(p.c_sectors[ci[ks], sector[ks]]).ravel() > 0
    return same, rb.ufunc(rb.experience_years)(years), in_sector


def _text_similarity(p: Prepared, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
    """Cosine of the latent text vectors (negative counts as unrelated: 0)."""
    if len(ci) and constant(vi):
        dots = p.c_text[ci] @ p.v_text[int(vi[0])]
    else:
        dots = np.einsum("ij,ij->i", p.c_text[ci], p.v_text[vi])
    return np.asarray(rb.ufunc(rb.text_similarity)(dots.astype(float)), dtype=float)


def profile_completeness(p: Prepared, ci: np.ndarray) -> np.ndarray:
    """Share of each candidate's key fields that are filled in (the ``profile_completeness`` feature)."""
    return np.asarray(p.c_completeness[ci], dtype=float)


def pair_features(p: Prepared, s: Screen) -> np.ndarray:
    """The feature matrix (pairs × :data:`FEATURES`) of the screened pairs."""
    ci, vi = s.ci, s.vi
    n = len(ci)
    x = np.full((n, len(FEATURES)), np.nan, dtype=np.float64)
    names = ("skill_coverage", "optional_coverage", "skill_coverage_exact", "optional_coverage_exact")
    for name, values in zip(names, _coverages(p, ci, vi), strict=True):
        x[:, INDEX[name]] = values
    same, years, sector = _occupation(p, ci, vi)
    x[:, INDEX["same_occupation"]] = same
    x[:, INDEX["occupation_years"]] = years
    x[:, INDEX["same_sector"]] = sector
    x[:, INDEX["title_similarity"]] = _title_similarity(p, ci, vi)
    x[:, INDEX["text_similarity"]] = np.where(p.c_has_text[ci], _text_similarity(p, ci, vi), np.nan)
    rec = p.records
    x[:, INDEX["distance_km"]] = s.km
    x[:, INDEX["distance_share"]] = rb.ufunc(rb.distance_share)(s.km, p.c_max_km[ci])
    x[:, INDEX["hours_gap"]] = rb.ufunc(rb.hours_gap)(p.v_hours[vi], p.c_hmin[ci], p.c_hmax[ci])
    gap = rb.ufunc(rb.margin)
    x[:, INDEX["language_margin"]] = gap(p.c_lang[ci], p.v_lang[vi])
    x[:, INDEX["education_margin"]] = gap(p.c_edu[ci], p.v_edu[vi])
    x[:, INDEX["physical_margin"]] = gap(p.c_phys[ci], p.v_phys[vi])
    x[:, INDEX["hard_certificates_missing"]] = s.hard_missing
    x[:, INDEX["trainable_gaps"]] = s.soft_gaps
    x[:, INDEX["licences_missing"]] = s.licences_missing
    x[:, INDEX["licences_required"]] = p.v_licences[vi].sum(axis=1)
    x[:, INDEX["availability_days"]] = rb.ufunc(rb.availability_days)(rec.c_available[ci], rec.v_start[vi])
    x[:, INDEX["profile_completeness"]] = profile_completeness(p, ci)
    x[:, INDEX["location_quality"]] = rb.ufunc(rb.location_quality)(p.c_loc[ci], p.v_loc[vi])
    implied = ("skill_coverage_inferred_essential", "skill_coverage_inferred_optional", "skill_coverage_related")
    for name, values in zip(implied, _inferred_coverages(p, ci, vi), strict=True):
        x[:, INDEX[name]] = values
    x[:, INDEX["same_isco_group"]] = _same_group(p, ci, vi)
    base = len(BASE_FEATURES)
    groups = np.zeros((n, len(GROUPS)))
    ok = p.c_group[ci] >= 0
    groups[np.flatnonzero(ok), p.c_group[ci][ok]] = 1.0
    x[:, base : base + len(GROUPS)] = groups
    types = np.zeros((n, len(TYPES)))
    okt = p.v_type[vi] >= 0
    types[np.flatnonzero(okt), p.v_type[vi][okt]] = 1.0
    x[:, base + len(GROUPS) : SIDE_START] = types
    side_features(p, ci, vi, x)
    return x


SIDE_START = len(FEATURES) - len(SIDE_FEATURES)
_SIDE_SPLIT = SIDE_START + len(CANDIDATE_FEATURES)


def side_features(p: Prepared, ci: np.ndarray, vi: np.ndarray, x: np.ndarray) -> None:
    """Fill the side features of pairs ``(ci, vi)`` into ``x`` (rows × :data:`FEATURES`): each candidate's
    and each vacancy's row of :func:`matching.history.side_tables`, as of today."""
    tables = tables_of(p)
    x[:, SIDE_START:_SIDE_SPLIT] = tables.candidates[ci]
    x[:, _SIDE_SPLIT:] = tables.vacancies[vi]


def with_training_sides(p: Prepared, x: np.ndarray) -> np.ndarray:
    """The features of the labelled placements (``x``, rows as :func:`matching.history.labelled_history`
    orders them) with the side features read as of each placement's start instead of today."""
    out = x.copy()
    out[:, SIDE_START:] = training_side_features(p, tables_of(p))
    return out
