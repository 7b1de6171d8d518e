"""Reading and writing taxonomies: an official ESCO CSV export folder, or Koppelaar's compact JSON file.

The engine (:mod:`matching.taxonomy`) never opens files; this adapter reads them and hands pandas
frames to :meth:`Taxonomy.from_esco`. An ESCO export folder holds ``occupations_<lang>.csv`` and
``skills_<lang>.csv`` for each language it was downloaded in, and usually
``occupationSkillRelations.csv`` and ``skillSkillRelations.csv``; every file may also be gzipped
(``.csv.gz``). :func:`builtin_with_esco_labels` gives the built-in taxonomy ESCO's English labels from
such a folder (``KOPPELAAR_ESCO``). :func:`write_taxonomy_file` stores a loaded taxonomy as one compact
JSON file (gzipped when its name ends in ``.gz``) that :func:`load_taxonomy` reads back far faster than
the CSV files.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any, cast

import pandas as pd

from matching.taxonomy import KINDS, Concept, Kind, Taxonomy, hierarchy_relations
from models.errors import KoppelaarError

#: ``occupations_nl.csv``, ``skills_en.csv.gz``, ``skills_pt-br.csv``: kind and language from a file name.
_CONCEPT_FILE = re.compile(r"^(occupations|skills)_([A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?)\.csv(?:\.gz)?$")

CONCEPT_COLUMNS = ("conceptUri", "preferredLabel")
OPTIONAL_CONCEPT_COLUMNS = ("altLabels", "iscoGroup")
RELATION_COLUMNS = ("occupationUri", "relationType", "skillUri")
SKILL_RELATION_COLUMNS = ("originalSkillUri", "relatedSkillUri")
BROADER_COLUMNS = ("conceptUri", "broaderUri")

FORMAT = "koppelaar-taxonomy"
FORMAT_VERSION = 1


def esco_files(folder: Path) -> dict[str, dict[str, Path]]:
    """The concept files of an ESCO export: ``{"occupations": {"nl": path, ...}, "skills": {...}}``.

    A plain ``.csv`` wins over a ``.csv.gz`` of the same name.
    """
    found: dict[str, dict[str, Path]] = {"occupations": {}, "skills": {}}
    for path in sorted(folder.iterdir(), key=lambda p: (p.name.endswith(".gz"), p.name)):
        m = _CONCEPT_FILE.match(path.name)
        if m and path.is_file():
            found[m.group(1)].setdefault(m.group(2).lower(), path)
    return found


def esco_languages(folder: Path) -> list[str]:
    """The languages an ESCO export folder has occupation or skill files in, sorted."""
    files = esco_files(folder)
    return sorted(set(files["occupations"]) | set(files["skills"]))


def _optional_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read only ``required`` (which must all be there) and whichever ``optional`` columns exist, as text."""
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        present = [str(c).strip() for c in header.columns]
        missing = [c for c in required if c not in present]
        if missing:
            raise KoppelaarError(
                f"{path} lacks column(s) {', '.join(missing)}: this ESCO file needs {', '.join(required)} "
                f"(found {', '.join(present) or 'no columns'})"
            )
        wanted = [*required, *(c for c in optional if c in present)]
        df = pd.read_csv(
            path,
            usecols=lambda c: str(c).strip() in wanted,
            dtype=str,
            encoding="utf-8-sig",
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    except KoppelaarError:
        raise
    except pd.errors.EmptyDataError:
        raise KoppelaarError(f"{path} is empty: expected a CSV file with columns {', '.join(required)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KoppelaarError(f"{path} could not be read as a UTF-8 CSV file: {first}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _export_files(folder: Path) -> dict[str, dict[str, Path]]:
    """The concept files of an ESCO export folder (:func:`esco_files`), or a :class:`KoppelaarError`
    when the folder does not exist or is not one."""
    if not folder.exists():
        raise KoppelaarError(f"ESCO folder {folder} does not exist: give the folder of an ESCO CSV export")
    if not folder.is_dir():
        raise KoppelaarError(f"{folder} is not a folder: give the folder of an ESCO CSV export")
    return esco_files(folder)


def read_esco_folder(folder: Path) -> Taxonomy:
    """Build a taxonomy from an official ESCO CSV export folder (every language present).

    Needs at least one ``occupations_<lang>.csv`` and one ``skills_<lang>.csv`` (with ``conceptUri``
    and ``preferredLabel``); ``occupationSkillRelations.csv``, ``skillSkillRelations.csv`` and the skill
    hierarchy ``broaderRelationsSkillPillar.csv`` are read when present. Raises :class:`KoppelaarError`
    naming the folder, file or column that is wrong.
    """
    folder = Path(folder)
    files = _export_files(folder)
    for stem, what in (("occupations", "occupations"), ("skills", "skills")):
        if not files[stem]:
            raise KoppelaarError(
                f"ESCO folder {folder} has no {what} file: expected {stem}_<lang>.csv "
                f"(e.g. {stem}_nl.csv or {stem}_en.csv) from an ESCO CSV export"
            )
    occupations = {
        lang: _read_csv(path, CONCEPT_COLUMNS, OPTIONAL_CONCEPT_COLUMNS) for lang, path in files["occupations"].items()
    }
    skills = {
        lang: _read_csv(path, CONCEPT_COLUMNS, OPTIONAL_CONCEPT_COLUMNS) for lang, path in files["skills"].items()
    }
    rel_path = _optional_file(folder, "occupationSkillRelations")
    relations = _read_csv(rel_path, RELATION_COLUMNS) if rel_path else None
    skill_rel_path = _optional_file(folder, "skillSkillRelations")
    skill_relations = _read_csv(skill_rel_path, SKILL_RELATION_COLUMNS) if skill_rel_path else None
    broader_path = _optional_file(folder, "broaderRelationsSkillPillar")
    if broader_path is not None:  # the skill hierarchy: a broader skill and siblings are related too
        hierarchy = hierarchy_relations(_read_csv(broader_path, BROADER_COLUMNS))
        skill_relations = pd.concat([x for x in (skill_relations, hierarchy) if x is not None], ignore_index=True)
    # the built-in taxonomy's Dutch skill labels and job titles name ESCO concepts too
    return Taxonomy.from_esco(occupations, skills, relations, skill_relations).with_labels_of(Taxonomy.builtin())


#: The language of the ESCO labels the built-in taxonomy takes from an export (``KOPPELAAR_ESCO``).
ESCO_LABEL_LANGUAGE = "en"


def builtin_with_esco_labels(folder: Path) -> Taxonomy:
    """The built-in taxonomy, each concept with an ESCO URI also known by the English preferred and
    alternative labels of that concept in the ESCO CSV export ``folder``, and taking its ISCO group.

    Reads the export's ``occupations_en.csv`` and ``skills_en.csv`` (plain or gzipped; at least one of
    them); only the rows of the built-in concepts' URIs become concepts. Raises :class:`KoppelaarError`
    naming the folder, file or column that is wrong.
    """
    folder = Path(folder)
    files = _export_files(folder)
    builtin = Taxonomy.builtin()
    frames: dict[str, pd.DataFrame] = {}
    kinds: tuple[tuple[str, Kind], ...] = (("occupations", "occupation"), ("skills", "skill"))
    for stem, kind in kinds:
        path = files[stem].get(ESCO_LABEL_LANGUAGE)
        if path is None:
            continue
        frame = _read_csv(path, CONCEPT_COLUMNS, OPTIONAL_CONCEPT_COLUMNS)
        frames[stem] = frame[frame["conceptUri"].isin(builtin.aliases.get(kind, {}))]
    if not frames:
        raise KoppelaarError(
            f"ESCO folder {folder} has no occupations_{ESCO_LABEL_LANGUAGE}.csv or skills_{ESCO_LABEL_LANGUAGE}.csv: "
            "KOPPELAAR_ESCO needs the English files of an ESCO CSV export"
        )
    empty = pd.DataFrame({column: [] for column in CONCEPT_COLUMNS}, dtype=str)
    esco = Taxonomy.from_esco(
        {ESCO_LABEL_LANGUAGE: frames.get("occupations", empty)},
        {ESCO_LABEL_LANGUAGE: frames.get("skills", empty)},
    )
    return builtin.with_labels_of(esco, isco_groups="theirs", name="built-in with ESCO labels")


# -- the compact JSON file ------------------------------------------------------------------------


def _concept_to_json(c: Concept) -> list[Any]:
    """``[code, label, other labels, uri, sector, trainable, ISCO group]``; trailing defaults are dropped.

    ``labels`` is stored without the preferred label when it comes first, and ``uri`` as ``1`` when
    it equals the code (every ESCO concept), which keeps the file small.
    """
    labels = list(c.labels[1:]) if c.labels[:1] == (c.label,) else [0, *c.labels]
    uri: str | int | None = 1 if c.uri is not None and c.uri == c.code else c.uri
    row: list[Any] = [c.code, c.label, labels, uri, c.sector, c.trainable, c.isco_group]
    while len(row) > 3 and row[-1] in (None, False):
        row.pop()
    return row


def _concept_from_json(kind: Kind, row: list[Any]) -> Concept:
    code, label, labels = str(row[0]), str(row[1]), list(row[2])
    uri_field = row[3] if len(row) > 3 else None
    sector = row[4] if len(row) > 4 else None
    trainable = bool(row[5]) if len(row) > 5 else False
    isco = str(row[6]) if len(row) > 6 and row[6] is not None else None
    full = tuple(str(x) for x in labels[1:]) if labels[:1] == [0] else (label, *(str(x) for x in labels))
    uri = code if uri_field == 1 else (str(uri_field) if uri_field is not None else None)
    return Concept(code, kind, label, full, uri=uri, sector=sector, trainable=trainable, isco_group=isco)


def taxonomy_to_json(taxonomy: Taxonomy) -> dict[str, Any]:
    """A JSON-ready dict of ``taxonomy`` (the inverse of :func:`taxonomy_from_json`)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": taxonomy.name,
        "concepts": {kind: [_concept_to_json(c) for c in taxonomy.of_kind(kind)] for kind in KINDS},
        "essential": {k: list(v) for k, v in taxonomy.essential.items()},
        "optional": {k: list(v) for k, v in taxonomy.optional.items()},
        "related": {k: sorted(v) for k, v in taxonomy.related.items()},
        "related_by": taxonomy.related_by,
        "aliases": {kind: dict(table) for kind, table in taxonomy.aliases.items()},
    }


def taxonomy_from_json(data: Any, source: str = "taxonomy file") -> Taxonomy:
    """Rebuild a taxonomy from :func:`taxonomy_to_json`'s dict; a malformed one raises :class:`KoppelaarError`."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KoppelaarError(
            f"{source} is not a Koppelaar taxonomy file: write one with 'koppelaar taxonomy import-esco DIR --out FILE'"
        )
    if data.get("version") != FORMAT_VERSION:
        raise KoppelaarError(
            f"{source} has taxonomy format version {data.get('version')!r}; this Koppelaar reads version "
            f"{FORMAT_VERSION}: write it again with 'koppelaar taxonomy import-esco'"
        )
    try:
        concepts: dict[Kind, dict[str, Concept]] = {kind: {} for kind in KINDS}
        for kind in KINDS:
            for row in data["concepts"].get(kind, []):
                concept = _concept_from_json(kind, row)
                concepts[kind][concept.code] = concept
        aliases_raw = cast(dict[str, dict[str, str]], data.get("aliases", {}))
        aliases: dict[Kind, dict[str, str]] = {
            kind: {str(a): str(c) for a, c in aliases_raw[kind].items()} for kind in KINDS if kind in aliases_raw
        }
        return Taxonomy(
            name=str(data["name"]),
            concepts=concepts,
            essential={str(k): tuple(map(str, v)) for k, v in data.get("essential", {}).items()},
            optional={str(k): tuple(map(str, v)) for k, v in data.get("optional", {}).items()},
            related={str(k): frozenset(map(str, v)) for k, v in data.get("related", {}).items()},
            related_by=str(data.get("related_by", "esco")),
            aliases=aliases,
        )
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
        raise KoppelaarError(f"{source} is damaged ({type(exc).__name__}: {exc}): write it again") from None


def write_taxonomy_file(taxonomy: Taxonomy, path: Path) -> Path:
    """Write ``taxonomy`` as compact JSON; gzipped (reproducibly, no timestamp) when ``path`` ends in ``.gz``."""
    path = Path(path)
    text = json.dumps(taxonomy_to_json(taxonomy), ensure_ascii=False, separators=(",", ":"))
    data = text.encode("utf-8") if path.name.endswith(".gz") else (text + "\n").encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a failed write leaves an earlier file as it was
    except OSError as exc:
        raise KoppelaarError(f"cannot write taxonomy file {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_taxonomy_file(path: Path) -> Taxonomy:
    """Read a file written by :func:`write_taxonomy_file` (gzip recognised by its content, not its name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KoppelaarError(f"taxonomy file {path} does not exist") from None
    except OSError as exc:
        raise KoppelaarError(f"cannot read taxonomy file {path}: {exc.strerror or exc}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KoppelaarError(
            f"{path} is not a Koppelaar taxonomy file ({type(exc).__name__}): give an ESCO export folder "
            "or a file written by 'koppelaar taxonomy import-esco DIR --out FILE'"
        ) from None
    return taxonomy_from_json(data, str(path))


def load_taxonomy(source: Path | None, esco: Path | None = None) -> Taxonomy:
    """The taxonomy of ``source`` (``KOPPELAAR_TAXONOMY``): an ESCO export folder or a taxonomy JSON file.

    When ``source`` is None: the built-in taxonomy, with the English labels of the ESCO export folder
    ``esco`` (``KOPPELAAR_ESCO``) when that is given (:func:`builtin_with_esco_labels`).
    """
    if source is None:
        return builtin_with_esco_labels(esco) if esco is not None else Taxonomy.builtin()
    source = Path(source)
    if source.is_dir():
        return read_esco_folder(source)
    if source.is_file():
        return read_taxonomy_file(source)
    raise KoppelaarError(
        f"taxonomy {source} does not exist: give an ESCO CSV export folder or a file written by "
        "'koppelaar taxonomy import-esco DIR --out FILE'"
    )
