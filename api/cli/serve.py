"""``koppelaar serve``: the HTTP API, in one process or one per core (``--workers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store, where
from models.errors import KoppelaarError

console = Console()


def serve(
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
    """Start the HTTP API, the coaches' page at /app/ and the API documentation at /docs and /redoc."""
    import os
    import secrets
    import tempfile

    import uvicorn

    from api.http.app import RECOVERY_MARKER_ENV, create_app

    # the options reach every worker process the way all settings do: through the environment
    if workers is not None:
        os.environ["KOPPELAAR_WORKERS"] = str(workers)
    if warm is not None:
        os.environ["KOPPELAAR_WARM"] = "true" if warm else "false"
    runtime = Runtime.load()
    settings = runtime.settings
    store = open_store(runtime)  # fails here, with one line, when the database cannot be reached
    store.close()
    processes = f", {settings.workers} workers" if settings.workers > 1 else ""
    base = f"http://{host}:{port}"
    console.print(f"Koppelaar on {base}, store {where(runtime)}{processes}", highlight=False)
    console.print(f"  the coaches' page:     {base}/app/", highlight=False)
    console.print(f"  the API documentation: {base}/docs (Swagger UI) and {base}/redoc (ReDoc)", highlight=False)
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
    """``workers`` uvicorn processes of ``api.http.app:create_app``, until SIGINT or SIGTERM.

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
        uvicorn.run("api.http.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level)
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

    config = uvicorn.Config("api.http.app:create_app", factory=True, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
