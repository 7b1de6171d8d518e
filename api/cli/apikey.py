"""``koppelaar apikey``: make, list and revoke the HTTP API's keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.cli.db import open_store
from api.cli.render import exit_on_user_error, table
from models.errors import KoppelaarError

console = Console()

key_app = typer.Typer(help="API keys: make, list and revoke them.", no_args_is_help=True)


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
    from api.services.regions import check_region

    store = open_store()
    try:
        if region is not None and region.strip():
            region = check_region(region, store.regions())
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
    from models.store import keys

    store = open_store()
    try:
        with store.connect() as conn:
            rows = keys.all_keys(conn)
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
