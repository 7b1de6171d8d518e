"""The official ESCO export (shared test data) read through api.taxonomy_io, and the taxonomy CLI."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from api.cli.taxonomy import relation_counts, taxonomy_app
from api.taxonomy_io import (
    esco_languages,
    load_taxonomy,
    read_esco_folder,
    read_taxonomy_file,
    write_taxonomy_file,
)
from matching.normalise import Normaliser
from matching.taxonomy import Kind, Taxonomy
from models.errors import KoppelaarError
from tests.paths import ESCO

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
CARPENTER = OCC + "2a22ff9e-de3b-408d-b312-5034896cc4f4"  # nl "timmerman", en "carpenter"
JOIN_WOOD = SKILL + "2e8e2acf-5d58-4d99-807d-2ed77a6c8b17"  # "join wood elements": essential for carpenter
CROSSCUT_SAW = SKILL + "05f05855-acac-4366-a6ee-42f0bebe3780"  # "operate crosscut saw": optional for carpenter
LAY_BRICKS = SKILL + "13e1c0a2-b90d-46f4-be51-11730360b38d"

runner = CliRunner()


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(taxonomy_app, name="taxonomy")
    return app


@pytest.fixture(scope="module")
def esco() -> Taxonomy:
    if not ESCO.is_dir():
        pytest.skip(f"shared ESCO data not found at {ESCO}")
    return read_esco_folder(ESCO)


# -- the real export --------------------------------------------------------------------------


def test_counts_match_the_files(esco: Taxonomy) -> None:
    occupations = set()
    for lang in ("nl", "en"):
        occupations |= set(pd.read_csv(ESCO / f"occupations_{lang}.csv", usecols=["conceptUri"]).conceptUri)
    skills = pd.read_csv(ESCO / "skills_en.csv", usecols=["conceptUri"]).conceptUri
    assert len(occupations) == 3007
    assert skills.nunique() == 13_896
    assert esco.counts()["occupation"] == 3007
    assert esco.counts()["skill"] == 13_896
    assert esco.counts()["certificate"] == len(Taxonomy.builtin().of_kind("certificate"))  # built-ins kept
    assert set(esco.concepts["occupation"]) == occupations
    assert esco_languages(ESCO) == ["en", "nl"]
    assert esco.name == "ESCO (en, nl)"


def test_relations_match_the_file(esco: Taxonomy) -> None:
    rel = pd.read_csv(ESCO / "occupationSkillRelations.csv.gz", usecols=["occupationUri", "relationType", "skillUri"])
    known = rel[rel.occupationUri.isin(esco.concepts["occupation"]) & rel.skillUri.isin(esco.concepts["skill"])]
    counts = relation_counts(esco)
    assert counts["essential"] == (known.relationType == "essential").sum()
    assert counts["optional"] == (known.relationType == "optional").sum()
    assert counts["essential"] + counts["optional"] > 120_000  # of the 123,855 in the file
    assert JOIN_WOOD in esco.essential[CARPENTER]
    assert CROSSCUT_SAW in esco.optional[CARPENTER]
    assert CROSSCUT_SAW not in esco.essential[CARPENTER]
    assert 5_000 < counts["related_pairs"] <= 5_899  # skillSkillRelations has 5,899 rows
    a, b = pd.read_csv(ESCO / "skillSkillRelations.csv", nrows=1)[["originalSkillUri", "relatedSkillUri"]].iloc[0]
    assert b in esco.related[a]
    assert a in esco.related[b]


def test_dutch_preferred_labels_win_and_english_ones_stay_searchable(esco: Taxonomy) -> None:
    carpenter = esco.get(CARPENTER, "occupation")
    assert carpenter is not None
    assert carpenter.label == "timmerman"
    assert carpenter.uri == CARPENTER
    assert {"timmerman", "carpenter", "schrijnwerker", "joiner"} <= set(carpenter.labels)
    bricks = esco.get(LAY_BRICKS, "skill")
    assert bricks is not None
    assert bricks.label == "lay bricks"  # no Dutch skill file: English preferred label
    normaliser = Normaliser(esco)
    assert normaliser.code("carpenter", "occupation") == CARPENTER
    assert normaliser.code("Timmerman (m/v) 36 uur", "occupation", title=True) == CARPENTER
    assert normaliser.code("lay bricks", "skill") == LAY_BRICKS
    assert normaliser.code(LAY_BRICKS, "skill") == LAY_BRICKS


@pytest.fixture(scope="module")
def esco_normaliser(esco: Taxonomy) -> Normaliser:
    return Normaliser(esco)


@pytest.mark.parametrize(
    ("text", "kind", "title", "code"),
    [
        (LAY_BRICKS, "skill", False, LAY_BRICKS),  # the URI
        ("lay bricks", "skill", False, LAY_BRICKS),  # English preferred label
        ("brickworking", "skill", False, LAY_BRICKS),  # English alternative label (skills_en.csv)
        ("Lay Bricks", "skill", False, LAY_BRICKS),  # as cleaned
        ("metselen", "skill", False, LAY_BRICKS),  # Dutch: the built-in skill with this URI
        ("metselwerk", "skill", False, LAY_BRICKS),  # and its Dutch synonym
        ("lay brikcs", "skill", False, LAY_BRICKS),  # a typo, found through the shortlist
        ("join wood elements", "skill", False, JOIN_WOOD),
        (CARPENTER, "occupation", False, CARPENTER),
        ("timmerman", "occupation", False, CARPENTER),  # Dutch preferred label (occupations_nl.csv)
        ("schrijnwerker", "occupation", False, CARPENTER),  # Dutch alternative label
        ("carpenter", "occupation", False, CARPENTER),  # English
        ("Timmerman (m/v) 36 uur", "occupation", True, CARPENTER),  # a job title
        ("Medewerker timmerwerk", "occupation", True, CARPENTER),  # a built-in job title for it
    ],
)
def test_esco_concepts_resolve_by_uri_english_and_dutch_labels(
    esco_normaliser: Normaliser, text: str, kind: Kind, title: bool, code: str
) -> None:
    assert esco_normaliser.code(text, kind, title=title) == code


def test_built_in_codes_answer_for_their_esco_concepts(esco: Taxonomy) -> None:
    assert esco.resolve("metselen", "skill") == LAY_BRICKS
    assert esco.resolve("timmerman", "occupation") == CARPENTER
    carpenter = esco.get(CARPENTER, "occupation")
    assert carpenter is not None
    assert carpenter.isco_group == "7115"  # iscoGroup of occupations_*.csv
    assert carpenter.sector == "bouw"  # from the built-in occupation with this URI
    assert Taxonomy.builtin().get("timmerman", "occupation").isco_group == "7115"  # type: ignore[union-attr]


def test_json_round_trip_gives_the_same_taxonomy(esco: Taxonomy, tmp_path: Path) -> None:
    for name in ("esco.json", "esco.json.gz"):
        path = write_taxonomy_file(esco, tmp_path / name)
        back = load_taxonomy(path)
        assert back.concepts == esco.concepts
        assert back.essential == esco.essential
        assert back.optional == esco.optional
        assert back.related == esco.related
        assert back == esco
    assert gzip.decompress((tmp_path / "esco.json.gz").read_bytes()).startswith(b"{")
    assert (tmp_path / "esco.json.gz").stat().st_size < (tmp_path / "esco.json").stat().st_size / 2


def test_json_round_trip_of_the_builtin_taxonomy(tmp_path: Path) -> None:
    builtin = Taxonomy.builtin()
    back = read_taxonomy_file(write_taxonomy_file(builtin, tmp_path / "builtin.json"))
    assert back == builtin
    assert back.resolve(builtin.of_kind("skill")[0].uri or "", "skill") == builtin.of_kind("skill")[0].code
    # the same bytes every time: a stored file diffs cleanly
    again = write_taxonomy_file(builtin, tmp_path / "again.json.gz")
    assert again.read_bytes() == write_taxonomy_file(builtin, tmp_path / "third.json.gz").read_bytes()


def test_load_taxonomy_picks_builtin_folder_or_file(tmp_path: Path) -> None:
    assert load_taxonomy(None) is Taxonomy.builtin()
    folder = _mini_export(tmp_path / "mini")
    from_folder = load_taxonomy(folder)
    assert from_folder.counts()["occupation"] == 2
    assert load_taxonomy(write_taxonomy_file(from_folder, tmp_path / "mini.json")) == from_folder
    with pytest.raises(KoppelaarError, match=r"taxonomy .*nope does not exist"):
        load_taxonomy(tmp_path / "nope")
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(KoppelaarError, match="is not a Koppelaar taxonomy file"):
        load_taxonomy(junk)
    binary = tmp_path / "junk.bin"
    binary.write_bytes(b"\x1f\x8b broken gzip")
    with pytest.raises(KoppelaarError, match="is not a Koppelaar taxonomy file"):
        load_taxonomy(binary)


# -- small hand-made exports: formats and mistakes ------------------------------------------------

OCC_HEADER = "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,description\n"


def _mini_export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "occupations_nl.csv").write_text(
        OCC_HEADER + f'Occupation,{OCC}a,7115,timmerman,"schrijnwerker\ntimmervrouw",Werkt met hout\n'
        f"Occupation,{OCC}b,7112,metselaar,,\n",
        encoding="utf-8-sig",  # a BOM, as Excel writes it
    )
    with gzip.open(folder / "skills_en.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(f"conceptUri,preferredLabel,altLabels\n{SKILL}x,lay bricks,bricklaying\n{SKILL}y,join wood,\n")
    (folder / "occupationSkillRelations.csv").write_text(
        f"occupationUri,relationType,skillType,skillUri\n{OCC}a,essential,skill,{SKILL}y\n"
        f"{OCC}b,essential,skill,{SKILL}x\n{OCC}b,optional,skill,{SKILL}y\n{OCC}zz,essential,skill,{SKILL}x\n",
        encoding="utf-8",
    )
    (folder / "skillSkillRelations.csv").write_text(
        f"originalSkillUri,relationType,relatedSkillUri\n{SKILL}x,optional,{SKILL}y\n", encoding="utf-8"
    )
    (folder / "skillsHierarchy_en.csv").write_text("not,a,skills,file\n", encoding="utf-8")  # ignored
    return folder


def test_mini_export_with_bom_gzip_and_optional_files(tmp_path: Path) -> None:
    tax = read_esco_folder(_mini_export(tmp_path / "mini"))
    assert tax.counts() == {"occupation": 2, "skill": 2, "certificate": tax.counts()["certificate"]}
    timmerman = tax.get(OCC + "a", "occupation")
    assert timmerman is not None
    assert timmerman.labels == ("timmerman", "schrijnwerker", "timmervrouw")
    assert tax.essential == {OCC + "a": (SKILL + "y",), OCC + "b": (SKILL + "x",)}  # unknown occupation dropped
    assert tax.optional == {OCC + "b": (SKILL + "y",)}
    assert tax.related == {SKILL + "x": frozenset({SKILL + "y"}), SKILL + "y": frozenset({SKILL + "x"})}
    assert esco_languages(tmp_path / "mini") == ["en", "nl"]


def test_relations_files_are_optional(tmp_path: Path) -> None:
    folder = _mini_export(tmp_path / "mini")
    (folder / "occupationSkillRelations.csv").unlink()
    (folder / "skillSkillRelations.csv").unlink()
    tax = read_esco_folder(folder)
    assert tax.essential == {}
    assert tax.related == {}


def test_the_skill_hierarchy_relates_a_skill_to_its_broader_skill_and_siblings(tmp_path: Path) -> None:
    folder = _mini_export(tmp_path / "mini")
    (folder / "skillSkillRelations.csv").unlink()
    group = "http://data.europa.eu/esco/isced-f/0732"  # a skill group: not a skill itself
    (folder / "broaderRelationsSkillPillar.csv").write_text(
        "conceptType,conceptUri,broaderType,broaderUri\n"
        f"KnowledgeSkillCompetence,{SKILL}x,SkillGroup,{group}\n"
        f"KnowledgeSkillCompetence,{SKILL}y,SkillGroup,{group}\n",
        encoding="utf-8",
    )
    tax = read_esco_folder(folder)
    assert tax.related == {SKILL + "x": frozenset({SKILL + "y"}), SKILL + "y": frozenset({SKILL + "x"})}
    (folder / "broaderRelationsSkillPillar.csv").write_text(
        f"conceptType,conceptUri,broaderType,broaderUri\nKnowledgeSkillCompetence,{SKILL}x,"
        f"KnowledgeSkillCompetence,{SKILL}y\n",
        encoding="utf-8",
    )
    assert read_esco_folder(folder).related == tax.related  # a skill and its broader skill
    (folder / "broaderRelationsSkillPillar.csv").write_text("conceptUri,broader\nx,y\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match=r"broaderRelationsSkillPillar\.csv lacks column\(s\) broaderUri"):
        read_esco_folder(folder)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KoppelaarError, match=r"ESCO folder .*nope does not exist"):
        read_esco_folder(tmp_path / "nope")
    file = tmp_path / "file.csv"
    file.write_text("x\n", encoding="utf-8")
    with pytest.raises(KoppelaarError, match="is not a folder"):
        read_esco_folder(file)


def test_folder_without_skills_or_occupations_is_a_clear_error(tmp_path: Path) -> None:
    folder = _mini_export(tmp_path / "mini")
    (folder / "skills_en.csv.gz").unlink()
    with pytest.raises(KoppelaarError, match=r"has no skills file: expected skills_<lang>\.csv") as err:
        read_esco_folder(folder)
    assert str(folder) in str(err.value)
    (folder / "occupations_nl.csv").unlink()
    with pytest.raises(KoppelaarError, match=r"has no occupations file: expected occupations_<lang>\.csv"):
        read_esco_folder(folder)


@pytest.mark.parametrize(
    ("name", "header", "missing"),
    [
        ("occupations_nl.csv", "conceptUri,label,altLabels", "preferredLabel"),
        ("skills_en.csv.gz", "uri,preferredLabel", "conceptUri"),
        ("occupationSkillRelations.csv", "occupationUri,skillUri", "relationType"),
        ("skillSkillRelations.csv", "originalSkillUri,relationType", "relatedSkillUri"),
    ],
)
def test_file_missing_a_column_is_a_clear_error(tmp_path: Path, name: str, header: str, missing: str) -> None:
    folder = _mini_export(tmp_path / "mini")
    text = header + "\nsome,values,here\n"
    if name.endswith(".gz"):
        (folder / name).write_bytes(gzip.compress(text.encode()))
    else:
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(KoppelaarError) as err:
        read_esco_folder(folder)
    message = str(err.value)
    assert str(folder / name) in message
    assert f"lacks column(s) {missing}" in message
    assert "needs" in message


def test_empty_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = _mini_export(tmp_path / "mini")
    (folder / "occupations_nl.csv").write_text("", encoding="utf-8")
    with pytest.raises(KoppelaarError, match=r"occupations_nl\.csv is empty"):
        read_esco_folder(folder)
    (folder / "occupations_nl.csv").write_bytes(b"conceptUri,preferredLabel\nx,\xff\xfe bad\n")
    with pytest.raises(KoppelaarError, match=r"occupations_nl\.csv could not be read as a UTF-8 CSV file"):
        read_esco_folder(folder)


# -- the CLI ----------------------------------------------------------------------------------------


def test_cli_bad_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(_cli(), ["taxonomy", "import-esco", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ESCO folder")
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(_cli(), ["taxonomy", "import-esco", str(empty)])
    assert result.exit_code == 2
    assert "has no occupations file" in result.output
    result = runner.invoke(_cli(), ["taxonomy", "show", "timmerman", "--esco", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.startswith("error: taxonomy")


def test_cli_import_writes_a_file_show_can_use(tmp_path: Path) -> None:
    folder = _mini_export(tmp_path / "mini")
    out = tmp_path / "out" / "mini.json.gz"
    result = runner.invoke(_cli(), ["taxonomy", "import-esco", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "languages: en, nl" in result.output
    assert "2 occupations, 2 skills" in result.output
    assert "occupation→skill relations: 3 (2 essential, 1 optional)" in result.output
    assert "related-skill pairs: 1" in result.output
    assert out.is_file()
    shown = runner.invoke(_cli(), ["taxonomy", "show", "schrijnwerkr", "--kind", "occupation", "--esco", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "timmerman" in shown.output
    assert f"normalises to {OCC}a" in shown.output.replace("\n", "")


def test_cli_import_of_the_shared_export(tmp_path: Path) -> None:
    if not ESCO.is_dir():
        pytest.skip(f"shared ESCO data not found at {ESCO}")
    result = runner.invoke(_cli(), ["taxonomy", "import-esco", str(ESCO)])
    assert result.exit_code == 0, result.output
    assert "3,007 occupations, 13,896 skills" in result.output
    assert "languages: en, nl" in result.output


def test_cli_show_on_the_builtin_taxonomy() -> None:
    result = runner.invoke(_cli(), ["taxonomy", "show", "B-VCA", "--kind", "certificate"])
    assert result.exit_code == 0, result.output
    assert "vca_basis" in result.output
    assert "normalises to vca_basis" in result.output
    unknown = runner.invoke(_cli(), ["taxonomy", "show", "quantumfysica"])
    assert unknown.exit_code == 0
    assert "kept as free text" in unknown.output
    bad_kind = runner.invoke(_cli(), ["taxonomy", "show", "x", "--kind", "hobby"])
    assert bad_kind.exit_code == 2
