"""The benchmark suite, end to end but tiny (SPEC §6 and bench/README.md): it builds a small
synthetic data set, starts the bare FastAPI route, Datasette and Autofacts in turn, drives
every path with wrk for a second and prints the tables, then the long tail's mixes of
distinct URLs and its isolation run. The full `make bench` is too long for CI; this keeps
its code from rotting."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]


def has_row(report: str, name: str) -> bool:
    """Whether the report has a table row named ``name``. A row whose measure got no answer
    at first and was taken again carries the bench's "(retried)" mark: CI runs this beside
    the rest of the suite, and on a busy host one wrk second can go unanswered."""
    return re.search(rf"^\| {re.escape(name)}(?: \(retried\))? \|", report, re.M) is not None


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_make_bench_runs_end_to_end() -> None:
    # Each pass on its own backend: the PostgreSQL pass (make test-postgres) would otherwise
    # run the SQLite half again, as the SQLite pass just did.
    databases = "postgresql" if POSTGRES_URL else "sqlite"
    done = subprocess.run(
        [sys.executable, ROOT / "bench" / "run.py", "--smoke", "--databases", databases],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for database in databases.split(","):
        assert f"## {database}: 200 companies, 2,000 facts" in done.stdout
    for path in ("company by slug", "list page 1,000 (cursor)", "search", "conditional GET (304)"):
        assert f"| {path} |" in done.stdout
    assert "| bare FastAPI route |" in done.stdout
    assert "| bare FastAPI route + the slug's lookup through the raw driver" in done.stdout
    assert "(smoke run: bars not judged)" in done.stdout
    # The long tail: wrk drawing each path from bench/urls.py's files, peer and isolation.
    for database in databases.split(","):
        assert f"## {database}, the long tail" in done.stdout
        assert f"### {database}-uncached: response cache off" in done.stdout
        assert has_row(done.stdout, f"{database}-uncached")  # the isolation run
    for mix in ("company details (random slugs)", "search (distinct words of names)"):
        assert has_row(done.stdout, mix)
    if databases == "postgresql":
        assert "psycopg's asyncio pool (`bench/floor_async.py`)" in done.stdout
        assert "### postgresql: scale-out, cache off, one worker and two" in done.stdout
