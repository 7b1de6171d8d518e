"""``koppelaar taxonomy normalise``: a file of texts to a CSV of concepts, on the configured taxonomy."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.taxonomy import NORMALISE_COLUMNS
from api.semantic import semantic_available

runner = CliRunner()


@pytest.fixture(autouse=True)
def _builtin_taxonomy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KOPPELAAR_TAXONOMY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the project's
    monkeypatch.setenv("KOPPELAAR_EMBEDDING_CACHE", str(tmp_path / "embeddings"))
    # the static stage runs some 7,000 tokens through the model first (10 s); tests/unit/test_semantic.py has it
    monkeypatch.setenv("KOPPELAAR_SEMANTIC_STATIC", "false")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == NORMALISE_COLUMNS
        return list(reader)


def test_one_text_a_line_fuzzy(tmp_path: Path) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("metselen\n\nlay sewerage pipes\nquantum chromodynamics\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["taxonomy", "normalise", str(source), "--top", "3", "--out", str(out), "--fuzzy"])
    assert result.exit_code == 0, result.output
    assert "3 texts normalised" in result.output
    rows = _rows(out)
    assert len(rows) == 9
    assert [r["rank"] for r in rows[:3]] == ["1", "2", "3"]
    first = rows[0]
    assert first["text"] == "metselen"
    assert first["accepted"] == "true"
    assert first["confidence"] == "1.000"
    assert first["label_en"] == "build brick walls"  # Koppelaar's own English name
    assert first["label_nl"] == "metselen"
    assert first["uri"].startswith("http://data.europa.eu/esco/skill/")
    assert rows[3]["label_en"] == "lay sewerage pipes"
    assert all(r["accepted"] == "false" for r in rows[6:])


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra is not installed")
def test_a_csv_with_a_text_column_semantic(tmp_path: Path) -> None:
    source = tmp_path / "texts.csv"
    source.write_text('id,text\n1,"helm en veiligheidsschoenen dragen"\n2,metselen\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["taxonomy", "normalise", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert len(rows) == 10
    assert "use protective clothing and equipment" in [r["label_en"] for r in rows[:5]]
    assert rows[5]["text"] == "metselen"
    assert rows[5]["accepted"] == "true"
    assert list((tmp_path / "embeddings").glob("skill-*.npy"))


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra is not installed")
def test_the_batch_ranks_by_the_model_that_decides_even_with_the_static_stage_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rank 1 by a static vector could differ from what the model takes the text as: the batch's
    `accepted` and `confidence` columns are the decision's, so it never asks the static stage."""
    monkeypatch.setenv("KOPPELAAR_SEMANTIC_STATIC", "true")
    source = tmp_path / "texts.txt"
    source.write_text("helm en veiligheidsschoenen dragen\nlay sewerage pipes\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["taxonomy", "normalise", str(source), "--top", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_rows(out)) == 6
    assert list((tmp_path / "embeddings").glob("skill-*.npy"))
    assert not list((tmp_path / "embeddings").glob("skill-static-*"))


def test_bad_input_exits_2_naming_the_file_and_row(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    missing = runner.invoke(app, ["taxonomy", "normalise", str(tmp_path / "nope.txt"), "--out", str(out), "--fuzzy"])
    assert missing.exit_code == 2
    assert "nope.txt does not exist" in missing.output
    short = tmp_path / "short.csv"
    short.write_text("id,text\n1,metselen\n2\n", encoding="utf-8")
    result = runner.invoke(app, ["taxonomy", "normalise", str(short), "--out", str(out), "--fuzzy"])
    assert result.exit_code == 2
    assert "short.csv row 3: no text field" in result.output
    binary = tmp_path / "latin.txt"
    binary.write_bytes("caf\xe9\n".encode("latin-1"))
    result = runner.invoke(app, ["taxonomy", "normalise", str(binary), "--out", str(out), "--fuzzy"])
    assert result.exit_code == 2
    assert "not UTF-8" in result.output
    assert not out.exists()  # nothing half written


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra is not installed")
def test_show_reads_a_skill_by_meaning_as_prepare_does_unless_fuzzy() -> None:
    semantic = runner.invoke(app, ["taxonomy", "show", "drive a forklift", "--top", "3"])
    assert semantic.exit_code == 0, semantic.output
    assert "normalises to heftruck_rijden" in semantic.output
    fuzzy = runner.invoke(app, ["taxonomy", "show", "drive a forklift", "--top", "3", "--fuzzy"])
    assert fuzzy.exit_code == 0, fuzzy.output
    assert "kept as free text" in fuzzy.output
