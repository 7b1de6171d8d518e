"""Notifications against a real SMTP server (aiosmtpd on 127.0.0.1): each event e-mailed once."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.message import Message
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from typer.testing import CliRunner

from api.bootstrap import Runtime
from api.cli import app
from api.security import create_key
from api.services.notify import collect, deliver, run_once
from api.services.reports import ReportService
from api.services.worklist import WorklistService, select
from api.settings import Settings
from models.store import notifications as store_notes
from models.store import tables as t
from models.store.store import now
from tests.conftest import AS_OF

REGION = "Groningen"
runner = CliRunner()


class Inbox:
    """What the SMTP server received: each message as sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1, in a thread of this process."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def runtime_for(db_url: str, port: int) -> Runtime:
    return Runtime(
        Settings(database_url=db_url, smtp_host="127.0.0.1", smtp_port=port, public_url="https://koppelaar.example.nl")
    )


def key_of(store: Any, role: str, region: str | None = REGION) -> str:
    with store.begin() as conn:
        return create_key(conn, role=role, region=region).key_id


def slip_to_behind(store: Any, obligation_id: str) -> None:
    """The obligation's owed euros up to its whole contract value: its forecast falls far short."""
    with store.begin() as conn:
        o = t.obligations.c
        conn.execute(
            update(t.obligations)
            .where(o.obligation_id == obligation_id)
            .values(obligation_eur=o.contract_value_eur, updated_at=now())
        )
        store.bump_version(conn)


def on_schedule(store: Any, runtime: Runtime) -> str:
    lists = WorklistService(store, runtime, ReportService(store, runtime)).lists(AS_OF)
    rows = select(lists.obligations, region=REGION, status="op schema")
    assert len(rows), "the sample has running obligations op schema in Groningen"
    return str(rows["obligation_id"].iloc[0])


def test_an_obligation_slipping_to_achter_sends_one_email_and_a_second_run_none(
    sample_store: Any, db_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    runtime = runtime_for(db_url, port)
    adviser = key_of(sample_store, "adviseur")
    with sample_store.begin() as conn:
        sub = store_notes.subscribe(conn, key_id=adviser, topic="obligation_status", email="adviseur@gemeente.nl")
    first = run_once(sample_store, runtime, AS_OF)  # what is at risk or behind today: told once
    assert first.sent == len(inbox.messages) == first.new["obligation_status"]
    assert run_once(sample_store, runtime, AS_OF).sent == 0
    before = len(inbox.messages)

    oid = on_schedule(sample_store, runtime)
    slip_to_behind(sample_store, oid)
    found = run_once(sample_store, runtime, AS_OF)
    assert found.new["obligation_status"] == 1
    assert found.sent == 1
    [mail] = inbox.messages[before:]
    assert mail["To"] == "adviseur@gemeente.nl"
    assert mail["Subject"] == f"SROI-verplichting {oid} staat op achter"
    text = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert f"https://koppelaar.example.nl/app/#/verplichtingen/{oid}" in text
    assert "KND-" not in text  # no candidate in it

    again = run_once(sample_store, runtime, AS_OF)
    assert (again.sent, sum(again.new.values())) == (0, 0)
    assert len(inbox.messages) == before + 1
    with sample_store.connect() as conn:
        feed, total = store_notes.feed(conn, key_of_sub(sample_store, sub), 0, 500)
    assert total == first.sent + 1
    assert all(item["sent_at"] is not None for item in feed)


def key_of_sub(store: Any, subscription_id: int) -> str:
    with store.connect() as conn:
        return next(s.key_id for s in store_notes.active(conn) if s.subscription_id == subscription_id)


def test_another_regions_obligations_and_deadlines_within_the_weeks(sample_store: Any, db_url: str) -> None:
    runtime = Runtime(Settings(database_url=db_url))  # no SMTP server: the feed only
    lists = WorklistService(sample_store, runtime, ReportService(sample_store, runtime)).lists(AS_OF)
    adviser = key_of(sample_store, "adviseur")
    with sample_store.begin() as conn:
        mine = store_notes.subscribe(conn, key_id=adviser, topic="obligation_deadline", email=None, weeks=26)
    found = collect(sample_store, runtime, AS_OF)
    with sample_store.connect() as conn:
        feed, total = store_notes.feed(conn, key_of_sub(sample_store, mine), 0, 500)
    ids = {item["subject"].split()[1] for item in feed}
    own = select(lists.obligations, region=REGION, everything=True)
    ends = own.set_index("obligation_id")["end_date"]
    assert total == found.new["obligation_deadline"] > 0
    for oid in ids:
        assert oid in ends.index  # never another region's
        assert AS_OF <= pd.Timestamp(ends[oid]).date() <= date(2027, 4, 1)  # within 26 weeks
    assert deliver(sample_store, runtime).sent == 0  # KOPPELAAR_SMTP_HOST unset: nothing is e-mailed
    assert sum(collect(sample_store, runtime, AS_OF).new.values()) == 0


def test_a_changed_vacancy_that_ranks_a_coachs_candidate_is_told_once(
    sample_store: Any, db_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    runtime = runtime_for(db_url, port)
    from api.services.matching import MatchingService

    matching = MatchingService(sample_store, runtime)
    vacancy = "VAC-000029"  # near Groningen: dozens of the sample's Groningen candidates fit it
    top = matching.matcher(REGION, AS_OF).suggest_for_vacancy(vacancy, 5)["candidate_id"].astype(str).tolist()
    people = sample_store.load_dataset(REGION).candidates.set_index("candidate_id")
    coach = next(str(people.at[c, "coach_id"]) for c in top if isinstance(people.at[c, "coach_id"], str))
    coach_key = key_of(sample_store, "coach")
    with sample_store.begin() as conn:
        store_notes.subscribe(
            conn, key_id=coach_key, topic="vacancy_match", email="coach@wsp.nl", top_k=5, coach_id=coach
        )
    assert sum(collect(sample_store, runtime, AS_OF, matching=matching).new.values()) == 0  # nothing changed yet
    with sample_store.begin() as conn:
        v = t.vacancies.c
        conn.execute(update(t.vacancies).where(v.vacancy_id == vacancy).values(updated_at=now()))
        sample_store.bump_version(conn, ["data_version:vacancies"])
    found = run_once(sample_store, runtime, AS_OF, matching=matching)
    assert found.new["vacancy_match"] == 1
    [mail] = inbox.messages
    text = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    theirs = [c for c in top if people.at[c, "coach_id"] == coach]
    for c in theirs:
        assert c in text  # pseudonymous ids and their place
    assert f"/app/#/vacatures/{vacancy}" in text
    for column in ("postcode", "skills", "birth_year"):  # never a candidate's details
        value = people.at[theirs[0], column]
        if isinstance(value, str) and len(value) > 3:
            assert value not in text
    assert run_once(sample_store, runtime, AS_OF, matching=matching).sent == 0


def test_koppelaar_notify_runs_from_the_command_line(
    sample_store: Any, db_url: str, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    for name, value in (("DATABASE_URL", db_url), ("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(port))):
        monkeypatch.setenv(f"KOPPELAAR_{name}", value)
    employer, adviser = key_of(sample_store, "werkgeversservice"), key_of(sample_store, "adviseur")
    with sample_store.begin() as conn:
        store_notes.subscribe(conn, key_id=employer, topic="import_result", email="wgs@regio.nl")
        store_notes.subscribe(conn, key_id=adviser, topic="obligation_status", email="adviseur@gemeente.nl")
    from tests.conftest import SAMPLE

    assert runner.invoke(app, ["import", str(SAMPLE), "--quiet"]).exit_code == 0  # an import result to tell
    r = runner.invoke(app, ["notify", "--today", AS_OF.isoformat(), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["sent"] == len(inbox.messages) == out["new"]["obligation_status"] + 1
    subjects = [m["Subject"] for m in inbox.messages]
    assert "Import sample gelukt" in subjects
    r = runner.invoke(app, ["notify", "--today", AS_OF.isoformat(), "--format", "json"])
    assert json.loads(r.stdout)["sent"] == 0
    monkeypatch.setenv("KOPPELAAR_SMTP_PORT", str(free_port()))  # no server there
    slip_to_behind(sample_store, on_schedule(sample_store, runtime_for(db_url, port)))
    r = runner.invoke(app, ["notify", "--today", AS_OF.isoformat()])
    assert r.exit_code == 2
    assert "cannot reach the SMTP server" in " ".join(r.output.split())


def test_the_servers_own_loop_sends_when_switched_on(sample_store: Any, db_url: str, smtp: tuple[Inbox, int]) -> None:
    import time

    from fastapi.testclient import TestClient

    from api.http.app import create_app

    inbox, port = smtp
    adviser = key_of(sample_store, "adviseur")
    with sample_store.begin() as conn:
        store_notes.subscribe(
            conn, key_id=adviser, topic="obligation_deadline", email="adviseur@gemeente.nl", weeks=520
        )
    settings = Settings(
        database_url=db_url, warm=False, smtp_host="127.0.0.1", smtp_port=port, notify_minutes=0.01
    )  # every 0.6 s
    with TestClient(create_app(settings, store=sample_store)) as client:
        loop = client.app.state.notifier  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while loop.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert loop.runs >= 2  # it ran, and ran again
    assert inbox.messages  # every obligation ends within ten years: told, once each
    subjects = [m["Subject"] for m in inbox.messages]
    assert len(subjects) == len(set(subjects))


def test_erasing_a_candidate_replaces_their_id_in_stored_notifications(sample_store: Any, db_url: str) -> None:
    from models.store.erasure import anonymous_id, erase_candidate

    person = str(sample_store.load_dataset(REGION).candidates["candidate_id"].iloc[0])
    coach = key_of(sample_store, "coach")
    with sample_store.begin() as conn:
        sub = store_notes.subscribe(conn, key_id=coach, topic="vacancy_match", email=None, top_k=5, coach_id="C1")
        store_notes.add(
            conn, sub, "vacancy:V1:t", subject="Vacature V1", body=f"Kandidaten: {person} (plaats 1).", link="x"
        )
    token = anonymous_id()
    with sample_store.begin() as conn:
        assert erase_candidate(conn, person, None, token) is not None
    with sample_store.connect() as conn:
        [item], _ = store_notes.feed(conn, coach, 0, 10)
    assert person not in item["body"]
    assert token in item["body"]
