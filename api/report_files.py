"""Write the monitoring report: one HTML page with charts, the tables as CSV, an XLSX workbook, JSON.

Charts are SVG drawn by matplotlib and embedded in the page, so the report opens offline and
prints. Files are written to a temporary folder beside ``out`` and moved in only when every one of
them is complete: a failure leaves the previous report as it was.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any, SupportsFloat, cast

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from matching.monitoring.report import TABLES, Report
from models.dutch import euros, plural
from models.folders import replacing_folder
from models.spreadsheet import neutralise_frame

STATUS_COLOUR = {"op schema": "#2e7d32", "risico": "#ef8f00", "achter": "#c62828"}
SHEET_NAMES = {
    "progress": "Voortgang",
    "alerts": "Signalen",
    "placements": "Plaatsingen",
    "retention": "Behoud",
    "calendar": "Aanbestedingskalender",
    "demand": "Vraag en tekorten",
    "training": "Scholingsadvies",
    "fairness": "Eerlijkheid",
}
FILES = ("report.html", "report.xlsx", "report.json", *(f"{name}.csv" for name in TABLES))


def _eur(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return euros(_float(value))


def _pct(value: object, digits: int = 0) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{100 * _float(value):.{digits}f}%".replace(".", ",")


def _num(value: object, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{_float(value):.{digits}f}".replace(".", ",")


def _float(value: object) -> float:
    """A figure of a report table (a Python or numpy number) as a float."""
    return float(cast(SupportsFloat, value))


#: The report's groupings as a reader names them (the tables keep the codes).
DIMENSIONS_NL = {
    "contractor": "opdrachtnemer",
    "target_group": "doelgroep",
    "age_band": "leeftijd",
    "region": "regio",
    "sector": "sector",
}


# -- charts ------------------------------------------------------------------------------------
def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(height: float) -> Any:
    import matplotlib as mpl  # noqa: PLC0415 -- loaded only when a report is drawn
    from matplotlib.figure import Figure  # noqa: PLC0415

    mpl.rcParams["svg.hashsalt"] = "koppelaar"  # the same report gives the same SVG
    mpl.rcParams["svg.fonttype"] = "none"  # text stays text: searchable and small
    fig = Figure(figsize=(8.0, height), dpi=96)
    return fig


def _barh(labels: list[str], series: list[tuple[str, list[float], str]], *, title: str, xlabel: str) -> str:
    fig = _figure(max(1.6, 0.32 * len(labels) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    height = 0.8 / max(len(series), 1)
    for k, (name, values, colour) in enumerate(series):
        ax.barh(y + k * height, values, height=height, label=name, color=colour)
    ax.set_yticks(y + height * (len(series) - 1) / 2, labels)
    ax.invert_yaxis()
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def retention_chart(report: Report) -> str | None:
    r = report.retention
    rows = r[r["dimension"].isin(["sector", "target_group"]) & (r["known_6m"] > 0)]
    if not len(rows):
        return None
    labels = [f"{DIMENSIONS_NL.get(d, d)}: {lbl}" for d, lbl in zip(rows["dimension"], rows["label"], strict=True)]
    return _barh(
        labels,
        [
            ("na 6 maanden", (100 * rows["rate_6m"].fillna(0)).tolist(), "#1565c0"),
            ("na 12 maanden", (100 * rows["rate_12m"].fillna(0)).tolist(), "#90caf9"),
        ],
        title="Duurzame plaatsing: nog in dienst na 6 en 12 maanden",
        xlabel="% van de gestarte plaatsingen met bekende uitkomst",
    )


def shortage_chart(report: Report, top: int = 15) -> str | None:
    d = report.training.demand
    rows = d[d["places"] > 0].head(top)
    if not len(rows):
        return None
    return _barh(
        [f"{lbl} ({kind})" for lbl, kind in zip(rows["label"], rows["kind"], strict=True)],
        [
            ("plaatsen", rows["places"].astype(float).tolist(), "#6a1b9a"),
            ("kandidaten nu geschikt", rows["ready"].astype(float).tolist(), "#2e7d32"),
            ("één stap verwijderd", rows["one_step"].astype(float).tolist(), "#ef8f00"),
        ],
        title="Komende aanbestedingen: vraag tegen aanbod",
        xlabel="aantal",
    )


def fairness_chart(report: Report) -> str | None:
    f = report.fairness
    rows = f[~f["small_group"] & f["placement_ratio"].notna()]
    if not len(rows):
        return None
    fig = _figure(max(1.6, 0.3 * len(rows) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    colours = ["#c62828" if g else "#1565c0" for g in rows["gap"]]
    ax.barh(y, rows["placement_ratio"].astype(float), color=colours)
    ax.set_yticks(y, [f"{DIMENSIONS_NL.get(d, d)}: {g}" for d, g in zip(rows["dimension"], rows["group"], strict=True)])
    ax.invert_yaxis()
    for x in (0.8, 1.25):
        ax.axvline(x, color="#555", linestyle="--", linewidth=0.8)
    ax.axvline(1.0, color="#000", linewidth=0.8)
    ax.set_title("Aandeel geplaatst per groep tegen het gemiddelde (4/5-regel)", loc="left", fontsize=11)
    ax.set_xlabel("aandeel geplaatst, gedeeld door het gemiddelde aandeel")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


# -- the page ------------------------------------------------------------------------------------
def _env() -> Environment:
    env = Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(
        eur=_eur,
        pct=_pct,
        num=_num,
        int_nl=lambda v: f"{int(v):,}".replace(",", "."),
        plural=lambda v, one, many: plural(int(v), one, many),
        dimension=lambda d: DIMENSIONS_NL.get(str(d), str(d)),
        day=lambda v: pd.Timestamp(v).date().isoformat() if v is not None and not pd.isna(v) else "–",
    )
    return env


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (Dutch)."""
    progress = report.progress.copy()
    progress["colour"] = progress["status"].map(STATUS_COLOUR)
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            r=report,
            o=report.overview,
            progress=progress.to_dict(orient="records"),
            alerts=report.alerts.head(50).to_dict(orient="records"),
            retention=report.retention.to_dict(orient="records"),
            calendar=report.training.calendar.head(100).to_dict(orient="records"),
            demand=report.training.demand.head(40).to_dict(orient="records"),
            one_step=report.training.one_step.head(25).to_dict(orient="records"),
            fairness=report.fairness.to_dict(orient="records"),
            charts={
                "retention": retention_chart(report),
                "shortage": shortage_chart(report),
                "fairness": fairness_chart(report),
            },
            colours=STATUS_COLOUR,
            generated=date.today().isoformat(),
        )
    )


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _overview_value(value: object) -> object:
    return json.dumps(value, default=_json_default) if isinstance(value, dict | list) else value


#: The workbook's column headers, in Dutch; a column not named here gets its name with spaces.
HEADERS_NL = {
    "obligation_id": "Verplichting",
    "contractor_id": "Opdrachtnemer (nummer)",
    "contractor": "Opdrachtnemer",
    "tender_name": "Aanbesteding",
    "client": "Opdrachtgever",
    "sector": "Sector",
    "valuation_scheme": "Waarderingsschema",
    "scheme_version": "Versie van het schema",
    "start_date": "Startdatum",
    "end_date": "Einddatum",
    "months_total": "Looptijd (maanden)",
    "months_elapsed": "Verstreken (maanden)",
    "months_left": "Resterend (maanden)",
    "obligation_eur": "Verplichting (€)",
    "pso_discount_eur": "PSO-korting (€)",
    "required_eur": "Vereist (€)",
    "realised_eur": "Gerealiseerd (€)",
    "contributions_eur": "Waarvan inkoop, kennisdeling en activiteiten (€)",
    "planned_eur": "Gepland (€)",
    "open_eur": "Nog nodig (€)",
    "fulfilment": "Gerealiseerd (%)",
    "planned_fulfilment": "Met gepland (%)",
    "pace_eur_per_month": "Tempo (€ per maand)",
    "forecast_eur": "Prognose (€)",
    "forecast_low_eur": "Prognose laag (€)",
    "forecast_high_eur": "Prognose hoog (€)",
    "forecast_label": "Prognose",
    "placements_realised": "Plaatsingen gerealiseerd",
    "placements_planned": "Plaatsingen gepland",
    "displacement_warning": "Verdringingssignaal",
    "status": "Status",
    "reason": "Toelichting",
    "shortfall_eur": "Tekort (€)",
    "placement_id": "Plaatsing",
    "vacancy_id": "Vacature",
    "hours_per_week": "Uren per week",
    "sroi_value_eur": "SROI-waarde (€)",
    "rule": "Berekening",
    "dimension": "Indeling",
    "value": "Waarde",
    "label": "Omschrijving",
    "placements": "Plaatsingen",
    "known_6m": "Uitkomst bekend na 6 maanden",
    "retained_6m": "In dienst na 6 maanden",
    "rate_6m": "Behoud na 6 maanden (%)",
    "known_12m": "Uitkomst bekend na 12 maanden",
    "retained_12m": "In dienst na 12 maanden",
    "rate_12m": "Behoud na 12 maanden (%)",
    "small_sample": "Kleine groep",
    "places": "Plaatsen",
    "kind": "Soort",
    "item": "Onderdeel",
    "ready": "Kandidaten nu geschikt",
    "one_step": "Eén stap verwijderd",
    "shortage": "Tekort (plaatsen)",
    "candidates": "Kandidaten",
    "vacancies": "Vacatures",
    "text": "Advies",
    "group": "Groep",
    "pool": "In het bestand",
    "pool_share": "Aandeel in het bestand (%)",
    "suggested": "Voorgesteld",
    "suggestion_rate": "Aandeel voorgesteld (%)",
    "suggestion_ratio": "Voorgesteld t.o.v. gemiddelde",
    "planned": "In een plan",
    "plan_rate": "Aandeel in een plan (%)",
    "plan_ratio": "In een plan t.o.v. gemiddelde",
    "placed": "Geplaatst",
    "placement_rate": "Aandeel geplaatst (%)",
    "placement_ratio": "Geplaatst t.o.v. gemiddelde",
    "placed_share": "Aandeel van de plaatsingen (%)",
    "small_group": "Kleine groep",
    "gap": "Signaal",
    "note": "Opmerking",
    "figure": "Kengetal",
}
#: The overview sheet's figures, in Dutch.
OVERVIEW_NL = {
    "today": "Peildatum",
    "region": "Regio",
    "obligations": "Verplichtingen",
    "running": "Lopend",
    "by_status": "Per status",
    "required_eur": "Vereist (€)",
    "realised_eur": "Gerealiseerd (€)",
    "planned_eur": "Gepland (€)",
    "alerts": "Signalen",
    "placements": "Plaatsingen",
    "pool": "Kandidaten in het bestand",
    "retention_6m": "Behoud na 6 maanden",
    "retention_12m": "Behoud na 12 maanden",
    "future_obligations": "Komende verplichtingen",
    "future_places": "Plaatsen in komende verplichtingen",
    "fairness_gaps": "Signalen eerlijkheid",
    "displacement_warnings": "Verdringingssignalen",
}
EURO_FORMAT, PERCENT_FORMAT, DATE_FORMAT, RATIO_FORMAT = '"€" #,##0', "0%", "dd-mm-yyyy", "0.00"


def _number_format(column: str) -> str | None:
    """How a column's numbers are shown in the workbook: euros, a percentage, a date or a ratio."""
    if column.endswith(("_eur", "_eur_per_month")):
        return EURO_FORMAT
    if column.endswith(("_date",)):
        return DATE_FORMAT
    if column.endswith("_ratio"):
        return RATIO_FORMAT
    if (
        column.endswith(("_share", "_rate"))
        or column.startswith("rate_")
        or column in {"fulfilment", "planned_fulfilment"}
    ):
        return PERCENT_FORMAT
    return None


def _sheet(xlsx: Any, sheet: str, frame: pd.DataFrame, formats: dict[str, str | None]) -> None:
    """One table on its own sheet: Dutch headers, number formats, the header frozen, filters on."""
    from openpyxl.utils import get_column_letter  # noqa: PLC0415 -- the writer's engine

    out = frame.copy()
    for column, fmt in formats.items():
        if fmt == DATE_FORMAT:
            out[column] = pd.to_datetime(out[column], errors="coerce")
    out.columns = [HEADERS_NL.get(str(c), str(c).replace("_", " ")) for c in out.columns]
    out.to_excel(xlsx, sheet_name=sheet, index=False)
    ws = xlsx.sheets[sheet]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for j, (column, header) in enumerate(zip(frame.columns, out.columns, strict=True), start=1):
        letter = get_column_letter(j)
        fmt = formats.get(str(column))
        if fmt is not None:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        ws.column_dimensions[letter].width = min(max(len(str(header)) + 2, 12), 60)


def write_report(report: Report, out: Path) -> list[Path]:
    """Write every file of the report into ``out``, which appears whole or not at all.

    Every text cell of the CSV files and the workbook is spreadsheet-safe (models.spreadsheet); the
    workbook's cells are values, never formulas.
    """
    with replacing_folder(out, FILES) as staging:
        tables = {name: neutralise_frame(frame) for name, frame in report.tables().items()}
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False, lineterminator="\n")
        overview = {"today": report.today.isoformat(), "region": report.region, **report.overview}
        with pd.ExcelWriter(staging / "report.xlsx", engine="openpyxl") as xlsx:
            figures = [{"figure": OVERVIEW_NL.get(k, k), "value": _overview_value(v)} for k, v in overview.items()]
            _sheet(xlsx, "Overzicht", neutralise_frame(pd.DataFrame(figures)), {})
            for name, frame in tables.items():
                _sheet(xlsx, SHEET_NAMES[name], frame, {str(c): _number_format(str(c)) for c in frame.columns})
        (staging / "report.json").write_text(
            json.dumps(report.as_json(), ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
        )
        (staging / "report.html").write_text(render_html(report), encoding="utf-8")
    return [out / name for name in FILES]
