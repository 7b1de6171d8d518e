"""The API credits an accepted suggestion to the obligation the plan and the report credit it to, with
the same euros: a WW candidate at a vacancy that names no obligation, whose contractor's largest
obligation counts Participatiewet only (tests/unit/test_crediting.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from matching.plan import make_plan
from matching.prepare import MatchConfig, Prepared
from models.dataset import read_dataset
from models.store import Store
from tests.conftest import Api
from tests.unit.test_crediting import TODAY, world_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    from tests.conftest import write_rows

    return write_rows(tmp_path / "world", world_rows(second_obligation=True))


@pytest.fixture
def api(store: Store, db_url: str, folder: Path) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings
    from models.store.importer import import_folder

    import_folder(store, folder)
    app = create_app(Settings(database_url=db_url, warm=False), store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, store)


def test_plan_report_and_api_credit_the_same_obligation_to_the_cent(api: Api, folder: Path) -> None:
    ds = read_dataset(folder)
    planned = make_plan(Prepared(ds, config=MatchConfig(today=TODAY))).plan.set_index(["candidate_id", "vacancy_id"])
    planned_euros = planned.loc[("K1", "V1"), "sroi_value_eur"]
    assert isinstance(planned_euros, float)
    euros = round(planned_euros, 2)
    assert planned.loc[("K1", "V1"), "obligation_id"] == "O3"

    accepted = api.post(
        "/suggestions/accept", role="coach", json={"candidate_id": "K1", "vacancy_id": "V1", "start_date": str(TODAY)}
    )
    assert accepted.status_code == 201, accepted.text
    placement = accepted.json()["placement"]
    assert placement["obligation_id"] == "O3"  # written down as the obligation it counts for
    r = api.patch(f"/placements/{placement['placement_id']}", role="coach", json={"status": "geaccepteerd"})
    assert r.status_code == 200, r.text

    today = {"today": date(2026, 10, 1).isoformat()}
    o3 = api.get("/obligations/O3/progress", params=today)
    assert o3.status_code == 200, o3.text
    assert round(o3.json()["realised_eur"], 2) == euros
    o1 = api.get("/obligations/O1/progress", params=today)
    assert o1.json()["realised_eur"] == 0.0
