"""A real OpenID Connect provider for the tests: ``tests/oidc/provider.mjs`` (the npm package
``oidc-provider``) run on the machine's Node.js as a separate server process.

``npm ci`` (``make test`` runs it) installs the package into the project's ``node_modules``. Where
Node.js or the package is missing, the tests that need the provider fail under CI and are skipped
elsewhere, as the browser tests are without Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = Path(__file__).resolve().parent / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_node() -> str:
    """The path of ``node``, with the provider package installed; else fail under CI, skip elsewhere."""
    node = shutil.which("node")
    missing = "Node.js" if node is None else "the npm package oidc-provider (npm ci)" if not PACKAGE.exists() else ""
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is missing in CI: `make test` installs it")
        pytest.skip(f"{missing} is not installed (run `make node-packages`)")
    assert node is not None
    return node


@dataclass(frozen=True)
class ClientKey:
    """Koppelaar's key pair at the provider: the private key as PEM (Koppelaar's), the public one as a JWK."""

    pem: str
    public_jwk: dict[str, Any]


def client_key() -> ClientKey:
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048)
    pem = key.as_pem(private=True).decode()
    return ClientKey(pem, {**key.as_dict(private=False), "use": "sig", "alg": "RS256"})


@dataclass(frozen=True)
class Provider:
    issuer: str
    process: subprocess.Popen[str]


@contextmanager
def running_provider(
    folder: Path,
    *,
    client_id: str,
    redirect_uri: str,
    post_logout_redirect_uri: str | None = None,
    public_jwk: dict[str, Any],
    accounts: dict[str, dict[str, Any]],
    id_tokens: dict[str, str] | None = None,
) -> Iterator[Provider]:
    """Start the provider on a free port and stop it afterwards. ``id_tokens`` maps a login to how
    the provider misissues its ID tokens ("expired", "wrong-audience")."""
    node = require_node()
    port = free_port()
    config = {
        "port": port,
        "client": {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "jwk": public_jwk,
        },
        "accounts": accounts,
        "id_tokens": id_tokens or {},
    }
    path = folder / "oidc-provider.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        [node, str(PROVIDER), str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"the OpenID Connect provider did not start (exit code {process.poll()})")
        yield Provider(line.split(" ", 1)[1].strip(), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
