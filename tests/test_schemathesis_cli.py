"""Schemathesis' CLI over the live OpenAPI document, as docs/api.md tells users to run it:
every check, every phase (the stateful one included), from the repository root so that
schemathesis.toml and its hooks apply, against a real server on this run's database.

It ends with zero failures and no warning about the document (the configuration fails
the run on those; see schemathesis.toml for the one warning about test data it shows).
A fixed seed and a bounded number of examples keep it repeatable and its time in CI
bounded; tests/test_fuzz_openapi.py fuzzes in-process besides.
"""

import subprocess
from pathlib import Path

import pytest

from app.core.config import ROOT
from tests.live_server import BIN, live_server

SEED = 1
EXAMPLES_PER_OPERATION = 25
PHASES = "examples,coverage,fuzzing,stateful"


@pytest.mark.slow
def test_schemathesis_cli_finds_nothing(tmp_path: Path) -> None:
    with live_server(tmp_path, "schemathesis") as server:
        run = subprocess.run(
            [
                BIN / "schemathesis",
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                "all",
                "--phases",
                PHASES,
                "--seed",
                str(SEED),
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--header",
                f"Authorization: Bearer {server.key}",
                "--no-color",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    warnings = (
        summary.split("Warnings:", 1)[1].split("\n\n", 1)[0] if "Warnings:" in summary else ""
    )
    about_the_document = [
        line for line in warnings.splitlines() if line.strip() and "Missing test data" not in line
    ]
    assert not about_the_document, summary
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
