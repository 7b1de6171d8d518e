"""The built-in taxonomy with an ESCO export's English labels (``KOPPELAAR_ESCO``), and without them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.bootstrap import Runtime
from api.cli import app
from api.settings import Settings
from api.taxonomy_io import builtin_with_esco_labels, load_taxonomy
from matching.normalise import Normaliser
from matching.taxonomy import Kind, Taxonomy
from models.errors import KoppelaarError
from tests.paths import ESCO

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
CARPENTER = OCC + "2a22ff9e-de3b-408d-b312-5034896cc4f4"
LAY_BRICKS = SKILL + "13e1c0a2-b90d-46f4-be51-11730360b38d"

runner = CliRunner()


@pytest.fixture(scope="module")
def esco_folder() -> Path:
    if not ESCO.is_dir():
        pytest.skip(f"shared ESCO data not found at {ESCO}")
    return ESCO


@pytest.fixture(scope="module")
def with_esco(esco_folder: Path) -> Taxonomy:
    return builtin_with_esco_labels(esco_folder)


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("metselen", "skill", "metselen"),  # Dutch label
        ("metselwerk", "skill", "metselen"),  # Dutch synonym
        ("build brick walls", "skill", "metselen"),  # Koppelaar's own English name
        ("Allround timmerman", "occupation", "timmerman"),  # a job title employers write
        ("site carpenter", "occupation", "timmerman"),
        (LAY_BRICKS, "skill", "metselen"),  # ESCO URI
    ],
)
def test_own_labels_resolve_with_and_without_the_export(with_esco: Taxonomy, text: str, kind: Kind, code: str) -> None:
    for taxonomy in (Taxonomy.builtin(), with_esco):
        match = Normaliser(taxonomy).normalise([text], kind)[0]
        assert (match.code, match.confidence) == (code, 1.0), taxonomy.name


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("lay bricks", "skill", "metselen"),  # ESCO's English preferred label
        ("brickworking", "skill", "metselen"),  # ESCO's English alternative label
        ("join wood elements", "skill", "hout_verbinden"),
        ("joinery worker", "occupation", "timmerman"),
        ("follow health and safety procedures in construction", "skill", "veilig_werken_bouw"),
    ],
)
def test_esco_english_labels_resolve_only_with_the_export(
    with_esco: Taxonomy, text: str, kind: Kind, code: str
) -> None:
    assert text not in {label for c in Taxonomy.builtin().of_kind(kind) for label in c.labels}
    match = Normaliser(with_esco).normalise([text], kind)[0]
    assert (match.code, match.confidence) == (code, 1.0)


def test_the_export_adds_labels_and_isco_groups_and_keeps_the_rest(with_esco: Taxonomy, esco_folder: Path) -> None:
    builtin = Taxonomy.builtin()
    assert with_esco.name == "built-in with ESCO labels"
    assert with_esco.counts() == builtin.counts()
    assert (with_esco.essential, with_esco.optional, with_esco.related) == (
        builtin.essential,
        builtin.optional,
        builtin.related,
    )
    assert with_esco.related_by == builtin.related_by
    occupations = pd.read_csv(esco_folder / "occupations_en.csv", usecols=["conceptUri", "iscoGroup"], dtype=str)
    isco = dict(zip(occupations["conceptUri"], occupations["iscoGroup"], strict=True))
    for ours in builtin.of_kind("occupation"):
        theirs = with_esco.get(ours.code, "occupation")
        assert theirs is not None
        assert theirs.labels[: len(ours.labels)] == ours.labels  # our labels first, unchanged
        assert theirs.label == ours.label  # the Dutch label shown to people
        assert theirs.isco_group == (isco[ours.uri] if ours.uri else ours.isco_group)
        # ESCO's labels go to the built-in concept its URI resolves to (the first of those sharing one)
        first = ours.uri is not None and builtin.resolve(ours.uri, "occupation") == ours.code
        assert (len(theirs.labels) > len(ours.labels)) == first
    assert with_esco.concepts["certificate"] == builtin.concepts["certificate"]


def test_an_export_without_english_files_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "esco-nl"
    folder.mkdir()
    (folder / "occupations_nl.csv").write_text(f"conceptUri,preferredLabel\n{CARPENTER},timmerman\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match=r"has no occupations_en\.csv or skills_en\.csv") as err:
        builtin_with_esco_labels(folder)
    assert str(folder) in str(err.value)
    with pytest.raises(KoppelaarError, match=r"ESCO folder .*nope does not exist"):
        builtin_with_esco_labels(tmp_path / "nope")
    (folder / "skills_en.csv").write_text("uri,label\nx,y\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match=r"skills_en\.csv lacks column\(s\) conceptUri, preferredLabel"):
        builtin_with_esco_labels(folder)


def test_koppelaar_esco_reaches_the_runtime_and_the_taxonomy_setting_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, esco_folder: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the project's
    monkeypatch.delenv("KOPPELAAR_TAXONOMY", raising=False)
    monkeypatch.delenv("KOPPELAAR_ESCO", raising=False)
    assert Runtime(Settings()).taxonomy is None  # the built-in one, own English names only
    monkeypatch.setenv("KOPPELAAR_ESCO", str(esco_folder))
    taxonomy = Runtime(Settings()).taxonomy
    assert taxonomy is not None
    assert taxonomy.name == "built-in with ESCO labels"
    assert load_taxonomy(esco_folder, esco_folder).counts()["skill"] > 10_000  # the full ESCO taxonomy
    monkeypatch.setenv("KOPPELAAR_ESCO", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"KOPPELAAR_ESCO points to .*missing, which is not a folder"):
        Settings()


def test_cli_normalise_writes_esco_english_labels_with_koppelaar_esco(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, esco_folder: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KOPPELAAR_TAXONOMY", raising=False)
    source = tmp_path / "texts.txt"
    source.write_text("metselen\nbrickworking\n", encoding="utf-8")
    rows: dict[str, list[dict[str, str]]] = {}
    for setting in ("", str(esco_folder)):
        monkeypatch.setenv("KOPPELAAR_ESCO", setting)
        if not setting:
            monkeypatch.delenv("KOPPELAAR_ESCO")
        out = tmp_path / f"out{len(rows)}.csv"
        result = runner.invoke(app, ["taxonomy", "normalise", str(source), "--top", "1", "--out", str(out), "--fuzzy"])
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8", newline="") as f:
            rows[setting or "builtin"] = list(csv.DictReader(f))
    own, esco = rows["builtin"], rows[str(esco_folder)]
    assert [(r["label_en"], r["label_nl"], r["accepted"]) for r in esco] == [
        ("lay bricks", "metselen", "true"),
        ("lay bricks", "metselen", "true"),
    ]
    assert (own[0]["label_en"], own[0]["label_nl"], own[0]["accepted"]) == ("build brick walls", "metselen", "true")
    assert own[0]["uri"] == esco[0]["uri"] == LAY_BRICKS
    assert own[1]["accepted"] == "false"  # ESCO's alternative label is unknown without the export


def test_the_semantic_index_embeds_the_esco_labels_the_builtin_concepts_take(with_esco: Taxonomy) -> None:
    from matching.semantic import label_texts

    texts, owners = label_texts(with_esco, "skill")
    mine = {text for text, owner in zip(texts, owners, strict=True) if owner == "metselen"}
    assert set(with_esco.concepts["skill"]["metselen"].labels) <= mine
    assert len(mine) > len(Taxonomy.builtin().concepts["skill"]["metselen"].labels)  # ESCO's English labels too
    assert len(texts) > len(label_texts(Taxonomy.builtin(), "skill")[0])
