"""CLI verbs of the store and the server: ``import``, ``export``, ``db``, ``apikey`` and ``serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.render import exit_on_user_error, print_problems, table
from api.settings import Settings, load_settings
from models.errors import KoppelaarError
from models.store import Store
from models.store import tables as t

console = Console()

db_app = typer.Typer(help="The database: create or upgrade its schema.", no_args_is_help=True)
key_app = typer.Typer(help="API keys: make, list and revoke them.", no_args_is_help=True)


def open_store(settings: Settings | None = None) -> Store:
    """The configured store, its schema brought up to date."""
    settings = settings or load_settings()
    return Store.open(settings.database_url)


def _where(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def import_command(
    dataset: Annotated[Path, typer.Argument(help="Folder with any of the format's CSV files.", show_default=False)],
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Import a dataset into the store: validated first, then upserted by id in one transaction."""
    from models.store.importer import import_folder

    with Reporter.from_options("import", quiet=quiet, log=log) as reporter:
        settings = load_settings()
        with reporter.stage("connect"):
            store = open_store(settings)
        try:
            with reporter.stage("import"):
                report = import_folder(store, dataset)
        finally:
            store.close()
        changes = {name: c.as_dict() for name, c in report.changes.items()}
        reporter.done(
            {name: {k: change[k] for k in ("inserted", "updated", "unchanged")} for name, change in changes.items()},
            warnings=len(report.warnings),
        )
    if output == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return
    rows = [(name, c["inserted"], c["updated"], c["unchanged"]) for name, c in changes.items()]
    console.print(table(f"Imported {dataset} into {_where(settings)}", ("file", "new", "changed", "unchanged"), rows))
    if report.warnings:
        print_problems(console, report.warnings)


def export_command(
    out: Annotated[Path, typer.Argument(help="Folder to write the five CSV files to.", show_default=False)],
) -> None:
    """Export the whole store as a dataset folder of the exchange format."""
    from models.store.importer import export_folder

    if out.exists() and not out.is_dir():
        raise KoppelaarError(f"{out} is a file; give a folder for the CSV files")
    settings = load_settings()
    store = open_store(settings)
    try:
        counts = export_folder(store, out)
    except OSError as exc:
        raise KoppelaarError(f"cannot write to {out}: {exc.strerror or exc}") from None
    finally:
        store.close()
    console.print(f"wrote {out}: " + ", ".join(f"{n} {name}" for name, n in counts.items()), highlight=False)


@db_app.command("upgrade")
@exit_on_user_error
def db_upgrade() -> None:
    """Create the schema or bring it up to the newest migration."""
    settings = load_settings()
    store = Store.open(settings.database_url, upgrade=False)
    try:
        before = store.revision()
        store.upgrade()
        after = store.revision()
    finally:
        store.close()
    console.print(f"{_where(settings)}: schema {before or 'empty'} → {after}", highlight=False)


@key_app.command("create")
@exit_on_user_error
def key_create(
    role: Annotated[str, typer.Option(help="coach, adviseur, werkgeversservice or admin.", show_default=False)],
    region: Annotated[
        str | None, typer.Option(help="The labour-market region it is limited to (only admin keys may omit it).")
    ] = None,
    label: Annotated[str, typer.Option(help="Whose key it is, for the audit log.")] = "",
) -> None:
    """Make an API key. It is shown once; only its hash is stored."""
    from api.security import create_key

    store = open_store()
    try:
        with store.begin() as conn:
            key = create_key(conn, role=role, region=region, label=label)
    finally:
        store.close()
    console.print(f"key {key.key_id}: {key.role.value}, region {key.region or 'all'}", highlight=False)
    console.print("Store it now; it cannot be shown again:", highlight=False)
    typer.echo(key.secret)


@key_app.command("list")
@exit_on_user_error
def key_list() -> None:
    """List the API keys (never their secrets)."""
    store = open_store()
    try:
        with store.connect() as conn:
            rows = conn.execute(select(t.api_keys).order_by(t.api_keys.c.created_at)).all()
    finally:
        store.close()
    console.print(
        table(
            "API keys",
            ("key", "role", "region", "label", "created", "revoked"),
            [
                (
                    r.key_id,
                    r.role,
                    r.region or "all",
                    r.label,
                    f"{r.created_at:%Y-%m-%d}",
                    f"{r.revoked_at:%Y-%m-%d}" if r.revoked_at else "",
                )
                for r in rows
            ],
        )
    )


@key_app.command("revoke")
@exit_on_user_error
def key_revoke(key_id: Annotated[str, typer.Argument(help="The key id (kXXXXXXXXXXXX).", show_default=False)]) -> None:
    """Revoke a key: it stops working at once."""
    from api.security import revoke_key

    store = open_store()
    try:
        with store.begin() as conn:
            done = revoke_key(conn, key_id)
    finally:
        store.close()
    if not done:
        raise KoppelaarError(f"there is no active key {key_id}")
    console.print(f"revoked {key_id}", highlight=False)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Start the HTTP API (OpenAPI description at /docs)."""
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    store = open_store(settings)  # fails here, with one line, when the database cannot be reached
    store.close()
    console.print(f"Koppelaar API on http://{host}:{port}/docs, store {_where(settings)}", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower(), access_log=False)


def register(app: typer.Typer) -> None:
    app.command("import")(exit_on_user_error(import_command))
    app.command("export")(exit_on_user_error(export_command))
    app.command("serve")(exit_on_user_error(serve_command))
    app.add_typer(db_app, name="db")
    app.add_typer(key_app, name="apikey")
