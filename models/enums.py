"""Enumerated values of the data exchange format (``shared/specs/data-format.md``).

The values are the Dutch domain terms exactly as the spec gives them. Ordinal enums
(education, language, physical load) also carry their rank so rules can compare them.
"""

from __future__ import annotations

from enum import StrEnum


class TargetGroup(StrEnum):
    """The target group a candidate belongs to (fixed on the award date for valuation)."""

    PARTICIPATIEWET = "participatiewet"
    BANENAFSPRAAK = "banenafspraak"
    WAJONG = "wajong"
    WIA = "wia"
    WSW = "wsw"
    WW = "ww"
    NUG = "nug"
    PRO_VSO = "pro_vso"
    STATUSHOUDER = "statushouder"
    OTHER = "other"


class EducationLevel(StrEnum):
    """Highest completed education, ordered from lowest to highest."""

    GEEN = "geen"
    VMBO = "vmbo"
    MBO1 = "mbo1"
    MBO2 = "mbo2"
    MBO3 = "mbo3"
    MBO4 = "mbo4"
    HAVO = "havo"
    VWO = "vwo"
    HBO = "hbo"
    WO = "wo"


class LanguageLevel(StrEnum):
    """Dutch language level on the CEFR scale, ordered from lowest to highest."""

    A0 = "A0"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


class PhysicalLoad(StrEnum):
    """Physical load of work, or the heaviest work a candidate can do (ordered)."""

    LICHT = "licht"
    MIDDEL = "middel"
    ZWAAR = "zwaar"


class DrivingLicence(StrEnum):
    """Dutch driving licence categories."""

    AM = "AM"
    B = "B"
    BE = "BE"
    C = "C"
    CE = "CE"
    D = "D"
    T = "T"


class CandidateStatus(StrEnum):
    """Where a candidate stands; only ``beschikbaar`` candidates are matched."""

    BESCHIKBAAR = "beschikbaar"
    GEPLAATST = "geplaatst"
    INACTIEF = "inactief"


class PsoLevel(StrEnum):
    """Prestatieladder Socialer Ondernemen certification of a contractor (ordered)."""

    GEEN = "geen"
    ASPIRANT = "aspirant"
    BASIS = "basis"
    TREDE1 = "trede1"
    TREDE2 = "trede2"
    TREDE3 = "trede3"
    PLUS30 = "30plus"


class PlacementType(StrEnum):
    """The kind of place a vacancy offers."""

    BAAN = "baan"
    BBL = "bbl"
    BOL_STAGE = "bol_stage"
    WERKERVARINGSPLEK = "werkervaringsplek"
    PROEFPLAATSING = "proefplaatsing"


class ContractType(StrEnum):
    """The contract of a registered placement."""

    TIJDELIJK = "tijdelijk"
    VAST = "vast"
    BBL = "bbl"
    STAGE = "stage"
    WERKERVARING = "werkervaring"


class ContributionKind(StrEnum):
    """A contribution to an obligation that is not a placement (a non-placement building block)."""

    INKOOP_SOCIALE_ONDERNEMING = "inkoop_sociale_onderneming"  # a purchase, at invoice value excl. VAT
    KENNISDELING = "kennisdeling"  # knowledge sharing or help to a social initiative, per employee-hour
    MAATSCHAPPELIJKE_ACTIVITEIT = "maatschappelijke_activiteit"  # a social activity, per day


class PlacementStatus(StrEnum):
    """Life cycle of a placement: voorgesteld → geaccepteerd → gestart → beeindigd."""

    VOORGESTELD = "voorgesteld"
    GEACCEPTEERD = "geaccepteerd"
    GESTART = "gestart"
    BEEINDIGD = "beeindigd"


#: Enums whose order carries meaning (lowest first).
ORDERED_ENUMS: tuple[type[StrEnum], ...] = (EducationLevel, LanguageLevel, PhysicalLoad, PsoLevel)


def rank(value: StrEnum) -> int:
    """Position of ``value`` within its (ordered) enum, lowest = 0."""
    return list(type(value)).index(value)
