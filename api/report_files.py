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
    labels = [
        f"{'sector' if d == 'sector' else 'doelgroep'}: {lbl}"
        for d, lbl in zip(rows["dimension"], rows["label"], strict=True)
    ]
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
    ax.set_yticks(y, [f"{d}: {g}" for d, g in zip(rows["dimension"], rows["group"], strict=True)])
    ax.invert_yaxis()
    for x in (0.8, 1.25):
        ax.axvline(x, color="#555", linestyle="--", linewidth=0.8)
    ax.axvline(1.0, color="#000", linewidth=0.8)
    ax.set_title("Plaatsingskans per groep tegen het gemiddelde (4/5-regel)", loc="left", fontsize=11)
    ax.set_xlabel("verhouding tot de gemiddelde plaatsingskans")
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
            neutralise_frame(
                pd.DataFrame([{"figure": k, "value": _overview_value(v)} for k, v in overview.items()])
            ).to_excel(xlsx, sheet_name="Overzicht", index=False)
            for name, frame in tables.items():
                frame.to_excel(xlsx, sheet_name=SHEET_NAMES[name], index=False)
        (staging / "report.json").write_text(
            json.dumps(report.as_json(), ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
        )
        (staging / "report.html").write_text(render_html(report), encoding="utf-8")
    return [out / name for name in FILES]
