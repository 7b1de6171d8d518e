"""``koppelaar db``: create the database's schema or bring it up to date; the store every command opens."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from api.bootstrap import Runtime
from api.cli.render import exit_on_user_error
from models.store import Store

console = Console()

db_app = typer.Typer(help="The database: create or upgrade its schema.", no_args_is_help=True)


def open_store(runtime: Runtime | None = None) -> Store:
    """The configured store, its schema brought up to date."""
    runtime = runtime if runtime is not None else Runtime.load()
    return Store.open(runtime.settings.database_url)


def where(runtime: Runtime) -> str:
    """The database URL to show: without its password."""
    return make_url(runtime.settings.database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
@exit_on_user_error
def db_upgrade() -> None:
    """Create the schema or bring it up to the newest migration."""
    runtime = Runtime.load()
    store = Store.open(runtime.settings.database_url, upgrade=False)
    try:
        before = store.revision()
        store.upgrade()
        after = store.revision()
    finally:
        store.close()
    console.print(f"{where(runtime)}: schema {before or 'empty'} → {after}", highlight=False)
