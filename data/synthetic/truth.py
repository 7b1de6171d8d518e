"""The hidden model of what makes a placement last: the synthetic world's ground truth.

``retained_6m`` of every generated placement is drawn from :meth:`HiddenModel.p6`, and
``retained_12m`` (given a 6-month stay) from :meth:`HiddenModel.p12_given_6`. The model reads
only what the dataset *says* (each written label mapped back to its concept through the
generator's own surface forms, see :mod:`data.synthetic.surface`), so a perfect learner could
reach its AUC: benchmarks report it as the ceiling for the learned scorer and use it to value
plans in expected retained placements. Missing fields contribute nothing (neutral).

The logit of staying 6 months, for candidate *c* in vacancy *v*::

    z =   0.30
       + 1.80 · share of v's required skills that c has          (0.5 when v lists none)
       + 0.50 · share of v's optional skills that c has
       + 0.70 · [c lists v's occupation] + 0.08 · min(years in it, 8)
       + 0.30 · [c lists another occupation of v's sector]
       - 0.035 · max(0, km between c and v − 8)                  (unknown: 0)
       - 0.80 · [v's hours outside c's hours_min..hours_max]      (unknown: 0)
       - 1.10 · levels by which v's physical load exceeds c's capacity
       - 0.50 · levels by which c's Dutch is below v's minimum
       - 0.40 · min(2, required non-trainable certificates c lacks)
       + 0.25 · [c holds every licence v requires]                 (v requires one)
       + 0.15 · [c's education ≥ v's minimum] − 0.40 · [below it] (unknown: 0)
       + target group: ww +0.35, banenafspraak +0.25, wajong +0.15, statushouder +0.10,
                       participatiewet −0.15, pro_vso −0.10, others 0
       + placement type: bbl +0.35, werkervaringsplek −0.30, bol_stage −0.20,
                         proefplaatsing −0.10, baan 0

    P(retained_6m) = σ(z);  P(retained_12m | retained_6m) = σ(z + 0.9)

Age (birth_year) is deliberately absent: it is never a match feature.

That is the ``standard`` world. :data:`TRUTH_MODELS` is a family of structurally different worlds
(:class:`TruthModel`): other weights, thresholds and interactions, label noise, and two *hidden*
parts a product cannot read directly: a candidate's motivation (low, neutral, high; its only trace
is the wording of the coach's note, ``profile_text``) and a contractor's coaching quality (its
expectation follows the PSO level, plus a hidden spread per contractor). :meth:`HiddenModel.p6`
is the truth; :meth:`HiddenModel.observable_p6` is the **observable ceiling**: the same model with
each hidden part integrated out over its distribution given what the files show (motivation given
the note's opening, coaching quality given the PSO level). It does not use what the placement
history reveals about a contractor or a candidate, so a product that reads the track record may
come slightly above it in worlds with hidden coaching quality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from data.synthetic import surface
from data.synthetic import vocabulary as vocab
from matching.geo import haversine_km
from models.dataset import Dataset
from models.enums import DrivingLicence, LanguageLevel

TARGET_GROUP_EFFECT = {
    "ww": 0.35,
    "banenafspraak": 0.25,
    "wajong": 0.15,
    "statushouder": 0.10,
    "participatiewet": -0.15,
    "pro_vso": -0.10,
}
PLACEMENT_TYPE_EFFECT = {"bbl": 0.35, "werkervaringsplek": -0.30, "bol_stage": -0.20, "proefplaatsing": -0.10}
#: Placement types where the work is also the training: a language gap weighs less there in some worlds.
LEARNING_PLACES = ("bbl", "werkervaringsplek")
#: Target groups furthest from the labour market: a contractor's coaching counts more for them in some worlds.
FAR_FROM_WORK = ("participatiewet", "wajong", "wsw", "pro_vso")
#: A contractor's expected coaching quality by PSO level (unknown: as ``geen``).
PSO_QUALITY = {
    "geen": -0.5,
    "aspirant": -0.25,
    "basis": 0.0,
    "trede1": 0.25,
    "trede2": 0.5,
    "trede3": 0.75,
    "30plus": 1.0,
}
#: Motivation low, neutral, high (−1, 0, +1): its prior, and P(note's tone | motivation) (rows).
MOTIVATION_PRIOR = np.array([0.3, 0.4, 0.3])
TONE_GIVEN_MOTIVATION = np.array([[0.7, 0.2, 0.1], [0.15, 0.7, 0.15], [0.1, 0.2, 0.7]])
#: The only ways a world writes its skills down: weights over (main, synonym, English, URI, typo),
#: for vacancies and for candidates; ``mixed`` is the standard world's mix.
SKILL_WRITINGS: dict[str, tuple[tuple[float, float, float, float, float], tuple[float, float, float, float, float]]] = {
    "mixed": ((0.62, 0.14, 0.08, 0.06, 0.10), (0.66, 0.14, 0.05, 0.03, 0.12)),
    "esco_uri": ((0.08, 0.0, 0.0, 0.90, 0.02), (0.08, 0.0, 0.0, 0.90, 0.02)),
    "english": ((0.04, 0.0, 0.94, 0.0, 0.02), (0.04, 0.0, 0.94, 0.0, 0.02)),
    "dutch_free_text": ((0.45, 0.35, 0.0, 0.0, 0.20), (0.45, 0.35, 0.0, 0.0, 0.20)),
}


@dataclass(frozen=True)
class TruthModel:
    """One world's hidden model of retention, and how that world's history and skills are made.

    The weights of the standard logit (module docstring) come first; then thresholds and
    interactions, the hidden parts, label noise (``p = noise / 2 + (1 − noise) · σ(z)``), and
    the history: ``coach_insight`` is how strongly the status-quo coach picks by the truth (0:
    at random among six candidates of the region), ``history_fill`` the share of a history
    vacancy's places that were filled."""

    name: str
    summary: str
    intercept: float = 0.30
    required_skills: float = 1.80
    optional_skills: float = 0.50
    same_occupation: float = 0.70
    years: float = 0.08
    same_sector: float = 0.30
    free_km: float = 8.0
    per_km: float = 0.035
    hours_outside: float = 0.80
    physical_gap: float = 1.10
    language_gap: float = 0.50
    hard_certificates: float = 0.40
    licences: float = 0.25
    education_met: float = 0.15
    education_below: float = 0.40
    target_groups: float = 1.0  # a factor on TARGET_GROUP_EFFECT
    placement_types: float = 1.0  # a factor on PLACEMENT_TYPE_EFFECT
    skill_floor: float = 0.0  # below this share of the required skills …
    below_skill_floor: float = 0.0  # … the logit drops by this much
    far_km: float = math.inf  # beyond this distance …
    beyond_far_km: float = 0.0  # … the logit drops by this much (by half with driving licence B)
    language_floor: str | None = None  # a level of Dutch every place needs, whatever its minimum says
    learning_place_language: float = 1.0  # the language gap's share of its penalty in a learning place
    motivation: float = 0.0  # logit per step of hidden motivation (−1, 0, +1)
    coaching: float = 0.0  # logit per unit of the contractor's coaching quality
    coaching_spread: float = 0.6  # the hidden spread of coaching quality around its PSO level's
    coaching_far_from_work: float = 0.0  # extra share of the coaching effect for FAR_FROM_WORK groups
    label_noise: float = 0.0
    coach_insight: float = 0.6
    history_fill: float = 0.75
    skill_writing: str = "mixed"

    @property
    def has_hidden_parts(self) -> bool:
        return self.motivation != 0 or self.coaching != 0


#: The family of worlds, each structurally different; ``standard`` is the generator's default.
TRUTH_MODELS: dict[str, TruthModel] = {
    t.name: t
    for t in (
        TruthModel("standard", "the documented model: skills, occupation and many small terms"),
        TruthModel(
            "skills",
            "skill fit dominates, with a floor: under half the required skills rarely lasts; skills as ESCO URIs",
            intercept=0.2,
            required_skills=3.0,
            optional_skills=1.0,
            same_occupation=0.3,
            per_km=0.02,
            skill_floor=0.5,
            below_skill_floor=1.5,
            target_groups=0.5,
            coach_insight=0.3,
            skill_writing="esco_uri",
        ),
        TruthModel(
            "motivation",
            "hidden motivation dominates, visible only in the wording of the coach's note; English skill labels",
            intercept=0.1,
            required_skills=0.9,
            optional_skills=0.3,
            same_occupation=0.4,
            motivation=1.4,
            skill_writing="english",
        ),
        TruthModel(
            "coaching",
            "the contractor's coaching (PSO level plus a hidden spread) dominates, most for groups far from work; "
            "a short history (a quarter of past places filled) with 10% label noise",
            intercept=0.2,
            required_skills=1.0,
            same_occupation=0.4,
            coaching=1.2,
            coaching_spread=0.7,
            coaching_far_from_work=0.5,
            label_noise=0.10,
            history_fill=0.25,
        ),
        TruthModel(
            "distance",
            "distance dominates, with a cliff beyond 20 km (halved with driving licence B) and hours that must fit; "
            "a long, randomly chosen history",
            required_skills=1.0,
            same_occupation=0.4,
            free_km=3.0,
            per_km=0.09,
            far_km=20.0,
            beyond_far_km=1.6,
            hours_outside=1.4,
            coach_insight=0.0,
            history_fill=0.95,
        ),
        TruthModel(
            "language",
            "Dutch language level dominates: every level below B2 costs, whatever the vacancy asks, forgiven for "
            "the most part in bbl and werkervaringsplek places; skills in Dutch free text; a history strongly "
            "chosen by the coach",
            required_skills=1.0,
            per_km=0.025,
            language_gap=1.6,
            language_floor="B2",
            learning_place_language=0.3,
            placement_types=0.5,
            coach_insight=2.0,
            skill_writing="dutch_free_text",
        ),
        TruthModel(
            "noisy",
            "many weak terms and 35% label noise: little to learn, much to overfit",
            intercept=0.0,
            required_skills=0.9,
            optional_skills=0.25,
            same_occupation=0.35,
            per_km=0.02,
            physical_gap=0.55,
            language_gap=0.25,
            label_noise=0.35,
            history_fill=0.5,
        ),
    )
}
STANDARD = TRUTH_MODELS["standard"]


@dataclass(frozen=True)
class Hidden:
    """The parts of a world no file shows, keyed by the generated ids (see :func:`hidden_parts`)."""

    candidate_ids: np.ndarray
    motivation: np.ndarray  # −1, 0, +1 per candidate
    tone: np.ndarray  # 0, 1, 2: the tone the coach's note opens in, drawn given the motivation
    opening: np.ndarray  # which opening of that tone (any integer; taken modulo their number)
    contractor_ids: np.ndarray
    coaching_noise: np.ndarray  # standard normal per contractor


def hidden_parts(seed: int, n_candidates: int, n_contractors: int) -> Hidden:
    """The hidden parts of a world of this seed and size: drawn from their own stream, so the
    same world always has the same ones and the other tables' streams stay as they were."""
    rng = np.random.default_rng([seed, 0x4849])
    motivation = rng.choice(3, size=n_candidates, p=MOTIVATION_PRIOR)
    u = rng.random(n_candidates)
    tone = (u[:, None] > np.cumsum(TONE_GIVEN_MOTIVATION[motivation], axis=1)).sum(axis=1)
    return Hidden(
        candidate_ids=np.array([surface.candidate_id(i) for i in range(n_candidates)], dtype=object),
        motivation=motivation.astype(np.int64) - 1,
        tone=np.minimum(tone, 2).astype(np.int64),
        opening=rng.integers(0, 1 << 30, size=n_candidates),
        contractor_ids=np.array([surface.contractor_id(i) for i in range(n_contractors)], dtype=object),
        coaching_noise=rng.standard_normal(n_contractors),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=float)


def _incidence(lists: pd.Series, index: dict[str, str], codes: dict[str, int]) -> sparse.csr_matrix:
    """Binary rows × concepts matrix from a column of written labels."""
    rows: list[int] = []
    cols: list[int] = []
    for i, items in enumerate(lists):
        seen: set[int] = set()
        for item in items:
            label = item.label if hasattr(item, "label") else item
            code = index.get(str(label).strip().lower())
            if code is not None and code in codes and codes[code] not in seen:
                seen.add(codes[code])
                rows.append(i)
                cols.append(codes[code])
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(lists), len(codes)))


def _rank(series: pd.Series) -> np.ndarray:
    """Ordinal rank of an ordered categorical, NaN where unknown."""
    codes = series.cat.codes.to_numpy().astype(float)
    codes[codes < 0] = np.nan
    return codes


def _coordinates(lat: pd.Series, lon: pd.Series, postcode: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    table = surface.postcode_coordinates()
    la, lo = lat.to_numpy(dtype=float).copy(), lon.to_numpy(dtype=float).copy()
    missing = np.isnan(la)
    for i in np.flatnonzero(missing):
        pc = postcode.iat[int(i)]
        if isinstance(pc, str) and pc[:4] in table:
            la[i], lo[i] = table[pc[:4]]
    return la, lo


class HiddenModel:
    """The ground-truth retention model of one dataset, prepared once for many pairs: ``truth``
    says which world's model (default the standard one), ``hidden`` gives the hidden parts of a
    world that has them (:func:`data.synthetic.generator.hidden_of`)."""

    def __init__(self, ds: Dataset, truth: TruthModel = STANDARD, hidden: Hidden | None = None) -> None:
        if truth.has_hidden_parts and hidden is None:
            raise ValueError(f"the {truth.name} world's truth has hidden parts: pass them (hidden_parts)")
        self.truth = t = truth
        skills = {s.code: i for i, s in enumerate(vocab.SKILLS)}
        certs = {c.code: i for i, c in enumerate(vocab.CERTIFICATES)}
        occs = {o.code: i for i, o in enumerate(vocab.OCCUPATIONS)}
        sectors = {s: i for i, s in enumerate(vocab.SECTORS)}
        licences = {lic.value: lic.value for lic in DrivingLicence}
        lic_codes = {lic: i for i, lic in enumerate(licences)}
        c, v = ds.candidates, ds.vacancies

        self.c_skills = _incidence(c["skills"], surface.skill_index(), skills)
        self.c_certs = _incidence(c["certificates"], surface.certificate_index(), certs)
        self.c_lic = _incidence(c["driving_licences"], licences, lic_codes)
        occ_index = surface.occupation_index()
        self.c_occ = _incidence(c["occupations"], occ_index, occs)
        years = sparse.lil_matrix(self.c_occ.shape)
        for i, items in enumerate(c["occupations"]):
            for item in items:
                code = occ_index.get(item.label.strip().lower())
                if code is not None and item.years is not None:
                    years[i, occs[code]] = max(years[i, occs[code]], item.years)
        self.c_years = years.tocsr()
        sector_of = np.array([sectors[o.sector] for o in vocab.OCCUPATIONS])
        occ_to_sector = sparse.csr_matrix(
            (np.ones(len(occs)), (np.arange(len(occs)), sector_of)), shape=(len(occs), len(sectors))
        )
        self.c_sector = (self.c_occ @ occ_to_sector).tocsr()
        self.c_sector.data[:] = 1.0

        self.v_req = _incidence(v["required_skills"], surface.skill_index(), skills)
        self.v_opt = _incidence(v["optional_skills"], surface.skill_index(), skills)
        hard = [
            tuple(x for x in req if x not in set(tr))
            for req, tr in zip(v["required_certificates"], v["trainable_certificates"], strict=True)
        ]
        self.v_hard = _incidence(pd.Series(hard, dtype=object), surface.certificate_index(), certs)
        self.v_lic = _incidence(v["required_licences"], licences, lic_codes)
        v_occ = np.full(len(v), -1, dtype=np.int64)
        for i, (occ, title) in enumerate(zip(v["occupation"], v["title"], strict=True)):
            code = occ_index.get(str(occ).strip().lower()) if isinstance(occ, str) else None
            code = code or occ_index.get(str(title).strip().lower())
            if code is not None:
                v_occ[i] = occs[code]
        self.v_occ = v_occ
        self.v_sector = np.where(v_occ >= 0, sector_of[np.maximum(v_occ, 0)], -1)

        self.c_lat, self.c_lon = _coordinates(c["lat"], c["lon"], c["postcode"])
        contractors = ds.contractors.drop_duplicates("contractor_id").set_index("contractor_id")
        v_lat, v_lon = _coordinates(v["lat"], v["lon"], v["postcode"])
        k_lat, k_lon = _coordinates(contractors["lat"], contractors["lon"], contractors["postcode"])
        k_pos = contractors.index.get_indexer(pd.Index(v["contractor_id"]))
        fallback = np.isnan(v_lat) & (k_pos >= 0)
        v_lat[fallback] = k_lat[k_pos[fallback]]
        v_lon[fallback] = k_lon[k_pos[fallback]]
        self.v_lat, self.v_lon = v_lat, v_lon

        self.c_hmin = c["hours_min"].to_numpy(dtype=float, na_value=np.nan)
        self.c_hmax = c["hours_max"].to_numpy(dtype=float, na_value=np.nan)
        self.v_hours = v["hours_per_week"].to_numpy(dtype=float)
        self.c_phys, self.v_phys = _rank(c["physical_capacity"]), _rank(v["physical_load"])
        self.c_lang, self.v_lang = _rank(c["language_level"]), _rank(v["min_language_level"])
        self.c_edu, self.v_edu = _rank(c["education_level"]), _rank(v["min_education_level"])
        group, ptype = c["target_group"].astype(str), v["placement_type"].astype(str)
        self.c_group = t.target_groups * group.map(TARGET_GROUP_EFFECT).fillna(0.0).to_numpy(dtype=float)
        self.v_type = t.placement_types * ptype.map(PLACEMENT_TYPE_EFFECT).fillna(0.0).to_numpy(dtype=float)
        self.c_far_from_work = group.isin(FAR_FROM_WORK).to_numpy()
        self.v_learning = ptype.isin(LEARNING_PLACES).to_numpy()
        self.c_licence_b = np.array(["B" in set(items) for items in c["driving_licences"]], dtype=bool)

        # what the files show of the hidden parts: the note's tone, the contractor's PSO level
        self.c_tone = np.array([surface.note_tone(x) for x in c["profile_text"]], dtype=np.int64)
        pso = contractors["pso_level"].astype(object).where(contractors["pso_level"].notna(), "geen")
        quality = pso.map(PSO_QUALITY).fillna(PSO_QUALITY["geen"]).to_numpy(dtype=float)
        self.v_quality_mean = np.where(k_pos >= 0, quality[np.maximum(k_pos, 0)], PSO_QUALITY["geen"])
        self.c_motivation = np.zeros(len(c))
        self.v_quality_noise = np.zeros(len(v))
        if hidden is not None:
            m = pd.Series(hidden.motivation, index=hidden.candidate_ids)
            self.c_motivation = m.reindex(c["candidate_id"]).fillna(0).to_numpy(dtype=float)
            noise = pd.Series(hidden.coaching_noise, index=hidden.contractor_ids).reindex(contractors.index)
            self.v_quality_noise = np.where(k_pos >= 0, noise.fillna(0).to_numpy()[np.maximum(k_pos, 0)], 0.0)

    @staticmethod
    def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix, ai: np.ndarray, bi: np.ndarray) -> np.ndarray:
        return np.asarray(a[ai].multiply(b[bi]).sum(axis=1)).ravel()

    def observable_logit(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """The logit of staying 6 months for each pair (candidate row ``ci``, vacancy row ``vi``)
        without the hidden parts: everything here is a function of what the files say."""
        t = self.truth
        ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
        z = np.full(len(ci), t.intercept)
        n_req = np.asarray(self.v_req[vi].sum(axis=1)).ravel()
        have_req = self._rowdot(self.c_skills, self.v_req, ci, vi)
        share_req = np.where(n_req > 0, have_req / np.maximum(n_req, 1), 0.5)
        z += t.required_skills * share_req
        n_opt = np.asarray(self.v_opt[vi].sum(axis=1)).ravel()
        z += t.optional_skills * np.where(
            n_opt > 0, self._rowdot(self.c_skills, self.v_opt, ci, vi) / np.maximum(n_opt, 1), 0.0
        )

        occ = self.v_occ[vi]
        known = occ >= 0
        same = np.zeros(len(ci))
        years = np.zeros(len(ci))
        if known.any():
            same[known] = np.asarray(self.c_occ[ci[known], occ[known]]).ravel()
            years[known] = np.asarray(self.c_years[ci[known], occ[known]]).ravel()
        z += t.same_occupation * same + t.years * np.minimum(years, 8)
        sector = self.v_sector[vi]
        other = np.zeros(len(ci))
        ks = sector >= 0
        if ks.any():
            other[ks] = np.asarray(self.c_sector[ci[ks], sector[ks]]).ravel()
        z += t.same_sector * ((other > 0) & (same == 0))

        km = haversine_km(self.c_lat[ci], self.c_lon[ci], self.v_lat[vi], self.v_lon[vi])
        z -= t.per_km * np.nan_to_num(np.maximum(km - t.free_km, 0.0), nan=0.0)
        hours = self.v_hours[vi]
        outside = (hours < np.nan_to_num(self.c_hmin[ci], nan=-np.inf)) | (
            hours > np.nan_to_num(self.c_hmax[ci], nan=np.inf)
        )
        z -= t.hours_outside * outside
        z -= t.physical_gap * np.nan_to_num(np.maximum(self.v_phys[vi] - self.c_phys[ci], 0), nan=0.0)
        needed = self.v_lang[vi]
        if t.language_floor is not None:
            needed = np.fmax(needed, float(list(LanguageLevel).index(LanguageLevel(t.language_floor))))
        language_gap = np.nan_to_num(np.maximum(needed - self.c_lang[ci], 0), nan=0.0)
        if t.learning_place_language != 1.0:
            language_gap = np.where(self.v_learning[vi], t.learning_place_language * language_gap, language_gap)
        z -= t.language_gap * language_gap
        n_hard = np.asarray(self.v_hard[vi].sum(axis=1)).ravel()
        lacking = n_hard - self._rowdot(self.c_certs, self.v_hard, ci, vi)
        z -= t.hard_certificates * np.minimum(lacking, 2)
        n_lic = np.asarray(self.v_lic[vi].sum(axis=1)).ravel()
        z += t.licences * ((n_lic > 0) & (self._rowdot(self.c_lic, self.v_lic, ci, vi) >= n_lic))
        edu_gap = self.c_edu[ci] - self.v_edu[vi]
        z += np.where(np.isnan(edu_gap), 0.0, np.where(edu_gap >= 0, t.education_met, -t.education_below))
        z += self.c_group[ci] + self.v_type[vi]
        if t.below_skill_floor:
            z -= t.below_skill_floor * ((n_req > 0) & (share_req < t.skill_floor))
        if t.beyond_far_km:
            far = np.nan_to_num(km, nan=0.0) > t.far_km
            z -= t.beyond_far_km * far * np.where(self.c_licence_b[ci], 0.5, 1.0)
        return z

    def _coaching_weight(self, ci: np.ndarray) -> np.ndarray:
        t = self.truth
        return np.asarray(t.coaching * (1.0 + t.coaching_far_from_work * self.c_far_from_work[ci]), dtype=float)

    def logit(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """The logit of staying 6 months for each pair, hidden parts included."""
        t = self.truth
        ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
        z = self.observable_logit(ci, vi)
        if t.motivation:
            z += t.motivation * self.c_motivation[ci]
        if t.coaching:
            quality = self.v_quality_mean[vi] + t.coaching_spread * self.v_quality_noise[vi]
            z += self._coaching_weight(ci) * quality
        return z

    def _with_label_noise(self, p: np.ndarray) -> np.ndarray:
        noise = self.truth.label_noise
        return p if noise == 0 else noise / 2 + (1 - noise) * p

    def p6(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """P(retained_6m) of each pair: the truth."""
        return self._with_label_noise(_sigmoid(self.logit(ci, vi)))

    def p12_given_6(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """P(retained_12m | retained_6m) of each pair."""
        return _sigmoid(self.logit(ci, vi) + 0.9)

    def motivation_posterior(self, ci: np.ndarray) -> np.ndarray:
        """P(motivation low, neutral, high | the note's opening) per candidate row (rows of 3)."""
        tone = self.c_tone[np.asarray(ci, dtype=np.int64)]
        post = np.tile(MOTIVATION_PRIOR, (len(tone), 1))
        read = tone >= 0
        post[read] = MOTIVATION_PRIOR * TONE_GIVEN_MOTIVATION[:, tone[read]].T
        return np.asarray(post / post.sum(axis=1, keepdims=True), dtype=float)

    def observable_p6(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """The observable ceiling: E[P(retained_6m) | what the files show] of each pair.

        Motivation is summed over its posterior given the note's opening; the contractor's hidden
        spread is integrated over its normal distribution (Gauss–Hermite, 15 nodes) around the PSO
        level's expectation. With no hidden parts this is :meth:`p6`."""
        t = self.truth
        ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
        z = self.observable_logit(ci, vi)
        if not t.has_hidden_parts:
            return self._with_label_noise(_sigmoid(z))
        motivation_states = np.array([-1.0, 0.0, 1.0]) if t.motivation else np.zeros(1)
        post = self.motivation_posterior(ci) if t.motivation else np.ones((len(ci), 1))
        if t.coaching:
            nodes, weights = np.polynomial.hermite_e.hermegauss(15)
            weights = weights / weights.sum()
            base = z + self._coaching_weight(ci) * self.v_quality_mean[vi]
            spread = self._coaching_weight(ci) * t.coaching_spread
        else:
            nodes, weights = np.zeros(1), np.ones(1)
            base, spread = z, np.zeros(len(ci))
        p = np.zeros(len(ci))
        for k, m in enumerate(motivation_states):
            for node, w in zip(nodes, weights, strict=True):
                p += post[:, k] * w * _sigmoid(base + t.motivation * m + spread * node)
        return self._with_label_noise(p)


def _rows(ds: Dataset, candidate_ids: pd.Series, vacancy_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ci = pd.Index(ds.candidates["candidate_id"]).get_indexer(candidate_ids)
    vi = pd.Index(ds.vacancies["vacancy_id"]).get_indexer(vacancy_ids)
    if (ci < 0).any() or (vi < 0).any():
        raise KeyError("a pair names a candidate or vacancy that is not in the dataset")
    return ci, vi


def true_retention_probability(
    ds: Dataset,
    candidate_ids: pd.Series,
    vacancy_ids: pd.Series,
    truth: TruthModel = STANDARD,
    hidden: Hidden | None = None,
) -> np.ndarray:
    """P(retained_6m) of each (candidate_id, vacancy_id) pair under the world's hidden model."""
    ci, vi = _rows(ds, candidate_ids, vacancy_ids)
    return HiddenModel(ds, truth, hidden).p6(ci, vi)


def observable_retention_probability(
    ds: Dataset,
    candidate_ids: pd.Series,
    vacancy_ids: pd.Series,
    truth: TruthModel = STANDARD,
    hidden: Hidden | None = None,
) -> np.ndarray:
    """The observable ceiling of each pair: its retention with every hidden part replaced by its
    distribution given what the files show (:meth:`HiddenModel.observable_p6`)."""
    ci, vi = _rows(ds, candidate_ids, vacancy_ids)
    return HiddenModel(ds, truth, hidden).observable_p6(ci, vi)
