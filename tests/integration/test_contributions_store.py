"""contributions.csv through the store on SQLite and PostgreSQL: import, export, validate, import again."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from api.bootstrap import Runtime
from api.services.obligations import progress
from matching.monitoring.progress import obligation_progress
from models.dataset import read_dataset, validate_dataset
from models.store import Store
from models.store.importer import export_folder, import_folder
from tests.conftest import SAMPLE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTRIBUTIONS = (
    "contribution_id,obligation_id,kind,contribution_date,amount_eur,hours,days,description\n"
    "BIJ-1,SROI-00001,maatschappelijke_activiteit,2026-03-02,,,2,Opknappen speeltuin\n"
    "BIJ-2,SROI-00001,inkoop_sociale_onderneming,2026-04-15,12500.5,,,Catering via sociaal bedrijf\n"
    "BIJ-3,SROI-00003,kennisdeling,2027-03-01,,16,,Gastles praktijkschool\n"
)


def test_contributions_round_trip_through_the_store(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    (folder / "contributions.csv").write_text(CONTRIBUTIONS, encoding="utf-8")
    first = import_folder(store, folder)
    assert first.changes["contributions"].as_dict()["inserted"] == 3
    export_folder(store, tmp_path / "out")
    assert (tmp_path / "out" / "contributions.csv").read_text(encoding="utf-8") == CONTRIBUTIONS
    assert validate_dataset(tmp_path / "out").ok
    again = import_folder(store, tmp_path / "out")
    assert again.changes["contributions"].as_dict() == {"inserted": 0, "updated": 0, "unchanged": 3}
    # the stored contributions count in the obligation's progress, on its page as in the report
    today = date(2026, 10, 1)
    report = obligation_progress(read_dataset(folder), today).set_index("obligation_id").loc["SROI-00001"]
    assert report.contributions_eur == pytest.approx(2_000 + 12_500.5)  # holland_rijnland: € 1,000 a day
    single = progress(store, Runtime.load(), "SROI-00001", today)
    assert single is not None
    assert single["realised_eur"] == pytest.approx(report.realised_eur)
    assert single["scheme_version"] == "holland_rijnland 2023 (vanaf 2023-09-01)"
