"""``/subscriptions`` and ``/notifications`` over HTTP: own subscriptions, roles per topic, the feed."""

from __future__ import annotations

from tests.conftest import SAMPLE, Api


def test_subscribe_list_and_unsubscribe_your_own(api: Api) -> None:
    body = {"topic": "obligation_deadline", "email": "adviseur@gemeente.nl"}
    r = api.post("/subscriptions", role="adviseur", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["weeks"] == 8  # the default
    assert [s["subscription_id"] for s in api.get("/subscriptions", role="adviseur").json()] == [
        made["subscription_id"]
    ]
    assert api.get("/subscriptions", role="coach").json() == []  # another key's are not listed
    assert api.delete(f"/subscriptions/{made['subscription_id']}", role="coach").status_code == 404
    assert api.delete(f"/subscriptions/{made['subscription_id']}", role="adviseur").status_code == 204
    assert api.get("/subscriptions", role="adviseur").json() == []


def test_each_role_subscribes_to_its_own_topics(api: Api) -> None:
    r = api.post("/subscriptions", role="coach", json={"topic": "obligation_status"})
    assert r.status_code == 403
    assert "adviseur" in r.json()["detail"]
    r = api.post("/subscriptions", role="coach", json={"topic": "vacancy_match"})
    assert r.status_code == 422
    assert "coach_id" in r.json()["detail"]
    r = api.post("/subscriptions", role="coach", json={"topic": "vacancy_match", "coach_id": "C-001", "top_k": 5})
    assert r.status_code == 201
    r = api.post("/subscriptions", role="adviseur", json={"topic": "import_result"})
    assert r.status_code == 403
    r = api.post("/subscriptions", role="werkgeversservice", json={"topic": "import_result", "email": "not an address"})
    assert r.status_code == 422


def test_an_upload_is_told_to_the_regions_employer_service_in_its_feed(api: Api) -> None:
    r = api.post("/subscriptions", role="werkgeversservice", json={"topic": "import_result"})
    assert r.status_code == 201
    other = api.post(
        "/subscriptions", role="werkgeversservice", region="Midden-Utrecht", json={"topic": "import_result"}
    )
    assert other.status_code == 201
    good = (SAMPLE / "contractors.csv").read_bytes()
    headers = {"Content-Type": "text/csv"}
    assert api.post("/contractors/upload", role="werkgeversservice", content=good, headers=headers).status_code == 200
    bad = b"contractor_id,name\nX1,\n"
    assert api.post("/contractors/upload", role="werkgeversservice", content=bad, headers=headers).status_code == 422
    feed = api.get("/notifications", role="werkgeversservice").json()
    assert feed["total"] == 2
    refused, done = feed["items"]  # newest first
    assert refused["subject"] == "Import contractors.csv geweigerd: 1 fout"
    assert done["subject"] == "Import contractors.csv gelukt"
    rows = len(good.decode("utf-8").splitlines()) - 1
    assert f"contractors: 0 nieuw, 0 gewijzigd, {rows} ongewijzigd" in done["body"]
    assert done["sent_at"] is None  # no SMTP server configured: the feed only
    assert api.get("/notifications", role="werkgeversservice", region="Midden-Utrecht").json()["total"] == 0


def test_reading_a_coachs_matches_in_the_feed_is_audited(api: Api) -> None:
    from sqlalchemy import select

    from api.services.notify import PLACE, named_candidates
    from models.store import notifications as store_notes
    from models.store import tables as t

    r = api.post("/subscriptions", role="coach", json={"topic": "vacancy_match", "coach_id": "C-1"})
    people = ["KND-000001", "KND-000002"]
    body = "Bij de beste 10: " + ", ".join(PLACE.format(candidate_id=c, rank=i) for i, c in enumerate(people, 1))
    assert named_candidates(body) == people
    with api.store.begin() as conn:
        store_notes.add(conn, r.json()["subscription_id"], "vacancy:V:1", subject="s", body=body, link="l")
    assert api.get("/notifications", role="coach").json()["total"] == 1
    with api.store.connect() as conn:
        read = conn.execute(
            select(t.audit_candidates.c.candidate_id)
            .join(t.audit_events, t.audit_events.c.event_id == t.audit_candidates.c.event_id)
            .where(t.audit_events.c.action == "read notifications")
        ).all()
    assert sorted(r.candidate_id for r in read) == people
