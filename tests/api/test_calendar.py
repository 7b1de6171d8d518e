"""The tender calendar out: ``/calendar.ics`` parses with the icalendar package, per region."""

from __future__ import annotations

from datetime import date
from typing import Any

from icalendar import Calendar

from api.services.worklist import select
from tests.conftest import Api

A, B = "Groningen", "Midden-Utrecht"


def events(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    assert cal.get("version") == "2.0"
    assert cal.get("method") == "PUBLISH"
    assert str(cal.get("x-published-ttl")) == "PT12H"
    return {str(e.get("uid")): e for e in cal.walk("VEVENT")}


def test_the_feed_holds_each_obligation_of_the_region_with_award_start_and_end(api: Api) -> None:
    r = api.get("/calendar.ics", role="coach")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    found = events(r.content)
    lists = api.app.state.worklist.lists(date.today())
    mine = select(lists.obligations, region=A, everything=True)
    assert len(mine) > 0
    assert {uid.rsplit("-", 1)[0] for uid in found} == {f"{o}" for o in mine["obligation_id"]}
    stored = api.store.load_dataset().obligations.set_index("obligation_id")
    for oid in mine["obligation_id"]:
        row = stored.loc[oid]
        for what, column in (("gunning", "award_date"), ("start", "start_date"), ("einde", "end_date")):
            event = found[f"{oid}-{what}@koppelaar"]
            assert event.decoded("dtstart") == row[column].date()
            assert event.decoded("dtend") > event.decoded("dtstart")
            assert str(row["tender_name"]) in str(event.get("summary"))
    every = select(lists.obligations, region=None, everything=True)
    assert len(mine) < len(every)  # another region's obligations are not in it


def test_a_regional_key_gets_no_other_region_and_a_national_key_chooses(api: Api) -> None:
    assert api.get(f"/calendar.ics?region={B}", role="adviseur").status_code == 404
    own = events(api.get("/calendar.ics", role="adviseur").content)
    assert events(api.get(f"/calendar.ics?region={A}", role="admin", region=None).content) == own
    every = events(api.get("/calendar.ics", role="admin", region=None).content)
    assert set(own) < set(every)
    assert api.get("/calendar.ics?region=Atlantis", role="admin", region=None).status_code == 404
    assert api.client.get("/api/v1/calendar.ics").status_code == 401
