"""The ``koppelaar`` command line: one module per command (or group of subcommands).

Composition root for the terminal: each command builds its :class:`~api.bootstrap.Runtime` once,
calls the core, renders with rich and turns every :class:`~models.errors.KoppelaarError` into one
clear line and exit code 2 (:func:`~api.cli.render.exit_on_user_error`).
"""

from __future__ import annotations

import typer

from api.cli import (
    apikey,
    db,
    demo,
    export,
    generate,
    import_,
    match,
    notify,
    register,
    report,
    score,
    serve,
    suggest,
    taxonomy,
    tenders,
    train,
    validate,
)
from api.cli.options import sample_dataset
from api.cli.render import exit_on_user_error

app = typer.Typer(
    name="koppelaar",
    help="Koppelaar: match candidates to SROI vacancies, plan placements and monitor obligations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for name, command in (
    ("validate", validate.validate),
    ("generate", generate.generate),
    ("demo", demo.demo),
    ("train", train.train),
    ("suggest", suggest.suggest),
    ("score", score.score),
    ("match", match.match),
    ("import", import_.import_),
    ("export", export.export),
    ("serve", serve.serve),
    ("notify", notify.notify),
    ("register", register.register),
):
    app.command(name)(exit_on_user_error(command))
app.add_typer(db.db_app, name="db")
app.add_typer(apikey.key_app, name="apikey")
app.command("report")(exit_on_user_error(report.report))
app.add_typer(taxonomy.taxonomy_app, name="taxonomy")
app.add_typer(tenders.tenders_app, name="tenders")


def main() -> None:
    """Console-script entry point: domain errors become one line on stderr and exit code 2."""
    exit_on_user_error(app)()


__all__ = ["app", "main", "sample_dataset"]
