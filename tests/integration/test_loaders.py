"""The adapters: the real GeoNames postcode table, model files and clear errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from api.loaders import read_model, read_postcodes, write_csv_atomic
from models.errors import KoppelaarError


def test_reads_the_national_postcode_table(shared_data: Path) -> None:
    table = read_postcodes(shared_data / "geo" / "pc4_centroids_geonames.txt")
    assert len(table) > 4000
    lat, lon = table.lookup(pd.Series(["9711AB", "1011", "0000", None], dtype=object))
    assert 53.1 < lat[0] < 53.3  # Groningen centre, PC6 cut to PC4
    assert 6.5 < lon[0] < 6.7
    assert 52.3 < lat[1] < 52.4  # Amsterdam
    assert pd.isna(lat[2])
    assert pd.isna(lat[3])


def test_broken_postcode_tables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KoppelaarError, match="does not exist"):
        read_postcodes(tmp_path / "none.txt")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("postcode,lat,lon\n9711,53.2,6.5\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match="GeoNames layout"):
        read_postcodes(wrong)
    empty = tmp_path / "empty.txt"
    empty.write_text("NL\tabcd\tX\t\t\t\t\t\t\tnorth\teast\t\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match="no usable rows"):
        read_postcodes(empty)


def test_model_file_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KoppelaarError, match="train one with `koppelaar train"):
        read_model(tmp_path / "missing.pkl")
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"\x00\x01")
    with pytest.raises(KoppelaarError, match="is not a Koppelaar model file"):
        read_model(junk)


def test_csv_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    write_csv_atomic(pd.DataFrame({"a": [1, 2]}), out)
    assert out.read_text(encoding="utf-8") == "a\n1\n2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_a_failed_taxonomy_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    from api.taxonomy_io import load_taxonomy, write_taxonomy_file
    from matching.taxonomy import Taxonomy

    target = tmp_path / "taxonomy.json.gz"
    write_taxonomy_file(Taxonomy.builtin(), target)
    before = target.read_bytes()
    blocked = tmp_path / "blocked.json"
    blocked.mkdir()  # a folder where the file should go: the final move fails
    with pytest.raises(KoppelaarError, match="cannot write taxonomy file"):
        write_taxonomy_file(Taxonomy.builtin(), blocked)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.json", "taxonomy.json.gz"]  # no temp file left
    assert target.read_bytes() == before
    assert load_taxonomy(target).counts() == Taxonomy.builtin().counts()
