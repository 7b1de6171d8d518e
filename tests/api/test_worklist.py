"""The coach's own lists: the key's region, open and current by default, names beside ids, filters and sorts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AS_OF = "2026-10-01"  # the sample world's as-of date


def _all(api: Api, path: str, role: str = "coach", region: str | None = "Groningen") -> list[dict[str, Any]]:
    r = api.get(f"{path}{'&' if '?' in path else '?'}today={AS_OF}&limit=500", role=role, region=region)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["total"] == len(body["items"])
    return body["items"]  # type: ignore[no-any-return]


def test_the_default_vacancy_list_holds_the_regions_open_current_places(api: Api) -> None:
    mine = _all(api, "/worklist/vacancies")
    everything = _all(api, "/worklist/vacancies?region=*&all=true")
    assert 0 < len(mine) < len(everything)
    assert {v["region"] for v in mine} == {"Groningen"}
    assert all(v["open_positions"] > 0 for v in mine)
    assert all(v["deadline"] is None or v["deadline"] >= AS_OF for v in mine)
    # what the default leaves out of the region: places filled or obligations ended, nothing else
    left_out = [v for v in _all(api, "/worklist/vacancies?all=true") if v not in mine]
    assert left_out
    assert all(v["open_positions"] == 0 or (v["deadline"] or "9999") < AS_OF for v in left_out)
    names = {c["contractor_id"]: c["name"] for c in api.get("/contractors?limit=500").json()["items"]}
    assert all(v["contractor_name"] == names[v["contractor_id"]] for v in mine)
    # sorted by start date by default, and by shortfall when asked
    starts = [v["start_date"] for v in mine if v["start_date"]]
    assert starts == sorted(starts)
    short = [
        v["shortfall_eur"] for v in _all(api, "/worklist/vacancies?sort=shortfall") if v["shortfall_eur"] is not None
    ]
    assert short == sorted(short, reverse=True)
    # filters
    one = next(v for v in mine if v["obligation_id"])
    by_obligation = _all(api, f"/worklist/vacancies?obligation_id={one['obligation_id']}")
    assert by_obligation
    assert {v["obligation_id"] for v in by_obligation} == {one["obligation_id"]}
    by_contractor = _all(api, f"/worklist/vacancies?contractor_id={one['contractor_id']}")
    assert {v["contractor_id"] for v in by_contractor} == {one["contractor_id"]}
    by_sector = _all(api, f"/worklist/vacancies?sector={one['sector']}")
    assert by_sector
    assert {v["sector"] for v in by_sector} == {one["sector"]}
    # another region's coach sees another list
    utrecht = _all(api, "/worklist/vacancies", region="Midden-Utrecht")
    assert utrecht
    assert {v["region"] for v in utrecht} == {"Midden-Utrecht"}
    assert not {v["vacancy_id"] for v in utrecht} & {v["vacancy_id"] for v in mine}


def test_the_default_obligation_list_holds_the_regions_running_obligations(api: Api) -> None:
    mine = _all(api, "/worklist/obligations")
    everything = _all(api, "/worklist/obligations?region=*&all=true")
    assert 0 < len(mine) < len(everything)
    assert all("Groningen" in o["regions"] for o in mine)
    assert all(o["end_date"] >= AS_OF for o in mine)
    assert all(o["open_eur"] > 0 or o["open_positions"] > 0 for o in mine)
    assert all(o["contractor_name"] for o in mine)
    deadlines = [o["end_date"] for o in mine]
    assert deadlines == sorted(deadlines)  # the nearest deadline first by default
    status = mine[0]["status"]
    assert {o["status"] for o in _all(api, f"/worklist/obligations?status={status}")} == {status}
    r = api.get("/worklist/obligations?region=Atlantis", role="admin", region=None)
    assert r.status_code == 422, r.text
