"""The synthetic world's vocabulary: the built-in taxonomy's concepts, plus real regions and towns.

Occupations, skills and certificates come from the built-in taxonomy's tables
(:func:`matching.taxonomy.builtin_tables`, the product's own taxonomy), so the world speaks the language
the matcher is built for; so do the occupations' typical profiles (certificates, licences, hours, …).
The world adds what only a generator needs: one misspelt vacancy title per occupation (which the
taxonomy does not know), and the regions it is set in.

Provenance: town-centre coordinates and PC4 postcodes are real (every PC4 exists in the
GeoNames-derived ``pc4_centroids.csv`` of the project's reference data, GeoNames CC BY 4.0, and lies
within a few kilometres of its town centre). Region names and codes are the CBS 2025 arbeidsmarktregio
names and codes; town membership follows the 2015 UWV region table (Besluit werkgebieden UWV 2015).
Population weights, shares and sector weights are hand-made approximations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from matching.taxonomy import builtin_tables

__all__ = [
    "CERTIFICATES",
    "CERTIFICATES_BY_CODE",
    "OCCUPATIONS",
    "OCCUPATIONS_BY_SECTOR",
    "REGIONS",
    "REGIONS_BY_NAME",
    "SECTORS",
    "SKILLS",
    "SKILLS_BY_CODE",
    "TYPO_TITLES",
    "Certificate",
    "Occupation",
    "Region",
    "Skill",
    "Town",
]

#: One misspelt vacancy title per occupation, as real vacancies have them.
TYPO_TITLES: dict[str, str] = {
    "timmerman": "Timerman",
    "metselaar": "Metslaar",
    "tegelzetter": "Tegelzeter",
    "schilder": "Schlder",
    "stukadoor": "Stukkadoor",
    "betonvlechter": "Betonvlegter",
    "dakdekker": "Dakdekkker",
    "steigerbouwer": "Steigerbouer",
    "sloper": "Slooper",
    "bouwplaatsmedewerker": "Bouwplaatsmedewerkr",
    "isolatiemonteur": "Isolatiemontuer",
    "grondwerker": "Grondwerkr",
    "straatmaker": "Straatmker",
    "straatmaker_assistent": "Asistent straatmaker",
    "asfaltwerker": "Asvaltwerker",
    "rioleringsmedewerker": "Rioleringsmedwerker",
    "grondverzetmachinist": "Machinist grondverzett",
    "verkeersregelaar": "Verkeersregelar",
    "kabelwerker": "Kabelwerkr",
    "elektromonteur": "Elektormonteur",
    "loodgieter": "Loodgiter",
    "cv_monteur": "Cv-monteuer",
    "lasser": "Laser MIG/MAG",
    "constructiebankwerker": "Constructiebankwerkr",
    "zonnepanelenmonteur": "Zonnepannelenmonteur",
    "hovenier": "Hovernier",
    "groenvoorziener": "Medewerker groenvoorzieing",
    "tuinbouwmedewerker": "Tuinbouwmederwerker",
    "schoonmaker": "Schoonmaakmederwerker",
    "glazenwasser": "Glazewasser",
    "bouwschoonmaker": "Bouwschoonmaaker",
    "belader": "Beladder",
    "orderpicker": "Orderpikker",
    "magazijnmedewerker": "Magazijmedewerker",
    "heftruckchauffeur": "Heftruckchaufeur",
    "vrachtwagenchauffeur": "Vrachtwagenchauffuer",
    "pakketbezorger": "Pakketbezorgr",
    "productiemedewerker": "Produktiemedewerker",
    "inpakker": "Inpaker",
    "machineoperator": "Machineopperator",
    "assemblagemedewerker": "Assamblagemedewerker",
    "medewerker_prefab": "Medewerker prefab houbouw",
    "zorghulp": "Zorghlup",
    "helpende_zorg_welzijn": "Helpende zorg en welzjin",
    "huishoudelijke_hulp": "Huishoudelijke hlup",
    "facilitair_medewerker": "Facilitair medwerker",
    "gastheer_gastvrouw": "Gastheer/gastvrou",
    "keukenhulp": "Keukenhulpp",
    "afwasser": "Afwaser",
    "kok": "Kock",
    "servicedesk_medewerker": "Servicedeskmedeweker",
    "werkplekbeheerder": "Werkplekbeheeder",
    "softwaretester": "Sofwaretester",
}


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill with Dutch and English labels and an optional ESCO skill URI."""

    code: str
    nl: str
    en: str
    synonyms: tuple[str, ...] = ()
    esco_uri: str | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate or short-course diploma that vacancies ask for."""

    code: str
    nl: str
    en: str
    synonyms: tuple[str, ...] = ()
    trainable: bool = True


@dataclass(frozen=True, slots=True)
class Occupation:
    """An occupation as offered in SROI vacancies, with its typical requirements."""

    code: str
    sector: str
    nl: str
    en: str
    esco_uri: str | None
    titles: tuple[str, ...]
    essential_skills: tuple[str, ...]
    optional_skills: tuple[str, ...]
    certificates: tuple[str, ...]
    licences: tuple[str, ...]
    physical_load: str
    min_language: str
    min_education: str | None
    hours: tuple[int, ...]
    entry_level: bool


def _rows(frame: pd.DataFrame, *columns: str) -> list[list[str]]:
    """The cells of ``columns`` row by row, as text (an empty cell is ``""``)."""
    cells = zip(*(frame[column] for column in columns), strict=True)
    return [[cell if isinstance(cell, str) else "" for cell in row] for row in cells]


def _lines(cell: str) -> tuple[str, ...]:
    return tuple(cell.splitlines())


def _items(cell: str) -> tuple[str, ...]:
    return tuple(x for x in cell.split(";") if x)


def _records() -> tuple[tuple[Skill, ...], tuple[Certificate, ...], tuple[Occupation, ...]]:
    tables = builtin_tables()
    skills = tuple(
        Skill(code, nl, en, _lines(alt), uri or None)
        for code, nl, en, alt, uri in _rows(tables.skills, "code", "label", "englishLabel", "synonyms", "escoUri")
    )
    certificates = tuple(
        Certificate(code, nl, en, _lines(alt), trainable == "true")
        for code, nl, en, alt, trainable in _rows(
            tables.certificates, "code", "label", "englishLabel", "synonyms", "trainable"
        )
    )
    columns = (
        *("code", "sector", "label", "englishLabel", "escoUri", "synonyms", "essentialSkills", "optionalSkills"),
        *("certificates", "licences", "physicalLoad", "minLanguage", "minEducation", "hours", "entryLevel"),
    )
    occupations = tuple(
        Occupation(
            code=code,
            sector=sector,
            nl=nl,
            en=en,
            esco_uri=uri or None,
            titles=_lines(titles),
            essential_skills=_items(essential),
            optional_skills=_items(optional),
            certificates=_items(certs),
            licences=_items(licences),
            physical_load=load,
            min_language=language,
            min_education=education or None,
            hours=tuple(int(h) for h in _items(hours)),
            entry_level=entry == "true",
        )
        for (
            code,
            sector,
            nl,
            en,
            uri,
            titles,
            essential,
            optional,
            certs,
            licences,
            load,
            language,
            education,
            hours,
            entry,
        ) in _rows(tables.occupations, *columns)
    )
    return skills, certificates, occupations


SKILLS, CERTIFICATES, _OCCUPATIONS = _records()
#: The occupations as vacancies title them in this world: the taxonomy's titles plus the misspelt one.
OCCUPATIONS: tuple[Occupation, ...] = tuple(
    replace(occ, titles=(*occ.titles, TYPO_TITLES[occ.code])) for occ in _OCCUPATIONS
)
#: The sectors, in the taxonomy's order.
SECTORS: tuple[str, ...] = tuple(dict.fromkeys(occ.sector for occ in OCCUPATIONS))


@dataclass(frozen=True, slots=True)
class Town:
    """A real town with its centre (WGS84) and some of its real PC4 postcodes."""

    name: str
    lat: float
    lon: float
    postcodes: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Region:
    """A labour-market region (arbeidsmarktregio) of the synthetic world."""

    name: str
    code: str
    towns: tuple[Town, ...]
    share: float
    sector_weights: dict[str, float]
    valuation_scheme: str


# ---------------------------------------------------------------------------
# Regions and towns
# ---------------------------------------------------------------------------
# Town weights are rounded population shares within the region (they sum to 1).
# Sector weights are the relative share of SROI vacancies per sector (they sum
# to 1). Groningen leans on bouw, infra and techniek because of the
# earthquake-reinforcement tenders and the 1000-banenplan.

REGIONS: tuple[Region, ...] = (
    Region(
        name="Groningen",
        code="AM01",
        towns=(
            Town("Groningen", 53.2194, 6.5665, ("9711", "9712", "9713", "9716", "9722", "9725", "9731", "9741"), 0.564),
            Town("Assen", 52.9925, 6.5649, ("9401", "9402", "9403", "9404", "9405", "9406"), 0.163),
            Town("Hoogezand", 53.1617, 6.7600, ("9601", "9602", "9603"), 0.050),
            Town("Veendam", 53.1065, 6.8790, ("9641", "9642", "9645", "9646"), 0.053),
            Town("Stadskanaal", 52.9893, 6.9504, ("9501", "9502", "9503"), 0.048),
            Town("Delfzijl", 53.3300, 6.9180, ("9931", "9932", "9933", "9934", "9936"), 0.053),
            Town("Winschoten", 53.1442, 7.0347, ("9671", "9672", "9673", "9674", "9675"), 0.043),
            Town("Appingedam", 53.3217, 6.8580, ("9901", "9902", "9903"), 0.026),
        ),
        share=0.30,
        sector_weights={
            "bouw": 0.24,
            "infra": 0.14,
            "techniek": 0.16,
            "groen": 0.05,
            "schoonmaak": 0.07,
            "logistiek": 0.10,
            "productie": 0.07,
            "zorg": 0.10,
            "horeca": 0.04,
            "ict": 0.03,
        },
        valuation_scheme="oost_nl",
    ),
    # Helmond belongs to the separate region Helmond-De Peel (AM32), not to
    # Zuidoost-Brabant, so it is not listed here.
    Region(
        name="Zuidoost-Brabant",
        code="AM28",
        towns=(
            Town("Eindhoven", 51.4416, 5.4697, ("5611", "5612", "5615", "5616", "5621", "5623", "5641", "5651"), 0.618),
            Town("Veldhoven", 51.4180, 5.4027, ("5501", "5502", "5503", "5505", "5506"), 0.119),
            Town("Valkenswaard", 51.3506, 5.4597, ("5552", "5553", "5554", "5555"), 0.081),
            Town("Best", 51.5075, 5.3903, ("5682", "5683", "5684", "5685"), 0.078),
            Town("Nuenen", 51.4700, 5.5522, ("5671", "5672", "5673", "5674"), 0.060),
            Town("Waalre", 51.3867, 5.4447, ("5581", "5582", "5583"), 0.044),
        ),
        share=0.15,
        sector_weights={
            "bouw": 0.14,
            "infra": 0.08,
            "techniek": 0.20,
            "groen": 0.04,
            "schoonmaak": 0.08,
            "logistiek": 0.11,
            "productie": 0.15,
            "zorg": 0.09,
            "horeca": 0.05,
            "ict": 0.06,
        },
        valuation_scheme="oost_nl",
    ),
    Region(
        name="Noordoost-Brabant",
        code="AM27",
        towns=(
            Town("'s-Hertogenbosch", 51.6978, 5.3037, ("5211", "5212", "5213", "5223", "5231", "5232"), 0.432),
            Town("Oss", 51.7650, 5.5181, ("5341", "5342", "5344", "5345", "5346", "5348"), 0.162),
            Town("Uden", 51.6607, 5.6194, ("5401", "5402", "5403", "5404", "5406"), 0.114),
            Town("Veghel", 51.6167, 5.5486, ("5461", "5462", "5463", "5467"), 0.086),
            Town("Boxtel", 51.5908, 5.3292, ("5281", "5282", "5283"), 0.084),
            Town("Vught", 51.6533, 5.2875, ("5261", "5262", "5263"), 0.073),
            Town("Cuijk", 51.7275, 5.8792, ("5431", "5432", "5434"), 0.049),
        ),
        share=0.13,
        sector_weights={
            "bouw": 0.15,
            "infra": 0.09,
            "techniek": 0.14,
            "groen": 0.05,
            "schoonmaak": 0.08,
            "logistiek": 0.17,
            "productie": 0.14,
            "zorg": 0.10,
            "horeca": 0.05,
            "ict": 0.03,
        },
        valuation_scheme="oost_nl",
    ),
    Region(
        name="Holland Rijnland",
        code="AM19",
        towns=(
            Town("Leiden", 52.1601, 4.4970, ("2311", "2312", "2313", "2315", "2316", "2321", "2333", "2334"), 0.398),
            Town("Alphen aan den Rijn", 52.1291, 4.6553, ("2404", "2405", "2406", "2408"), 0.236),
            Town("Katwijk", 52.2000, 4.4167, ("2221", "2222", "2223", "2224", "2225"), 0.142),
            Town("Leiderdorp", 52.1583, 4.5292, ("2351", "2352", "2353"), 0.088),
            Town("Oegstgeest", 52.1800, 4.4694, ("2341", "2342", "2343"), 0.079),
            Town("Noordwijk", 52.2350, 4.4431, ("2201", "2202", "2203"), 0.057),
        ),
        share=0.12,
        sector_weights={
            "bouw": 0.15,
            "infra": 0.10,
            "techniek": 0.12,
            "groen": 0.12,
            "schoonmaak": 0.09,
            "logistiek": 0.10,
            "productie": 0.06,
            "zorg": 0.12,
            "horeca": 0.08,
            "ict": 0.06,
        },
        valuation_scheme="holland_rijnland",
    ),
    Region(
        name="Midden-Utrecht",
        code="AM13",
        towns=(
            Town("Utrecht", 52.0907, 5.1214, ("3511", "3512", "3513", "3521", "3531", "3551", "3572", "3581"), 0.569),
            Town("Nieuwegein", 52.0292, 5.0806, ("3431", "3432", "3435", "3436", "3437"), 0.099),
            Town("Zeist", 52.0894, 5.2331, ("3701", "3702", "3703", "3704", "3705", "3706"), 0.080),
            Town("Houten", 52.0283, 5.1681, ("3991", "3992", "3993", "3994", "3995"), 0.077),
            Town("Woerden", 52.0853, 4.8833, ("3441", "3442", "3443", "3445", "3447"), 0.062),
            Town("Maarssen", 52.1350, 5.0400, ("3601", "3602", "3603", "3604", "3605", "3606"), 0.060),
            Town("IJsselstein", 52.0200, 5.0431, ("3401", "3402", "3403", "3404"), 0.053),
        ),
        share=0.18,
        sector_weights={
            "bouw": 0.16,
            "infra": 0.12,
            "techniek": 0.13,
            "groen": 0.05,
            "schoonmaak": 0.11,
            "logistiek": 0.09,
            "productie": 0.04,
            "zorg": 0.13,
            "horeca": 0.08,
            "ict": 0.09,
        },
        valuation_scheme="utrecht",
    ),
    Region(
        name="Twente",
        code="AM05",
        towns=(
            Town("Enschede", 52.2215, 6.8937, ("7511", "7512", "7513", "7514", "7523", "7531", "7533", "7541"), 0.377),
            Town("Hengelo", 52.2650, 6.7931, ("7551", "7552", "7553", "7555", "7556", "7557"), 0.191),
            Town("Almelo", 52.3567, 6.6625, ("7601", "7602", "7604", "7605", "7607"), 0.173),
            Town("Oldenzaal", 52.3133, 6.9281, ("7571", "7572", "7573", "7574", "7575"), 0.076),
            Town("Rijssen", 52.3067, 6.5167, ("7461", "7462", "7463"), 0.069),
            Town("Borne", 52.3000, 6.7500, ("7621", "7622", "7623"), 0.057),
            Town("Haaksbergen", 52.1567, 6.7389, ("7481", "7482", "7483"), 0.057),
        ),
        share=0.12,
        sector_weights={
            "bouw": 0.17,
            "infra": 0.10,
            "techniek": 0.17,
            "groen": 0.05,
            "schoonmaak": 0.07,
            "logistiek": 0.11,
            "productie": 0.14,
            "zorg": 0.10,
            "horeca": 0.05,
            "ict": 0.04,
        },
        valuation_scheme="oost_nl",
    ),
)


SKILLS_BY_CODE: dict[str, Skill] = {skill.code: skill for skill in SKILLS}
CERTIFICATES_BY_CODE: dict[str, Certificate] = {cert.code: cert for cert in CERTIFICATES}
REGIONS_BY_NAME: dict[str, Region] = {region.name: region for region in REGIONS}
OCCUPATIONS_BY_SECTOR: dict[str, tuple[Occupation, ...]] = {
    sector: tuple(occ for occ in OCCUPATIONS if occ.sector == sector) for sector in SECTORS
}
