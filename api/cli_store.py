"""CLI verbs of the store and the server: ``import``, ``export``, ``db``, ``apikey`` and ``serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes, e.g. one per core (each holds its own prepared matchers). "
            "Default: KOPPELAAR_WORKERS, else 1.",
            show_default=False,
        ),
    ] = None,
    warm: Annotated[
        bool | None,
        typer.Option(
            "--warm/--no-warm",
            help="Prepare every region's matcher at start, in the background (/healthz says when it is done). "
            "Default: KOPPELAAR_WARM, else on.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the HTTP API (OpenAPI description at /docs)."""
    import os
    import secrets
    import tempfile

    import uvicorn

    from api.app import RECOVERY_MARKER_ENV, create_app

    # the options reach every worker process the way all settings do: through the environment
    if workers is not None:
        os.environ["KOPPELAAR_WORKERS"] = str(workers)
    if warm is not None:
        os.environ["KOPPELAAR_WARM"] = "true" if warm else "false"
    settings = load_settings()
    store = open_store(settings)  # fails here, with one line, when the database cannot be reached
    store.close()
    processes = f", {settings.workers} workers" if settings.workers > 1 else ""
    console.print(f"Koppelaar API on http://{host}:{port}/docs, store {_where(settings)}{processes}", highlight=False)
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
        return
    marker = Path(tempfile.gettempdir()) / f"koppelaar-serve-{os.getpid()}-{secrets.token_hex(4)}.runs"
    os.environ[RECOVERY_MARKER_ENV] = str(marker)
    try:
        serve_processes(host, port, settings.workers, settings.log_level.lower())
    finally:
        marker.unlink(missing_ok=True)


#: The exit code of a uvicorn process that failed before it served (the app, its lifespan, a socket).
STARTUP_FAILURE = 3


def serve_processes(host: str, port: int, workers: int, log_level: str) -> None:
    """``workers`` uvicorn processes of ``api.app:create_app``, until SIGINT or SIGTERM.

    Each process accepts on a listening socket of its own, all bound to the same port with
    ``SO_REUSEPORT``, so the kernel spreads new connections evenly over them. uvicorn's own
    ``--workers`` shares one socket, and the first process to wake takes a whole burst of
    connections: 32 keep-alive clients that connect at once can all land on one process while the
    other idles. The sockets stay open here, so a process that dies is replaced on its socket
    without refusing a connection. Where the system cannot spread connections (not Linux), this is
    uvicorn's ``--workers``.
    """
    import multiprocessing
    import signal
    import socket
    import sys
    import threading

    import uvicorn

    if sys.platform != "linux" or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level)
        return
    sockets = [_listening_socket(host, port) for _ in range(workers)]
    spawn = multiprocessing.get_context("spawn")

    def start(sock: socket.socket) -> Any:
        process = spawn.Process(target=_serve_process, args=(sock, log_level), name="koppelaar-serve")
        process.start()
        return process

    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start(sock) for sock in sockets]
    failed = False
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:  # the next one would fail the same way
                    failed = True
                    stop.set()
                    break
                console.print(f"server process {process.pid} ended ({process.exitcode}); starting another")
                processes[i] = start(sockets[i])
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn's graceful shutdown: answers in progress are finished
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
        for sock in sockets:
            sock.close()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if failed:
        raise KoppelaarError("a server process could not start; its messages are above")


def _listening_socket(host: str, port: int) -> Any:
    """A TCP socket listening on ``host:port`` that shares the port with the others (``SO_REUSEPORT``)."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise KoppelaarError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_process(sock: Any, log_level: str) -> None:
    """One server process (started by :func:`serve_processes`): uvicorn on ``sock``, settings from the environment."""
    import uvicorn

    config = uvicorn.Config("api.app:create_app", factory=True, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def register(app: typer.Typer) -> None:
    app.command("import")(exit_on_user_error(import_command))
    app.command("export")(exit_on_user_error(export_command))
    app.command("serve")(exit_on_user_error(serve_command))
    app.add_typer(db_app, name="db")
    app.add_typer(key_app, name="apikey")
