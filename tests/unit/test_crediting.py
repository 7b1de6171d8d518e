"""One rule for which obligation a placement counts for, and for how much: eligibility, the plan and
monitoring agree on it, to the cent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matching.eligibility import Reason, screen
from matching.plan import make_plan
from matching.prepare import MatchConfig, Prepared
from models.dataset import Dataset, read_dataset
from models.valuation import credited_obligations, realised_euros, value_registered
from tests.conftest import BASE_ROWS, write_rows

TODAY = date(2026, 10, 1)


def world_rows(*, second_obligation: bool) -> dict[str, list[dict[str, str]]]:
    """Contractor C1 owes O1 (the larger one), which counts Participatiewet only; vacancy V1 names no
    obligation; candidate K1 is WW. With ``second_obligation`` C1 also owes O3, open to every group."""
    rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items()}
    o1 = rows["obligations"][0]
    o1.update(contract_value_eur="2000000", allowed_target_groups="participatiewet")
    if second_obligation:
        rows["obligations"].append(
            {**o1, "obligation_id": "O3", "tender_name": "Onderhoud kades", "contract_value_eur": "600000",
             "allowed_target_groups": "", "award_date": "2026-03-01"}
        )  # fmt: skip
    rows["vacancies"][0]["obligation_id"] = ""
    rows["candidates"][0]["target_group"] = "ww"
    del rows["placements"]  # optional file
    return rows


def _world(tmp_path: Path, *, second_obligation: bool) -> Dataset:
    return read_dataset(write_rows(tmp_path / "world", world_rows(second_obligation=second_obligation)))


def _registered(ds: Dataset) -> pd.DataFrame:
    """K1 placed at V1 as the plan proposes it (from today, the vacancy's hours, no end date)."""
    frame = pd.DataFrame(
        {
            "placement_id": ["P9"],
            "candidate_id": ["K1"],
            "vacancy_id": ["V1"],
            "obligation_id": [None],
            "start_date": [pd.Timestamp(TODAY)],
            "end_date": [pd.NaT],
            "hours_per_week": [36.0],
            "contract_type": [None],
            "status": ["geaccepteerd"],
        }
    )
    return frame.astype({"obligation_id": object, "contract_type": object})


def test_a_placement_counts_only_for_an_obligation_that_takes_its_target_group(tmp_path: Path) -> None:
    ds = _world(tmp_path, second_obligation=True)
    p = Prepared(ds, config=MatchConfig(today=TODAY))
    # eligible: an obligation of the contractor (O3) counts WW
    assert screen(p, np.array([0]), np.array([0])).reasons[0] & Reason.TARGET_GROUP == 0
    result = make_plan(p)
    row = result.plan.set_index(["candidate_id", "vacancy_id"]).xs(("K1", "V1"))
    assert isinstance(row, pd.Series)
    assert row["obligation_id"] == "O3"  # not O1, which owes more but does not count WW
    planned = {o["obligation_id"]: o["planned_eur"] for o in result.summary["obligations"]}
    assert planned.get("O1", 0.0) == 0.0
    assert planned["O3"] == pytest.approx(row["sroi_value_eur"], abs=0.005)
    # monitoring values the same placement, registered, for the same obligation and the same euros
    obligation_id, valuation = value_registered(_registered(ds), ds.candidates, ds.vacancies, ds.obligations)
    assert obligation_id.tolist() == ["O3"]
    assert round(float(valuation.euros[0]), 2) == round(float(row["sroi_value_eur"]), 2)
    realised = realised_euros(ds.obligations, _registered(ds), ds.candidates, ds.vacancies)
    by_id = dict(zip(ds.obligations["obligation_id"], realised, strict=True))
    assert by_id["O1"] == 0.0
    assert round(by_id["O3"], 2) == round(float(row["sroi_value_eur"]), 2)


def test_without_an_obligation_for_the_group_the_pair_is_not_eligible_and_counts_for_none(tmp_path: Path) -> None:
    ds = _world(tmp_path, second_obligation=False)
    p = Prepared(ds, config=MatchConfig(today=TODAY))
    assert screen(p, np.array([0]), np.array([0])).reasons[0] & Reason.TARGET_GROUP
    result = make_plan(p)
    assert not ((result.plan["candidate_id"] == "K1") & (result.plan["vacancy_id"] == "V1")).any()
    obligation_id, _ = value_registered(_registered(ds), ds.candidates, ds.vacancies, ds.obligations)
    assert obligation_id.isna().all()
    assert realised_euros(ds.obligations, _registered(ds), ds.candidates, ds.vacancies).sum() == 0.0


def test_the_plan_and_monitoring_agree_on_a_language_gap_bonus(tmp_path: Path) -> None:
    rows = world_rows(second_obligation=True)
    o3 = next(o for o in rows["obligations"] if o["obligation_id"] == "O3")
    o3["valuation_scheme"] = "utrecht"  # Utrecht gives +10,000 for a language gap
    values = []
    for level in ("A1", "B1"):
        rows["candidates"][0]["language_level"] = level
        rows["vacancies"][0]["min_language_level"] = ""
        ds = read_dataset(write_rows(tmp_path / level, rows))
        row = make_plan(Prepared(ds, config=MatchConfig(today=TODAY))).plan.set_index("candidate_id").loc["K1"]
        assert isinstance(row, pd.Series)
        _, valuation = value_registered(_registered(ds), ds.candidates, ds.vacancies, ds.obligations)
        assert round(float(valuation.euros[0]), 2) == round(float(row["sroi_value_eur"]), 2)
        values.append(float(row["sroi_value_eur"]))
    # WW 20,000 + 10,000 for the gap, against 20,000, over the same hours and months
    assert values[0] == pytest.approx(values[1] * 30_000 / 20_000, abs=0.01)


def test_credited_obligations_by_rule() -> None:
    obligations = pd.DataFrame(
        {
            "obligation_id": ["A", "B", "C", "D"],
            "contractor_id": ["K", "K", "K", "L"],
            "contract_value_eur": [9e6, 5e6, 5e6, 1e6],
            "sroi_percentage": [5.0, 5.0, 5.0, 5.0],
            "obligation_eur": [np.nan] * 4,
            "end_date": pd.to_datetime(["2027-01-01", "2027-01-01", "2025-01-01", "2027-01-01"]),
            "allowed_target_groups": [("participatiewet",), (), (), ("ww",)],
        }
    )
    rows = credited_obligations(
        obligations,
        named=np.array([None, None, None, "D", "D", None, None], dtype=object),
        contractor=np.array(["K", "K", "K", "L", "L", "M", "K"], dtype=object),
        target_group=np.array(["participatiewet", "ww", None, "ww", "wajong", "ww", "ww"], dtype=object),
        on=pd.to_datetime(["2026-06-01"] * 6 + ["2027-06-01"]).to_numpy(),
    )
    # the most owed that takes the group (A), else B; C has ended; named D takes ww only; M owes none;
    # after every obligation of K has ended, nothing
    assert rows.tolist() == [0, 1, 0, 3, -1, -1, -1]
