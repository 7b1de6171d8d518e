"""The store: entity rows, upserts by id, region-scoped datasets for matching.

A :class:`Store` wraps one SQLAlchemy engine (SQLite file by default, PostgreSQL through
``KOPPELAAR_DATABASE_URL``). Every write runs in one transaction: all or nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, select, text, type_coerce, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import NullType

from models.dataset import Dataset
from models.errors import KoppelaarError
from models.schema import FILES, FILES_BY_NAME
from models.store import tables as t
from models.store.convert import db_rows_to_table, remember_rows, table_to_db_rows

MIGRATIONS = Path(__file__).with_name("migrations")
CHUNK = 500  # keys per IN (...) clause: well under every database's limit of bound parameters
BUSY_TIMEOUT_MS = 30_000  # how long a SQLite connection waits for another connection's write
# read by every suggestion: built once (building it costs more than running it on SQLite)
_VERSION = select(t.store_meta.c.value).where(t.store_meta.c.name == "data_version")
_VERSIONS = select(t.store_meta.c.name, t.store_meta.c.value).where(
    t.store_meta.c.name.in_(bindparam("names", expanding=True))
)
#: The three versions :meth:`Store.matching_version` reads (every suggestion does): a fixed ``IN``,
#: which SQLAlchemy need not render again for each call as it does an expanding one.
_MATCHING_VERSIONS = select(t.store_meta.c.name, t.store_meta.c.value).where(
    t.store_meta.c.name.in_([bindparam("candidates"), bindparam("vacancies"), bindparam("catalogue")])
)
#: Data versions of parts of the store, besides ``data_version`` (every write): what a region's
#: prepared matcher holds is the region's candidates, every vacancy, and the catalogue.
VACANCIES_VERSION = "data_version:vacancies"
#: contractors and obligations (a change can touch any vacancy), and any change not described
CATALOGUE_VERSION = "data_version:catalogue"


class StoreError(KoppelaarError):
    """The store cannot be reached or is not in the expected state."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FileChange:
    """What an upsert did to one file's rows."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"inserted": len(self.inserted), "updated": len(self.updated), "unchanged": self.unchanged}


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    """Every SQLite connection: foreign keys on, a busy timeout, and ``synchronous=NORMAL``.

    In WAL mode (file stores), NORMAL syncs the log at checkpoints rather than at every commit: a
    commit is a write to the log, not a wait for the disk (the audit event of every suggestion is
    one). The database cannot be corrupted by it; a power loss or an operating-system crash (not a
    crash of the process) may lose the commits made since the last checkpoint. PostgreSQL is the
    choice where no commit may ever be lost.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, WAL, ``synchronous=NORMAL`` and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"KOPPELAAR_DATABASE_URL {url!r} is not a database URL: use sqlite:///koppelaar.sqlite or "
            "postgresql+psycopg://user@host/db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if not memory and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if not memory:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"the driver for {parsed.drivername} is not installed ({exc.name}): pip install 'koppelaar[postgres]'"
        ) from None


class Store:
    """Koppelaar's persistent state behind one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        """Connect to ``url`` and (by default) bring its schema up to date."""
        store = cls(make_engine(url))
        try:
            with store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            store.engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"cannot connect to the database {make_url(url).render_as_string()}: {reason}") from None
        if upgrade:
            store.upgrade()
        return store

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------------------

    def alembic_config(self) -> Any:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = None
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply every migration up to ``revision`` (``head``: the newest)."""
        config = self.alembic_config()
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def version(self, conn: Connection | None = None) -> int:
        """A number that grows with every change to the entity rows (for caches)."""
        if conn is not None:
            return int(conn.execute(_VERSION).scalar() or 0)
        with self.connect() as c:
            return int(c.execute(_VERSION).scalar() or 0)

    def bump_version(self, conn: Connection, scopes: Collection[str] | None = None) -> None:
        """Count a change: ``data_version`` and the data versions of ``scopes`` (:data:`VACANCIES_VERSION`,
        :func:`region_version`, ...) grow by one. ``None``: a change the caller does not describe,
        counted as one to the catalogue (every prepared matcher is prepared again)."""
        for name in sorted({"data_version", *(scopes if scopes is not None else [CATALOGUE_VERSION])}):
            done = conn.execute(
                update(t.store_meta).where(t.store_meta.c.name == name).values(value=t.store_meta.c.value + 1)
            )
            if done.rowcount == 0:
                conn.execute(t.store_meta.insert().values(name=name, value=1))

    def versions(self, conn: Connection, names: Collection[str]) -> tuple[int, ...]:
        """The data versions ``names`` (0 for one never bumped), in that order, in one query."""
        found = {str(n): int(v) for n, v in conn.execute(_VERSIONS, {"names": list(names)})}
        return tuple(found.get(name, 0) for name in names)

    def matching_version(self, conn: Connection, region: str | None) -> tuple[int, int, int]:
        """What a matcher of ``region``'s candidates (``None``: every region) is prepared for: the data
        version of those candidates (for every region: of the whole store), of the vacancies and of
        the catalogue. A write elsewhere leaves it as it is."""
        names = ("data_version" if region is None else region_version(region), VACANCIES_VERSION, CATALOGUE_VERSION)
        values = dict(zip(("candidates", "vacancies", "catalogue"), names, strict=True))
        found = {str(n): int(v) for n, v in conn.execute(_MATCHING_VERSIONS, values)}
        a, b, c = (found.get(name, 0) for name in names)
        return a, b, c

    def stamps(self, conn: Connection, file: str, region: str | None = None) -> dict[str, object]:
        """When each row of ``file`` last changed, by id (candidates: of ``region`` only, when given), as the
        database holds it (text on SQLite): for telling which rows changed, compared and never read, so not
        converted. Read from an index alone (``ix_candidates_region_stamps``, ``ix_vacancies_stamps``)."""
        table = t.ENTITY_TABLES[file]
        query = select(table.c[FILES_BY_NAME[file].key], type_coerce(table.c.updated_at, NullType()))
        if file == "candidates" and region is not None:
            query = query.where(table.c.region == region)
        return {str(k): v for k, v in conn.execute(query).all()}

    def regions(self) -> list[str]:
        """The regions the stored candidates are in, sorted (each has a matcher of its own in the API)."""
        region = t.candidates.c.region
        query = select(region).where(region.is_not(None)).distinct().order_by(region)
        with self.connect() as conn:
            return [str(r) for r in conn.execute(query).scalars()]

    # -- entity rows -------------------------------------------------------------------------

    def fetch_rows(self, conn: Connection, file: str, keys: Collection[str]) -> list[dict[str, object]]:
        """Stored rows of ``file`` with those keys, as database values."""
        table = t.ENTITY_TABLES[file]
        key = table.c[FILES_BY_NAME[file].key]
        ordered = sorted(set(keys))
        rows: list[dict[str, object]] = []
        for i in range(0, len(ordered), CHUNK):
            chunk = ordered[i : i + CHUNK]
            rows.extend(dict(r._mapping) for r in conn.execute(select(table).where(key.in_(chunk))))
        return rows

    def fetch_columns(self, conn: Connection, file: str, keys: Collection[str], columns: list[str]) -> pd.DataFrame:
        """The key and ``columns`` of the stored rows of ``file`` with those keys, as stored (a few rows,
        read without converting whole rows: for checks on the hot path)."""
        table = t.ENTITY_TABLES[file]
        key = FILES_BY_NAME[file].key
        query = select(table.c[key], *(table.c[c] for c in columns))
        ordered = sorted(set(keys))
        rows = [
            tuple(r)
            for i in range(0, len(ordered), CHUNK)
            for r in conn.execute(query.where(table.c[key].in_(ordered[i : i + CHUNK])))
        ]
        frame = pd.DataFrame(rows, columns=[key, *columns], dtype=object)
        frame[key] = frame[key].astype(str)
        return frame

    def fetch_table(self, conn: Connection, file: str, keys: Collection[str]) -> pd.DataFrame:
        """Stored rows of ``file`` with those keys, as a typed table (for :func:`validate_changes`)."""
        return db_rows_to_table(FILES_BY_NAME[file], self.fetch_rows(conn, file, keys))

    def apply(
        self,
        conn: Connection,
        tables: Mapping[str, pd.DataFrame],
        columns: Mapping[str, Collection[str]] | None = None,
    ) -> dict[str, FileChange]:
        """Upsert validated typed tables by id, in reference order, inside ``conn``'s transaction.

        ``columns`` names, per file, the columns the input had: a stored row keeps its value
        in every other column (an upload without ``profile_text`` does not erase the texts).
        """
        report: dict[str, FileChange] = {}
        scopes: set[str] = set()
        stamp = now()
        for spec in FILES:
            if spec.name not in tables:
                continue
            table = t.ENTITY_TABLES[spec.name]
            given = list(columns[spec.name]) if columns and spec.name in columns else list(spec.column_names)
            rows = table_to_db_rows(spec, tables[spec.name], given)
            existing = {str(r[spec.key]): r for r in self.fetch_rows(conn, spec.name, [str(r[spec.key]) for r in rows])}
            change = FileChange()
            inserts: list[dict[str, object]] = []
            updates: list[dict[str, object]] = []
            for row in rows:
                key = str(row[spec.key])
                old = existing.get(key)
                if old is None:
                    full = dict.fromkeys(spec.column_names)
                    full.update(row)
                    full["updated_at"] = stamp
                    inserts.append(full)
                    change.inserted.append(key)
                elif any(_differs(old.get(name), value) for name, value in row.items()):
                    updates.append({**{f"v_{k}": v for k, v in row.items()}, "v_updated_at": stamp, "k": key})
                    change.updated.append(key)
                    if spec.name == "candidates":  # the region it leaves counts the change too
                        scopes.add(region_version(_text_or_none(old.get("region"))))
                else:
                    change.unchanged += 1
            if inserts:
                conn.execute(table.insert(), inserts)
            if updates:
                values: dict[str, Any] = {
                    name: bindparam(f"v_{name}") for name in [*rows[0].keys(), "updated_at"] if name != spec.key
                }
                conn.execute(
                    update(table).where(table.c[spec.key] == bindparam("k")).values(values),
                    updates,
                )
            report[spec.name] = change
            if change.inserted or change.updated:
                remember_rows(spec, tables[spec.name])  # a matcher taking the rows in reads them back
                moved = [{"region": u["v_region"]} for u in updates if "v_region" in u]  # the region it goes to
                scopes |= _scopes(spec.name, [*inserts, *moved])
        if any(c.inserted or c.updated for c in report.values()):
            self.bump_version(conn, scopes)
        return report

    def count(self, conn: Connection, file: str) -> int:
        return int(conn.execute(select(func.count()).select_from(t.ENTITY_TABLES[file])).scalar() or 0)

    def load_dataset(self, region: str | None = None) -> Dataset:
        """The stored rows as a :class:`Dataset`.

        With ``region``, only that region's candidates are in it. Placements of other regions
        stay in (obligations' realised euros count them), with their candidates reduced to
        anonymous stubs: a masked id, the target group, benefit start and birth year the valuation needs,
        and no consent, so they are never matched or shown.
        """
        with self.connect() as conn:
            frames: dict[str, pd.DataFrame] = {}
            for spec in FILES:
                table = t.ENTITY_TABLES[spec.name]
                query = select(table).order_by(table.c[spec.key])
                if spec.name == "candidates" and region is not None:
                    query = query.where(table.c.region == region)  # in SQL: a region never reads the others
                rows = [dict(r._mapping) for r in conn.execute(query)]
                if spec.name == "placements" and region is not None:
                    rows = self._mask_other_regions(conn, rows, frames, region)
                frames[spec.name] = db_rows_to_table(spec, rows)
        return Dataset(
            contractors=frames["contractors"],
            obligations=frames["obligations"],
            vacancies=frames["vacancies"],
            candidates=frames["candidates"],
            placements=frames["placements"],
            contributions=frames["contributions"],
        )

    def _mask_other_regions(
        self, conn: Connection, rows: list[dict[str, object]], frames: dict[str, pd.DataFrame], region: str
    ) -> list[dict[str, object]]:
        own = set(frames["candidates"]["candidate_id"])
        others = sorted({str(r["candidate_id"]) for r in rows} - own)
        if not others:
            return rows
        stubs = {}
        for row in self.fetch_rows(conn, "candidates", others):
            masked = "anon-" + hashlib.sha256(str(row["candidate_id"]).encode()).hexdigest()[:16]
            stubs[str(row["candidate_id"])] = {
                "candidate_id": masked,
                "target_group": row["target_group"],
                "benefit_since": row["benefit_since"],
                "birth_year": row["birth_year"],  # the age bonus of some valuation schemes
                "region": row["region"],
                "consent": False,
                "status": "inactief",
            }
        spec = FILES_BY_NAME["candidates"]
        stub_table = db_rows_to_table(spec, list(stubs.values()))
        frames["candidates"] = pd.concat([frames["candidates"], stub_table], ignore_index=True)
        return [
            {**r, "candidate_id": stubs[str(r["candidate_id"])]["candidate_id"]} if r["candidate_id"] in stubs else r
            for r in rows
        ]


def region_version(region: str | None) -> str:
    """The name of the data version of one region's candidates (those without a region: ``None``)."""
    name = f"data_version:region:{region or ''}"
    if len(name) > MAX_VERSION_NAME:  # a very long region name: a digest of it
        name = "data_version:region#" + hashlib.sha256((region or "").encode()).hexdigest()[:32]
    return name


MAX_VERSION_NAME = 64  # store_meta.name


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _scopes(file: str, rows: list[dict[str, object]]) -> set[str]:
    """The data versions a write of ``rows`` of ``file`` changes (besides ``data_version``)."""
    if file == "candidates":
        return {region_version(_text_or_none(r.get("region"))) for r in rows}
    if file == "vacancies":
        return {VACANCIES_VERSION}
    if file in ("contractors", "obligations"):
        return {CATALOGUE_VERSION}
    return set()  # placements: no matcher reads them


def _differs(old: object, new: object) -> bool:
    if isinstance(old, float) and isinstance(new, float):
        return abs(old - new) > 1e-12 * max(1.0, abs(old))
    return old != new


__all__ = [
    "BUSY_TIMEOUT_MS",
    "CATALOGUE_VERSION",
    "CHUNK",
    "VACANCIES_VERSION",
    "FileChange",
    "Store",
    "StoreError",
    "make_engine",
    "now",
    "region_version",
]
