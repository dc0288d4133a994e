"""A real server for tests that drive Autofacts the way its users do: ``autofacts serve`` in
a subprocess, on a free port, over a new seeded database of the test run's backend (a copy
of the worker's template: a SQLite file, or a PostgreSQL database when
``AUTOFACTS_TEST_DATABASE_URL`` is set), with an API key for writes. Tools that only talk
HTTP (generated clients, the schemathesis CLI) get a base URL and a key, nothing else."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
from sqlmodel import Session

from app.core.config import ROOT
from app.core.db import make_engine
from app.services.api_keys import create_api_key
from tests.helpers import drop_database, seeded_database_url

BIN = Path(sys.executable).parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# Far above what any test sends, yet on: the server runs the limiter as a deployment
# does, and a fuzzer's bursts never meet a 429.
NO_LIMIT = "1000000/minute"


class LiveServer(NamedTuple):
    base_url: str
    key: str
    database_url: str
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_database(url: str) -> str:
    """A new API key for the database at ``url``."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return create_api_key(session=session, name="live-server")
    finally:
        engine.dispose()


@contextmanager
def live_server(tmp_path: Path, name: str = "live", **settings: str) -> Iterator[LiveServer]:
    """``autofacts serve`` over a new seeded database ``name``, answering /health/ready;
    ``settings`` are more ``AUTOFACTS_*`` environment variables for the server (they win
    over the defaults here). Its output goes to ``LiveServer.log``; it is stopped (SIGTERM,
    then SIGKILL) on the way out."""
    url = seeded_database_url(tmp_path, name)
    key = prepare_database(url)
    port = free_port()
    env = {
        **os.environ,
        "AUTOFACTS_DATABASE_URL": url,
        "AUTOFACTS_HOST": "127.0.0.1",
        "AUTOFACTS_PORT": str(port),
        "AUTOFACTS_WORKERS": "1",
        "AUTOFACTS_RATE_LIMIT": NO_LIMIT,
        "AUTOFACTS_WRITE_RATE_LIMIT": NO_LIMIT,
        "AUTOFACTS_RATE_LIMIT_STORAGE": "memory://",
        "AUTOFACTS_ACCESS_LOG": "false",
        "AUTOFACTS_LOG_LEVEL": "warning",
        "AUTOFACTS_GRACEFUL_SHUTDOWN_SECONDS": "2",
        **settings,
    }
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / f"{name}-server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [BIN / "autofacts", "serve"], env=env, cwd=ROOT, stdout=output, stderr=output
        )
        try:
            _wait_until_ready(base_url, process, log)
            yield LiveServer(base_url, key, url, log)
        finally:
            _stop(process)
            drop_database(url)


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the server exited ({process.returncode}) before it was ready:\n"
                + log.read_text(errors="replace")
            )
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError(
        f"the server was not ready within {READY_TIMEOUT:.0f} s:\n"
        + log.read_text(errors="replace")
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()
