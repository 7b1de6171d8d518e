"""The HTTP benchmark's load client: raw keep-alive HTTP/1.1 against a real local server."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.benchmarks.http import Connection, _run, _run_loop

ANSWERS = {
    "/ok": b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}',
    "/missing": b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
    "/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n",
    "/close": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye",
    "/bare": b"HTTP/1.1 200 OK\r\n\r\n",  # neither a length nor chunks: the client cannot know where it ends
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.heads: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        while True:
            lines = [self.rfile.readline()]
            if not lines[0]:
                return
            while lines[-1] not in (b"\r\n", b""):
                lines.append(self.rfile.readline())
            with self.server.lock:
                self.server.heads.append(b"".join(lines))
            path = lines[0].split()[1].decode()
            self.wfile.write(ANSWERS[path])
            self.wfile.flush()
            if path in ("/close", "/bare"):
                return


@contextmanager
def _serving() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


PATHS = ("/ok", "/chunked", "/missing", "/close", "/ok")


def test_the_client_reads_each_answer_whole_on_one_kept_alive_connection() -> None:
    with _serving() as server:
        port = server.server_address[1]

        async def ask() -> list[tuple[int, bytes]]:
            connection = Connection("127.0.0.1", port)
            try:
                return [
                    await connection.get(path, "kop_secret")
                    for path in ("/ok", "/chunked", "/missing", "/close", "/ok")
                ]
            finally:
                connection.close()

        answers = _run_loop(ask())
    assert answers == [(200, b'{"ok":true}'), (200, b"hello world"), (404, b"no"), (200, b"bye"), (200, b'{"ok":true}')]
    assert server.connections == 2  # kept alive until the server said close
    assert server.heads[0] == f"GET /ok HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: kop_secret\r\n\r\n".encode()


def test_a_load_counts_every_answer_but_200_and_every_failure_as_an_error() -> None:
    requests = [("/ok", "k")] * 40 + [("/missing", "k")] * 3 + [("/close", "k")] * 4 + [("/bare", "k")] * 2
    with _serving() as server:
        load = _run(server.server_address[1], requests, clients=4)
    figures = load.figures()
    assert figures["requests"] == len(requests)
    assert load.errors == 5
    assert load.statuses == {"404": 3, "ValueError": 2}
    assert len(server.heads) == len(requests)
    # every answer timed (figures round to 0.1 ms: a local median below 0.05 ms shows as 0.0)
    assert min(load.latencies_ms) > 0
