"""Shared fixtures: a small valid dataset written as CSV text, paths to shared data, the generated
worlds of the whole session (:class:`Worlds`), and the store and HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from threadpoolctl import threadpool_limits

from tests.paths import SHARED_DATA

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from httpx import Response

    from matching.prepare import Prepared
    from matching.scorers import LearnedScorer
    from models.dataset import Dataset
    from models.store import Store


# One thread in each native thread pool (OpenMP: scikit-learn's boosting; OpenBLAS: numpy), in the test
# processes and in the processes they start: the suite keeps both cores busy with its two workers already,
# and pool threads that spin while they wait for each other only add CPU time. The variables reach the
# libraries loaded later (OpenMP comes with scikit-learn), the xdist workers and the commands the tests
# start; threadpoolctl limits the libraries loaded already.
for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")
threadpool_limits(limits=1)

BASE_ROWS: dict[str, list[dict[str, str]]] = {
    "contractors": [
        {"contractor_id": "C1", "name": "Bouwbedrijf Noord B.V.", "kvk": "12345678", "postcode": "9711",
         "lat": "53.2194", "lon": "6.5665", "pso_level": "basis", "headcount_baseline": "120",
         "headcount_current": "125"},
        {"contractor_id": "C2", "name": "Groenbeheer Zuid BV", "kvk": "", "postcode": "5611", "lat": "", "lon": "",
         "pso_level": "", "headcount_baseline": "40", "headcount_current": "38"},
    ],
    "obligations": [
        {"obligation_id": "O1", "contractor_id": "C1", "client": "Gemeente Groningen",
         "tender_name": "Versterking woningen Appingedam", "sector": "bouw", "contract_value_eur": "800000",
         "sroi_percentage": "5", "obligation_eur": "", "award_date": "2026-01-10", "start_date": "2026-02-01",
         "end_date": "2027-12-31", "valuation_scheme": "oost_nl", "allowed_target_groups": "participatiewet; ww"},
        {"obligation_id": "O2", "contractor_id": "C2", "client": "Gemeente Eindhoven",
         "tender_name": "Groenonderhoud Eindhoven", "sector": "groen", "contract_value_eur": "12000000",
         "sroi_percentage": "5", "obligation_eur": "300000", "award_date": "2025-06-01", "start_date": "2025-09-01",
         "end_date": "2028-08-31", "valuation_scheme": "", "allowed_target_groups": ""},
    ],
    "vacancies": [
        {"vacancy_id": "V1", "contractor_id": "C1", "obligation_id": "O1", "title": "Timmerman (m/v)",
         "occupation": "timmerman", "description": "", "required_skills": "timmeren; maatvoeren",
         "optional_skills": "", "required_certificates": "vca_basis", "trainable_certificates": "vca_basis",
         "required_licences": "B", "min_language_level": "A2", "min_education_level": "", "physical_load": "zwaar",
         "hours_per_week": "36", "positions": "2", "additional": "true", "placement_type": "baan", "postcode": "",
         "lat": "", "lon": "", "start_date": "2026-03-01", "end_date": ""},
        {"vacancy_id": "V2", "contractor_id": "C2", "obligation_id": "", "title": "medewerker groen",
         "occupation": "", "description": "Onderhoud van parken", "required_skills": "", "optional_skills": "",
         "required_certificates": "", "trainable_certificates": "", "required_licences": "",
         "min_language_level": "", "min_education_level": "", "physical_load": "", "hours_per_week": "32",
         "positions": "1", "additional": "false", "placement_type": "", "postcode": "5612", "lat": "", "lon": "",
         "start_date": "", "end_date": ""},
    ],
    "candidates": [
        {"candidate_id": "K1", "target_group": "participatiewet", "benefit_since": "2023-05-01",
         "birth_year": "1990", "region": "Groningen", "postcode": "9401AB", "lat": "", "lon": "",
         "skills": "timmeren; metselen", "occupations": "timmerman:3", "education_level": "mbo1",
         "certificates": "vca_basis", "driving_licences": "B", "language_level": "B1", "hours_min": "24",
         "hours_max": "36", "available_from": "2026-02-01", "max_travel_km": "30", "physical_capacity": "zwaar",
         "previous_employers": "C2", "consent": "true", "status": "beschikbaar", "coach_id": "coach-1",
         "profile_text": "Gemotiveerd"},
        {"candidate_id": "K2", "target_group": "ww", "benefit_since": "", "birth_year": "", "region": "",
         "postcode": "", "lat": "", "lon": "", "skills": "", "occupations": "", "education_level": "",
         "certificates": "", "driving_licences": "", "language_level": "", "hours_min": "", "hours_max": "",
         "available_from": "", "max_travel_km": "", "physical_capacity": "", "previous_employers": "",
         "consent": "false", "status": "", "coach_id": "", "profile_text": ""},
    ],
    "placements": [
        {"placement_id": "P1", "candidate_id": "K1", "vacancy_id": "V1", "obligation_id": "O1",
         "start_date": "2026-03-01", "end_date": "", "hours_per_week": "36", "contract_type": "tijdelijk",
         "status": "gestart", "retained_6m": "true", "retained_12m": ""},
    ],
}  # fmt: skip

DatasetFactory = Callable[..., Path]


def write_rows(folder: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in rows.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(records[0]) if records else [], lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
    return folder


@pytest.fixture
def make_dataset(tmp_path: Path) -> DatasetFactory:
    """Write the base dataset with some cells changed: ``make_dataset(("vacancies", 0, "positions", "-2"))``."""

    def factory(*changes: tuple[str, int, str, str]) -> Path:
        rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items()}
        for file, index, column, value in changes:
            rows[file][index][column] = value
        return write_rows(tmp_path / "dataset", rows)

    return factory


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


# -- generated worlds, made once per session ----------------------------------------------------

#: The as-of date of the generated worlds (``WorldConfig.as_of``), the day their matches are for.
AS_OF = date(2026, 10, 1)


@dataclass
class Worlds:
    """Generated worlds, their prepared datasets and the scorers trained on them, each made once per
    test session and handed to every test that asks for the same one.

    **Read only.** What :meth:`dataset`, :meth:`prepared` and :meth:`trained` return is shared by
    every test (and module) asking for the same world: never change it. A test that wants a changed
    world (rare cases made common, say) takes :meth:`copy` and prepares that itself. At the end of
    the session every shared dataset is compared with the copy taken when it was made: a test that
    changed one fails the run, with an error naming the world and the table.
    """

    _datasets: dict[tuple[int, int, int], Dataset] = field(default_factory=dict)
    _pristine: dict[tuple[int, int, int], Dataset] = field(default_factory=dict)
    _prepared: dict[tuple[int, int, int, date], Prepared] = field(default_factory=dict)
    _trained: dict[tuple[int, int, int, date, int], LearnedScorer] = field(default_factory=dict)

    def dataset(self, candidates: int, vacancies: int, seed: int) -> Dataset:
        """The generated world (shared: read only)."""
        key = (candidates, vacancies, seed)
        if key not in self._datasets:
            from data.synthetic.generator import WorldConfig, generate_world

            self._datasets[key] = generate_world(WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed))
            self._pristine[key] = _copy(self._datasets[key])
        return self._datasets[key]

    def copy(self, candidates: int, vacancies: int, seed: int) -> Dataset:
        """A copy of the generated world of its own, to change."""
        return _copy(self.dataset(candidates, vacancies, seed))

    def prepared(self, candidates: int, vacancies: int, seed: int, today: date = AS_OF) -> Prepared:
        """The world prepared for matching on ``today`` (shared: read only)."""
        key = (candidates, vacancies, seed, today)
        if key not in self._prepared:
            from matching.prepare import MatchConfig, Prepared

            ds = self.dataset(candidates, vacancies, seed)
            self._prepared[key] = Prepared(ds, config=MatchConfig(today=today))
        return self._prepared[key]

    def trained(self, candidates: int, vacancies: int, seed: int, *, train_seed: int) -> LearnedScorer:
        """The learned scorer trained on the world's placement history (shared: read only)."""
        key = (candidates, vacancies, seed, AS_OF, train_seed)
        if key not in self._trained:
            from matching.matcher import train

            self._trained[key] = train(self.prepared(candidates, vacancies, seed), seed=train_seed)
        return self._trained[key]

    def changed(self) -> list[str]:
        """The shared worlds some test changed: ``"3000x900 seed 5: candidates"``, ..."""
        import pandas as pd

        out = []
        for key, ds in self._datasets.items():
            for name, table in ds.tables().items():
                try:
                    pd.testing.assert_frame_equal(table, self._pristine[key].table(name))
                except AssertionError:
                    out.append(f"{key[0]}x{key[1]} seed {key[2]}: {name}")
        return out


def _copy(ds: Dataset) -> Dataset:
    return replace(ds, **{name: table.copy() for name, table in ds.tables().items()}, warnings=list(ds.warnings))


@pytest.fixture(scope="session")
def worlds() -> Iterator[Worlds]:
    """The session's generated worlds (see :class:`Worlds`: read only, or take a copy)."""
    cache = Worlds()
    yield cache
    changed = cache.changed()
    assert not changed, f"a test changed a shared world (take worlds.copy(...) to change one): {changed}"


# -- the store and the HTTP API, on SQLite and on PostgreSQL ------------------------------------

import secrets  # noqa: E402

#: The local PostgreSQL the suite uses (`.ci/postgres` starts it); each test gets its own schema.
POSTGRES_URL = os.environ.get("KOPPELAAR_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "sample"


def _postgres_schema_url() -> Generator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            schema = f"t_{secrets.token_hex(6)}"
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable in CI: {exc.orig}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable (start it with .ci/postgres)")
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        # a connection a test left in a transaction holds locks on the schema's tables: the drop then fails
        # after a minute, naming the test, instead of waiting for ever
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for an empty store: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'koppelaar.sqlite'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty, migrated store."""
    from models.store import Store

    s = Store.open(db_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sample_store(store: Store) -> Store:
    """The store holding the committed sample world (500 candidates in six regions)."""
    from models.store.importer import import_folder

    import_folder(store, SAMPLE)
    return store


class Api:
    """A test client of the API with a key per (role, region)."""

    def __init__(self, client: TestClient, store: Store) -> None:
        self.client = client
        self.store = store
        self._keys: dict[tuple[str, str | None], str] = {}

    @property
    def app(self) -> FastAPI:
        """The application the client calls."""
        from fastapi import FastAPI

        app = self.client.app
        assert isinstance(app, FastAPI)
        return app

    def key(self, role: str, region: str | None = "Groningen") -> str:
        from api.security import create_key

        if (role, region) not in self._keys:
            with self.store.begin() as conn:
                self._keys[role, region] = create_key(conn, role=role, region=region).secret
        return self._keys[role, region]

    def headers(self, role: str = "admin", region: str | None = "Groningen") -> dict[str, str]:
        return {"X-API-Key": self.key(role, region)}

    def request(
        self, method: str, path: str, role: str = "admin", region: str | None = "Groningen", **kw: Any
    ) -> Response:
        headers = {**self.headers(role, region), **kw.pop("headers", {})}
        # starlette annotates the request with httpx's private types, which mypy reads as Any
        response: Response = self.client.request(method, "/api/v1" + path, headers=headers, **kw)
        return response

    def get(self, path: str, role: str = "admin", region: str | None = "Groningen", **kw: Any) -> Response:
        return self.request("GET", path, role, region, **kw)

    def post(self, path: str, role: str = "admin", region: str | None = "Groningen", **kw: Any) -> Response:
        return self.request("POST", path, role, region, **kw)

    def patch(self, path: str, role: str = "admin", region: str | None = "Groningen", **kw: Any) -> Response:
        return self.request("PATCH", path, role, region, **kw)

    def delete(self, path: str, role: str = "admin", region: str | None = "Groningen", **kw: Any) -> Response:
        return self.request("DELETE", path, role, region, **kw)

    def wait_for_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        self.app.state.jobs.wait(run_id, timeout=timeout)
        run: dict[str, Any] = self.get(f"/runs/{run_id}").json()
        return run


@pytest.fixture
def api(sample_store: Store, db_url: str) -> Iterator[Api]:
    """The API over the sample world, with today fixed by the sample's own as-of date where it matters.

    Without the warm-up at start: each region's matcher is prepared by its first request, as with
    ``KOPPELAAR_WARM=false``. A warm-up prepares and ranks all six regions in a background thread,
    CPU that every test would pay (most ask about one or two regions) and that competes with the test
    on a 2-core machine; tests/api/test_serving.py tests the warm-up itself on apps of its own.
    """
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=db_url, warm=False), store=sample_store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, sample_store)


# -- spreading the suite over the workers (make test: pytest-xdist with --dist loadgroup) ----------

#: The units of work of ``make test``, handed to whichever worker is free (see ``pytest_xdist_make_scheduler``).
#: A test file is one unit, so its module-scoped fixtures are made once, except for these files:
#: the files that use one generated world are one unit together, so that :class:`Worlds` makes it once;
WORLD_UNITS: dict[str, str] = {
    "tests/unit/test_history.py": "world 4000x1200 seed 5",
    "tests/unit/test_learned_scorer.py": "world 4000x1200 seed 5",
    "tests/unit/test_bound.py": "world 3000x900 seed 5",
    "tests/unit/test_eligibility.py": "world 3000x900 seed 5",
    "tests/integration/test_dask.py": "world 1000x300 seed 7",
    "tests/api/test_scorer_info.py": "world 1000x300 seed 7",
    "tests/unit/test_suggestions.py": "world 1500x300 seed 12",
    "tests/unit/test_incremental.py": "world 1500x300 seed 12",
    "tests/unit/test_explanations.py": "world 1500x300 seed 12",
    "tests/unit/test_plan.py": "world 400x90 seed 7",
    "tests/unit/test_expansion.py": "world 400x90 seed 7",
}
#: each test (each parametrization) of these files is a unit of its own: they share no module-scoped fixture;
SPREAD = {"tests/e2e/test_benchmarks_run.py", "tests/api/test_isolation.py", "tests/api/test_write_sequences.py"}
#: and each test function of these (with all its parametrizations: a module fixture per function).
BY_FUNCTION = {"tests/api/test_schemathesis.py"}


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to under ``--dist loadgroup``."""
    file, _, name = nodeid.partition("::")
    if file in WORLD_UNITS:
        return WORLD_UNITS[file]
    if file in SPREAD:
        return nodeid
    if file in BY_FUNCTION:
        return f"{file}::{name.split('[', 1)[0]}"
    return file


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadgroup`` hands out :func:`work_unit`'s units in the order the workers collected them.
    (pytest-xdist's own loadgroup reads ``xdist_group`` marks through ``Node._nodeid``, which pytest 9.2 no
    longer has: every test would be a unit of its own and module fixtures made in both workers.)"""
    if config.getoption("dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnits(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnits(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` the units holding a test marked ``slow`` come first (the order is kept
    within a unit), so that no long unit starts last while the other worker idles."""
    # pytest-xdist's workers run with dist "no" and say loadgroup in an option of their own
    if not getattr(config.option, "loadgroup", False) and config.getoption("dist", None) != "loadgroup":
        return
    slow = {work_unit(item.nodeid) for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: work_unit(item.nodeid) not in slow)
