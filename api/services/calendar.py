"""The tender calendar as iCalendar (RFC 5545): each obligation's award, start and end as all-day events.

One feed per region (the regions an obligation lies in are the coach's lists': api/services/worklist.py),
or every region for a national key. Outlook, Google Calendar and Apple Calendar subscribe to it by URL.
Events carry the tender's name, the client, the obligation's id and its status; no candidate is in them.
Each event's UID is stable (``<obligation_id>-<what>@koppelaar``), so a changed date moves the event
instead of adding one, and its DTSTAMP is when the obligation last changed in the store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from icalendar import Calendar, Event

from api.services.worklist import Lists, select
from models.dutch import euros

#: (column, what the event is called, its UID suffix) per event of one obligation.
EVENTS = (
    ("award_date", "Gunning", "gunning"),
    ("start_date", "Start SROI-verplichting", "start"),
    ("end_date", "Einde SROI-verplichting (deadline)", "einde"),
)
PRODID = "-//Koppelaar//SROI-tenderkalender//NL"


def _day(value: Any) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def calendar_feed(lists: Lists, award_dates: dict[str, date], stamps: dict[str, datetime], region: str | None) -> bytes:
    """The iCalendar feed of every obligation in ``region`` (``None``: every region), ended ones too."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = f"SROI-tenderkalender {region}" if region else "SROI-tenderkalender, alle regio's"
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Amsterdam")
    # how often a subscribed calendar (Outlook, Apple Calendar) fetches the feed again
    cal.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    rows = select(lists.obligations, region=region, everything=True, sort="start_date")
    for row in rows.to_dict(orient="records"):
        oid = str(row["obligation_id"])
        days = {
            "award_date": award_dates.get(oid),
            "start_date": _day(row["start_date"]),
            "end_date": _day(row["end_date"]),
        }
        summary_of = f"{row['tender_name']} ({row['client']})"
        details = (
            f"Verplichting {oid}, opdrachtnemer {row['contractor']}.\n"
            f"Verplicht: {euros(float(row['required_eur']))}; gerealiseerd: {euros(float(row['realised_eur']))}.\n"
            f"Status: {row['status']}. Looptijd {days['start_date']} tot en met {days['end_date']}."
        )
        for column, label, suffix in EVENTS:
            day = days[column]
            if day is None:
                continue
            event = Event()
            event.add("uid", f"{oid}-{suffix}@koppelaar")
            stamp = stamps.get(oid) or datetime(1970, 1, 1, tzinfo=UTC)
            event.add("dtstamp", stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("summary", f"{label}: {summary_of}")
            event.add("description", details)
            event.add("categories", ["SROI", str(row["status"])])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    return bytes(cal.to_ical())


__all__ = ["EVENTS", "PRODID", "calendar_feed"]
