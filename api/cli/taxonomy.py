"""``koppelaar taxonomy``: import an official ESCO export and look up how text normalises.

``import-esco DIR`` reads an ESCO CSV export folder, prints what it holds and, with ``--out``,
stores it as one compact JSON file that every ``--esco``/taxonomy option also accepts.
``show TEXT`` prints the five concepts a skill, occupation or certificate text is closest to:
for coaches checking a label and for debugging a match.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.cli.render import fail
from api.taxonomy_io import esco_languages, load_taxonomy, read_esco_folder, write_taxonomy_file
from matching.normalise import Normaliser
from matching.taxonomy import Kind, Taxonomy
from models.errors import KoppelaarError

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
) -> None:
    """Print the best-matching concepts for a text (code, label, score) and what it normalises to."""
    try:
        taxonomy = load_taxonomy(esco)
    except KoppelaarError as exc:
        raise fail(str(exc)) from None
    the_kind: Kind = kind.value
    title = the_kind == "occupation"  # job titles: drop (m/v), hours and filler words first
    normaliser = Normaliser(taxonomy)
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
            f"no concept reaches the threshold {normaliser.threshold:.2f} (best {match.confidence:.2f}): "
            "kept as free text",
            highlight=False,
            markup=False,
        )
