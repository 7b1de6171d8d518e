"""The store on SQLite and PostgreSQL: migrations, import (all or nothing, idempotent), export, regions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.dataset import read_dataset
from models.errors import DatasetInvalid
from models.store import Store
from models.store import tables as t
from models.store.importer import export_folder, import_folder
from models.store.store import now
from models.valuation import realised_euros
from tests.conftest import SAMPLE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_migrations_from_empty_build_exactly_the_tables(store: Store) -> None:
    head = ScriptDirectory.from_config(store.alembic_config()).get_current_head()
    assert head is not None
    assert store.revision() == head
    with store.engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), t.metadata)
    assert drift == []
    store.upgrade()  # a second upgrade is a no-op
    assert store.revision() == head


def test_import_export_round_trip_is_byte_identical_and_idempotent(store: Store, tmp_path: Path) -> None:
    first = import_folder(store, SAMPLE)
    assert {n: c.as_dict()["inserted"] for n, c in first.changes.items()} == read_dataset(SAMPLE).counts()
    again = import_folder(store, SAMPLE)
    assert all(c.as_dict() == {"inserted": 0, "updated": 0, "unchanged": c.unchanged} for c in again.changes.values())
    assert again.version == first.version  # nothing changed, caches stay valid
    export_folder(store, tmp_path / "out")
    for path in sorted(SAMPLE.glob("*.csv")):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes(), path.name


def _counts(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        return {name: store.count(conn, name) for name in t.ENTITY_TABLES}


def test_a_bad_import_names_every_problem_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    import_folder(store, SAMPLE)
    before = _counts(store)
    folder = tmp_path / "bad"
    shutil.copytree(SAMPLE, folder)
    lines = (folder / "vacancies.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("positions")] = "-2"
    lines[3] = ",".join(cells)
    lines.append(lines[1].replace("VAC-000001", "VAC-NEW-1").replace("OPN-00001", "OPN-NOPE", 1))
    (folder / "vacancies.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(DatasetInvalid) as info:
        import_folder(store, folder)
    found = {(p.file, p.row, p.column) for p in info.value.errors}
    assert ("vacancies.csv", 4, "positions") in found
    assert ("vacancies.csv", len(lines), "contractor_id") in found
    assert _counts(store) == before


def test_a_partial_import_changes_only_the_given_columns(store: Store, tmp_path: Path) -> None:
    import_folder(store, SAMPLE)
    ds = read_dataset(SAMPLE)
    row = ds.candidates.iloc[2]
    assert isinstance(row["profile_text"], str)
    assert row["profile_text"]
    folder = tmp_path / "update"
    folder.mkdir()
    (folder / "candidates.csv").write_text(
        f"candidate_id,target_group,consent,status\n{row['candidate_id']},{row['target_group']},true,inactief\n"
        "K-NEW-1,ww,true,\n",
        "utf-8",
    )
    report = import_folder(store, folder)
    assert report.changes["candidates"].updated == [row["candidate_id"]]
    assert report.changes["candidates"].inserted == ["K-NEW-1"]
    with store.connect() as conn:
        stored = store.fetch_rows(conn, "candidates", [row["candidate_id"]])[0]
    assert stored["status"] == "inactief"
    assert stored["profile_text"] == row["profile_text"]  # not in the file, so kept


def test_stamps_tell_exactly_the_rows_a_write_changed(store: Store, tmp_path: Path) -> None:
    """What a matcher reads to find the changed rows: a region's candidates and every vacancy, read from
    their indexes; a row a write changed has another stamp, every other row the same."""
    import_folder(store, SAMPLE)
    ds = read_dataset(SAMPLE)
    person = ds.candidates.dropna(subset=["region"]).iloc[0]
    region = str(person["region"])
    with store.connect() as conn:
        people, places = store.stamps(conn, "candidates", region), store.stamps(conn, "vacancies")
        plan = (
            conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT candidate_id, updated_at FROM candidates WHERE region = 'x'"
            ).all()
            if store.engine.dialect.name == "sqlite"
            else []
        )
    assert set(people) == set(ds.candidates.loc[ds.candidates["region"] == region, "candidate_id"])
    assert set(places) == set(ds.vacancies["vacancy_id"])
    assert all("COVERING INDEX ix_candidates_region_stamps" in str(step) for step in plan)
    folder = tmp_path / "update"
    folder.mkdir()
    (folder / "candidates.csv").write_text(
        f"candidate_id,target_group,consent,status\n{person['candidate_id']},{person['target_group']},true,inactief\n",
        "utf-8",
    )
    import_folder(store, folder)
    with store.connect() as conn:
        after = store.stamps(conn, "candidates", region)
        assert store.stamps(conn, "vacancies") == places
    assert [k for k in people if after[k] != people[k]] == [person["candidate_id"]]
    assert set(after) == set(people)


def test_placements_may_refer_to_stored_rows_but_not_to_missing_ones(store: Store, tmp_path: Path) -> None:
    import_folder(store, SAMPLE)
    folder = tmp_path / "p"
    folder.mkdir()
    header = "placement_id,candidate_id,vacancy_id,start_date,hours_per_week,status\n"
    (folder / "placements.csv").write_text(header + "PLA-NEW,KND-000001,VAC-000001,2026-01-05,32,voorgesteld\n")
    assert import_folder(store, folder).changes["placements"].inserted == ["PLA-NEW"]
    (folder / "placements.csv").write_text(header + "PLA-NEW2,KND-NOPE,VAC-000001,2026-01-05,32,voorgesteld\n")
    with pytest.raises(DatasetInvalid) as info:
        import_folder(store, folder)
    assert [(p.row, p.column) for p in info.value.errors] == [(2, "candidate_id")]


def test_the_database_enforces_references_too(store: Store) -> None:
    import_folder(store, SAMPLE)
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(
            t.placements.insert().values(
                placement_id="X",
                candidate_id="nobody",
                vacancy_id="VAC-000001",
                start_date=None,
                hours_per_week=1.0,
                status="voorgesteld",
                updated_at=now(),
            )
        )


def test_a_region_dataset_holds_only_its_candidates_and_keeps_every_obligations_euros(store: Store) -> None:
    import_folder(store, SAMPLE)
    everything = store.load_dataset()
    groningen = store.load_dataset("Groningen")
    own = groningen.candidates[~groningen.candidates["candidate_id"].str.startswith("anon-")]
    assert set(own["region"]) == {"Groningen"}
    assert len(own) == int((everything.candidates["region"] == "Groningen").sum())
    stubs = groningen.candidates[groningen.candidates["candidate_id"].str.startswith("anon-")]
    assert len(stubs) > 0
    assert not stubs["consent"].any()
    assert stubs[["skills", "occupations", "certificates"]].map(len).eq(0).all().all()
    assert stubs["postcode"].isna().all()
    assert not stubs["birth_year"].isna().all()  # the age bonus of some schemes needs it, as the euros do
    with store.connect() as conn:
        other = {r.candidate_id for r in conn.execute(select(t.candidates.c.candidate_id))}
    assert not set(stubs["candidate_id"]) & other  # the ids are masked
    full = realised_euros(everything.obligations, everything.placements, everything.candidates, everything.vacancies)
    part = realised_euros(groningen.obligations, groningen.placements, groningen.candidates, groningen.vacancies)
    assert np.allclose(full, part)
