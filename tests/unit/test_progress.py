"""Obligation progress and forecast on constructed histories, computed by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from matching.monitoring.progress import (
    AT_RISK,
    BEHIND,
    ON_TRACK,
    alerts,
    forecast_label,
    obligation_progress,
    valued_placements,
)
from models.dataset import Dataset, read_dataset
from models.valuation import load_schemes
from tests.conftest import BASE_ROWS, write_rows

MONTH = 30.4375  # days


def world(
    tmp_path: Path, *, obligation: dict[str, str] | None = None, placements: list[dict[str, str]] | None = None
) -> Dataset:
    rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items()}
    rows["obligations"][0].update(obligation or {})
    if placements is not None:
        base = rows["placements"][0]
        rows["placements"] = [{**base, **p} for p in placements]
    return read_dataset(write_rows(tmp_path / "ds", rows))


def row(progress: pd.DataFrame, obligation_id: str = "O1") -> pd.Series:
    found = progress.set_index("obligation_id").loc[obligation_id]
    assert isinstance(found, pd.Series)
    return found


# P1: K1, Participatiewet since 2023-05-01: on the award date 2026-01-10 more than 2 years, so Oost-NL values
# 40,000 a year; 36 h, no end date: 12 months -> 40,000.
TODAY = date(2026, 8, 1)
ELAPSED = (pd.Timestamp(TODAY) - pd.Timestamp("2026-02-01")).days / MONTH
LEFT = (pd.Timestamp("2027-12-31") - pd.Timestamp(TODAY)).days / MONTH


def test_each_placement_is_valued_with_its_rule(tmp_path: Path) -> None:
    ds = world(tmp_path)
    valued = valued_placements(ds)
    assert valued["sroi_value_eur"].tolist() == [40_000.0]
    assert valued["rule"].tolist() == [
        "oost_nl V05: Participatiewet, uitkering > 2 jaar 40.000/jaar × 36/36 uur × 12,0 mnd (max 24) = € 40.000"
    ]


def test_a_met_obligation_is_on_schedule(tmp_path: Path) -> None:
    r = row(obligation_progress(world(tmp_path), TODAY))
    assert (r.required_eur, r.realised_eur, r.planned_eur, r.open_eur) == (40_000.0, 40_000.0, 0.0, 0.0)
    assert r.fulfilment == 1.0
    assert r.status == ON_TRACK
    assert r.reason.startswith("voldaan")


def _wilson(p: float, n: int) -> tuple[float, float]:
    z = 1.959964
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return centre - half, centre + half


def test_the_forecast_is_the_pace_so_far_times_the_months_left(tmp_path: Path) -> None:
    ds = world(tmp_path, obligation={"obligation_eur": "170000"})
    r = row(obligation_progress(ds, TODAY))
    pace = 40_000 / ELAPSED
    assert r.months_elapsed == pytest.approx(ELAPSED, abs=0.05)
    assert r.months_left == pytest.approx(LEFT, abs=0.05)
    assert r.pace_eur_per_month == pytest.approx(pace, abs=0.01)
    # P1 lasted 6 months (secured); the one known outcome gives the expected retention 1 (Wilson 21%-100%)
    low, high = _wilson(1.0, 1)
    assert r.forecast_eur == pytest.approx(40_000 + pace * LEFT, abs=0.5)
    assert r.forecast_low_eur == pytest.approx(40_000 + low * pace * LEFT, abs=0.5)
    assert r.forecast_high_eur == pytest.approx(40_000 + high * pace * LEFT, abs=0.5)
    share = (40_000 + pace * LEFT) / 170_000  # about 0.90: below the requirement, above 80%
    assert 0.8 < share < 1
    assert r.status == AT_RISK
    label = f"{100 * r.forecast_low_eur / 170_000:.0f}%–{100 * r.forecast_high_eur / 170_000:.0f}%"
    assert r.forecast_label == label
    assert r.reason.startswith(f"prognose {label}: naar verwachting € ")


def test_the_expected_retention_weighs_what_is_not_secured(tmp_path: Path) -> None:
    # P1 lasted 6 months, P2 did not, P3 still runs: retention 1 of 2; P3's 40,000 counts half
    ds = world(
        tmp_path,
        obligation={"obligation_eur": "300000"},
        placements=[
            {"placement_id": "P1"},
            {"placement_id": "P2", "status": "beeindigd", "retained_6m": "false", "end_date": "2026-05-01"},
            {"placement_id": "P3", "retained_6m": ""},
        ],
    )
    r = row(obligation_progress(ds, TODAY))
    valued = valued_placements(ds).set_index("placement_id")["sroi_value_eur"]
    secured = valued["P1"] + valued["P2"]  # lasted, and ended (valued to its end)
    pace = r.realised_eur / ELAPSED
    rest = valued["P3"] + pace * LEFT
    low, high = _wilson(0.5, 2)
    assert r.forecast_eur == pytest.approx(secured + 0.5 * rest, abs=0.5)
    assert r.forecast_low_eur == pytest.approx(secured + low * rest, abs=0.5)
    assert r.forecast_high_eur == pytest.approx(secured + high * rest, abs=0.5)
    assert r.forecast_low_eur < r.forecast_eur < r.forecast_high_eur


def test_no_pace_yet_says_so_instead_of_a_number(tmp_path: Path) -> None:
    # started 2026-06-15: under 3 months on the report's day
    ds = world(tmp_path, obligation={"obligation_eur": "500000", "start_date": "2026-06-15"})
    r = row(obligation_progress(ds, TODAY))
    assert r.pace_eur_per_month == 0
    assert r.forecast_label == "nog geen tempo"
    assert r.status == ON_TRACK
    assert r.reason == "nog geen tempo na 2 maanden: € 40.000 gerealiseerd en € 0 gepland van € 500.000"


def test_a_forecast_never_reads_3003_percent(tmp_path: Path) -> None:
    # a small obligation with a big placement early on: the pace far exceeds what is owed
    ds = world(tmp_path, obligation={"obligation_eur": "2000"})
    r = row(obligation_progress(ds, date(2026, 5, 15)))
    assert r.forecast_eur / r.required_eur > 10
    assert "forecast_share" not in r.index  # no share is published: the label is the only reading
    assert r.forecast_label == "ruim gehaald"
    assert "%" not in r.forecast_label


def test_far_below_pace_is_behind_and_on_the_alert_list(tmp_path: Path) -> None:
    ds = world(tmp_path, obligation={"obligation_eur": "300000"})
    progress = obligation_progress(ds, TODAY)
    assert row(progress).status == BEHIND
    flagged = alerts(progress).set_index("obligation_id")
    assert flagged.index.tolist() == ["O2", "O1"]  # the largest shortfall first: O2 has nothing yet
    forecast = 40_000 + 40_000 / ELAPSED * LEFT
    assert flagged.loc["O1", "shortfall_eur"] == pytest.approx(300_000 - forecast, abs=0.5)
    assert flagged.loc["O2", "shortfall_eur"] == 300_000


def test_proposed_placements_count_as_planned_not_realised(tmp_path: Path) -> None:
    ds = world(
        tmp_path,
        obligation={"obligation_eur": "100000"},
        placements=[
            {"placement_id": "P1"},
            {"placement_id": "P2", "status": "voorgesteld", "hours_per_week": "18", "start_date": "2026-09-01"},
        ],
    )
    r = row(obligation_progress(ds, TODAY))
    assert (r.realised_eur, r.planned_eur) == (40_000.0, 20_000.0)
    assert (r.placements_realised, r.placements_planned) == (1, 1)
    assert r.open_eur == 40_000.0
    assert r.planned_fulfilment == 0.6


def test_a_plan_counts_as_planned_unless_already_registered(tmp_path: Path) -> None:
    ds = world(tmp_path, obligation={"obligation_eur": "100000"})
    plan = pd.DataFrame(
        {
            "candidate_id": ["K1", "K9"],  # K1/V1 is registered already as P1
            "vacancy_id": ["V1", "V1"],
            "obligation_id": ["O1", "O1"],
            "sroi_value_eur": [40_000.0, 12_345.0],
        }
    )
    r = row(obligation_progress(ds, TODAY, plan=plan))
    assert r.planned_eur == 12_345.0
    assert r.placements_planned == 1


def test_an_ended_obligation_short_of_its_requirement_is_behind(tmp_path: Path) -> None:
    ds = world(tmp_path, obligation={"obligation_eur": "50000", "end_date": "2026-07-01"})
    r = row(obligation_progress(ds, TODAY))
    assert r.status == BEHIND
    assert r.months_left == 0
    assert r.reason == "looptijd verstreken met € 10.000 tekort"


def test_a_future_obligation_is_on_schedule_until_it_starts(tmp_path: Path) -> None:
    ds = world(
        tmp_path,
        obligation={"obligation_eur": "90000", "start_date": "2027-01-01", "award_date": "2026-06-01"},
        placements=[{"placement_id": "P1", "status": "voorgesteld", "start_date": "2027-01-01"}],
    )
    r = row(obligation_progress(ds, TODAY))
    assert r.status == ON_TRACK
    assert r.months_elapsed == 0
    assert r.reason == "start op 2027-01-01; € 40.000 van € 90.000 al gepland"


def test_the_pso_discount_lowers_the_requirement(tmp_path: Path) -> None:
    path = tmp_path / "schemes.toml"
    path.write_text('[schemes.oost_nl_pso]\nextends = "oost_nl"\npso_discount = { basis = 0.2 }\n', encoding="utf-8")
    ds = world(tmp_path, obligation={"valuation_scheme": "oost_nl_pso", "obligation_eur": "50000"})
    r = row(obligation_progress(ds, TODAY, schemes=load_schemes(path)))  # C1 is PSO basis
    assert (r.obligation_eur, r.pso_discount_eur, r.required_eur) == (50_000.0, 10_000.0, 40_000.0)
    assert r.status == ON_TRACK


def test_a_contractor_below_its_baseline_is_flagged(tmp_path: Path) -> None:
    progress = obligation_progress(world(tmp_path), TODAY)
    assert row(progress, "O2").displacement_warning  # C2: 38 < 40
    assert not row(progress, "O1").displacement_warning


def test_a_forecast_far_above_the_requirement_reads_ruim_gehaald_and_none_before_the_start() -> None:
    assert forecast_label(0.874, 0.874, started=True) == "87%"
    assert forecast_label(0.80, 0.95, started=True) == "80%–95%"
    assert forecast_label(1.5, 1.5, started=True) == "150%"
    assert forecast_label(1.2, 2.0, started=True) == "120% tot ruim gehaald"
    assert forecast_label(1.51, 30.03, started=True) == "ruim gehaald"
    assert forecast_label(0.0, 0.0, started=False) == "nog niet gestart"
    assert forecast_label(0.0, 0.5, started=True, paced=False) == "nog geen tempo"


def test_every_progress_row_carries_its_forecast_label(tmp_path: Path) -> None:
    progress = obligation_progress(world(tmp_path), TODAY)
    required = progress["required_eur"]
    assert list(progress["forecast_label"]) == [
        forecast_label(lo / need, hi / need, started=start <= TODAY, paced=elapsed >= 3)
        for lo, hi, need, start, elapsed in zip(
            progress["forecast_low_eur"],
            progress["forecast_high_eur"],
            required,
            progress["start_date"],
            progress["months_elapsed"],
            strict=True,
        )
    ]
