"""Random sequences of API writes never leave a store that cannot be backed up and restored.

Hypothesis draws a sequence of writes (create, change and upload candidates and placements, accept
and reject suggestions, change a vacancy or an obligation, erase a candidate), each sent through the
HTTP API with an admin or a coach key, many of them invalid on purpose (a start after the end, a status
against the life cycle, a missing reference, an upload lacking columns). Whatever was accepted or
refused, the store afterwards exports a folder that ``validate`` accepts, that imports into an empty
store, and whose export is the same folder byte for byte. On SQLite and PostgreSQL (the ``db_url``
fixture); every sequence starts from the small base world in a fresh store of its own.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from api.http.app import create_app
from api.security import create_key
from api.settings import Settings
from models.dataset import validate_dataset
from models.schema import FILES
from models.store import Store
from models.store.importer import export_folder, import_folder
from tests.conftest import BASE_ROWS, _postgres_schema_url, write_rows

pytestmark = pytest.mark.slow  # a dozen sequences per database, each with three stores and an app

#: Bounded: each sequence builds its stores and an app, so a dozen sequences per database.
SEQUENCES = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing sequence is printed as it was drawn
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
V1 = "/api/v1"
CSV = {"Content-Type": "text/csv"}
#: What a write may answer: done, or refused for a reason the caller can act on; never 5xx.
ANSWERS = {200, 201, 404, 409, 422}
#: A coach of Groningen may not upload or erase, nor change the shared catalogue.
REFUSED_TO_A_COACH = {403}

CANDIDATES = ["K1", "K2", "K3", "K4"]  # K1 and K2 are in the base world; K1 is in Groningen
VACANCIES = ["V1", "V2", "V9"]  # V9 does not exist
PLACEMENTS = ["P1", "P2", "P3"]  # P1 is in the base world, gestart
STATUSES = ["voorgesteld", "geaccepteerd", "gestart", "beeindigd"]

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
maybe_days = st.none() | days
hours = st.sampled_from([0.5, 8, 24, 36.5, 40, 60, 61])
keys = st.sampled_from(["admin", "coach"])


@dataclass(frozen=True)
class Write:
    """One API request: the key's role, the method, the path and a JSON or CSV body."""

    role: str
    method: str
    path: str
    json: dict[str, Any] | None = None
    csv: str | None = None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    lines = [",".join(columns)] + [",".join("" if r.get(c) is None else str(r[c]) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


create_candidate = st.builds(
    lambda role, cid, consent, lo, hi, since, region: Write(
        role,
        "POST",
        "/candidates",
        _drop_none(
            {
                "candidate_id": cid,
                "target_group": "ww",
                "consent": consent,
                "hours_min": lo,
                "hours_max": hi,
                "available_from": since,
                "region": region,
            }
        ),
    ),
    keys,
    st.sampled_from(CANDIDATES),
    st.booleans(),
    st.none() | st.integers(0, 40),
    st.none() | st.integers(0, 40),
    maybe_days,
    st.sampled_from([None, "Groningen", "Twente"]),
)
change_candidate = st.builds(
    lambda role, cid, change: Write(role, "PATCH", f"/candidates/{cid}", change),
    keys,
    st.sampled_from(CANDIDATES),
    st.fixed_dictionaries(
        {},
        optional={
            "consent": st.booleans(),
            "hours_max": st.integers(0, 40),
            "available_from": maybe_days,
            "status": st.sampled_from(["beschikbaar", "inactief", "geplaatst"]),
        },
    ),
)
upload_candidates = st.builds(
    lambda role, rows, with_consent: Write(
        role,
        "POST",
        "/candidates/upload",
        csv=_csv(["candidate_id", "target_group", *(["consent"] if with_consent else []), "hours_max"], rows),
    ),
    keys,
    st.lists(
        st.fixed_dictionaries(
            {
                "candidate_id": st.sampled_from(CANDIDATES),
                "target_group": st.sampled_from(["ww", "wajong"]),
                "consent": st.sampled_from(["true", "false"]),
                "hours_max": st.none() | st.integers(0, 40),
            }
        ),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
create_placement = st.builds(
    lambda role, pid, cid, vid, start, end, h, status: Write(
        role,
        "POST",
        "/placements",
        _drop_none(
            {
                "placement_id": pid,
                "candidate_id": cid,
                "vacancy_id": vid,
                "start_date": start,
                "end_date": end,
                "hours_per_week": h,
                "status": status,
            }
        ),
    ),
    keys,
    st.sampled_from(PLACEMENTS),
    st.sampled_from(CANDIDATES),
    st.sampled_from(VACANCIES),
    maybe_days,
    maybe_days,
    hours,
    st.sampled_from(STATUSES),
)
change_placement = st.builds(
    lambda role, pid, change: Write(role, "PATCH", f"/placements/{pid}", change),
    keys,
    st.sampled_from(PLACEMENTS),
    st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(STATUSES),
            "start_date": days,
            "end_date": maybe_days,
            "hours_per_week": hours,
        },
    ),
)
#: An upload that names some columns only: those it lacks keep their stored values.
upload_placements = st.builds(
    lambda role, rows, optional: Write(
        role,
        "POST",
        "/placements/upload",
        csv=_csv(["placement_id", "candidate_id", "vacancy_id", "hours_per_week", *optional], rows),
    ),
    keys,
    st.lists(
        st.fixed_dictionaries(
            {
                "placement_id": st.sampled_from(PLACEMENTS),
                "candidate_id": st.sampled_from(CANDIDATES),
                "vacancy_id": st.sampled_from(VACANCIES),
                "hours_per_week": hours,
                "start_date": maybe_days,
                "end_date": maybe_days,
                "status": st.sampled_from(STATUSES),
            }
        ),
        min_size=1,
        max_size=3,
    ),
    st.lists(st.sampled_from(["start_date", "end_date", "status"]), unique=True),
)
accept = st.builds(
    lambda role, cid, vid, start: Write(
        role,
        "POST",
        "/suggestions/accept",
        _drop_none({"candidate_id": cid, "vacancy_id": vid, "start_date": start}),
    ),
    keys,
    st.sampled_from(CANDIDATES),
    st.sampled_from(VACANCIES),
    maybe_days,
)
reject = st.builds(
    lambda role, cid, vid: Write(
        role, "POST", "/suggestions/reject", {"candidate_id": cid, "vacancy_id": vid, "reason": "reistijd"}
    ),
    keys,
    st.sampled_from(CANDIDATES),
    st.sampled_from(VACANCIES),
)
change_vacancy = st.builds(
    lambda vid, change: Write("admin", "PATCH", f"/vacancies/{vid}", change),
    st.sampled_from(VACANCIES),
    st.fixed_dictionaries(
        {},
        optional={
            "positions": st.integers(0, 3),
            "start_date": maybe_days,
            "end_date": maybe_days,
            "hours_per_week": hours,
        },
    ),
)
change_obligation = st.builds(
    lambda change: Write("admin", "PATCH", "/obligations/O1", change),
    st.fixed_dictionaries({}, optional={"start_date": maybe_days, "end_date": maybe_days, "award_date": maybe_days}),
)
erase = st.builds(lambda role, cid: Write(role, "DELETE", f"/candidates/{cid}"), keys, st.sampled_from(CANDIDATES))

writes = st.lists(
    st.one_of(
        create_candidate,
        change_candidate,
        upload_candidates,
        create_placement,
        change_placement,
        upload_placements,
        accept,
        reject,
        change_vacancy,
        change_obligation,
        erase,
    ),
    min_size=1,
    max_size=8,
)


@contextmanager
def _api(url: str, base: Path) -> Iterator[tuple[Store, Callable[[Write], int]]]:
    """The API over a fresh store at ``url`` holding the base world: the store, and a function sending a write."""
    store = Store.open(url)
    try:
        import_folder(store, base)
        with store.begin() as conn:
            secrets = {
                "admin": create_key(conn, role="admin", region=None).secret,
                "coach": create_key(conn, role="coach", region="Groningen").secret,
            }
        app = create_app(Settings(database_url=url, warm=False), store=store)
        with TestClient(app, raise_server_exceptions=False) as client:

            def send(write: Write) -> int:
                headers = {"X-API-Key": secrets[write.role], **(CSV if write.csv is not None else {})}
                r: Response = client.request(
                    write.method, V1 + write.path, headers=headers, json=write.json, content=write.csv
                )
                allowed = ANSWERS | (REFUSED_TO_A_COACH if write.role == "coach" else set())
                assert r.status_code in allowed, (write, r.status_code, r.text)
                return r.status_code

            yield store, send
    finally:
        store.close()


@pytest.fixture
def fresh_urls(db_url: str, tmp_path: Path) -> Callable[[ExitStack], str]:
    """A function giving the URL of another empty database of ``db_url``'s kind, dropped with its stack."""
    numbers = itertools.count()

    def fresh(stack: ExitStack) -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'store-{next(numbers)}.sqlite'}"
        urls = _postgres_schema_url()
        stack.callback(urls.close)  # drops the schema
        return next(urls)

    return fresh


@given(sequence=writes)
@SEQUENCES
def test_after_any_writes_the_export_validates_imports_and_round_trips(
    sequence: list[Write], fresh_urls: Callable[[ExitStack], str]
) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = write_rows(folder / "base", BASE_ROWS)
        first = folder / "first"
        with _api(fresh_urls(stack), base) as (written, send):
            for write in sequence:
                note(f"{write.role} {write.method} {write.path} {write.json or write.csv!r}")
                send(write)
            export_folder(written, first)
        report = validate_dataset(first)
        assert report.ok, [str(p) for p in report.errors]
        restored = Store.open(fresh_urls(stack))
        stack.callback(restored.close)
        import_folder(restored, first)
        second = folder / "second"
        export_folder(restored, second)
        for spec in FILES:
            assert (second / spec.filename).read_bytes() == (first / spec.filename).read_bytes(), spec.filename
