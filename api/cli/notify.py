"""``koppelaar notify``: find the events users subscribed to, store each once, e-mail what is not sent yet.

For cron or a Kubernetes CronJob (docs/MONITORING.md, "Notifications"); the server does the same every
KOPPELAAR_NOTIFY_MINUTES when that is set. A second run right after the first finds and sends nothing.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store
from api.cli.options import OutputFormat, TodayOpt, day_or_today
from api.cli.render import table

console = Console()


def notify(
    today: TodayOpt = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.TEXT,
) -> None:
    """Look for the subscribed events (obligations turning risico/achter or near their end, vacancies that
    fit a coach's candidates) and e-mail every notification not sent yet (KOPPELAAR_SMTP_HOST)."""
    from api.services.notify import run_once

    day = day_or_today(today)
    runtime = Runtime.load()
    store = open_store(runtime)
    try:
        found = run_once(store, runtime, day)
    finally:
        store.close()
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(found.as_dict(), indent=2))
        return
    rows = [(topic, n) for topic, n in found.new.items()]
    console.print(table(f"Notifications on {day.isoformat()}", ("new events", "count"), rows))
    smtp = runtime.settings.smtp_host
    console.print(
        f"e-mailed {found.sent}, failed {found.failed}" if smtp else "KOPPELAAR_SMTP_HOST is not set: feed only",
        markup=False,
    )


__all__ = ["notify"]
