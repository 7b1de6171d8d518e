"""The seeded synthetic SROI world: contractors, obligations, vacancies, candidates, placements.

Same config and seed → byte-identical files. What it models (see ``data/synthetic/README.md``):

* labour-market regions with real town centres and PC4 codes, each with its own mix of sectors
  (Groningen heavy on bouw/techniek/infra for the earthquake-reinforcement tenders);
* contractors with headcounts (a few below their baseline: displacement warnings);
* tenders of EUR 200k–20M, mostly at 5%, some capped, some already ended (the history) and
  some starting after ``as_of`` (the tender calendar);
* vacancies with noisy real-world titles and labels, a few non-additional places;
* a candidate pool with realistic target-group shares, VCA and driving licences, language
  levels, and incomplete profiles (42% without education level, as UWV reports);
* a placement history chosen by a "status quo" coach (partial insight plus noise), whose
  retention labels are drawn from the documented hidden model in :mod:`data.synthetic.truth`.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from data.synthetic import surface
from data.synthetic import vocabulary as vocab
from data.synthetic.truth import SKILL_WRITINGS, TRUTH_MODELS, Hidden, HiddenModel, TruthModel, hidden_parts
from models.dataset import Dataset, Experience, table_from_records

T = TypeVar("T")

CERT_WEIGHTS = (0.62, 0.26, 0.04, 0.0, 0.08)

TARGET_GROUPS = {
    "participatiewet": 0.44,
    "ww": 0.13,
    "banenafspraak": 0.10,
    "statushouder": 0.09,
    "wajong": 0.06,
    "nug": 0.05,
    "pro_vso": 0.04,
    "wia": 0.03,
    "wsw": 0.03,
    "other": 0.03,
}
EDUCATION = {
    "geen": 0.12,
    "vmbo": 0.30,
    "mbo1": 0.15,
    "mbo2": 0.22,
    "mbo3": 0.10,
    "mbo4": 0.06,
    "havo": 0.02,
    "hbo": 0.02,
    "wo": 0.01,
}
FAMILY_NAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dijkstra", "Kok", "Postma", "Hoekstra",
    "Wijnands", "van der Heijden", "Brouwer", "Kuipers", "Veenstra", "Huisman", "Timmermans", "Verhoeven",
)  # fmt: skip
PREFIXES = {
    "bouw": ("Bouwbedrijf", "Aannemersbedrijf", "Bouwgroep", "Bouwcombinatie"),
    "infra": ("Infra", "Wegenbouw", "Grond- en Wegenbouw", "Civiel Techniek"),
    "techniek": ("Installatiebedrijf", "Installatietechniek", "Elektrotechniek", "Metaalbouw"),
    "groen": ("Groenvoorziening", "Hoveniersbedrijf", "Groenbeheer"),
    "schoonmaak": ("Schoonmaakbedrijf", "Facilitair Bedrijf", "Schoonmaakdiensten"),
    "logistiek": ("Transport", "Logistiek", "Distributiecentrum"),
    "productie": ("Productiebedrijf", "Metaalindustrie", "Verpakkingsindustrie"),
    "zorg": ("Zorggroep", "Thuiszorg", "Welzijnsorganisatie"),
    "horeca": ("Horecagroep", "Catering", "Partycentrum"),
    "ict": ("ICT Services", "IT Beheer", "Digitale Diensten"),
}
SUFFIXES = ("B.V.", "BV", "& Zn. B.V.", "Groep B.V.", "VOF")
TENDERS = {
    "bouw": ("Versterking woningen {town} fase {n}", "Renovatie scholencluster {town}", "Nieuwbouw sporthal {town}",
             "Verduurzaming huurwoningen {town}", "Onderhoud gemeentelijk vastgoed {town} {year}"),
    "infra": ("Reconstructie {town} centrum", "Vervanging riolering {town} fase {n}", "Onderhoud wegen {town} {year}",
              "Dijkversterking {town} perceel {n}", "Aanleg fietspad {town}"),
    "techniek": ("Installatieonderhoud gemeentelijke gebouwen {town}", "Verduurzaming installaties scholen {town}",
                 "Openbare verlichting {town} {year}", "Zonnepanelen gemeentelijk vastgoed {town}"),
    "groen": ("Groenonderhoud {town} perceel {n}", "Beheer openbare ruimte {town} {year}", "Boomonderhoud {town}"),
    "schoonmaak": ("Schoonmaak gemeentelijke gebouwen {town}", "Glasbewassing {town} {year}",
                   "Schoonmaak scholen {town}"),
    "logistiek": ("Inzameling huishoudelijk afval {town}", "Leerlingenvervoer {town} {year}",
                  "Facilitaire logistiek {town}"),
    "productie": ("Levering straatmeubilair {town}", "Productie verkeersborden {town} {year}",
                  "Levering bedrijfskleding {town}"),
    "zorg": ("Hulp bij het huishouden {town} {year}", "Dagbesteding {town}", "Begeleiding Wmo {town} perceel {n}"),
    "horeca": ("Catering gemeentehuis {town}", "Bedrijfsrestaurant {town} {year}", "Horeca sportcomplex {town}"),
    "ict": ("Werkplekbeheer gemeente {town}", "Servicedesk {town} {year}", "Hardware levering scholen {town}"),
}  # fmt: skip
PSO = {"geen": 0.3, "aspirant": 0.15, "basis": 0.2, "trede1": 0.15, "trede2": 0.1, "trede3": 0.07, "30plus": 0.03}
PLACEMENT_TYPES = {"baan": 0.68, "bbl": 0.14, "werkervaringsplek": 0.08, "proefplaatsing": 0.05, "bol_stage": 0.05}
CONTRACT_FOR_TYPE = {
    "bbl": "bbl",
    "werkervaringsplek": "werkervaring",
    "bol_stage": "stage",
    "proefplaatsing": "tijdelijk",
}
ALLOWED_GROUP_SETS = (
    (),
    ("participatiewet", "ww"),
    ("participatiewet", "banenafspraak", "wajong", "wsw"),
)


@dataclass(frozen=True)
class WorldConfig:
    """What to generate. ``vacancies`` counts every vacancy, past (history) and open."""

    candidates: int = 500
    vacancies: int = 120
    seed: int = 1
    as_of: date = date(2026, 10, 1)
    history_share: float = 0.4  # share of vacancies belonging to obligations that already ended
    contractors: int | None = None  # default: one per eight vacancies (at least 8)
    truth: str = "standard"  # the world's hidden retention model: a name in TRUTH_MODELS
    _streams: tuple[str, ...] = field(
        default=("contractors", "obligations", "vacancies", "candidates", "placements"), repr=False
    )


class Choice(Generic[T]):
    """A fixed discrete distribution, drawn by bisecting its cumulative weights (fast per draw)."""

    __slots__ = ("cdf", "items")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        w = np.asarray(weights, dtype=float)
        if len(items) == 0 or w.sum() <= 0:
            raise ValueError("a distribution needs at least one item with positive weight")
        self.items = list(items)
        self.cdf = list(np.cumsum(w / w.sum()))
        self.cdf[-1] = 1.0

    @classmethod
    def of(cls, table: dict[T, float]) -> Choice[T]:
        return cls(list(table), list(table.values()))

    def draw(self, rng: np.random.Generator) -> T:
        return self.items[min(bisect.bisect_right(self.cdf, rng.random()), len(self.items) - 1)]

    def draw_many(self, rng: np.random.Generator, size: int) -> list[T]:
        idx = np.minimum(np.searchsorted(self.cdf, rng.random(size), side="right"), len(self.items) - 1)
        return [self.items[i] for i in idx]


@cache
def _choice(table: tuple[tuple[str, float], ...]) -> Choice[str]:
    return Choice.of(dict(table))


POSITIONS = Choice([1, 2, 3, 4, 5, 6, 8, 10, 12], [0.55, 0.2, 0.1, 0.04, 0.03, 0.03, 0.02, 0.02, 0.01])
DROPPED_SKILLS = Choice([0, 1, 2], [0.5, 0.35, 0.15])


def _pick(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    return np.array(_choice(tuple(table.items())).draw_many(rng, size), dtype=object)


def _one(rng: np.random.Generator, table: dict[str, float]) -> str:
    return _choice(tuple(table.items())).draw(rng)


def _days(d: np.datetime64 | date) -> np.datetime64:
    return np.datetime64(np.asarray(d, dtype="datetime64[D]").item(), "D")


class _World:
    def __init__(self, config: WorldConfig) -> None:
        if config.candidates < 1 or config.vacancies < 1:
            raise ValueError("a world needs at least one candidate and one vacancy")
        if config.truth not in TRUTH_MODELS:
            raise ValueError(f"unknown truth model {config.truth!r}: choose from {', '.join(TRUTH_MODELS)}")
        self.cfg = config
        self.truth = truth_of(config)
        self.hidden = hidden_of(config)
        self.skill_weights_vacancy, self.skill_weights_candidate = SKILL_WRITINGS[self.truth.skill_writing]
        seeds = np.random.SeedSequence(config.seed).spawn(len(config._streams))
        self.rng = {name: np.random.default_rng(s) for name, s in zip(config._streams, seeds, strict=True)}
        self.as_of = _days(config.as_of)
        self.regions = vocab.REGIONS
        shares = np.array([r.share for r in self.regions])
        self.region_p = shares / shares.sum()
        self.town_choice = [Choice(r.towns, [t.weight for t in r.towns]) for r in self.regions]
        self.sector_choice = [
            Choice(vocab.SECTORS, [r.sector_weights.get(s, 0.0) for s in vocab.SECTORS]) for r in self.regions
        ]
        self.occupation_choice = {
            sector: Choice(occs, [2.0 if o.entry_level else 1.0 for o in occs])
            for sector, occs in vocab.OCCUPATIONS_BY_SECTOR.items()
        }

    # -- geography ---------------------------------------------------------------------------
    def _town(self, rng: np.random.Generator, region: int) -> vocab.Town:
        return self.town_choice[region].draw(rng)

    def _place(self, rng: np.random.Generator, region: int, spread: float = 0.03) -> tuple[str, float, float]:
        town = self._town(rng, region)
        pc = str(town.postcodes[int(rng.integers(len(town.postcodes)))])
        lat = round(town.lat + float(rng.normal(0, spread)), 5)
        lon = round(town.lon + float(rng.normal(0, spread * 1.6)), 5)
        return pc, lat, lon

    def _sector(self, rng: np.random.Generator, region: int) -> str:
        return self.sector_choice[region].draw(rng)

    def _occupation(self, rng: np.random.Generator, sector: str) -> vocab.Occupation:
        """An occupation of ``sector``; entry-level work is twice as likely (SROI work mostly is)."""
        return self.occupation_choice[sector].draw(rng)

    # -- contractors ---------------------------------------------------------------------------
    def contractors(self) -> pd.DataFrame:
        rng = self.rng["contractors"]
        n = _n_contractors(self.cfg)
        regions = rng.choice(len(self.regions), size=n, p=self.region_p)
        kvk_pool = rng.integers(10_000_000, 100_000_000, size=3 * n + 10)
        kvks = list(dict.fromkeys(int(k) for k in kvk_pool))[:n]
        records: list[dict[str, object]] = []
        names: set[str] = set()
        self.con_region = regions
        self.con_sector: list[str] = []
        for i in range(n):
            r = int(regions[i])
            sector = self._sector(rng, r)
            self.con_sector.append(sector)
            pc, lat, lon = self._place(rng, r, spread=0.02)
            prefixes = PREFIXES[sector]
            name = (
                f"{prefixes[int(rng.integers(len(prefixes)))]} {FAMILY_NAMES[int(rng.integers(len(FAMILY_NAMES)))]} "
                f"{SUFFIXES[int(rng.integers(len(SUFFIXES)))]}"
            )
            if name in names:
                name = f"{name} ({self._town(rng, r).name})"
            if name in names:
                name = f"{name} {i + 1}"
            names.add(name)
            baseline = int(np.clip(np.exp(rng.normal(np.log(60), 1.2)), 3, 5000))
            has_headcount = rng.random() < 0.9
            current = round(baseline * (1 + rng.normal(0.06, 0.05)))
            records.append(
                {
                    "contractor_id": surface.contractor_id(i),
                    "name": name,
                    "kvk": f"{kvks[i]:08d}" if rng.random() < 0.85 else None,
                    "postcode": pc,
                    "lat": lat,  # a contractor's main site is geocoded once by the employer service
                    "lon": lon,
                    "pso_level": _one(rng, PSO) if rng.random() < 0.6 else None,
                    "headcount_baseline": baseline if has_headcount else None,
                    "headcount_current": max(current, 1) if has_headcount else None,
                }
            )
        return table_from_records("contractors", records)

    # -- obligations ---------------------------------------------------------------------------
    def obligations(self, contractors: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng["obligations"]
        n_con = len(contractors)
        per = 1 + rng.poisson(0.8, size=n_con)
        owners = np.repeat(np.arange(n_con), per)
        n = len(owners)
        history = rng.random(n) < self.cfg.history_share
        if n >= 2:
            history[0], history[1] = True, False  # both kinds always exist
        records: list[dict[str, object]] = []
        k_ids = contractors["contractor_id"].tolist()
        self.obl_history = history
        self.obl_owner = owners
        self.obl_sector: list[str] = []
        self.obl_weight = np.zeros(n)
        for i, k in enumerate(owners):
            r = int(self.con_region[k])
            region = self.regions[r]
            sector = self.con_sector[k] if rng.random() < 0.8 else self._sector(rng, r)
            self.obl_sector.append(sector)
            town = self._town(rng, r)
            value = float(np.round(np.exp(rng.uniform(np.log(200_000), np.log(20_000_000))), -3))
            self.obl_weight[i] = np.sqrt(value)
            pct = 5.0 if rng.random() < 0.85 else float(rng.choice([2, 3, 4, 6, 7]))
            owed = value * pct / 100
            obligation_eur: float | None = None
            u = rng.random()
            if owed > 300_000 and u < 0.5:
                obligation_eur = 300_000.0  # a cap per contract, as some clients apply
            elif u > 0.95:
                obligation_eur = round(owed * 0.9, 2)  # PSO discount
            duration = int(rng.integers(365, 4 * 365))
            if history[i]:
                end = self.as_of - np.timedelta64(int(rng.integers(30, 3 * 365)), "D")
                start = end - np.timedelta64(duration, "D")
            else:
                start = self.as_of + np.timedelta64(int(rng.integers(-2 * 365, 200)), "D")
                end = max(start + np.timedelta64(duration, "D"), self.as_of + np.timedelta64(60, "D"))
            award = start - np.timedelta64(int(rng.integers(30, 120)), "D")
            client_u = rng.random()
            if client_u < 0.7:
                client = f"Gemeente {town.name}"
            elif region.name == "Groningen" and client_u < 0.85:
                client = "Nationaal Coördinator Groningen"
            elif client_u < 0.9:
                client = "Rijkswaterstaat" if sector == "infra" else "Rijksvastgoedbedrijf"
            else:
                client = "Provincie " + {"Groningen": "Groningen", "Twente": "Overijssel",
                                         "Holland Rijnland": "Zuid-Holland",
                                         "Midden-Utrecht": "Utrecht"}.get(region.name, "Noord-Brabant")  # fmt: skip
            templates = TENDERS[sector]
            tender = templates[int(rng.integers(len(templates)))].format(
                town=town.name, n=int(rng.integers(1, 5)), year=int(str(start)[:4])
            )
            allowed: tuple[str, ...] = ALLOWED_GROUP_SETS[0]
            u2 = rng.random()
            if u2 < 0.10:
                allowed = ALLOWED_GROUP_SETS[1]
            elif u2 < 0.25:
                allowed = ALLOWED_GROUP_SETS[2]
            records.append(
                {
                    "obligation_id": f"SROI-{i + 1:05d}",
                    "contractor_id": k_ids[k],
                    "client": client,
                    "tender_name": tender,
                    "sector": sector,
                    "contract_value_eur": value,
                    "sroi_percentage": pct,
                    "obligation_eur": obligation_eur,
                    "award_date": pd.Timestamp(award),
                    "start_date": pd.Timestamp(start),
                    "end_date": pd.Timestamp(end),
                    "valuation_scheme": region.valuation_scheme if rng.random() < 0.9 else None,
                    "allowed_target_groups": allowed,
                }
            )
        return table_from_records("obligations", records)

    # -- vacancies ---------------------------------------------------------------------------
    def vacancies(self, contractors: pd.DataFrame, obligations: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng["vacancies"]
        m = self.cfg.vacancies
        hist_idx, open_idx = np.flatnonzero(self.obl_history), np.flatnonzero(~self.obl_history)
        if len(hist_idx) == 0 or len(open_idx) == 0:
            pool_all = np.arange(len(obligations))
            hist_idx = open_idx = pool_all
        m_hist = round(m * self.cfg.history_share) if len(obligations) > 1 else 0
        chosen = np.concatenate(
            [
                rng.choice(hist_idx, size=m_hist, p=self.obl_weight[hist_idx] / self.obl_weight[hist_idx].sum()),
                rng.choice(open_idx, size=m - m_hist, p=self.obl_weight[open_idx] / self.obl_weight[open_idx].sum()),
            ]
        )
        order = np.argsort(chosen, kind="stable")  # vacancies of one obligation stay together
        chosen = chosen[order]
        self.vac_obligation = chosen
        self.vac_region = np.empty(m, dtype=np.int64)
        self.vac_history = self.obl_history[chosen]
        records: list[dict[str, object]] = []
        o_starts = obligations["start_date"].tolist()
        o_ends = obligations["end_date"].tolist()
        o_ids = obligations["obligation_id"].tolist()
        o_tenders = obligations["tender_name"].tolist()
        k_ids = contractors["contractor_id"].tolist()
        for i, o in enumerate(chosen):
            owner = int(self.obl_owner[o])
            r = int(self.con_region[owner])
            self.vac_region[i] = r
            contractor = owner
            if rng.random() < 0.03:  # a subcontractor's place towards the main contractor's obligation
                same_region = np.flatnonzero(self.con_region == r)
                contractor = int(rng.choice(same_region))
            occ = self._occupation(rng, self.obl_sector[o])
            titles = surface.title_forms()[occ.code]
            title = titles[int(rng.integers(len(titles)))]
            u = rng.random()
            if u < 0.35:
                occupation = None
            elif u < 0.65:
                occupation = occ.esco_uri or occ.nl
            elif u < 0.85:
                occupation = occ.nl
            else:
                occupation = occ.code
            drop = DROPPED_SKILLS.draw(rng)
            keep = max(1, len(occ.essential_skills) - drop)
            essential = [
                occ.essential_skills[j] for j in sorted(rng.choice(len(occ.essential_skills), keep, replace=False))
            ]
            required = surface.draw_forms(rng, essential, surface.skill_forms(), self.skill_weights_vacancy)
            if rng.random() < 0.10:
                required = ()
            optional: tuple[str, ...] = ()
            if occ.optional_skills and rng.random() < 0.6:
                k = int(rng.integers(1, len(occ.optional_skills) + 1))
                picks = [occ.optional_skills[j] for j in sorted(rng.choice(len(occ.optional_skills), k, replace=False))]
                optional = surface.draw_forms(rng, picks, surface.skill_forms(), self.skill_weights_vacancy)
            certs = list(occ.certificates) if rng.random() < 0.9 else []
            cert_text = surface.draw_forms(rng, certs, surface.certificate_forms(), CERT_WEIGHTS)
            trainable = tuple(
                t
                for c, t in zip(certs, cert_text, strict=True)
                if vocab.CERTIFICATES_BY_CODE[c].trainable and rng.random() < 0.5
            )
            hours = float(occ.hours[int(rng.integers(len(occ.hours)))])
            positions = POSITIONS.draw(rng)
            ptype = _one(rng, PLACEMENT_TYPES)
            where = rng.random()
            pc = lat = lon = None
            if where < 0.35:
                pc, lat, lon = self._place(rng, r)
                if rng.random() < 0.4:
                    lat = lon = None
            o_start, o_end = o_starts[o], o_ends[o]
            span = max((o_end - o_start).days, 1)
            start = o_start + pd.Timedelta(days=int(rng.integers(0, max(span // 2, 1))))
            end = None
            if rng.random() < 0.4:
                end = min(start + pd.Timedelta(days=int(rng.integers(180, 730))), o_end)
            skills_text = ", ".join(required[:3])
            description = (
                f"Voor het project '{o_tenders[o]}' zoeken wij een {occ.nl}. "
                f"Werkzaamheden: {skills_text or 'diverse werkzaamheden'}. {int(hours)} uur per week."
                if rng.random() < 0.6
                else None
            )
            records.append(
                {
                    "vacancy_id": f"VAC-{i + 1:06d}",
                    "contractor_id": k_ids[contractor],
                    "obligation_id": o_ids[o] if contractor != owner or rng.random() < 0.92 else None,
                    "title": title,
                    "occupation": occupation,
                    "description": description,
                    "required_skills": required,
                    "optional_skills": optional,
                    "required_certificates": cert_text,
                    "trainable_certificates": trainable,
                    "required_licences": occ.licences if rng.random() < 0.85 else (),
                    "min_language_level": occ.min_language if rng.random() < 0.7 else None,
                    "min_education_level": occ.min_education if occ.min_education and rng.random() < 0.5 else None,
                    "physical_load": occ.physical_load if rng.random() < 0.85 else None,
                    "hours_per_week": hours,
                    "positions": positions,
                    "additional": bool(rng.random() < 0.94),
                    "placement_type": ptype if rng.random() < 0.9 else None,
                    "postcode": pc,
                    "lat": lat,
                    "lon": lon,
                    "start_date": start if rng.random() < 0.8 else None,
                    "end_date": end,
                }
            )
        return table_from_records("vacancies", records)

    # -- candidates ---------------------------------------------------------------------------
    def candidates(self) -> pd.DataFrame:
        rng = self.rng["candidates"]
        n = self.cfg.candidates
        regions = rng.choice(len(self.regions), size=n, p=self.region_p)
        groups = _pick(rng, TARGET_GROUPS, n)
        self.cand_region = regions
        year = self.cfg.as_of.year
        records: list[dict[str, object]] = []
        coach_span = max(2, n // (len(self.regions) * 60))
        for i in range(n):
            r = int(regions[i])
            g = str(groups[i])
            sector = self._sector(rng, r)
            home = self._occupation(rng, sector)
            if g == "pro_vso":
                age = int(rng.integers(17, 23))
            elif g == "wajong":
                age = int(rng.integers(18, 41))
            else:
                age = int(np.clip(rng.normal(38, 12), 18, 66))
            benefit_since = None
            if g in ("participatiewet", "ww", "wajong", "wia", "wsw", "statushouder") and rng.random() < 0.85:
                mean_days = 200 if g == "ww" else 900
                days = int(min(rng.exponential(mean_days), 700 if g == "ww" else 6000))
                benefit_since = self.cfg.as_of - timedelta(days=days + 1)
            # experience and interests
            occupations: tuple[Experience, ...] = ()
            u = rng.random()
            if u > 0.15:
                form = surface.occupation_forms()[home.code]
                label = form.draw(float(rng.random()), (0.7, 0.0, 0.08, 0.12, 0.10))
                years = float(np.round(rng.uniform(0.5, 12) * 2) / 2) if rng.random() < 0.55 else None
                occupations = (Experience(label, years),)
                if rng.random() < 0.15:
                    second = self._occupation(rng, self._sector(rng, r))
                    if second.code != home.code:
                        occupations += (Experience(surface.occupation_forms()[second.code].main[0]),)
            # skills: a personal level q decides how much of the home occupation one masters
            skills: tuple[str, ...] = ()
            if rng.random() > 0.18:
                q = rng.beta(2.0, 1.5)
                have = [s for s in home.essential_skills if rng.random() < q]
                have += [s for s in home.optional_skills if rng.random() < q / 2]
                neighbours = vocab.OCCUPATIONS_BY_SECTOR[sector]
                extra = neighbours[int(rng.integers(len(neighbours)))]
                have += [s for s in extra.essential_skills if rng.random() < 0.2]
                skills = surface.draw_forms(
                    rng, dict.fromkeys(have), surface.skill_forms(), self.skill_weights_candidate
                )
            certs = [
                c.code
                for c in vocab.CERTIFICATES
                if rng.random()
                < 0.03 + (0.40 if c.code in home.certificates else 0.0) + (0.08 if c.code == "vca_basis" else 0.0)
            ]
            cert_text = surface.draw_forms(rng, certs, surface.certificate_forms(), CERT_WEIGHTS)
            b_p = {"statushouder": 0.25, "pro_vso": 0.2}.get(g, 0.55)
            licences: list[str] = []
            if rng.random() < 0.05:
                licences.append("AM")
            if rng.random() < b_p:
                licences.append("B")
                if rng.random() < 0.15:
                    licences.append("BE")
                if rng.random() < (0.2 if home.sector in ("logistiek", "infra") else 0.04):
                    licences.append("C")
                    if rng.random() < 0.5:
                        licences.append("CE")
                if home.sector in ("groen", "infra") and rng.random() < 0.1:
                    licences.append("T")
            lang: str | None
            if g == "statushouder":
                lang = _one(rng, {"A1": 0.25, "A2": 0.4, "B1": 0.25, "B2": 0.1})
            else:
                lang = _one(rng, {"A2": 0.05, "B1": 0.2, "B2": 0.35, "C1": 0.3, "C2": 0.1})
            if rng.random() < 0.2:
                lang = None
            hmin = hmax = None
            if rng.random() < 0.75:
                if g == "banenafspraak":
                    hmin, hmax = int(rng.integers(12, 21)), int(rng.integers(20, 29))
                else:
                    hmin = (0, 16, 20, 24, 28, 32)[int(rng.integers(6))]
                    hmax = min(40, max(hmin + 8, (24, 32, 36, 38, 40)[int(rng.integers(5))]))
            if g in ("wajong", "wia", "banenafspraak"):
                cap = _one(rng, {"licht": 0.5, "middel": 0.4, "zwaar": 0.1})
            else:
                cap = _one(rng, {"licht": 0.15, "middel": 0.45, "zwaar": 0.4})
            where = rng.random()
            pc, lat, lon = self._place(rng, r, spread=0.025)
            postcode: str | None = pc
            if where < 0.15:
                letters = "ABCDEGHJKLMNPRSTVWXZ"
                postcode = pc + letters[int(rng.integers(20))] + letters[int(rng.integers(20))]
            if where > 0.9:
                postcode = None
            coords = where < 0.55
            profile = None
            if rng.random() < 0.55:
                parts = [f"Gemotiveerde kandidaat met interesse in {home.nl}."]
                if self.truth.motivation:  # the note's wording is the only trace of the motivation
                    openings = surface.NOTE_OPENINGS[int(self.hidden.tone[i])]
                    parts = [openings[int(self.hidden.opening[i]) % len(openings)].format(home.nl)]
                if occupations and occupations[0].years:
                    parts.append(f"Heeft {occupations[0].years:g} jaar ervaring.")
                if "B" in licences:
                    parts.append("Heeft rijbewijs B.")
                if hmax is not None:
                    parts.append(f"Wil maximaal {hmax} uur per week werken.")
                profile = " ".join(parts)
            records.append(
                {
                    "candidate_id": surface.candidate_id(i),
                    "target_group": g,
                    "benefit_since": benefit_since,
                    "birth_year": year - age if rng.random() < 0.92 else None,
                    "region": self.regions[r].name if rng.random() < 0.95 else None,
                    "postcode": postcode,
                    "lat": lat if coords else None,
                    "lon": lon if coords else None,
                    "skills": skills,
                    "occupations": occupations,
                    "education_level": _one(rng, EDUCATION) if rng.random() < 0.58 else None,
                    "certificates": cert_text,
                    "driving_licences": tuple(licences),
                    "language_level": lang,
                    "hours_min": hmin,
                    "hours_max": hmax,
                    "available_from": self.cfg.as_of + timedelta(days=int(rng.normal(0, 60)))
                    if rng.random() < 0.7
                    else None,
                    "max_travel_km": float((5, 10, 15, 20, 25, 30, 40, 50)[int(rng.integers(8))])
                    if rng.random() < 0.5
                    else None,
                    "physical_capacity": str(cap) if rng.random() < 0.75 else None,
                    "previous_employers": (),
                    "consent": bool(rng.random() < 0.95),
                    "status": None,
                    "coach_id": f"coach-{self.regions[r].code}-{int(rng.integers(1, coach_span + 1)):02d}",
                    "profile_text": profile,
                }
            )
        return table_from_records("candidates", records)

    # -- placements ---------------------------------------------------------------------------
    def placements(self, ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The history and current placements; returns (placements, updated candidates)."""
        rng = self.rng["placements"]
        cands, vacs, obl = ds.candidates.copy(), ds.vacancies, ds.obligations
        model = HiddenModel(ds, self.truth, self.hidden)
        by_region = [np.flatnonzero(self.cand_region == r) for r in range(len(self.regions))]
        contractor_ids = vacs["contractor_id"].to_numpy()
        previous: list[set[str]] = [set() for _ in range(len(cands))]
        for i in np.flatnonzero(rng.random(len(cands)) < 0.06):
            previous[i].add(str(rng.choice(ds.contractors["contractor_id"].to_numpy())))

        # slots: history places filled with probability 0.75, open ones 0.25
        positions = vacs["positions"].to_numpy(dtype=np.int64)
        fill_p = np.where(self.vac_history, self.truth.history_fill, 0.25)
        filled = rng.binomial(positions, fill_p)
        filled[~vacs["additional"].to_numpy(dtype=bool)] = 0  # nobody is placed on a displacement post
        awarded = obl["award_date"].to_numpy(dtype="datetime64[D]")[self.vac_obligation] <= self.as_of
        filled[~awarded] = 0  # no one is placed for a tender that is not yet awarded
        slot_vac = np.repeat(np.arange(len(vacs)), filled)
        slot_vac = slot_vac[np.array([len(by_region[self.vac_region[v]]) > 0 for v in slot_vac], dtype=bool)]
        k = 6
        picks = (
            np.stack(
                [
                    by_region[self.vac_region[v]][rng.integers(len(by_region[self.vac_region[v]]), size=k)]
                    for v in slot_vac
                ]
            )
            if len(slot_vac)
            else np.zeros((0, k), dtype=np.int64)
        )
        flat_c, flat_v = picks.ravel(), np.repeat(slot_vac, k)
        score = self.truth.coach_insight * model.logit(flat_c, flat_v) + rng.gumbel(0, 1.0, size=len(flat_c))
        score = score.reshape(-1, k)
        for row, v in enumerate(slot_vac):  # the status-quo coach never proposes a former employee
            for j in range(k):
                if contractor_ids[v] in previous[picks[row, j]]:
                    score[row, j] = -np.inf
        best = picks[np.arange(len(slot_vac)), np.argmax(score, axis=1)] if len(slot_vac) else np.zeros(0, np.int64)
        keep = np.isfinite(score.max(axis=1)) if len(slot_vac) else np.zeros(0, bool)
        pair = pd.DataFrame({"c": best[keep], "v": slot_vac[keep]}).drop_duplicates()
        ci, vi = pair["c"].to_numpy(), pair["v"].to_numpy()

        p6, p12 = model.p6(ci, vi), model.p12_given_6(ci, vi)
        stay6 = rng.random(len(ci)) < p6
        stay12 = stay6 & (rng.random(len(ci)) < p12)
        v_start = vacs["start_date"].to_numpy(dtype="datetime64[D]")
        o_idx = self.vac_obligation[vi]
        o_start = obl["start_date"].to_numpy(dtype="datetime64[D]")[o_idx]
        o_end = obl["end_date"].to_numpy(dtype="datetime64[D]")[o_idx]
        begin = np.where(np.isnat(v_start[vi]), o_start, v_start[vi])
        begin = np.maximum(begin, o_start)
        last = np.minimum(o_end, self.as_of - np.timedelta64(1, "D"))
        span = np.maximum((last - begin).astype(np.int64), 0)
        start = begin + (rng.random(len(ci)) * 0.7 * span).astype("timedelta64[D]")
        history = self.vac_history[vi]
        # open vacancies: some placements are proposals or accepted but not yet started
        state = np.where(history, "run", _pick(rng, {"run": 0.55, "geaccepteerd": 0.30, "voorgesteld": 0.15}, len(ci)))
        future = state != "run"
        soon = np.maximum(self.as_of + rng.integers(7, 60, len(ci)).astype("timedelta64[D]"), begin)
        start = np.where(future, soon, start)
        duration = np.where(
            ~stay6,
            rng.integers(14, 182, len(ci)),
            np.where(~stay12, rng.integers(183, 365, len(ci)), rng.integers(366, 1400, len(ci))),
        ).astype("timedelta64[D]")
        leave = start + duration
        ended = ~future & (leave <= self.as_of)
        elapsed = (self.as_of - start).astype(np.int64)
        known6 = ~future & ((elapsed >= 182) | (ended & ~stay6))
        known12 = ~future & ((elapsed >= 365) | (ended & ~stay12))

        hours = vacs["hours_per_week"].to_numpy(dtype=float)[vi]
        hmax = cands["hours_max"].to_numpy(dtype=float, na_value=np.nan)[ci]
        hours = np.where(np.isnan(hmax), hours, np.minimum(hours, np.maximum(hmax, 8)))
        ptype = vacs["placement_type"].astype(str).to_numpy()[vi]
        records: list[dict[str, object]] = []
        order = np.lexsort((ci, start))
        for n_, j in enumerate(order):
            status = "beeindigd" if ended[j] else ("gestart" if state[j] == "run" else str(state[j]))
            contract = CONTRACT_FOR_TYPE.get(str(ptype[j]), "vast" if rng.random() < 0.2 else "tijdelijk")
            records.append(
                {
                    "placement_id": f"PLA-{n_ + 1:07d}",
                    "candidate_id": cands["candidate_id"].iat[ci[j]],
                    "vacancy_id": vacs["vacancy_id"].iat[vi[j]],
                    "obligation_id": vacs["obligation_id"].iat[vi[j]] if rng.random() < 0.7 else None,
                    "start_date": pd.Timestamp(start[j]),
                    "end_date": pd.Timestamp(leave[j]) if ended[j] else None,
                    "hours_per_week": float(hours[j]),
                    "contract_type": contract if rng.random() < 0.9 else None,
                    "status": status,
                    "retained_6m": bool(stay6[j]) if known6[j] else None,
                    "retained_12m": bool(stay12[j]) if known12[j] else None,
                }
            )
            if ended[j] and rng.random() < 0.7:
                previous[ci[j]].add(str(contractor_ids[vi[j]]))
        for rec in records:
            if isinstance(rec["obligation_id"], float):
                rec["obligation_id"] = None
        placements = table_from_records("placements", records)

        # candidate status follows their placements
        working = set(ci[~ended & (state != "voorgesteld")])
        statuses: list[str | None] = []
        for row in range(len(cands)):
            if row in working:
                statuses.append("geplaatst")
            elif rng.random() < 0.07:
                statuses.append("inactief")
            else:
                statuses.append("beschikbaar" if rng.random() < 0.8 else None)
        cands["status"] = pd.Series(statuses, dtype=cands["status"].dtype, index=cands.index)
        cands["previous_employers"] = pd.Series([tuple(sorted(p)) for p in previous], dtype=object)
        return placements, cands


def _n_contractors(config: WorldConfig) -> int:
    return config.contractors or max(8, round(config.vacancies / 8))


def truth_of(config: WorldConfig) -> TruthModel:
    """The hidden retention model of the world ``config`` generates."""
    return TRUTH_MODELS[config.truth]


def hidden_of(config: WorldConfig) -> Hidden:
    """The hidden parts (motivation, coaching quality) of the world ``config`` generates."""
    return hidden_parts(config.seed, config.candidates, _n_contractors(config))


def hidden_model(ds: Dataset, config: WorldConfig) -> HiddenModel:
    """The truth and the observable ceiling of the world ``config`` generated, read on ``ds`` (that
    world or a part of it, e.g. with some labels removed)."""
    return HiddenModel(ds, truth_of(config), hidden_of(config))


def generate_world(config: WorldConfig | None = None) -> Dataset:
    """Generate a complete, valid dataset for ``config`` (deterministic for its seed)."""
    world = _World(config or WorldConfig())
    contractors = world.contractors()
    obligations = world.obligations(contractors)
    vacancies = world.vacancies(contractors, obligations)
    candidates = world.candidates()
    empty = table_from_records("placements", [])
    partial = Dataset(contractors, obligations, vacancies, candidates, empty)
    placements, candidates = world.placements(partial)
    return Dataset(contractors, obligations, vacancies, candidates, placements)
