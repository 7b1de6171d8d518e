"""The rule book: every hard rule and every pair feature worked out from a pair's values, defined once.

A hard rule is a :class:`Rule`: its :class:`Reason` bit, a code and Dutch text for explanations,
whether training can remove it (the advice for unplaced candidates looks past such a rule, never
past another) and whether a coach's lock may overrule it. Its test is a plain scalar function below,
compiled with numba and inlined (``inline="always"``) wherever it is applied:

- the numpy reference (:func:`matching.eligibility.screen`) applies it to whole arrays as a ufunc made
  from the same source (:func:`ufunc`);
- the compiled screen and sweep of the batch match (:mod:`matching.kernels`) call it pair by pair;
- the training-needs screen (:mod:`matching.monitoring.training`) applies the ufuncs to its blocks;
- lock checks and the nearest-vacancy advice read the metadata (:data:`LOCKS_MAY_OVERRULE`,
  :data:`TRAINING_CANNOT_REMOVE`), explanations the texts (:data:`RULES`).

The pair features of :mod:`matching.features` that are worked out from a few numbers of the pair are
defined the same way; the reference, the compiled features and the score bound (:mod:`matching.bound`)
all call these functions.

What is unknown never excludes: an unknown level, hour count or date is NaN, and NaN compares False.
Days are float days since the epoch (NaN: unknown), so a date rule reads like any other number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntFlag
from functools import cache
from typing import Any

import numba
import numpy as np

from matching.geo import EARTH_RADIUS_KM


class Reason(IntFlag):
    """Why a pair is not eligible (combinable)."""

    NO_CONSENT = 1 << 0
    STATUS = 1 << 1
    CERTIFICATE = 1 << 2
    LICENCE = 1 << 3
    LANGUAGE = 1 << 4
    EDUCATION = 1 << 5
    PHYSICAL = 1 << 6
    HOURS = 1 << 7
    AVAILABILITY = 1 << 8
    DISTANCE = 1 << 9
    PREVIOUS_EMPLOYER = 1 << 10
    TARGET_GROUP = 1 << 11
    NOT_ADDITIONAL = 1 << 12


@dataclass(frozen=True)
class Rule:
    """A hard rule's metadata.

    Attributes:
        reason: its bit.
        code: short code for programs (``not_eligible:hours``).
        text: why the pair is excluded, in Dutch, for explanations.
        trainable: training or time can remove it (a course, a licence, a later start): the advice for
            unplaced candidates names the nearest vacancy they fall short of on such rules only.
        lockable: a coach's lock may overrule it (never consent, availability status or displacement).
    """

    reason: Reason
    code: str
    text: str
    trainable: bool
    lockable: bool


RULES: tuple[Rule, ...] = (
    Rule(Reason.NO_CONSENT, "no_consent", "geen toestemming om te matchen", trainable=False, lockable=False),
    Rule(Reason.STATUS, "status", "niet beschikbaar (status)", trainable=False, lockable=False),
    Rule(Reason.CERTIFICATE, "certificate", "mist een vereist certificaat", trainable=True, lockable=True),
    Rule(Reason.LICENCE, "licence", "mist een vereist rijbewijs", trainable=True, lockable=True),
    Rule(Reason.LANGUAGE, "language", "taalniveau onder het minimum", trainable=True, lockable=True),
    Rule(Reason.EDUCATION, "education", "opleiding onder het minimum", trainable=True, lockable=True),
    Rule(Reason.PHYSICAL, "physical", "werk is fysiek te zwaar", trainable=True, lockable=True),
    Rule(Reason.HOURS, "hours", "uren passen niet", trainable=True, lockable=True),
    Rule(Reason.AVAILABILITY, "availability", "pas later beschikbaar", trainable=True, lockable=True),
    Rule(Reason.DISTANCE, "distance", "te ver weg", trainable=True, lockable=True),
    Rule(
        Reason.PREVIOUS_EMPLOYER,
        "previous_employer",
        "werkte eerder bij deze werkgever (verdringing)",
        trainable=False,
        lockable=False,
    ),
    Rule(
        Reason.TARGET_GROUP,
        "target_group",
        "doelgroep telt niet voor deze verplichting",
        trainable=False,
        lockable=True,
    ),
    Rule(
        Reason.NOT_ADDITIONAL,
        "not_additional",
        "plaats is niet additioneel (verdringing)",
        trainable=False,
        lockable=False,
    ),
)
RULE: dict[Reason, Rule] = {r.reason: r for r in RULES}


def _union(reasons: list[Reason]) -> Reason:
    out = Reason(0)
    for r in reasons:
        out |= r
    return out


#: Reasons no training can remove: a vacancy failing on these is never a candidate's "nearest".
TRAINING_CANNOT_REMOVE = _union([r.reason for r in RULES if not r.trainable])
#: Reasons a coach's lock may overrule; a lock on a pair failing any other is refused.
LOCKS_MAY_OVERRULE = _union([r.reason for r in RULES if r.lockable])


def reason_codes(bits: int) -> list[str]:
    return [RULE[reason].code for reason in Reason if bits & reason]


def reason_texts(bits: int) -> list[str]:
    return [RULE[reason].text for reason in Reason if bits & reason]


def _scalar(fn: Callable[..., Any]) -> Any:
    """A rule or feature: compiled, and inlined into every kernel that calls it."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(fn)


def ufunc(fn: Any) -> Callable[..., Any]:
    """The scalar rule or feature ``fn`` as a numpy ufunc, compiled from the same source: the numpy
    reference applies it to whole columns (broadcasting as numpy does). NaN is unknown, not an error."""
    compiled = _vectorised(fn)

    def apply(*args: Any) -> Any:
        with np.errstate(invalid="ignore", divide="ignore"):
            return compiled(*args)

    return apply


@cache
def _vectorised(fn: Any) -> Any:
    return numba.vectorize(cache=True, nopython=True)(fn.py_func)  # type: ignore[no-untyped-call]


# -- hard rules: True excludes the pair --------------------------------------------------------------
@_scalar
def lacks_consent(consent: float) -> bool:
    return consent == 0


@_scalar
def not_available_status(consent: float, matchable: float) -> bool:
    """Consented, but not available for matching (status); without consent, consent is the reason."""
    return consent != 0 and matchable == 0


@_scalar
def misses_items(missing: float) -> bool:
    """Required certificates (not trainable) or driving licences the candidate lacks."""
    return missing > 0


@_scalar
def below_level(held: float, required: float) -> bool:
    """Language, education or physical capacity below what the vacancy asks (unknown: NaN, never)."""
    return held < required


@_scalar
def hours_outside(hours: float, hours_min: float, hours_max: float, below_min: float) -> bool:
    """``hours_max`` is what a person can work (belastbaarheid): a place above it never fits. Below
    ``hours_min`` a place fits within ``below_min`` hours (the ``hours_below_min`` setting, default 0)."""
    return hours > hours_max or hours < hours_min - below_min


@_scalar
def open_from(start: float, today: float) -> float:
    """The day a place is open: its start, or today when it has started or its start is unknown."""
    return today if np.isnan(start) or start < today else start


@_scalar
def available_too_late(available: float, opens: float, grace: float) -> bool:
    """Available more than ``grace`` days after the place opens (:func:`open_from`; unknown: never)."""
    return available > opens + grace


@_scalar
def beyond_reach(chord2: float, chord2_max: float) -> bool:
    """Farther than the candidate travels: squared chords between unit vectors (:func:`chord2`)."""
    return chord2 > chord2_max


@_scalar
def worked_there(previous: float) -> bool:
    """The candidate worked for the vacancy's contractor before (proefplaatsing rule, displacement)."""
    return previous > 0


@_scalar
def group_not_counted(group: float, counted: float) -> bool:
    """The candidate's target group (known, ``group >= 0``) does not count for the place's obligation."""
    return group >= 0 and counted == 0


@_scalar
def not_additional(additional: float) -> bool:
    return additional == 0


# -- distance -----------------------------------------------------------------------------------------


@_scalar
def chord2(ax: float, ay: float, az: float, bx: float, by: float, bz: float) -> float:  # noqa: PLR0917
    """Squared chord between two points as unit vectors (NaN when either is unknown)."""
    dx, dy, dz = ax - bx, ay - by, az - bz
    return dx * dx + dy * dy + dz * dz


@_scalar
def chord2_of_km(km: float) -> float:
    """The squared chord of a great-circle distance (a travel radius as :func:`beyond_reach` reads it)."""
    return float((2 * np.sin(min(km / (2 * EARTH_RADIUS_KM), np.pi / 2))) ** 2)


@_scalar
def km_of_chord2(c2: float) -> float:
    """Great-circle km from the squared chord between unit vectors."""
    return float(2 * EARTH_RADIUS_KM * np.arcsin(min(np.sqrt(c2) / 2, 1.0)))


# -- pair features (NaN: unknown) ----------------------------------------------------------------------
@_scalar
def coverage(credit: float, n_skills: float, has_skills: float) -> float:
    """Share of a vacancy's skills covered: Σ credit / number of skills; NaN when either side lists none."""
    if n_skills > 0 and has_skills != 0:
        return credit / n_skills
    return np.nan


@_scalar
def inferred_credit(years: float) -> float:
    """How far working in an occupation vouches for the skills ESCO relates to it: half for having done
    the work at all (years unknown or 0), growing with the years to all of it at two years."""
    if np.isnan(years) or years <= 0:
        return 0.5
    return min(0.5 + years / 4.0, 1.0)


@_scalar
def experience_years(years: float) -> float:
    """Years in the vacancy's occupation, counted up to 15 (NaN: unknown)."""
    if np.isnan(years):
        return years
    return min(years, 15.0)


@_scalar
def text_similarity(cosine: float) -> float:
    """Cosine of the latent text vectors; negative counts as unrelated (0)."""
    return min(max(cosine, 0.0), 1.0)


@_scalar
def distance_share(km: float, max_km: float) -> float:
    return km / max_km


@_scalar
def hours_gap(hours: float, hours_min: float, hours_max: float) -> float:
    """Hours per week outside the candidate's range (0 inside it; NaN when the place's are unknown)."""
    if np.isnan(hours):
        return np.nan
    return max(hours_min - hours, 0.0) + max(hours - hours_max, 0.0)


@_scalar
def margin(held: float, required: float) -> float:
    """Level held minus level required, in steps (NaN when either is unknown)."""
    return held - required


@_scalar
def availability_days(available: float, start: float) -> float:
    """Days between available-from and the start (negative: available earlier; NaN when unknown)."""
    return available - start


@_scalar
def location_quality(candidate: float, vacancy: float) -> float:
    """The worse of the two locations' quality (0 coordinates … 3 unknown)."""
    return max(candidate, vacancy)


@_scalar
def months_since(since: float, day: float) -> float:
    """Whole and part months from ``since`` to ``day`` (NaN when unknown or ``since`` lies after it)."""
    if not since <= day:
        return np.nan
    return (day - since) / 30.4375


def float_days(dates: np.ndarray) -> np.ndarray:
    """Dates as float days since the epoch, NaN where unknown (NaT): how the rules read dates."""
    d = np.asarray(dates, dtype="datetime64[D]")
    out = d.view(np.int64).astype(np.float64)
    out[np.isnat(d)] = np.nan
    return out


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points as unit vectors (NaN where unknown): :func:`chord2` of two is 4·hav(angle)."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)
