"""`koppelaar import`, `export`, `db upgrade`, `apikey` and `serve` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", db_url)
    return db_url


def test_import_reports_what_changed_and_export_gives_the_files_back(env: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["import", str(SAMPLE), "--format", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)  # progress goes to stderr
    assert report["changes"]["candidates"] == {"inserted": 500, "updated": 0, "unchanged": 0}
    r = runner.invoke(app, ["import", str(SAMPLE)])
    assert r.exit_code == 0
    assert "unchanged" in r.output
    r = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    for path in SAMPLE.glob("*.csv"):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()


def test_a_bad_import_exits_2_naming_file_row_and_field(env: str, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(SAMPLE / "contractors.csv", folder)
    (folder / "candidates.csv").write_text("candidate_id,target_group,consent\nK1,ww,true\nK2,vip,true\n", "utf-8")
    r = runner.invoke(app, ["import", str(folder)])
    assert r.exit_code == 2
    said = " ".join(r.output.split())
    assert "candidates.csv row 3, column target_group" in said
    assert "nothing was imported" in said
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert "0 contractors" in " ".join(r.output.split())  # the contractors of the same folder were not imported either
    assert runner.invoke(app, ["import", str(tmp_path / "nope")]).exit_code == 2
    (tmp_path / "file").write_text("x")
    assert runner.invoke(app, ["export", str(tmp_path / "file")]).exit_code == 2


def test_keys_are_made_listed_and_revoked(env: str) -> None:
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    r = runner.invoke(app, ["apikey", "create", "--role", "coach", "--region", "Twente", "--label", "coach Ans"])
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("kop_")
    key_id = secret.split("_")[1]
    listing = runner.invoke(app, ["apikey", "list"]).output
    assert key_id in listing
    assert "Twente" in listing
    assert secret not in listing
    assert runner.invoke(app, ["apikey", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["apikey", "revoke", key_id]).exit_code == 2
    r = runner.invoke(app, ["apikey", "create", "--role", "coach"])
    assert r.exit_code == 2
    assert "--region" in r.output
    assert runner.invoke(app, ["apikey", "create", "--role", "baas", "--region", "X"]).exit_code == 2


def test_a_key_for_an_unknown_or_misspelt_region_is_refused_naming_the_known_ones(env: str) -> None:
    r = runner.invoke(app, ["apikey", "create", "--role", "coach", "--region", "Twente"])
    assert r.exit_code == 2  # an empty store knows no region: the key would never see anyone
    assert "import the candidates first" in r.output
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    for typed, hint in (("twente", "did you mean 'Twente'?"), ("Atlantis", "")):
        r = runner.invoke(app, ["apikey", "create", "--role", "coach", "--region", typed])
        assert r.exit_code == 2, r.output
        said = " ".join(r.output.split())
        assert said.startswith(f"error: --region '{typed}' is not a known region")
        assert hint in said
        assert "Groningen, Holland Rijnland, Midden-Utrecht, Noordoost-Brabant, Twente, Zuidoost-Brabant" in said
        assert "Traceback" not in r.output
    assert "coach" not in runner.invoke(app, ["apikey", "list"]).output  # no key was made
    r = runner.invoke(app, ["apikey", "create", "--role", "admin", "--region", "Groningen"])
    assert r.exit_code == 0, r.output


def test_a_database_that_cannot_be_reached_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    r = runner.invoke(app, ["import", str(SAMPLE)])
    assert r.exit_code == 2
    assert "cannot connect to the database" in r.output
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", "not a url")
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 2
    assert "KOPPELAAR_DATABASE_URL" in r.output
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("KOPPELAAR_MODEL", "/no/such/model.json")
    r = runner.invoke(app, ["serve"])
    assert r.exit_code == 2
    assert "KOPPELAAR_MODEL" in r.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_answers_over_http(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    secret = runner.invoke(app, ["apikey", "create", "--role", "coach", "--region", "Groningen"]).output.split()[-1]
    port = _free_port()
    exe = Path(sys.executable).with_name("koppelaar")
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env={**os.environ, "KOPPELAAR_DATABASE_URL": env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        r = httpx.get(f"{url}/api/v1/candidates?limit=3", headers={"X-API-Key": secret})
        assert r.status_code == 200
        assert len(r.json()["items"]) == 3
        assert httpx.get(f"{url}/api/v1/candidates").status_code == 401
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "KND-" not in output  # no candidate data in the server's log


def _health(url: str) -> dict[str, object] | None:
    try:  # a new connection each time, so that either worker may answer
        r = httpx.get(f"{url}/healthz", timeout=5)
    except httpx.TransportError:
        return None
    return r.json() if r.status_code == 200 else None


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_with_two_workers_warms_both_and_answers(env: str, tmp_path: Path) -> None:
    """`serve --workers 2`: two processes on one port, each warms every region's matcher and says so in
    /healthz; suggestions are answered; the processes stop with the server."""
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    secret = runner.invoke(app, ["apikey", "create", "--role", "coach", "--region", "Twente"]).output.split()[-1]
    port = _free_port()
    exe = Path(sys.executable).with_name("koppelaar")
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "KOPPELAAR_DATABASE_URL": env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    states: dict[int, set[str]] = {}
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while sum("ready" in s for s in states.values()) < 2:
            assert time.monotonic() < deadline, f"not ready: {states}"
            assert server.poll() is None, server.communicate()[0].decode()
            health = _health(url)
            if health is None:
                time.sleep(0.1)
                continue
            states.setdefault(int(health["pid"]), set()).add(str(health["matchers"]))  # type: ignore[call-overload]
        assert len(states) == 2
        assert server.pid not in states  # the workers answer, not the process that started them
        assert all(s <= {"warming", "ready"} for s in states.values())
        with httpx.Client(base_url=url, headers={"X-API-Key": secret}) as client:
            page = client.get("/api/v1/vacancies?limit=5").json()["items"]
            for vacancy in page:
                r = client.get(f"/api/v1/vacancies/{vacancy['vacancy_id']}/suggestions?top=3")
                assert r.status_code == 200, r.text
                assert r.json()["subject"] == f"vacancy {vacancy['vacancy_id']}"
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert "2 workers" in output
    assert "KND-" not in output  # no candidate data in the server's log
    assert not [pid for pid in states if Path(f"/proc/{pid}").exists()]  # no worker outlives the server


def test_serve_refuses_a_bad_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["serve", "--workers", "0"]).exit_code == 2
    monkeypatch.setenv("KOPPELAAR_WORKERS", "many")
    r = runner.invoke(app, ["serve"])
    assert r.exit_code == 2
    assert "KOPPELAAR_WORKERS" in r.output
