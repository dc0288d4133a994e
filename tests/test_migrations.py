"""The migrations build the schema the models describe, and undo it."""

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from app.core.db import make_engine
from tests.helpers import alembic_config, fresh_database_url


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path, "migrations")
    config = alembic_config(url)

    command.upgrade(config, "head")
    assert {"company", "citation", "fact", "partnership_status", "tariff_impact"} <= _tables(url)
    # Raises if the models and the migrations have drifted apart.
    command.check(config)

    command.downgrade(config, "base")
    assert _tables(url) == set()

    command.upgrade(config, "head")
    command.check(config)
