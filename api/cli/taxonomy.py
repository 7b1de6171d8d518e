"""``koppelaar taxonomy``: import an official ESCO export and look up how text normalises.

``import-esco DIR`` reads an ESCO CSV export folder, prints what it holds and, with ``--out``,
stores it as one compact JSON file that every ``--esco``/taxonomy option also accepts.
``show TEXT`` prints the five concepts a skill, occupation or certificate text is closest to:
for coaches checking a label and for debugging a match.
"""

from __future__ import annotations

import csv
import os
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.cli.render import fail
from api.semantic import semantic_available, semantic_index
from api.settings import load_settings
from api.taxonomy_io import esco_files, esco_languages, load_taxonomy, read_esco_folder, write_taxonomy_file
from matching.normalise import Normaliser
from matching.taxonomy import Kind, Taxonomy, builtin_tables
from models.errors import KoppelaarError
from models.spreadsheet import neutralise_cell

taxonomy_app = typer.Typer(
    help="Taxonomies: import an official ESCO export and see how a text normalises to concepts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class KindOption(StrEnum):
    SKILL = "skill"
    OCCUPATION = "occupation"
    CERTIFICATE = "certificate"


def relation_counts(taxonomy: Taxonomy) -> dict[str, int]:
    """Occupation→skill relations (essential, optional) and distinct related-skill pairs."""
    pairs = {frozenset((a, b)) for a, others in taxonomy.related.items() for b in others if a != b}
    return {
        "essential": sum(len(v) for v in taxonomy.essential.values()),
        "optional": sum(len(v) for v in taxonomy.optional.values()),
        "related_pairs": len(pairs),
    }


@taxonomy_app.command("import-esco")
def import_esco(
    folder: Annotated[
        Path, typer.Argument(help="Folder of an official ESCO CSV export (occupations_<lang>.csv, skills_<lang>.csv).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the taxonomy as compact JSON (gzipped when FILE ends in .gz).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Read an ESCO export, print what it holds and optionally store it as one JSON file."""
    start = time.perf_counter()
    try:
        taxonomy = read_esco_folder(folder)
        languages = esco_languages(folder)
        if out is not None:
            write_taxonomy_file(taxonomy, out)
    except KoppelaarError as exc:
        raise fail(str(exc)) from None
    counts = taxonomy.counts()
    rel = relation_counts(taxonomy)
    console.print(f"{folder}: {taxonomy.name}", highlight=False, markup=False)
    console.print(f"  languages: {', '.join(languages)}", highlight=False, markup=False)
    console.print(
        f"  concepts: {counts['occupation']:,} occupations, {counts['skill']:,} skills, "
        f"{counts['certificate']:,} certificates (built-in)",
        highlight=False,
        markup=False,
    )
    console.print(
        f"  occupation→skill relations: {rel['essential'] + rel['optional']:,} "
        f"({rel['essential']:,} essential, {rel['optional']:,} optional)",
        highlight=False,
        markup=False,
    )
    console.print(f"  related-skill pairs: {rel['related_pairs']:,}", highlight=False, markup=False)
    if out is not None:
        size = out.stat().st_size / 2**20
        console.print(f"wrote {out} ({size:.1f} MB)", highlight=False, markup=False)
    console.print(f"done in {time.perf_counter() - start:.1f} s", highlight=False, markup=False)


@taxonomy_app.command()
def show(
    text: Annotated[str, typer.Argument(help="A code, ESCO URI, label, synonym or job title.", metavar="CODE_OR_TEXT")],
    kind: Annotated[KindOption, typer.Option("--kind", help="What the text names.")] = KindOption.SKILL,
    esco: Annotated[
        Path | None,
        typer.Option(
            "--esco", help="ESCO export folder or taxonomy file from import-esco; default the built-in taxonomy."
        ),
    ] = None,
    k: Annotated[int, typer.Option("--top", min=1, help="How many concepts to show.")] = 5,
    semantic: Annotated[
        bool,
        typer.Option(
            "--semantic/--fuzzy",
            help="Skills also by meaning, as prepare reads them (where the semantic extra is installed and "
            "KOPPELAAR_SEMANTIC is not false), or by their characters alone.",
        ),
    ] = True,
) -> None:
    """Print the best-matching concepts for a text (code, label, score) and what it normalises to."""
    the_kind: Kind = kind.value
    try:
        taxonomy = load_taxonomy(esco)
        settings = load_settings()
        by_meaning = semantic and the_kind == "skill" and settings.semantic and semantic_available()
        indexes = {the_kind: semantic_index(taxonomy, the_kind, static=settings.semantic_static)} if by_meaning else {}
        normaliser = Normaliser(taxonomy, semantic=indexes)
    except KoppelaarError as exc:
        raise fail(str(exc)) from None
    title = the_kind == "occupation"  # job titles: drop (m/v), hours and filler words first
    hits = normaliser.top(text, the_kind, k, title=title)
    match = normaliser.normalise([text], the_kind, title=title)[0]
    table = Table(title=Text(f"{text!r} as {the_kind} ({taxonomy.name})"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("code", overflow="fold")
    table.add_column("label", overflow="fold")
    table.add_column("score", justify="right")
    for rank, (code, score) in enumerate(hits, start=1):
        table.add_row(str(rank), Text(code), Text(taxonomy.label(code, the_kind)), f"{score:.2f}")
    console.print(table)
    if not hits:
        console.print("no candidates: the text is empty after cleaning", highlight=False, markup=False)
    if match.code is not None:
        console.print(
            f"normalises to {match.code} ({taxonomy.label(match.code, the_kind)}), confidence {match.confidence:.2f}",
            highlight=False,
            markup=False,
        )
    else:
        console.print(
            (
                f"no concept reaches {normaliser.threshold:.2f}, or {normaliser.semantic_threshold:.2f} by meaning"
                if by_meaning
                else f"no concept reaches the threshold {normaliser.threshold:.2f}"
            )
            + f" (best {match.confidence:.2f}): kept as free text",
            highlight=False,
            markup=False,
        )


#: Columns of ``taxonomy normalise --out``: one row per text and rank.
NORMALISE_COLUMNS = ("text", "rank", "uri", "label_en", "label_nl", "confidence", "accepted")


def read_texts(path: Path) -> list[str]:
    """The texts of ``path``: a CSV file with a ``text`` column, else one text a line (empty lines skipped)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KoppelaarError(
            f"{path} does not exist: give a file with one text a line or a CSV with a text column"
        ) from None
    except OSError as exc:
        raise KoppelaarError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KoppelaarError(f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    lines = content.splitlines()
    header = next(csv.reader(lines[:1]), []) if lines else []
    if [h.strip().lower() for h in header].count("text") == 1:
        column = [h.strip().lower() for h in header].index("text")
        texts: list[str] = []
        for number, row in enumerate(csv.reader(lines[1:]), start=2):
            if column >= len(row):
                raise KoppelaarError(f"{path} row {number}: no text field (the row has {len(row)} fields)")
            texts.append(row[column].strip())
        return [t for t in texts if t]
    return [line.strip() for line in lines if line.strip()]


def preferred_labels(
    source: Path | None, kind: Kind, languages: tuple[str, ...] = ("en", "nl")
) -> dict[str, dict[str, str]]:
    """``{"en": {code: label}, "nl": {...}}``: each concept's preferred label per language.

    From the ESCO export folder's ``<kind>s_<lang>.csv`` of ``languages`` when ``source`` is one (by
    ESCO URI), and from the built-in taxonomy's files (by code and by ESCO URI: its Dutch label and its
    English name) for what those do not give.
    """
    out: dict[str, dict[str, str]] = {"en": {}, "nl": {}}
    stem = {"skill": "skills", "occupation": "occupations", "certificate": "certificates"}[kind]
    if source is not None and source.is_dir() and kind != "certificate":
        files = esco_files(source)[stem]
        for lang, table in out.items():
            if lang in files and lang in languages:
                frame = pd.read_csv(
                    files[lang], usecols=["conceptUri", "preferredLabel"], dtype=str, keep_default_na=False
                )
                table.update(zip(frame["conceptUri"], frame["preferredLabel"], strict=True))
    frame = builtin_tables().of_kind(kind)
    for lang, column in (("en", "englishLabel"), ("nl", "label")):
        table = out[lang]
        for code, uri, label in zip(frame["code"], _uris(frame), frame[column], strict=True):
            for key in (code, uri):
                if key and label:
                    table.setdefault(key, label)
    return out


def _uris(frame: pd.DataFrame) -> list[str]:
    """The ``escoUri`` cells of a built-in table (certificates have none: all ``""``)."""
    return list(frame["escoUri"]) if "escoUri" in frame.columns else [""] * len(frame)


@taxonomy_app.command("normalise")
def normalise_file(
    file: Annotated[Path, typer.Argument(help="One text a line, or a CSV file with a 'text' column.")],
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write (one row per text and rank).")],
    kind: Annotated[KindOption, typer.Option("--kind", help="What the texts name.")] = KindOption.SKILL,
    k: Annotated[int, typer.Option("--top", min=1, max=50, help="How many concepts per text.")] = 5,
    semantic: Annotated[
        bool,
        typer.Option(
            "--semantic/--fuzzy",
            help="Semantic and fuzzy ranks fused (needs the semantic extra), or fuzzy matching alone.",
        ),
    ] = True,
) -> None:
    """Normalise every text of FILE to its best concepts on the taxonomy KOPPELAAR_TAXONOMY names (the
    built-in one when unset, with the ESCO labels of KOPPELAAR_ESCO when that is set).

    Writes per text and rank the concept's URI, its English and Dutch preferred label, the confidence
    and whether the text is taken as that concept (rank 1 at or above the threshold).
    """
    start = time.perf_counter()
    the_kind: Kind = kind.value
    try:
        settings = load_settings()
        texts = read_texts(file)
        taxonomy = load_taxonomy(settings.taxonomy, settings.esco)
        # ranked by the model, as the decision is: a rank 1 and its confidence are then the decision's
        indexes = {the_kind: semantic_index(taxonomy, the_kind, static=False)} if semantic else {}
        normaliser = Normaliser(taxonomy, semantic=indexes)
        labels = (  # KOPPELAAR_ESCO gives the built-in concepts English labels only
            preferred_labels(settings.esco, the_kind, ("en",))
            if settings.taxonomy is None and settings.esco is not None
            else preferred_labels(settings.taxonomy, the_kind)
        )
        title = the_kind == "occupation"
        matches = normaliser.normalise(texts, the_kind, title=title)
        rows: list[list[str]] = []
        ranked = normaliser.tops(texts, the_kind, k, title=title)
        for text, match, top in zip(texts, matches, ranked, strict=True):
            for rank, (code, confidence) in enumerate(top, start=1):
                concept = taxonomy.get(code, the_kind)
                uri = (concept.uri if concept is not None else None) or code
                taken = rank == 1 and match.code == code
                en = labels["en"].get(uri) or labels["en"].get(code, "")
                nl = labels["nl"].get(uri) or labels["nl"].get(code, "")
                rows.append([text, str(rank), uri, en, nl, f"{confidence:.3f}", "true" if taken else "false"])
        write_rows(out, NORMALISE_COLUMNS, rows)
    except KoppelaarError as exc:
        raise fail(str(exc)) from None
    kept = sum(m.code is None for m in matches)
    console.print(
        f"{len(texts):,} texts normalised to {the_kind}s on {taxonomy.name} "
        f"({'semantic and fuzzy' if semantic else 'fuzzy'}); {len(texts) - kept:,} taken as a concept, "
        f"{kept:,} kept as free text; wrote {out} in {time.perf_counter() - start:.1f} s",
        highlight=False,
        markup=False,
    )


def write_rows(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    """Write a CSV file whole (through a temporary file beside it), every cell spreadsheet-safe."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
        os.replace(tmp, path)
    except OSError as exc:
        raise KoppelaarError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
