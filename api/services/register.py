"""The Algoritmeregister entry of a region's use of Koppelaar, and what a DPIA needs: filled, not a template.

Matching people to work is high-risk AI under the EU AI Act (Annex III, point 4(a)), and Dutch public
bodies publish such algorithms in the Algoritmeregister. :func:`build_register` fills every field the
register asks for (:data:`FIELDS`) from the configuration (scorer, settings, schemes), the latest
validation figures (those of the model of KOPPELAAR_MODEL or ``--model``, when there is one) and the
fairness figures of the data (the four-fifths check and fairlearn's rates with confidence intervals,
:func:`matching.monitoring.fairness.rate_intervals`), plus the personal data processed and where.
The register is Dutch, so is every text here. :func:`write_register` writes it as JSON and Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from api.bootstrap import Runtime
from matching.monitoring.fairness import GAP_THRESHOLD, MIN_GROUP, fairness_report, rate_intervals
from matching.monitoring.report import records
from matching.scorers import RULE_WEIGHTS, Scorer, score_meaning
from models.dataset import Dataset
from models.folders import replacing_folder
from models.schema import CANDIDATES

#: (key, Dutch title) of every field of the register entry, in the register's order.
FIELDS = (
    ("naam", "Naam"),
    ("organisatie", "Organisatie"),
    ("doel_en_impact", "Doel en impact"),
    ("proportionaliteit", "Afwegingen en proportionaliteit"),
    ("besluitvorming", "Besluitvormingsproces"),
    ("menselijke_tussenkomst", "Menselijke tussenkomst"),
    ("risicos", "Risico's en risicobeheer"),
    ("prestatienorm", "Prestatienorm"),
    ("wettelijke_basis", "Wettelijke basis"),
    ("gegevensbronnen", "Gegevensbronnen"),
    ("methoden_en_modellen", "Methoden en modellen"),
    ("monitoring", "Monitoring"),
    ("publicatiecategorie", "Publicatiecategorie"),
)
PUBLICATION_CATEGORY = "hoog risico"
OUTPUTS = ("register.json", "register.md")

#: Why each column of candidates.csv is processed (the DPIA's purpose per item).
CANDIDATE_PURPOSES = {
    "candidate_id": "pseudoniem om kandidaat, plaatsing en besluit te verbinden; geen naam of BSN",
    "target_group": "doelgroep: welke plaatsingen meetellen voor SROI en hun waarde; fairnessrapport",
    "benefit_since": "duur van de uitkering: waardering van een plaatsing volgens het bouwblokkenschema",
    "birth_year": "leeftijdsbonus in de waardering en leeftijdsgroep in het fairnessrapport; nooit een matchkenmerk",
    "region": "arbeidsmarktregio: wie welke kandidaten ziet (regio-isolatie) en fairness per regio",
    "postcode": "reisafstand tot een werkplek (PC4)",
    "lat": "reisafstand tot een werkplek",
    "lon": "reisafstand tot een werkplek",
    "skills": "passen bij de gevraagde vaardigheden",
    "occupations": "passen bij het beroep en de ervaring",
    "education_level": "harde eis van opleidingsniveau",
    "certificates": "harde eis van certificaten",
    "driving_licences": "harde eis van rijbewijzen",
    "language_level": "harde eis van taalniveau",
    "hours_min": "passende uren per week",
    "hours_max": "passende uren per week",
    "available_from": "beschikbaarheid op de startdatum",
    "max_travel_km": "de eigen reisafstand van de kandidaat",
    "physical_capacity": "harde eis van fysieke belasting",
    "previous_employers": "kennis van een eerdere werkgever; verdringingscontrole",
    "consent": "toestemming: zonder toestemming wordt niemand gematcht",
    "status": "beschikbaarheid voor matching",
    "coach_id": "welke jobcoach de kandidaat begeleidt; meldingen aan die coach",
    "profile_text": "vrije tekst van de coach, alleen als tekstovereenkomst en notitie-inschatting",
}
CANDIDATE_STORED = "tabel candidates van de opslag (SQLite of PostgreSQL); in het geheugen van de matcher"
#: Other places where a candidate's pseudonymous id or an employee's data is kept.
OTHER_PERSONAL_DATA = (
    (
        "plaatsingen (candidate_id, vacature, data, uren, status, laatste werkdag eerder bij dezelfde werkgever)",
        "SROI-waarde en behoud meten",
        "tabel placements",
    ),
    ("matchplannen (candidate_id, score, uitleg)", "voorstellen voor de adviseur", "tabellen run_plan, run_unplaced"),
    ("besluiten van coaches (candidate_id, reden)", "een afgewezen paar niet opnieuw voorstellen", "tabel decisions"),
    ("inzage (candidate_id, sleutel, tijdstip)", "wie welke gegevens zag (AVG art. 30)", "tabellen audit_*"),
    ("meldingen (pseudonieme ids, e-mailadres van de medewerker)", "meldingen aan medewerkers", "tabel notifications"),
    ("medewerkers (sleutel, rol, regio, e-mailadres)", "toegang en meldingen", "tabellen api_keys, subscriptions"),
)


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f}%".replace(".", ",")


@dataclass
class Register:
    """The filled entry: the fields, the personal data, the figures behind them."""

    fields: dict[str, str]
    personal_data: list[dict[str, str]]
    figures: dict[str, Any]
    intervals: pd.DataFrame

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": "koppelaar-algoritmeregister/1",
            "taal": "nl",
            "velden": {key: {"titel": title, "tekst": self.fields[key]} for key, title in FIELDS},
            "persoonsgegevens": self.personal_data,
            "cijfers": self.figures,
            "fairness_intervallen": records(self.intervals),
        }


def build_register(
    ds: Dataset,
    today: date,
    runtime: Runtime,
    *,
    organisation: str | None = None,
    region: str | None = None,
    model: Scorer | None = None,
    suggested: Collection[str] | None = None,
    planned: Collection[str] | None = None,
    n_boot: int = 100,
    seed: int = 0,
) -> Register:
    """The register entry of ``ds`` (one region's, or every region's) on ``today``."""
    settings = runtime.settings
    meaning = score_meaning(model)
    checked = fairness_report(ds, today, suggested=suggested, planned=planned)
    intervals = rate_intervals(ds, today, suggested=suggested, planned=planned, n_boot=n_boot, seed=seed)
    gaps = checked[checked["gap"]]
    pool = int(ds.candidates["consent"].fillna(False).sum())
    scope = f"arbeidsmarktregio {region}" if region else "alle arbeidsmarktregio's in deze installatie"
    metrics = dict(getattr(model, "metrics_", {}) or {})
    validation: dict[str, Any] | None = None
    if model is not None and metrics:
        validation = {
            "model": model.name,
            "training_size": int(getattr(model, "training_size_", 0)),
            "validation_size": int(metrics.get("validation_size", 0)),
            "validation_auc": float(metrics.get("validation_auc", float("nan"))),
            "validation_brier": float(metrics.get("validation_brier", float("nan"))),
            "base_rate": float(metrics.get("base_rate", float("nan"))),
        }
    schemes = ", ".join(sorted(runtime.known_schemes))
    if validation is not None:
        performance = (
            f"Het model {validation['model']} voorspelt of een plaatsing 6 maanden duurt. Laatste validatie op "
            f"{validation['validation_size']} plaatsingen (getraind op {validation['training_size']}): AUC "
            f"{validation['validation_auc']:.3f}, Brier-score {validation['validation_brier']:.3f} bij een "
            f"basiskans van {_pct(validation['base_rate'])}. Norm: de AUC blijft boven 0,60 en de voorspelde "
            "kansen blijven gekalibreerd (Brier-score onder die van de basiskans); anders valt de regio terug op "
            "de regelscore."
        )
        method = (
            f"Score: {meaning.label}, {meaning.explanation} Harde regels (doelgroep, toestemming, beschikbaarheid, "
            "reisafstand, uren, certificaten, rijbewijzen, taal- en opleidingsniveau, fysieke belasting) gaan vóór "
            "elke score."
        )
    else:
        performance = (
            "Zonder getraind model geeft Koppelaar een regelscore (passingsscore), geen kans; er is dus geen "
            "modelvalidatie. Norm voor de regelscore: alleen kandidaten die aan elke harde regel voldoen worden "
            "voorgesteld, elk voorstel heeft een uitleg, en de regio toetst de voorstellen aan de plaatsingen "
            "(behoud na 6 en 12 maanden in het monitoringsrapport)."
        )
        weights = ", ".join(f"{name} {weight:.2f}".replace(".", ",") for name, weight in RULE_WEIGHTS.items())
        method = (
            f"Score: {meaning.label}: {meaning.explanation} Gewichten van de regelscore: {weights}. Harde regels "
            "(doelgroep, toestemming, beschikbaarheid, reisafstand, uren, certificaten, rijbewijzen, taal- en "
            "opleidingsniveau, fysieke belasting) gaan vóór elke score."
        )
    fairness_text = (
        (
            f"Fairness wordt gemeten over {pool} kandidaten met toestemming, per doelgroep, leeftijdsgroep en regio: "
            f"kans op een voorstel, op een plek in een matchplan en op een plaatsing, elk met een "
            f"95%-betrouwbaarheidsinterval (bootstrap, fairlearn MetricFrame) en getoetst aan de vier-vijfderegel "
            f"(een verhouding onder {GAP_THRESHOLD:.2f} of boven {1 / GAP_THRESHOLD:.2f} ten opzichte van het "
            f"gemiddelde, bij groepen van ten minste {MIN_GROUP}). Op {today:%d-%m-%Y}: "
            + (
                f"{len(gaps)} {'groep' if len(gaps) == 1 else 'groepen'} buiten die grenzen: "
                + "; ".join(str(n) for n in gaps["note"])
                if len(gaps)
                else "geen groep buiten die grenzen."
            )
        )
        .replace("0.80", "0,80")
        .replace("1.25", "1,25")
    )
    fields = {
        "naam": "Koppelaar: kandidaten met een afstand tot de arbeidsmarkt koppelen aan SROI-vacatures",
        "organisatie": organisation or f"Gemeenten en werkgeversservicepunt van {scope}",
        "doel_en_impact": (
            "Koppelaar stelt jobcoaches en SROI-adviseurs kandidaten voor bij vacatures die opdrachtnemers "
            "openstellen om hun social-returnverplichting (SROI) uit aanbestedingen na te komen, en plant "
            "plaatsingen over alle verplichtingen van de regio. Doel: meer en duurzamere plaatsingen van mensen "
            "uit de doelgroepen, en verplichtingen die echt worden nagekomen. Impact: een kandidaat die niet "
            "wordt voorgesteld, mist mogelijk een baan; daarom beslist altijd een mens, en wordt gemeten wie "
            "wel en niet wordt voorgesteld."
        ),
        "proportionaliteit": (
            "Zonder hulpmiddel zoeken coaches met de hand in duizenden profielen en vacatures; kandidaten buiten "
            "het zicht van hun eigen coach komen dan niet in beeld. Koppelaar gebruikt alleen de gegevens die voor "
            "een passende plaatsing nodig zijn (zie persoonsgegevens), pseudonieme ids in plaats van namen, geen "
            "BSN, geen medische gegevens, en leeftijd alleen voor de waardering en het fairnessrapport. Wie geen "
            "toestemming geeft, wordt niet gematcht. De uitkomst is een voorstel, geen besluit."
        ),
        "besluitvorming": (
            "Koppelaar stelt voor; de jobcoach besluit per paar (accepteren of afwijzen, met reden) en bespreekt "
            "het met de kandidaat en de werkgever; de werkgever besluit over de aanstelling. Een matchplan van de "
            "adviseur is een voorstel dat de coach per plaatsing accepteert. Er wordt geen besluit over een "
            "uitkering of verplichting van de kandidaat genomen."
        ),
        "menselijke_tussenkomst": (
            "Elk voorstel heeft een uitleg (wat past, wat ontbreekt, de afstand). De coach kan elk voorstel "
            "afwijzen; een afgewezen paar wordt daarna niet meer voorgesteld. Adviseurs kunnen paren vastzetten of "
            "uitsluiten in een matchplan. Kandidaten kunnen hun toestemming intrekken en hun gegevens laten "
            "verwijderen (DELETE /candidates/{id})."
        ),
        "risicos": (
            "Risico's: ongelijke kansen tussen groepen (discriminatie), verdringing van zittend personeel, fouten "
            "in de gegevens, en te veel vertrouwen in de score. Maatregelen: " + fairness_text + " Verdringing "
            "wordt gesignaleerd als een opdrachtnemer onder zijn uitgangsbezetting zakt. Elke inzage in "
            "kandidaatgegevens staat in het auditlog; elke regio ziet alleen de eigen kandidaten."
        ),
        "prestatienorm": performance,
        "wettelijke_basis": (
            "Uitgangspunt, door de regio vast te stellen: de re-integratietaak van het college "
            "(Participatiewet, art. 7 en 10) en de sociale voorwaarden in aanbestedingen (Aanbestedingswet 2012); "
            "verwerking van persoonsgegevens voor een taak van algemeen belang (AVG art. 6 lid 1 sub e), met een "
            "DPIA (AVG art. 35) omdat het een hoog-risico-AI-systeem is onder de AI-verordening (EU) 2024/1689, "
            "bijlage III punt 4(a)."
        ),
        "gegevensbronnen": (
            f"De uitwisselbestanden van de regio (candidates, contractors, obligations, vacancies, placements; "
            f"docs/DATA-FORMAT.md): nu {len(ds.candidates)} kandidaten, {len(ds.vacancies)} vacatures, "
            f"{len(ds.obligations)} verplichtingen en {len(ds.placements)} plaatsingen. Aanbestedingen ook uit "
            f"OCDS-publicaties. Vaardigheden en beroepen worden genormaliseerd naar "
            f"{'de taxonomie van KOPPELAAR_TAXONOMY' if settings.taxonomy else 'de ingebouwde taxonomie (ESCO-vorm)'}"
            "."
        ),
        "methoden_en_modellen": (
            f"{method} Plannen: een optimale toewijzing (min-cost flow, OR-Tools) over alle open plekken. "
            f"Instellingen: uren onder het minimum toegestaan {settings.hours_below_min:g}; minimale voorspelde "
            f"duurzaamheid {settings.min_retention if settings.min_retention is not None else 'uit'}. "
            f"Waardering: bouwblokkenschema's {schemes} (standaard {settings.valuation_scheme})."
        ),
        "monitoring": (
            "Het monitoringsrapport (koppelaar report, GET /reports/monitoring) geeft per verplichting de "
            "voortgang en prognose, het behoud na 6 en 12 maanden, en het fairnessrapport per doelgroep, "
            "leeftijdsgroep en regio; adviseurs krijgen meldingen als een verplichting op risico of achter komt. "
            "Dit registerbericht wordt opnieuw gemaakt met koppelaar register na elke nieuwe training of "
            "wijziging van instellingen."
        ),
        "publicatiecategorie": PUBLICATION_CATEGORY,
    }
    personal = [
        {"gegeven": col.name, "doel": CANDIDATE_PURPOSES[col.name], "waar": CANDIDATE_STORED}
        for col in CANDIDATES.columns
    ]
    personal += [{"gegeven": what, "doel": why, "waar": where} for what, why, where in OTHER_PERSONAL_DATA]
    figures = {
        "datum": today.isoformat(),
        "regio": region,
        "pool": pool,
        "vier_vijfde_afwijkingen": len(gaps),
        "validatie": validation,
        "score": {"naam": meaning.label, "kans": meaning.probability},
        "bootstrap": {"herhalingen": n_boot, "seed": seed, "niveau": 0.95},
    }
    return Register(fields, personal, figures, intervals)


_MEASURE_NAMES = {
    "suggestion_rate": "voorstelkans",
    "plan_rate": "kans op een plek in het plan",
    "placement_rate": "plaatsingskans",
}


def markdown(register: Register) -> str:
    """The entry as one Dutch Markdown page: each field, the personal data, the fairness figures."""
    lines = ["# Algoritmeregister: Koppelaar", ""]
    for key, title in FIELDS:
        lines += [f"## {title}", "", register.fields[key], ""]
    lines += ["## Verwerkte persoonsgegevens", "", "| gegeven | doel | waar |", "|---|---|---|"]
    lines += [f"| {p['gegeven']} | {p['doel']} | {p['waar']} |" for p in register.personal_data]
    lines += [
        "",
        "## Fairness: kansen per groep met 95%-betrouwbaarheidsinterval",
        "",
        "| indeling | groep | aantal | maat | kans | interval | t.o.v. gemiddelde | vier-vijfderegel |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in register.intervals.to_dict(orient="records"):
        verdict = "te kleine groep" if row["small_group"] else ("afwijking" if row["gap"] else "binnen de grens")
        ratio = "–" if pd.isna(row["ratio"]) else f"{row['ratio']:.2f}".replace(".", ",")
        lines.append(
            f"| {row['dimension']} | {row['group']} | {row['pool']} | {_MEASURE_NAMES[str(row['measure'])]} | "
            f"{_pct(row['rate'])} | {_pct(row['ci_low'])} – {_pct(row['ci_high'])} | {ratio} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def write_register(register: Register, out: Path) -> list[Path]:
    """Write ``register.json`` and ``register.md`` into ``out`` (replaced whole, never half written)."""
    with replacing_folder(out, OUTPUTS) as staging:
        (staging / "register.json").write_text(
            json.dumps(register.as_json(), indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
        (staging / "register.md").write_text(markdown(register), "utf-8")
    return [out / name for name in OUTPUTS]


__all__ = [
    "CANDIDATE_PURPOSES",
    "FIELDS",
    "OTHER_PERSONAL_DATA",
    "PUBLICATION_CATEGORY",
    "Register",
    "build_register",
    "markdown",
    "write_register",
]
