"""Faults, against a real server process (``autofacts serve``) over real HTTP:

* the server killed with SIGKILL in the middle of a stream of writes loses no write it
  acknowledged and leaves none half-written (SQLite in WAL mode, and PostgreSQL);
* PostgreSQL stopped while serving: requests get a 503 problem at once, readiness says so,
  liveness does not, and service resumes by itself when the database is back.

Each test prints what it measured (``pytest -s`` shows it); the README's "Fault tests"
section quotes the figures.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers import POSTGRES_URL, fresh_database_url

BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SOURCE = "2025-11-14-honda-nissan"
QUOTE = "Honda and Nissan, longtime potential dance partners"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _autofacts(url: str, *args: str) -> str:
    env = {**os.environ, "AUTOFACTS_DATABASE_URL": url}
    done = subprocess.run(
        [BIN / "autofacts", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def _wait_until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


@contextmanager
def _server(url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``autofacts serve`` on ``url`` and a free port, ready to answer."""
    port = _free_port()
    env = {
        **os.environ,
        "AUTOFACTS_DATABASE_URL": url,
        "AUTOFACTS_PORT": str(port),
        "AUTOFACTS_ACCESS_LOG": "false",
        "AUTOFACTS_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([BIN / "autofacts", "serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: httpx.get(f"{base}/health/live").status_code == 200, 30)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


# -- kill -9 during writes ----------------------------------------------------------------


def test_sigkill_during_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path, "killed")
    _autofacts(url, "migrate")
    _autofacts(url, "seed")
    key = _autofacts(url, "create-api-key", "--name", "writer").strip().splitlines()[-1]
    acknowledged: set[str] = set()
    attempted: set[str] = set()
    refused: list[int] = []
    stop = threading.Event()

    def write(worker: int, base: str) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                slug = f"killed-{worker}-{n}"
                attempted.add(slug)
                body = {
                    "slug": slug,
                    "name": f"Killed {worker} {n}",
                    "kind": "supplier",
                    "certainty": "reported",
                    "citations": [{"source": SOURCE, "quote": QUOTE}],
                }
                try:
                    response = client.post("/v1/companies", json=body, timeout=10)
                except httpx.HTTPError:
                    return  # the server is gone: this write was in flight
                if response.status_code == 201:
                    acknowledged.add(slug)
                else:
                    refused.append(response.status_code)

    with _server(url) as (base, process):
        writers = [threading.Thread(target=write, args=(w, base)) for w in range(4)]
        for writer in writers:
            writer.start()
        _wait_until(lambda: len(acknowledged) >= 150, 60)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for writer in writers:
            writer.join(timeout=15)
    in_flight = attempted - acknowledged

    with _server(url) as (base, _), httpx.Client(base_url=base) as client:
        present = {
            slug for slug in attempted if client.get(f"/v1/companies/{slug}").status_code == 200
        }
    print(
        f"\nkill -9 during writes ({make_url(url).get_backend_name()}): "
        f"{len(attempted)} attempted, {len(acknowledged)} acknowledged, "
        f"{len(in_flight)} in flight at the kill, {len(present)} present after restart"
    )
    assert refused == []
    assert acknowledged <= present, sorted(acknowledged - present)
    _assert_whole(url)


def _assert_whole(url: str) -> None:
    """Every company the test wrote has all its parts (citation, fact row, search document,
    change), and no part exists without its company."""
    engine = create_engine(url)
    with engine.connect() as connection:

        def ids(sql: str) -> set[Any]:
            return set(connection.execute(text(sql)).scalars())

        companies = ids("SELECT id FROM company WHERE slug LIKE 'killed-%'")
        slugs = ids("SELECT slug FROM company WHERE slug LIKE 'killed-%'")
        cited = ids("SELECT fact_id FROM citation WHERE fact_type = 'company'")
        projected = ids("SELECT fact_id FROM fact WHERE fact_type = 'company'")
        indexed = ids("SELECT doc_id FROM search_document WHERE doc_type = 'company'")
        all_companies = ids("SELECT id FROM company")
        changed = ids(
            "SELECT resource_id FROM change WHERE resource = 'companies' AND operation = 'create'"
        )
        assert companies <= cited and companies <= projected and companies <= indexed
        assert slugs <= changed
        assert cited <= all_companies and projected <= all_companies
        assert indexed <= all_companies
        assert {s for s in changed if s.startswith("killed-")} <= slugs
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    engine.dispose()


# -- PostgreSQL stopped while serving -------------------------------------------------------


@contextmanager
def _private_postgres() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A throwaway PostgreSQL cluster of this test's own (the shared one keeps serving the
    rest of the suite): its URL, and functions that stop and start it."""
    postgres = pwd.getpwnam("postgres")
    home = Path(tempfile.mkdtemp(prefix="autofacts-pg-"))
    os.chown(home, postgres.pw_uid, postgres.pw_gid)
    data, port = home / "data", _free_port()

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True
        )

    def start() -> None:
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = str(PG_BIN / "pg_ctl")
        as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start")

    def stop() -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")

    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N")
    start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop, start
    finally:
        if (data / "postmaster.pid").exists():
            stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(not POSTGRES_URL, reason="runs in the PostgreSQL pass (make test-postgres, CI)")
@pytest.mark.skipif(
    os.geteuid() != 0 or not (PG_BIN / "initdb").exists(),
    reason="needs root and the PostgreSQL 15 server binaries, to run a cluster of its own",
)
def test_postgresql_stopped_gives_503_and_service_resumes_by_itself() -> None:
    with _private_postgres() as (url, stop_database, start_database):
        _autofacts(url, "migrate")
        _autofacts(url, "seed")
        with _server(url) as (base, process), httpx.Client(base_url=base) as client:
            assert client.get("/v1/companies/nissan").status_code == 200
            stop_database()

            started = time.monotonic()
            during = client.get("/v1/companies/nissan", timeout=30)
            first_503 = time.monotonic() - started
            assert during.status_code == 503, during.text
            assert during.headers["content-type"] == "application/problem+json"
            statuses = [client.get("/v1/companies?limit=5").status_code for _ in range(20)]
            assert set(statuses) == {503}
            assert client.get("/health/ready").status_code == 503
            assert client.get("/health/live").status_code == 200
            assert first_503 < 2.0

            start_database()
            back_in = _wait_until(lambda: client.get("/v1/companies/nissan").status_code == 200, 30)
            after = [client.get("/v1/companies?limit=5").status_code for _ in range(20)]
            assert set(after) == {200}
            assert client.get("/health/ready").status_code == 200
            assert process.poll() is None, "the server was not restarted"
    print(
        f"\nPostgreSQL stopped: first 503 after {first_503 * 1000:.0f} ms, 20/20 requests 503 "
        f"while down; service back {back_in * 1000:.0f} ms after the database, no restart"
    )
