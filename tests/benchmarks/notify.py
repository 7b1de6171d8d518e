"""Issue 23: `koppelaar notify` over a stored world: finding the events, e-mailing them, a second run.

The world is generated and imported into a SQLite store outside the clock, with an adviser's
subscriptions (status and deadline) and a coach's (vacancy matches) in every region. The clock then
runs what `koppelaar notify` runs: the first look (every obligation's status stored, the events of
today told), the e-mails to a real SMTP server (aiosmtpd on 127.0.0.1), a second run (nothing new),
and a run after a hundredth of the vacancies changed (the coaches' top-k matches). CPU time is
given beside wall time: the machine is shared.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.benchmarks.measure import Measurement, measure

AS_OF = date(2026, 10, 1)


def write_store(candidates: int, vacancies: int, seed: int) -> Path:
    """Outside the clock: the world in a SQLite store, with subscriptions in every region."""
    import pandas as pd

    from api.security import create_key
    from data.synthetic.generator import WorldConfig, generate_world
    from models.dataset import write_dataset
    from models.store import Store
    from models.store import notifications as notes
    from models.store.importer import import_folder

    folder = Path(tempfile.mkdtemp(prefix="koppelaar-bench-notify-"))
    write_dataset(generate_world(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed)), folder / "world")
    store = Store.open(f"sqlite:///{folder / 'store.sqlite'}")
    try:
        import_folder(store, folder / "world")
        people = store.load_dataset().candidates
        for region, group in people.groupby("region"):
            coach = pd.Series(group["coach_id"]).dropna().astype(str).value_counts().index[0]
            with store.begin() as conn:
                adviser = create_key(conn, role="adviseur", region=str(region)).key_id
                coach_key = create_key(conn, role="coach", region=str(region)).key_id
                for topic, weeks in (("obligation_status", None), ("obligation_deadline", 8)):
                    notes.subscribe(conn, key_id=adviser, topic=topic, email=f"{topic}@example.nl", weeks=weeks)
                notes.subscribe(
                    conn, key_id=coach_key, topic="vacancy_match", email="c@example.nl", top_k=10, coach_id=coach
                )
    finally:
        store.close()
    return folder


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def notify_world(folder: Path, *, candidates: int, vacancies: int, seed: int) -> dict[str, object]:
    """The notifier's runs on the stored world, each timed (wall and CPU)."""
    from aiosmtpd.controller import Controller
    from sqlalchemy import update

    from api.bootstrap import Runtime
    from api.services.notify import run_once
    from api.settings import Settings
    from models.store import Store
    from models.store import tables as t
    from models.store.store import VACANCIES_VERSION, now

    class Count:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Count.received += 1
            return "250 OK"

    port = _port()
    smtp = Controller(Count(), hostname="127.0.0.1", port=port)
    smtp.start()
    store = Store.open(f"sqlite:///{folder / 'store.sqlite'}")
    runtime = Runtime(
        Settings(database_url=f"sqlite:///{folder / 'store.sqlite'}", smtp_host="127.0.0.1", smtp_port=port)
    )
    out: dict[str, object] = {}
    try:

        def timed(label: str) -> dict[str, object]:
            wall, cpu = time.perf_counter(), time.process_time()
            found = run_once(store, runtime, AS_OF)
            out[f"{label}_s"] = round(time.perf_counter() - wall, 2)
            out[f"{label}_cpu_s"] = round(time.process_time() - cpu, 2)
            return found.as_dict()

        first = timed("first_run")
        out["first_run_events"] = first["new"]
        out["emails_sent"] = first["sent"]
        second = timed("second_run")
        out["second_run_sent"] = second["sent"]
        from api.services.reports import ReportService
        from api.services.worklist import WorklistService

        lists = WorklistService(store, runtime, ReportService(store, runtime)).lists(AS_OF)
        current = lists.vacancies.loc[lists.vacancies["current"].to_numpy(dtype=bool), "vacancy_id"].astype(str)
        changed = current.iloc[: max(len(lists.vacancies) // 100, 1)].tolist()  # a hundredth of all, current ones
        with store.begin() as conn:
            conn.execute(update(t.vacancies).where(t.vacancies.c.vacancy_id.in_(changed)).values(updated_at=now()))
            store.bump_version(conn, [VACANCIES_VERSION])
        out["vacancies_changed"] = len(changed)
        third = timed("after_changes_run")
        out["after_changes_events"] = third["new"]
        out["emails_received"] = Count.received
        return out
    finally:
        store.close()
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


def bench_notify(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """`koppelaar notify` on the 100,000 × 20,000 world (at scale 1)."""
    n, m = max(int(100_000 * scale), 200), max(int(20_000 * scale), 50)
    r = measure(
        f"notify on {n:,} candidates × {m:,} vacancies", "notify_world", repeat, candidates=n, vacancies=m, seed=5
    )
    return [(r, "")]


__all__ = ["bench_notify", "notify_world", "write_store"]
