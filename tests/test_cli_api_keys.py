"""The API-key commands, against a real migrated database."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import app
from app.core.config import get_settings
from app.core.db import get_engine
from tests.helpers import client_for


@pytest.fixture
def cli_database(empty_db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("AUTOFACTS_DATABASE_URL", empty_db_engine.url.render_as_string(False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield empty_db_engine
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_create_list_use_revoke(cli_database: Engine) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["create-api-key", "--name", "newsroom"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("af_") and len(key) > 40

    listed = runner.invoke(app, ["api-keys", "list"])
    assert "newsroom" in listed.output and "live" in listed.output
    assert key not in listed.output

    client = client_for(cli_database)
    auth = {"Authorization": f"Bearer {key}"}
    # Authenticated, so the request gets as far as validating the body.
    assert client.post("/v1/companies", json={}, headers=auth).status_code == 422

    assert runner.invoke(app, ["api-keys", "revoke", "newsroom"]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["api-keys", "list"]).output
    assert client.post("/v1/companies", json={}, headers=auth).status_code == 401


def test_names_are_unique_and_unknown_names_fail(cli_database: Engine) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["create-api-key", "--name", "a"]).exit_code == 0
    again = runner.invoke(app, ["create-api-key", "--name", "a"])
    assert again.exit_code == 1
    assert runner.invoke(app, ["api-keys", "revoke", "nobody"]).exit_code == 1
