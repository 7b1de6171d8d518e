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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from data.synthetic import surface
from data.synthetic import vocabulary as vocab
from matching.geo import haversine_km
from models.dataset import Dataset
from models.enums import DrivingLicence

TARGET_GROUP_EFFECT = {
    "ww": 0.35,
    "banenafspraak": 0.25,
    "wajong": 0.15,
    "statushouder": 0.10,
    "participatiewet": -0.15,
    "pro_vso": -0.10,
}
PLACEMENT_TYPE_EFFECT = {"bbl": 0.35, "werkervaringsplek": -0.30, "bol_stage": -0.20, "proefplaatsing": -0.10}


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
    """The ground-truth retention model of one dataset, prepared once for many pairs."""

    def __init__(self, ds: Dataset) -> None:
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
        self.c_group = c["target_group"].astype(str).map(TARGET_GROUP_EFFECT).fillna(0.0).to_numpy(dtype=float)
        self.v_type = v["placement_type"].astype(str).map(PLACEMENT_TYPE_EFFECT).fillna(0.0).to_numpy(dtype=float)

    @staticmethod
    def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix, ai: np.ndarray, bi: np.ndarray) -> np.ndarray:
        return np.asarray(a[ai].multiply(b[bi]).sum(axis=1)).ravel()

    def logit(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """The logit of staying 6 months for each pair (candidate row ``ci``, vacancy row ``vi``)."""
        ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
        z = np.full(len(ci), 0.30)
        n_req = np.asarray(self.v_req[vi].sum(axis=1)).ravel()
        have_req = self._rowdot(self.c_skills, self.v_req, ci, vi)
        z += 1.80 * np.where(n_req > 0, have_req / np.maximum(n_req, 1), 0.5)
        n_opt = np.asarray(self.v_opt[vi].sum(axis=1)).ravel()
        z += 0.50 * np.where(n_opt > 0, self._rowdot(self.c_skills, self.v_opt, ci, vi) / np.maximum(n_opt, 1), 0.0)

        occ = self.v_occ[vi]
        known = occ >= 0
        same = np.zeros(len(ci))
        years = np.zeros(len(ci))
        if known.any():
            same[known] = np.asarray(self.c_occ[ci[known], occ[known]]).ravel()
            years[known] = np.asarray(self.c_years[ci[known], occ[known]]).ravel()
        z += 0.70 * same + 0.08 * np.minimum(years, 8)
        sector = self.v_sector[vi]
        other = np.zeros(len(ci))
        ks = sector >= 0
        if ks.any():
            other[ks] = np.asarray(self.c_sector[ci[ks], sector[ks]]).ravel()
        z += 0.30 * ((other > 0) & (same == 0))

        km = haversine_km(self.c_lat[ci], self.c_lon[ci], self.v_lat[vi], self.v_lon[vi])
        z -= 0.035 * np.nan_to_num(np.maximum(km - 8.0, 0.0), nan=0.0)
        hours = self.v_hours[vi]
        outside = (hours < np.nan_to_num(self.c_hmin[ci], nan=-np.inf)) | (
            hours > np.nan_to_num(self.c_hmax[ci], nan=np.inf)
        )
        z -= 0.80 * outside
        z -= 1.10 * np.nan_to_num(np.maximum(self.v_phys[vi] - self.c_phys[ci], 0), nan=0.0)
        z -= 0.50 * np.nan_to_num(np.maximum(self.v_lang[vi] - self.c_lang[ci], 0), nan=0.0)
        n_hard = np.asarray(self.v_hard[vi].sum(axis=1)).ravel()
        lacking = n_hard - self._rowdot(self.c_certs, self.v_hard, ci, vi)
        z -= 0.40 * np.minimum(lacking, 2)
        n_lic = np.asarray(self.v_lic[vi].sum(axis=1)).ravel()
        z += 0.25 * ((n_lic > 0) & (self._rowdot(self.c_lic, self.v_lic, ci, vi) >= n_lic))
        edu_gap = self.c_edu[ci] - self.v_edu[vi]
        z += np.where(np.isnan(edu_gap), 0.0, np.where(edu_gap >= 0, 0.15, -0.40))
        z += self.c_group[ci] + self.v_type[vi]
        return z

    def p6(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """P(retained_6m) of each pair."""
        return _sigmoid(self.logit(ci, vi))

    def p12_given_6(self, ci: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """P(retained_12m | retained_6m) of each pair."""
        return _sigmoid(self.logit(ci, vi) + 0.9)


def true_retention_probability(ds: Dataset, candidate_ids: pd.Series, vacancy_ids: pd.Series) -> np.ndarray:
    """P(retained_6m) of each (candidate_id, vacancy_id) pair under the hidden model."""
    ci = pd.Index(ds.candidates["candidate_id"]).get_indexer(candidate_ids)
    vi = pd.Index(ds.vacancies["vacancy_id"]).get_indexer(vacancy_ids)
    if (ci < 0).any() or (vi < 0).any():
        raise KeyError("a pair names a candidate or vacancy that is not in the dataset")
    return HiddenModel(ds).p6(ci, vi)
