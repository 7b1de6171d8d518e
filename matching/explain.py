"""Explanations of scores: short codes for programs and a Dutch sentence for the coach.

Codes (``;``-separated in CSV): ``skills:3/4``, ``missing:metselen|voegen``, ``experience:timmerman:3``,
``km:12`` (``km:~12`` when estimated from the region, ``km:?`` when unknown), ``soft_gap:vca_basis``,
``unknown:language|education``, ``not_eligible:certificate|distance``, ``top:+skill_coverage|-distance_km``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import sparse

from matching.eligibility import Screen
from matching.features import FEATURES, INDEX
from matching.geo import LOC_REGION, LOC_UNKNOWN
from matching.prepare import LICENCES, Prepared
from matching.rulebook import RULE, Reason
from matching.taxonomy import Kind
from models.dutch import number
from models.enums import EducationLevel, LanguageLevel, PhysicalLoad

FEATURE_NL: dict[str, str] = {
    "skill_coverage": "vaardigheden",
    "optional_coverage": "extra vaardigheden",
    "same_occupation": "beroepservaring",
    "occupation_years": "jaren ervaring",
    "same_sector": "ervaring in de sector",
    "title_similarity": "functietitel",
    "text_similarity": "profieltekst",
    "distance_km": "afstand",
    "distance_share": "afstand",
    "hours_gap": "uren",
    "language_margin": "taalniveau",
    "education_margin": "opleiding",
    "physical_margin": "belastbaarheid",
    "hard_certificates_missing": "certificaten",
    "trainable_gaps": "te behalen certificaten",
    "licences_missing": "rijbewijs",
    "licences_required": "rijbewijs",
    "availability_days": "beschikbaarheid",
    "profile_completeness": "volledigheid profiel",
    "skill_coverage_exact": "vaardigheden",
    "optional_coverage_exact": "extra vaardigheden",
    "location_quality": "afstand",
    "skill_coverage_inferred_essential": "vaardigheden uit eerder werk",
    "skill_coverage_inferred_optional": "vaardigheden uit eerder werk",
    "skill_coverage_related": "verwante vaardigheden",
    "same_isco_group": "verwant beroep",
    "candidate_placements": "eerdere plaatsingen",
    "candidate_retention": "eerdere plaatsingen",
    "benefit_months": "duur van de uitkering",
    "language_level": "taalniveau",
    "notes_retention": "notities van de coach",
    "contractor_placements": "eerdere plaatsingen bij deze werkgever",
    "contractor_retention": "eerdere plaatsingen bij deze werkgever",
    "contractor_pso_level": "PSO-trede van de werkgever",
    "physical_load": "belastbaarheid",
}
LEVELS: dict[str, list[str]] = {
    "language": [e.value for e in LanguageLevel],
    "education": [e.value for e in EducationLevel],
    "physical": [e.value for e in PhysicalLoad],
}


@dataclass(frozen=True)
class Explanation:
    codes: tuple[str, ...]
    text: str

    @property
    def code_text(self) -> str:
        return "; ".join(self.codes)


def _label(p: Prepared, key: str, kind: Kind) -> str:
    if key.startswith("txt:"):
        return key[4:]
    return p.taxonomy.label(key, kind)


def _level(kind: str, rank: float) -> str:
    return LEVELS[kind][int(rank)]


def _row(m: sparse.csr_matrix, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of row ``r`` of a CSR matrix, read straight from its arrays (indexing
    the matrix builds a new one per row, which cost more than the whole explanation)."""
    start, end = m.indptr[r], m.indptr[r + 1]
    return m.indices[start:end], m.data[start:end]


#: how an explanation names the link that gives a partly held skill its credit (Taxonomy.related_by)
RELATED_NL = {"esco": "verwant aan", "shared profile": "vaak samen gevraagd met"}


class _Seen:
    """What one call of :func:`explain` has worked out about vacancies and skills, by row: the pairs of a
    suggestion share their vacancy (or their candidate), and many of their skills."""

    def __init__(self) -> None:
        self.required: dict[int, list[int]] = {}  # a vacancy's required skills
        self.recognised: dict[int, list[str]] = {}  # a vacancy's :func:`_recognised` sentences
        self.skill_labels: dict[int, str] = {}
        self.written: np.ndarray | None = None  # the vacancies' required skills as written, one list a row

    def required_skills(self, p: Prepared, v: int) -> list[int]:
        found = self.required.get(v)
        if found is None:
            found = self.required[v] = _row(p.v_req, v)[0].tolist()
        return found

    def recognised_skills(self, p: Prepared, v: int) -> list[str]:
        found = self.recognised.get(v)
        if found is None:
            if self.written is None:
                self.written = p.ds.vacancies["required_skills"].to_numpy()
            found = self.recognised[v] = _recognised(p, cast("list[str]", self.written[v]))
        return found

    def skill_label(self, p: Prepared, j: int) -> str:
        found = self.skill_labels.get(j)
        if found is None:
            found = self.skill_labels[j] = _label(p, p.skill_names[j], "skill")
        return found


def _skills(p: Prepared, c: int, v: int, seen: _Seen, *, codes: list[str], text: list[str]) -> None:
    """What the candidate has of the vacancy's required skills."""
    required = seen.required_skills(p, v)
    if len(required) == 0:
        return
    if not p.c_has_skills[c]:
        text.append("Vaardigheden van de kandidaat onbekend.")
        return
    columns, values = _row(p.c_soft, c)
    held = dict(zip(columns.tolist(), values.tolist(), strict=True))
    credit = [held.get(j, 0.0) for j in required]
    full = sum(x >= 0.999 for x in credit)
    lacking = [j for j, x in zip(required, credit, strict=True) if x < 0.999]  # partly held ones too
    codes.append(f"skills:{full}/{len(required)}")
    sentence = f"Heeft {full} van de {len(required)} gevraagde vaardigheden"
    if lacking:
        labels = [seen.skill_label(p, j) for j in lacking]
        codes.append("missing:" + "|".join(labels))
        more = f" en nog {len(labels) - 3}" if len(labels) > 3 else ""
        sentence += f" (mist: {', '.join(labels[:3])}{more})"
    text.append(sentence + ".")
    partly = [j for j in lacking if held.get(j, 0.0) > 0][:2]
    if partly:
        own = _row(p.c_skills, c)[0].tolist()
        text.extend(_partly(p, own, j) for j in partly)
    text.extend(seen.recognised_skills(p, v))


#: How many of a vacancy's recognised skill texts an explanation names.
RECOGNISED_SHOWN = 2


def _recognised(p: Prepared, written_texts: list[str]) -> list[str]:
    """A vacancy's required skill texts taken as a concept without being one of its labels (fuzzily or
    by meaning), with their confidence: a coach sees what the text was read as, and how close it was."""
    text: list[str] = []
    for written in written_texts:
        match = p.skill_matches.get(written)
        if match is None or match.code is None or match.confidence >= 1.0:
            continue
        label = _label(p, match.code, "skill")
        text.append(f"Vaardigheid '{written}' herkend als '{label}', {round(match.confidence * 100)}% overeenkomst.")
        if len(text) == RECOGNISED_SHOWN:
            break
    return text


def _partly(p: Prepared, own: list[int], j: int) -> str:
    """Why a required skill the candidate lacks still counts for part: the held skill it is linked to, and how."""
    names = p.skill_names
    near = dict(zip(*(a.tolist() for a in _row(p.similarity, j)), strict=True))  # symmetric: row j is column j
    source = max(own, key=lambda i: (near.get(i, 0.0), -i))
    link = "lijkt op"  # a free-text skill written nearly the same
    if names[j] in p.taxonomy.related.get(names[source], ()):
        link = RELATED_NL.get(p.taxonomy.related_by, "verwant aan")
    return f"Telt deels mee: {_label(p, names[j], 'skill')} ({link} {_label(p, names[source], 'skill')})."


def _occupation(p: Prepared, c: int, v: int, x: np.ndarray, *, codes: list[str], text: list[str]) -> None:
    occ = p.v_occ[v]
    if x[INDEX["same_occupation"]] == 1 and occ >= 0:
        name = p.taxonomy.label(p.occupation_codes[occ], "occupation")
        years = x[INDEX["occupation_years"]]
        codes.append(f"experience:{p.occupation_codes[occ]}:{years:g}")
        text.append(f"Ervaring als {name.lower()}" + (f" ({number(years)} jaar)." if years > 0 else "."))
    elif x[INDEX["same_sector"]] == 1:
        codes.append("experience:sector")
        text.append("Ervaring in dezelfde sector.")
    elif not p.c_has_occ[c]:
        text.append("Werkervaring onbekend.")


def _distance(p: Prepared, c: int, v: int, km: float, *, codes: list[str], text: list[str]) -> None:
    if math.isnan(km) or p.v_loc[v] == LOC_UNKNOWN:
        codes.append("km:?")
        text.append("Reisafstand onbekend (geen postcode of coördinaten).")
    elif p.c_loc[c] == LOC_REGION:
        codes.append(f"km:~{km:.0f}")
        text.append(f"Reisafstand ongeveer {km:.0f} km (geschat op de regio).")
    else:
        codes.append(f"km:{km:.0f}")
        text.append(f"Reisafstand {km:.0f} km (max. {p.c_max_km[c]:.0f} km).")


def _gaps(p: Prepared, c: int, v: int, codes: list[str], text: list[str]) -> None:
    soft = _row(p.v_soft, v)[0].tolist()
    held = set(_row(p.c_certs, c)[0].tolist())
    for j in soft:
        if j not in held:
            name = _label(p, p.cert_names[j], "certificate")
            codes.append(f"soft_gap:{p.cert_names[j].removeprefix('txt:')}")
            text.append(f"{name} te behalen.")


def _hours(p: Prepared, c: int, v: int, codes: list[str], text: list[str]) -> None:
    """A place below the hours the candidate wants (allowed by the ``hours_below_min`` setting)."""
    hours, wanted = p.v_hours[v], p.c_hmin[c]
    if p.c_hours_known[c] and hours < wanted:
        codes.append(f"hours_below_min:{hours:g}")
        text.append(f"{number(hours)} uur, minder dan de gewenste {number(wanted)}.")


def _unknowns(p: Prepared, c: int, v: int, codes: list[str], text: list[str]) -> None:
    unknown = []
    if not math.isnan(p.v_lang[v]) and math.isnan(p.c_lang[c]):
        unknown.append(("language", "taalniveau"))
    if not math.isnan(p.v_edu[v]) and math.isnan(p.c_edu[c]):
        unknown.append(("education", "opleiding"))
    if not math.isnan(p.v_phys[v]) and math.isnan(p.c_phys[c]):
        unknown.append(("physical", "belastbaarheid"))
    if not p.c_hours_known[c]:
        unknown.append(("hours", "uren"))
    if unknown:
        codes.append("unknown:" + "|".join(k for k, _ in unknown))
        text.append("Onbekend, navragen: " + ", ".join(n for _, n in unknown) + ".")


def _lack(p: Prepared, c: int, v: int, r: Reason, km: float) -> tuple[list[str], str]:
    """What one failed rule means for this pair: compact items (``vca_basis``, ``B``) and Dutch detail."""
    if r is Reason.CERTIFICATE:
        held = set(_row(p.c_certs, c)[0].tolist())
        keys = [p.cert_names[j] for j in _row(p.v_hard, v)[0].tolist() if j not in held]
        names = ", ".join(_label(p, k, "certificate") for k in keys)
        return [k.removeprefix("txt:") for k in keys], f"mist certificaat {names}"
    if r is Reason.LICENCE:
        lacking = [LICENCES[i] for i in np.flatnonzero(p.v_licences[v] & ~p.c_licences[c])]
        return lacking, "mist rijbewijs " + ", ".join(lacking)
    if r is Reason.LANGUAGE:
        need = _level("language", p.v_lang[v])
        return [f"taal {need}"], f"taalniveau {_level('language', p.c_lang[c])}, vereist {need}"
    if r is Reason.EDUCATION:
        need = _level("education", p.v_edu[v])
        return [f"opleiding {need}"], f"opleiding {_level('education', p.c_edu[c])}, vereist {need}"
    if r is Reason.PHYSICAL:
        load = _level("physical", p.v_phys[v])
        return [f"belastbaarheid {load}"], f"werk is {load}, kandidaat kan {_level('physical', p.c_phys[c])} aan"
    if r is Reason.HOURS:
        return [
            f"uren {p.v_hours[v]:g}"
        ], f"vacature {number(p.v_hours[v])} uur, kandidaat {number(p.c_hmin[c])}–{number(p.c_hmax[c])} uur"
    if r is Reason.DISTANCE:
        return [f"afstand {km:.0f} km"], f"{km:.0f} km, maximaal {p.c_max_km[c]:.0f} km"
    if r is Reason.AVAILABILITY:
        return ["beschikbaarheid"], f"beschikbaar vanaf {p.c_available[c]}"
    return [RULE[r].code], RULE[r].text


def _ineligible(p: Prepared, c: int, v: int, bits: int, km: float, *, codes: list[str], text: list[str]) -> None:
    failed = [r for r in Reason if bits & r]
    codes.append("not_eligible:" + "|".join(RULE[r].code for r in failed))
    text.append("Niet geschikt: " + "; ".join(_lack(p, c, v, r, km)[1] for r in failed) + ".")


def _weightiest(contributions: np.ndarray) -> np.ndarray:
    """Per row, the features by how much they weighed, most first; equal weights (to the last bits,
    which depend on how many pairs were scored at once) in feature order."""
    return np.argsort(-np.round(np.abs(contributions), 9), axis=1, kind="stable")


def _top(contrib: list[float], order: list[int], codes: list[str], text: list[str]) -> None:
    """The (at most three) features that weighed most, each named once, in the order ``order`` gives."""
    seen: list[tuple[str, float]] = []
    said: set[str | None] = set()  # their Dutch names
    for j in order:
        if abs(contrib[j]) < 1e-3 or len(seen) == 3:
            break
        name = FEATURES[j]
        if name.startswith(("group_", "type_")) or FEATURE_NL.get(name) in said:
            continue
        seen.append((name, contrib[j]))
        said.add(FEATURE_NL.get(name))
    if seen:
        codes.append("top:" + "|".join(("+" if w > 0 else "-") + n for n, w in seen))
        plus = [FEATURE_NL.get(n, n) for n, w in seen if w > 0]
        minus = [FEATURE_NL.get(n, n) for n, w in seen if w < 0]
        if plus:
            text.append("Spreekt het meest voor: " + ", ".join(plus) + ".")
        if minus:
            text.append("Spreekt het meest tegen: " + ", ".join(minus) + ".")


def explain(p: Prepared, s: Screen, x: np.ndarray | None, contributions: np.ndarray | None) -> list[Explanation]:
    """An explanation per screened pair; ``x``/``contributions`` rows align with the eligible pairs."""
    out: list[Explanation] = []
    eligible_row = (np.cumsum(s.eligible) - 1).tolist()
    seen = _Seen()  # what the pairs of one call share (a suggestion's: its vacancy), worked out once
    orders = _weightiest(contributions).tolist() if contributions is not None else None
    weights = contributions.tolist() if contributions is not None else None
    pairs = zip(s.ci.tolist(), s.vi.tolist(), s.reasons.tolist(), s.km.tolist(), eligible_row, strict=True)
    for c, v, bits, km, row in pairs:
        codes: list[str] = []
        text: list[str] = []
        if bits:
            _ineligible(p, c, v, bits, km, codes=codes, text=text)
        _skills(p, c, v, seen, codes=codes, text=text)
        if x is not None and not bits:
            _occupation(p, c, v, x[row], codes=codes, text=text)
        _distance(p, c, v, km, codes=codes, text=text)
        _gaps(p, c, v, codes, text)
        if not bits:
            _hours(p, c, v, codes, text)
        _unknowns(p, c, v, codes, text)
        if orders is not None and weights is not None and not bits:
            _top(weights[row], orders[row], codes, text)
        out.append(Explanation(tuple(codes), " ".join(text)))
    return out


def missing(p: Prepared, c: int, v: int, bits: int, km: float) -> str:
    """What a candidate lacks for a vacancy, compactly (``vca_basis; B; taal B1``): training advice."""
    return "; ".join(item for r in Reason if bits & r for item in _lack(p, c, v, r, km)[0])
