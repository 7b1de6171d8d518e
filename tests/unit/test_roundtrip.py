"""Writing what was read gives the same bytes; reading what was written gives the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.dataset import Dataset, read_dataset, table_from_records, write_dataset
from models.schema import FILES
from tests.conftest import BASE_ROWS, DatasetFactory, write_rows


def _bytes(folder: Path) -> dict[str, bytes]:
    return {spec.filename: (folder / spec.filename).read_bytes() for spec in FILES}


def assert_same_tables(a: Dataset, b: Dataset) -> None:
    for spec in FILES:
        pd.testing.assert_frame_equal(a.table(spec.name), b.table(spec.name), check_exact=True)


def test_write_read_write_is_byte_stable(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    first = read_dataset(make_dataset())
    write_dataset(first, tmp_path / "one")
    second = read_dataset(tmp_path / "one")
    write_dataset(second, tmp_path / "two")
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "two")
    assert_same_tables(first, second)


def test_canonical_input_is_written_back_unchanged(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    write_dataset(read_dataset(make_dataset()), tmp_path / "canonical")
    before = _bytes(tmp_path / "canonical")
    write_dataset(read_dataset(tmp_path / "canonical"), tmp_path / "canonical")
    assert _bytes(tmp_path / "canonical") == before


def test_canonical_form_of_lenient_input(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    ds = read_dataset(
        make_dataset(
            ("candidates", 0, "skills", " timmeren ;; metselen ; "),
            ("candidates", 0, "postcode", "9401 ab"),
            ("candidates", 0, "consent", "JA"),
            ("candidates", 0, "occupations", "timmerman : 3.50; http://data.europa.eu/esco/occupation/x:2"),
        )
    )
    write_dataset(ds, tmp_path / "out")
    line = (tmp_path / "out" / "candidates.csv").read_text(encoding="utf-8").splitlines()[1]
    assert "timmeren; metselen" in line
    assert "9401AB" in line
    assert "timmerman:3.5; http://data.europa.eu/esco/occupation/x:2" in line
    assert ",true," in line


def test_failed_write_leaves_target_untouched(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    ds = read_dataset(make_dataset())
    target = tmp_path / "target"
    write_dataset(ds, target)
    before = _bytes(target)
    broken = Dataset(ds.contractors, ds.obligations, ds.vacancies.drop(columns=["title"]), ds.candidates, ds.placements)
    with pytest.raises(Exception, match="lacks column"):
        write_dataset(broken, target)
    assert _bytes(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset", "target"]  # no staging folder left


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The base dataset, read once for all the examples below (each builds a dataset of its own from it)."""
    return read_dataset(write_rows(tmp_path_factory.mktemp("base") / "dataset", BASE_ROWS))


text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";"), min_size=1, max_size=12
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@pytest.mark.slow
@given(
    skills=st.lists(text, max_size=4),
    hours=st.tuples(st.integers(0, 40), st.integers(0, 40)).map(sorted),
    lat=st.one_of(st.none(), st.floats(50.5, 53.7, allow_nan=False)),
    profile=st.one_of(
        st.none(),
        st.text(  # any text the format allows: no control character but tab and line breaks
            alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r'=+-@"),
            min_size=1,
            max_size=40,
        )
        .map(str.strip)
        .filter(bool),
    ),
    years=st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.25, 12.0])),
)
def test_any_written_candidate_reads_back_identically(
    tmp_path_factory: pytest.TempPathFactory,
    base: Dataset,
    skills: list[str],
    hours: list[int],
    lat: float | None,
    profile: str | None,
    years: float | None,
) -> None:
    from models.dataset.cells import Experience

    record = base.records("candidates")[0]
    record.update(
        skills=tuple(dict.fromkeys(skills)),
        hours_min=hours[0],
        hours_max=hours[1],
        lat=lat,
        lon=None if lat is None else 6.5,
        profile_text=profile,
        occupations=(Experience("metselaar", years),),
    )
    ds = Dataset(
        base.contractors,
        base.obligations,
        base.vacancies,
        table_from_records("candidates", [record]),
        base.placements.iloc[0:0],
    )
    folder = tmp_path_factory.mktemp("rt")
    write_dataset(ds, folder / "a")
    again = read_dataset(folder / "a")
    write_dataset(again, folder / "b")
    assert _bytes(folder / "a") == _bytes(folder / "b")
    assert again.records("candidates")[0] == {**record, "profile_text": profile}
