"""Faults, against a real server process (``autofacts serve``) over real HTTP:

* the server killed with SIGKILL in the middle of a stream of writes loses no write it
  acknowledged and leaves none half-written (SQLite in WAL mode, and PostgreSQL), and a
  retry of a write that was in flight, with its Idempotency-Key, never writes it twice;
* PostgreSQL stopped while serving (``pg_ctl stop -m immediate``, then ``-m fast``): every
  request gets a 503 problem at once, readiness says so, liveness does not, nothing is a
  500, and service resumes by itself when the database is back.

Each test prints what it measured (``pytest -s tests/test_faults.py`` shows it);
docs/operations.md ("Fault tests") says what each proves.
"""

import logging
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import PROBLEM_JSON
from app.importer import import_facts, load_file
from tests.helpers import POSTGRES_URL, migrate, seeded_database_url

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SOURCE = "2025-11-14-honda-nissan"
QUOTE = "Honda and Nissan, longtime potential dance partners"
# app.core.db connects to PostgreSQL with connect_timeout=5: the longest a request may wait
# for a database that is gone before it gets its 503.
CONNECT_TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """httpx logs every request at INFO, alembic every migration: hundreds of lines under
    ``pytest -s``, which is how the figures are read."""
    loggers = [logging.getLogger(name) for name in ("httpx", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


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


def _prepare(url: str) -> str:
    """Migrate and seed the database at ``url`` (what ``make run`` does before serving, in
    this process to save two interpreter start-ups) and return a new API key."""
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        import_facts(session, load_file(get_settings().seed_file))
    engine.dispose()
    return _new_key(url)


def _new_key(url: str) -> str:
    """A new API key for the database at ``url``, made by the command line."""
    return _autofacts(url, "create-api-key", "--name", "writer").strip().splitlines()[-1]


def _company(slug: str) -> dict[str, Any]:
    """A new company with one citation: one transaction writes the row, its citation, its
    ``fact`` projection, its search document, its change and (with an Idempotency-Key) the
    stored response."""
    return {
        "slug": slug,
        "name": f"Company {slug}",
        "kind": "supplier",
        "certainty": "reported",
        "citations": [{"source": SOURCE, "quote": QUOTE}],
    }


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
def _server(url: str, **settings: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``autofacts serve`` on ``url`` and a free port, ready to answer; ``settings`` are
    more environment variables."""
    port = _free_port()
    env = {
        **os.environ,
        **settings,
        "AUTOFACTS_DATABASE_URL": url,
        "AUTOFACTS_PORT": str(port),
        "AUTOFACTS_ACCESS_LOG": "false",
        # The outage test makes the server log one error per failed request.
        "AUTOFACTS_LOG_LEVEL": "critical",
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
    url = seeded_database_url(tmp_path, "killed")
    key = _new_key(url)
    auth = {"Authorization": f"Bearer {key}"}
    acknowledged: set[str] = set()
    attempted: set[str] = set()
    refused: list[int] = []
    stop = threading.Event()

    def write(worker: int, base: str) -> None:
        with httpx.Client(base_url=base, headers=auth) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                slug = f"killed-{worker}-{n}"
                attempted.add(slug)
                try:
                    response = client.post(
                        "/v1/companies",
                        json=_company(slug),
                        headers={"Idempotency-Key": slug},
                        timeout=10,
                    )
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
    assert refused == []
    in_flight = attempted - acknowledged

    with _server(url) as (base, _), httpx.Client(base_url=base, headers=auth) as client:
        present = {
            slug for slug in attempted if client.get(f"/v1/companies/{slug}").status_code == 200
        }
        assert acknowledged <= present, sorted(acknowledged - present)
        _assert_whole(url, present)
        # A client retries what it got no answer to: the first response if the write had
        # committed, a new write if it had not, and never a second row.
        retried = [
            client.post(
                "/v1/companies", json=_company(slug), headers={"Idempotency-Key": slug}
            ).status_code
            for slug in sorted(in_flight)
        ]
        assert set(retried) <= {201}
        _assert_whole(url, attempted)
    committed_unacknowledged = len(present - acknowledged)
    print(
        f"\nkill -9 during writes ({make_url(url).get_backend_name()}): "
        f"{len(attempted)} attempted, {len(acknowledged)} acknowledged, "
        f"{len(in_flight)} in flight at the kill ({committed_unacknowledged} of them had "
        f"committed), {len(present)} present after restart; {len(retried)} retried with "
        f"their Idempotency-Key, all 201, none twice"
    )


def _assert_whole(url: str, expected: set[str]) -> None:
    """The companies the test wrote are exactly ``expected``, each with all its parts
    (citation, fact row, search document, one change, one stored response), and no part
    exists without its company; on SQLite, the file is in WAL mode and intact."""
    engine = create_engine(url)
    with engine.connect() as connection:

        def rows(sql: str) -> list[Any]:
            return list(connection.execute(text(sql)).scalars())

        slugs = rows("SELECT slug FROM company WHERE slug LIKE 'killed-%'")
        ids = set(rows("SELECT id FROM company WHERE slug LIKE 'killed-%'"))
        all_ids = set(rows("SELECT id FROM company"))
        cited = rows("SELECT fact_id FROM citation WHERE fact_type = 'company'")
        projected = rows("SELECT fact_id FROM fact WHERE fact_type = 'company'")
        indexed = rows("SELECT doc_id FROM search_document WHERE doc_type = 'company'")
        changed = rows(
            "SELECT resource_id FROM change WHERE resource = 'companies' "
            "AND operation = 'create' AND resource_id LIKE 'killed-%'"
        )
        stored = rows("SELECT key FROM idempotent_request WHERE key LIKE 'killed-%'")
        assert set(slugs) == expected, sorted(set(slugs) ^ expected)
        for parts in (cited, projected, indexed):
            assert set(parts) <= all_ids
            assert sorted(p for p in parts if p in ids) == sorted(ids)  # one each
        assert sorted(changed) == sorted(slugs)
        assert sorted(stored) == sorted(slugs)
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert rows("PRAGMA foreign_key_check") == []
    engine.dispose()


# -- PostgreSQL stopped while serving -------------------------------------------------------


@contextmanager
def _private_postgres() -> Iterator[tuple[str, Callable[[str], None], Callable[[], None]]]:
    """A throwaway PostgreSQL cluster of this test's own (the shared one keeps serving the
    rest of the suite): its URL, a function that stops it (in a ``pg_ctl stop`` mode) and
    one that starts it."""
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

    def stop(mode: str) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop")

    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N")
    start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop, start
    finally:
        if (data / "postmaster.pid").exists():
            stop("immediate")
        shutil.rmtree(home, ignore_errors=True)


# What the outage test asks while the database is up, down, and back: reads of every kind,
# readiness, and a write.
READS = [
    "/v1/companies/nissan",
    "/v1/companies?limit=5",
    "/v1/companies?country=JP&count=true",
    "/v1/companies/nissan/executives",
    "/v1/partnerships?include=members",
    "/v1/facts?company=honda",
    "/v1/search?q=nissan",
    "/v1/changes",
    "/health/ready",
]


@dataclass
class Answer:
    path: str
    status: int
    seconds: float
    response: httpx.Response


def _burst(client: httpx.Client, key: str, label: str, rounds: int = 4) -> list[Answer]:
    """Every path of READS and a POST, ``rounds`` times over, 16 at a time."""

    def ask(n: int) -> Answer:
        started = time.monotonic()
        if n % (len(READS) + 1) == len(READS):
            path = "/v1/companies"
            response = client.post(
                path,
                json=_company(f"{label}-{n}"),
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )
        else:
            path = READS[n % (len(READS) + 1)]
            response = client.get(path, timeout=30)
        return Answer(path, response.status_code, time.monotonic() - started, response)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(ask, range(rounds * (len(READS) + 1))))


needs_a_private_cluster = pytest.mark.skipif(
    os.geteuid() != 0 or not (PG_BIN / "initdb").exists(),
    reason="needs root and the PostgreSQL 15 server binaries, to run a cluster of its own",
)


@pytest.mark.skipif(not POSTGRES_URL, reason="runs in the PostgreSQL pass (make test-postgres, CI)")
@needs_a_private_cluster
def test_postgresql_stopped_gives_503_and_service_resumes_by_itself() -> None:
    figures: list[str] = []
    with _private_postgres() as (url, stop_database, start_database):
        key = _prepare(url)
        limits = httpx.Limits(max_connections=16)
        with _server(url) as (base, process), httpx.Client(base_url=base, limits=limits) as client:
            # 16 requests at a time fill the server's pool with live connections, which the
            # outage then breaks.
            up = _burst(client, key, "before")
            assert {a.status for a in up} == {200, 201}, [(a.path, a.status) for a in up]

            for mode in ("immediate", "fast"):
                stop_database(mode)
                started = time.monotonic()
                first = client.get("/v1/companies/nissan", timeout=30)
                first_503 = time.monotonic() - started
                assert first.status_code == 503, first.text
                down = _burst(client, key, f"down-{mode}")
                for answer in down:
                    assert answer.status == 503, (answer.path, answer.status)
                    assert answer.response.headers["content-type"] == PROBLEM_JSON
                    assert answer.response.headers["retry-after"] == "1"
                    assert answer.response.json()["status"] == 503
                slowest = max(a.seconds for a in down)
                assert max(first_503, slowest) < CONNECT_TIMEOUT
                assert client.get("/health/live").status_code == 200

                start_database()
                back_in = _wait_until(
                    lambda: client.get("/v1/companies/nissan").status_code == 200, 30
                )
                after = _burst(client, key, f"after-{mode}")
                assert {a.status for a in after} == {200, 201}, [
                    (a.path, a.status) for a in after if a.status >= 300
                ]
                assert process.poll() is None, "the server was not restarted"
                figures.append(
                    f"stop -m {mode}: first 503 after {first_503 * 1000:.0f} ms, "
                    f"{len(down)}/{len(down)} requests 503 problems while down (slowest "
                    f"{slowest * 1000:.0f} ms), service back {back_in * 1000:.0f} ms after "
                    f"the database, then {len(after)}/{len(after)} answered"
                )
    print("\nPostgreSQL stopped while serving, one server process throughout:")
    print("\n".join(f"  {line}" for line in figures))


# -- a statement held past the timeout ---------------------------------------------------------


@pytest.mark.skipif(not POSTGRES_URL, reason="statement_timeout is PostgreSQL's")
@needs_a_private_cluster
def test_a_statement_held_past_the_timeout_is_a_503_and_the_worker_carries_on() -> None:
    """Another session holds an exclusive lock on ``company`` (a migration, a stuck
    transaction): reads of companies wait for it, and the server cancels each one at the
    statement timeout, a 503 problem, instead of holding the request (and its connection)
    for as long as the lock lasts. Other tables' reads go on meanwhile; once the lock is
    gone, companies are served again. (An answer the response cache kept from before the
    lock is still given while the lock commits nothing: the data has not changed. So the
    held read asks for a company not read before.) On a cluster of its own: the cache's
    data version is the cluster's snapshot, which any commit in any database moves, and
    other tests (another worker's, another run's) commit all the time on the shared one."""
    with _private_postgres() as (url, _, _):
        _prepare(url)
        _hold_a_lock_past_the_timeout(url)


def _hold_a_lock_past_the_timeout(url: str) -> None:
    timeout_ms = 300
    with _server(url, AUTOFACTS_DB_STATEMENT_TIMEOUT_MS=str(timeout_ms)) as (base, _):
        engine = create_engine(url)
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/v1/companies/nissan").status_code == 200
            with engine.connect() as locker:
                locker.exec_driver_sql("LOCK TABLE company IN ACCESS EXCLUSIVE MODE")
                started = time.monotonic()
                held = client.get("/v1/companies/honda")
                waited = time.monotonic() - started
                other = client.get("/v1/sources")
                kept = client.get("/v1/companies/nissan")
                locker.rollback()
            assert kept.status_code == 200
            assert held.status_code == 503, held.text
            assert held.headers["content-type"] == PROBLEM_JSON
            assert held.headers["retry-after"] == "1"
            assert "statement timeout" in held.json()["detail"]
            assert timeout_ms / 1000 <= waited < timeout_ms / 1000 + 2
            assert other.status_code == 200
            assert client.get("/v1/companies/honda").status_code == 200
        engine.dispose()
    print(
        f"\nstatement timeout {timeout_ms} ms: a read held by a lock got its 503 after "
        f"{waited * 1000:.0f} ms; other reads went on, and companies were served again"
    )
