"""A write touches only the prepared matchers that hold what it changed, and updates them row by row."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _matcher(api: Api, region: str | None) -> Any:
    store = api.store
    with store.connect() as conn:
        version = store.matching_version(conn, region)
    return api.app.state.matching.prepared(region, version, date.today())


def _suggested(api: Api, vacancy: str, region: str) -> list[str]:
    r = api.get(f"/vacancies/{vacancy}/suggestions?top=10", role="coach", region=region)
    assert r.status_code == 200, r.text
    return [s["candidate_id"] for s in r.json()["items"]]


def _open_vacancy(api: Api, region: str) -> str:
    for v in api.get("/vacancies?limit=200").json()["items"]:
        if v["additional"] and _suggested(api, v["vacancy_id"], region):
            return str(v["vacancy_id"])
    raise AssertionError(f"no vacancy has suggestions in {region}")


def test_a_write_updates_only_the_matchers_that_hold_what_it_changed(api: Api) -> None:
    vacancy = _open_vacancy(api, "Groningen")
    twente_vacancy = vacancy
    _suggested(api, vacancy, "Twente")  # prepares Twente's matcher (whether or not it has suggestions)
    groningen, twente = _matcher(api, "Groningen"), _matcher(api, "Twente")
    assert groningen is not None
    assert twente is not None

    # a Groningen candidate withdraws consent: gone at once; Twente's matcher is not touched
    best = _suggested(api, vacancy, "Groningen")[0]
    assert api.patch(f"/candidates/{best}", role="coach", json={"consent": False}).status_code == 200
    assert _matcher(api, "Twente") is twente
    assert best not in _suggested(api, vacancy, "Groningen")
    updated = _matcher(api, "Groningen")
    assert updated is not groningen
    assert updated.p.text_space is groningen.p.text_space  # updated row by row, not prepared again
    assert updated.shortlists is not None  # and its lists re-ranked, not thrown away

    # a change to a vacancy reaches every region's matcher, row by row, before the write is answered
    hours = 12.0 if api.get(f"/vacancies/{twente_vacancy}").json()["hours_per_week"] != 12.0 else 14.0
    assert api.patch(f"/vacancies/{twente_vacancy}", json={"hours_per_week": hours}).status_code == 200
    again = _matcher(api, "Twente")
    assert again is not None
    assert again is not twente
    assert again.p.text_space is twente.p.text_space
    row = int(again.p.vacancy_rows([twente_vacancy])[0])
    assert again.p.v_hours[row] == hours
    # every region's matcher holds one frame of the vacancies, the written row spliced in once
    in_groningen = _matcher(api, "Groningen")
    assert in_groningen.p.ds.vacancies is again.p.ds.vacancies
    assert in_groningen.p.v_hours[int(in_groningen.p.vacancy_rows([twente_vacancy])[0])] == hours

    # a change to the catalogue prepares the matchers again
    assert api.patch("/contractors/OPN-00001", json={"headcount_current": 51}).status_code == 200
    _suggested(api, twente_vacancy, "Twente")
    assert _matcher(api, "Twente").p.text_space is not twente.p.text_space


def _write_elsewhere(api: Api, file: str, key: str, **values: Any) -> None:
    """Change a row as another server process would: in the store, without this process hearing of it."""
    from sqlalchemy import update

    from models.store import tables
    from models.store.store import VACANCIES_VERSION, now, region_version

    table = tables.ENTITY_TABLES[file]
    column = table.c["candidate_id" if file == "candidates" else "vacancy_id"]
    with api.store.begin() as conn:
        region = None
        if file == "candidates":
            region = conn.execute(table.select().where(column == key)).one()._mapping["region"]
        conn.execute(update(table).where(column == key).values(**values, updated_at=now()))
        scopes = [VACANCIES_VERSION] if file == "vacancies" else [region_version(region)]
        if file == "candidates" and values.get("region") not in (None, region):
            scopes.append(region_version(values["region"]))
        api.store.bump_version(conn, scopes)


def test_a_matcher_behind_the_store_answers_at_once_without_what_may_no_longer_be_suggested(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = api.app.state.matching
    vacancy = _open_vacancy(api, "Groningen")
    held = _matcher(api, "Groningen")
    first, second, third = _suggested(api, vacancy, "Groningen")[:3]
    behind: list[str | None] = []
    monkeypatch.setattr(service, "_update_later", behind.append)  # hold the background updater back

    # another process's writes: a consent withdrawn, a candidate moved to Twente, both seen at once
    _write_elsewhere(api, "candidates", first, consent=False)
    _write_elsewhere(api, "candidates", second, region="Twente")
    shown = _suggested(api, vacancy, "Groningen")
    assert behind == ["Groningen"]
    assert _matcher(api, "Groningen") is None  # answered from the matcher in hand, still behind
    assert first not in shown
    assert second not in shown
    assert third in shown
    places = _places(api, third)
    assert places

    # a vacancy no longer additional is not suggested; a candidate without consent gets no places
    _write_elsewhere(api, "vacancies", places[0], additional=False)
    assert _suggested(api, places[0], "Groningen") == []
    assert places[0] not in _places(api, third)
    _write_elsewhere(api, "candidates", third, consent=False)
    assert _places(api, third) == []
    assert third not in _suggested(api, vacancy, "Groningen")

    # brought up to date row by row, it answers the same without the filter
    monkeypatch.undo()
    service.catch_up()
    current = _matcher(api, "Groningen")
    assert current is not None
    assert current.p.text_space is held.p.text_space
    assert _suggested(api, places[0], "Groningen") == []
    assert _places(api, third) == []
    assert not {first, second, third} & set(_suggested(api, vacancy, "Groningen"))


def _places(api: Api, candidate: str) -> list[str]:
    r = api.get(f"/candidates/{candidate}/suggestions?top=5", role="coach", region="Groningen")
    assert r.status_code == 200, r.text
    return [s["vacancy_id"] for s in r.json()["items"]]


def test_the_background_updater_brings_a_matcher_behind_the_store_up_to_date(api: Api) -> None:
    vacancy = _open_vacancy(api, "Groningen")
    held = _matcher(api, "Groningen")
    best = _suggested(api, vacancy, "Groningen")[0]
    _write_elsewhere(api, "candidates", best, max_travel_km=1.0)
    _suggested(api, vacancy, "Groningen")  # answered from the matcher in hand, which is then updated
    deadline = time.monotonic() + 60
    while _matcher(api, "Groningen") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    current = _matcher(api, "Groningen")
    assert current is not None
    assert current is not held
    assert current.p.text_space is held.p.text_space
    row = int(current.p.candidate_rows([best])[0])
    assert current.p.c_max_km[row] == 1.0


def test_each_write_counts_to_the_data_versions_of_what_it_touched(api: Api) -> None:
    store = api.store

    def versions() -> dict[str | None, tuple[int, int, int]]:
        with store.connect() as conn:
            return {r: store.matching_version(conn, r) for r in ("Groningen", "Twente", None)}

    candidate = api.get("/candidates?limit=1", role="coach", region="Groningen").json()["items"][0]["candidate_id"]
    before = versions()
    assert api.patch(f"/candidates/{candidate}", role="coach", json={"max_travel_km": 33.0}).status_code == 200
    after = versions()
    assert after["Groningen"][0] > before["Groningen"][0]
    assert after["Twente"] == before["Twente"]  # another region's matcher stands
    assert after[None][0] > before[None][0]  # the national one holds everyone
    # a vacancy counts to the vacancies, a contractor to the catalogue, for every region
    vacancy = api.get("/vacancies?limit=1").json()["items"][0]["vacancy_id"]
    assert api.patch(f"/vacancies/{vacancy}", json={"hours_per_week": 21.0}).status_code == 200
    changed = versions()
    assert all(changed[r][1] > after[r][1] and changed[r][0] == after[r][0] for r in ("Groningen", "Twente"))
    assert api.patch("/contractors/OPN-00001", json={"headcount_current": 52}).status_code == 200
    assert all(versions()[r][2] > changed[r][2] for r in ("Groningen", "Twente"))
