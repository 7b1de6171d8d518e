"""Notifications: who asked to be told what, the events found, each stored once and e-mailed once.

A user (an API key or an organisation account) subscribes to a topic (:data:`TOPICS`):

- ``obligation_status`` (an adviser): an obligation of the key's region turns *risico* or *achter*;
- ``obligation_deadline`` (an adviser): an obligation not yet fulfilled ends within ``weeks`` weeks;
- ``vacancy_match`` (a coach): a vacancy added or changed since the last look ranks one of the
  candidates of ``coach_id`` among its ``top_k`` suggestions;
- ``import_result`` (an employer service): an upload or import into the store succeeded or was refused.

:func:`collect` finds the events of the first three (the import results are stored as they happen,
:func:`import_result`); an event is stored once per subscription (its ``event_key``), so a second run
finds nothing new. :func:`deliver` e-mails what is not sent yet over SMTP (KOPPELAAR_SMTP_*), each
claimed first, so two notifiers never send one twice. Messages are Dutch and carry pseudonymous ids and
a link, never a candidate's details. ``koppelaar notify`` runs both once (cron, a Kubernetes CronJob);
the server runs them every KOPPELAAR_NOTIFY_MINUTES when that is set (:class:`NotifyLoop`).
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pandas as pd

from api.bootstrap import Runtime
from api.services.matching import MatchingService
from api.services.reports import ReportService
from api.services.worklist import WorklistService, select
from matching.monitoring.progress import AT_RISK, BEHIND
from models.dutch import euros, plural
from models.errors import KoppelaarError
from models.store import Store
from models.store import notifications as store_notes
from models.store.notifications import Subscription
from models.store.store import now

log = logging.getLogger(__name__)

#: topic → the roles that may subscribe to it (``admin`` may subscribe to any).
TOPICS: dict[str, frozenset[str]] = {
    "obligation_status": frozenset({"adviseur", "admin"}),
    "obligation_deadline": frozenset({"adviseur", "admin"}),
    "vacancy_match": frozenset({"coach", "admin"}),
    "import_result": frozenset({"werkgeversservice", "admin"}),
}
DEFAULT_WEEKS = 8
DEFAULT_TOP_K = 10
#: How a vacancy_match message names a candidate and their rank; :func:`named_candidates` reads it back.
PLACE = "{candidate_id} (plaats {rank})"
_PLACE = re.compile(r"(\S+) \(plaats \d+\)")


def named_candidates(body: str) -> list[str]:
    """The pseudonymous candidate ids a message names (for the audit log of whoever reads it)."""
    return [m.group(1).rstrip(",") for m in _PLACE.finditer(body)]


#: A notification is tried this many times; after that it stays in the feed, unsent, with its error.
MAX_ATTEMPTS = 5


class SubscriptionError(KoppelaarError):
    """A subscription that cannot be made: the topic, the role or a parameter."""


def check_subscription(
    role: str, topic: str, *, weeks: int | None, top_k: int | None, coach_id: str | None
) -> tuple[int | None, int | None, str | None]:
    """The subscription's parameters as stored, or a :class:`SubscriptionError` saying what is wrong."""
    if topic not in TOPICS:
        raise SubscriptionError(f"topic {topic!r} is not one of {', '.join(TOPICS)}")
    if role not in TOPICS[topic]:
        allowed = " or ".join(sorted(TOPICS[topic] - {"admin"}))
        raise SubscriptionError(f"a {role} key may not subscribe to {topic} (a {allowed} key may)")
    if topic == "obligation_deadline":
        return (weeks or DEFAULT_WEEKS), None, None
    if topic == "vacancy_match":
        if not coach_id or not coach_id.strip():
            raise SubscriptionError("vacancy_match needs coach_id: the coach whose candidates are watched")
        return None, (top_k or DEFAULT_TOP_K), coach_id.strip()
    return None, None, None


@dataclass
class Found:
    """What one :func:`collect` stored, per topic, and what :func:`deliver` sent."""

    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOPICS, 0))
    sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"new": self.new, "sent": self.sent, "failed": self.failed}


def _link(runtime: Runtime, fragment: str) -> str:
    return f"{runtime.settings.public_url.rstrip('/')}/app/#/{fragment}"


def _day(value: object) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _obligation_events(
    store: Store, runtime: Runtime, subs: list[Subscription], *, obligations: pd.DataFrame, today: date, found: Found
) -> None:
    at = now()
    with store.begin() as conn:
        since = store_notes.status_changes(
            conn, zip(obligations["obligation_id"].astype(str), obligations["status"].astype(str), strict=True), at
        )
        for sub in subs:
            rows = select(obligations, region=sub.region, everything=True)
            running = rows[pd.to_datetime(rows["end_date"]) >= pd.Timestamp(today)]
            for row in running.to_dict(orient="records"):
                oid, status = str(row["obligation_id"]), str(row["status"])
                named = f"{row['tender_name']} ({row['client']})"
                end = _day(row["end_date"]) or today
                link = _link(runtime, f"verplichtingen/{oid}")
                if sub.topic == "obligation_status" and status in (AT_RISK, BEHIND):
                    key = f"status:{oid}:{status}:{since[oid].isoformat()}"
                    subject = f"SROI-verplichting {oid} staat op {status}"
                    body = (
                        f"De SROI-verplichting {oid}, {named}, staat op {today:%d-%m-%Y} op '{status}'.\n"
                        f"{row['reason']}.\n"
                        f"Verplicht {euros(float(row['required_eur']))}, gerealiseerd "
                        f"{euros(float(row['realised_eur']))}, looptijd tot {end:%d-%m-%Y}."
                    )
                elif sub.topic == "obligation_deadline" and sub.weeks is not None:
                    if end > today + timedelta(weeks=sub.weeks) or float(row["open_eur"]) <= 0:
                        continue
                    key = f"deadline:{oid}:{end.isoformat()}:{sub.weeks}"
                    days = (end - today).days
                    subject = f"SROI-verplichting {oid} loopt over {plural(days, 'dag', 'dagen')} af"
                    body = (
                        f"De SROI-verplichting {oid}, {named}, loopt af op {end:%d-%m-%Y}.\n"
                        f"Nog open: {euros(float(row['open_eur']))} van {euros(float(row['required_eur']))}; "
                        f"status '{status}'."
                    )
                else:
                    continue
                if store_notes.add(conn, sub.subscription_id, key, subject=subject, body=body, link=link):
                    found.new[sub.topic] += 1


def _vacancy_events(
    store: Store,
    runtime: Runtime,
    subs: list[Subscription],
    *,
    matching: MatchingService,
    vacancies: pd.DataFrame,
    today: date,
    found: Found,
) -> None:
    current = vacancies[vacancies["current"].to_numpy(dtype=bool)].set_index("vacancy_id")
    for sub in subs:
        started = now()
        with store.connect() as conn:
            changed = store_notes.vacancies_changed(conn, sub.checked_at or sub.created_at)
            coach = set(store_notes.coach_candidates(conn, sub.coach_id or "", sub.region) if sub.coach_id else [])
        changed = [(vid, at) for vid, at in changed if vid in current.index]
        events: list[tuple[str, str, str, str]] = []
        if changed and coach:
            matcher = matching.matcher(sub.region, today)
            k = sub.top_k or DEFAULT_TOP_K
            for vid, at in changed:
                ranked = [str(c) for c in matcher.suggest_for_vacancy(vid, k)["candidate_id"]]
                mine = [(rank, c) for rank, c in enumerate(ranked, start=1) if c in coach]
                if not mine:
                    continue
                title = str(current.at[vid, "title"])
                places = ", ".join(PLACE.format(candidate_id=c, rank=rank) for rank, c in mine)
                word = "kandidaat" if len(mine) == 1 else "kandidaten"
                events.append(
                    (
                        f"vacancy:{vid}:{at.isoformat()}",
                        f"Vacature {vid} past bij {len(mine)} {word} van u",
                        f"De vacature {vid} ({title}) is nieuw of gewijzigd. Bij de beste {k} voorstellen staan "
                        f"{word} van u: {places}.",
                        _link(runtime, f"vacatures/{vid}"),
                    )
                )
        with store.begin() as conn:
            for key, subject, body, link in events:
                if store_notes.add(conn, sub.subscription_id, key, subject=subject, body=body, link=link):
                    found.new[sub.topic] += 1
            store_notes.checked(conn, sub.subscription_id, started)


def collect(
    store: Store,
    runtime: Runtime,
    today: date,
    *,
    matching: MatchingService | None = None,
    worklist: WorklistService | None = None,
) -> Found:
    """Find the events of every active subscription and store each new one once (see the module)."""
    found = Found()
    with store.connect() as conn:
        subs = store_notes.active(conn)
    about_obligations = [s for s in subs if s.topic in ("obligation_status", "obligation_deadline")]
    about_vacancies = [s for s in subs if s.topic == "vacancy_match"]
    if not about_obligations and not about_vacancies:
        return found
    worklist = worklist or WorklistService(store, runtime, ReportService(store, runtime))
    lists = worklist.lists(today)
    if about_obligations:
        _obligation_events(store, runtime, about_obligations, obligations=lists.obligations, today=today, found=found)
    if about_vacancies:
        matching = matching or MatchingService(store, runtime)
        _vacancy_events(
            store, runtime, about_vacancies, matching=matching, vacancies=lists.vacancies, today=today, found=found
        )
    return found


def import_result(
    store: Store,
    runtime: Runtime,
    *,
    region: str | None,
    source: str,
    changes: dict[str, dict[str, int]] | None,
    errors: int = 0,
) -> int:
    """Store the result of an import for the ``import_result`` subscribers who see ``region`` (``None``:
    an import of every region, by the command line: every subscriber); how many were stored.

    ``changes`` holds per file the rows new, changed and unchanged; ``None`` when the import was refused
    with ``errors`` errors. The message holds counts only."""
    at = now()
    if changes is None:
        subject = f"Import {source} geweigerd: {errors} {'fout' if errors == 1 else 'fouten'}"
        body = f"De import van {source} op {at:%d-%m-%Y %H:%M} UTC is geweigerd; er is niets opgeslagen."
    else:
        parts = [
            f"{name}: {c['inserted']} nieuw, {c['updated']} gewijzigd, {c['unchanged']} ongewijzigd"
            for name, c in changes.items()
        ]
        subject = f"Import {source} gelukt"
        body = f"De import van {source} op {at:%d-%m-%Y %H:%M} UTC is opgeslagen.\n" + "\n".join(parts)
    stored = 0
    with store.begin() as conn:
        for sub in store_notes.active(conn):
            if sub.topic != "import_result" or (region is not None and sub.region not in (None, region)):
                continue
            key = f"import:{source}:{at.isoformat()}"
            stored += store_notes.add(
                conn, sub.subscription_id, key, subject=subject, body=body, link=_link(runtime, "")
            )
    return stored


def _message(runtime: Runtime, to: str, subject: str, body: str, link: str) -> EmailMessage:
    settings = runtime.settings
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="koppelaar")
    msg.set_content(
        f"{body}\n\nBekijk het in Koppelaar: {link}\n\n"
        "U krijgt dit bericht omdat u zich op deze meldingen hebt geabonneerd (GET /api/v1/subscriptions).\n"
    )
    return msg


def deliver(store: Store, runtime: Runtime, found: Found | None = None) -> Found:
    """E-mail every notification not sent yet (with an address); each is claimed first and marked sent
    after the SMTP server took it. Without KOPPELAAR_SMTP_HOST nothing is sent: the feed has them."""
    found = found or Found()
    settings = runtime.settings
    if not settings.smtp_host:
        return found
    with store.connect() as conn:
        outgoing = store_notes.unsent(conn, MAX_ATTEMPTS)
    if not outgoing:
        return found
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    except OSError as exc:
        raise KoppelaarError(
            f"cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port} (KOPPELAAR_SMTP_HOST): {exc}"
        ) from None
    with smtp:
        try:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
        except smtplib.SMTPException as exc:
            raise KoppelaarError(f"the SMTP server {settings.smtp_host} refused Koppelaar's login: {exc}") from None
        for note in outgoing:
            with store.begin() as conn:
                if not store_notes.claim(conn, note.notification_id):
                    continue
            try:
                smtp.send_message(_message(runtime, note.email, note.subject, note.body, note.link))
            except smtplib.SMTPException as exc:
                with store.begin() as conn:
                    store_notes.failed(conn, note.notification_id, str(exc))
                found.failed += 1
                continue
            with store.begin() as conn:
                store_notes.sent(conn, note.notification_id)
            found.sent += 1
    return found


def run_once(
    store: Store,
    runtime: Runtime,
    today: date,
    *,
    matching: MatchingService | None = None,
    worklist: WorklistService | None = None,
) -> Found:
    """:func:`collect` then :func:`deliver`: what ``koppelaar notify`` and the server's loop do each time."""
    return deliver(store, runtime, collect(store, runtime, today, matching=matching, worklist=worklist))


class NotifyLoop:
    """The server's own notifier: :func:`run_once` every KOPPELAAR_NOTIFY_MINUTES, in a daemon thread."""

    def __init__(self, store: Store, runtime: Runtime, matching: MatchingService, worklist: WorklistService) -> None:
        self.store, self.runtime, self.matching, self.worklist = store, runtime, matching, worklist
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        minutes = self.runtime.settings.notify_minutes
        if minutes <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    found = run_once(
                        self.store, self.runtime, date.today(), matching=self.matching, worklist=self.worklist
                    )
                    log.info("notifications: %s", found.as_dict())
                except Exception:  # the loop outlives a bad run (an SMTP server down); the next one tries again
                    log.exception("the notifier's run failed")
                self.runs += 1
                self._stop.wait(minutes * 60)

        self._thread = threading.Thread(target=loop, name="koppelaar-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = [
    "DEFAULT_TOP_K",
    "DEFAULT_WEEKS",
    "MAX_ATTEMPTS",
    "PLACE",
    "TOPICS",
    "Found",
    "NotifyLoop",
    "SubscriptionError",
    "check_subscription",
    "collect",
    "deliver",
    "import_result",
    "named_candidates",
    "run_once",
]
