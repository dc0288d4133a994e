"""The migrations build the schema the models describe, and undo it."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.core.db import make_engine
from app.dataset import generate
from app.models.base import render_migration_type
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


def test_autogenerate_writes_sqlalchemy_types_not_the_app_s(tmp_path: Path) -> None:
    # A migration must not import the app: its column types are rendered as SQLAlchemy's.
    engine = make_engine(fresh_database_url(tmp_path, "render"))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            operations = produce_migrations(context, SQLModel.metadata).upgrade_ops
            assert operations is not None
            code = render_python_code(operations, render_item=render_migration_type)
    finally:
        engine.dispose()
    assert "sa.Enum('confirmed', 'reported', 'unconfirmed', 'excluded'" in code
    assert "app." not in code


def test_the_company_facet_indexes_arrive_with_statistics_on_sqlite(tmp_path: Path) -> None:
    """Upgrading a database that holds companies analyzes them: SQLite's planner takes an
    index without statistics for a selective one (see tests/api/test_counts_and_formats.py,
    a filtered page walking its list index). A SQLite file in every run: the statistics
    are SQLite's."""
    url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    config = alembic_config(url)
    command.upgrade(config, "7c1f0e9d2a41")  # the revision before the facet indexes
    engine = make_engine(url)
    try:
        generate(engine, companies=40, facts=200, seed=1, progress=lambda _: None)
        command.upgrade(config, "head")
        with engine.connect() as connection:
            analyzed = connection.exec_driver_sql(
                "SELECT idx FROM sqlite_stat1 WHERE tbl = 'company'"
            ).scalars()
            assert {f"ix_company_facet_{c}" for c in ("country", "kind", "certainty")} <= set(
                analyzed
            )
    finally:
        engine.dispose()
