"""The migrations build the schema the models describe, and undo it."""

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlmodel import Session, SQLModel

from app.core.config import get_settings
from app.core.db import make_engine
from app.importer import import_facts, load_file
from app.models import Change, Company
from app.models.base import render_migration_type
from tests.helpers import alembic_config, assert_tally_counts_companies, fresh_database_url


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


def test_upgrading_a_database_that_holds_companies_tallies_them(tmp_path: Path) -> None:
    """The tally starts from the companies already there, and its triggers keep it from
    then on; a downgrade and upgrade again starts it afresh."""
    url = fresh_database_url(tmp_path, "tallied")
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    try:
        # Loaded at head (today's models match only head's tables), then taken back to the
        # revision before the tally: the companies are there when the tally is created.
        with Session(engine) as session:
            import_facts(session, load_file(get_settings().seed_file))
        command.downgrade(config, "5e0c2b7f3a19")
        command.upgrade(config, "head")
        with engine.begin() as connection:
            assert assert_tally_counts_companies(connection) == 4
            # Retracted, moved, and a new company of a combination not seen before.
            connection.exec_driver_sql(
                "UPDATE company SET known_to = known_from WHERE slug IN ('honda', 'nissan')"
            )
            connection.exec_driver_sql("UPDATE company SET country = 'ZZ' WHERE slug = 'byd'")
            connection.exec_driver_sql(
                "INSERT INTO company (slug, name, kind, certainty, known_from, recorded_from) "
                "VALUES ('new', 'New', 'new kind', 'reported', '2025-11-14', '2026-12-07 00:00:00')"
            )
            assert assert_tally_counts_companies(connection) == 3
        command.downgrade(config, "5e0c2b7f3a19")
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert assert_tally_counts_companies(connection) == 3
    finally:
        engine.dispose()


def test_existing_rows_are_recorded_when_the_change_log_says_they_were_written(
    tmp_path: Path,
) -> None:
    """Rows from before recorded time: the seed's from the load (taken as the earliest
    instant the database shows a write by: here the day BYD was corrected, 00:00 UTC), an
    API-created row from its logged create, a corrected row's old state until its logged
    update and the new state from then."""
    url = fresh_database_url(tmp_path, "recorded")
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    created_at = dt.datetime(2026, 11, 30, 9, 0, 0, 1, tzinfo=dt.UTC)
    corrected_at = dt.datetime(2026, 11, 30, 10, 0, 0, 2, tzinfo=dt.UTC)
    try:
        with Session(engine) as session:
            import_facts(session, load_file(get_settings().seed_file))
        command.downgrade(config, "163161db5de9")
        with engine.begin() as connection:
            # An import of then logged nothing: the seed is only in the tables.
            connection.exec_driver_sql("DELETE FROM change")
            # As the API wrote them before: a company created, and BYD corrected that day
            # (its old state copied, closed on the day, pointing back to its row).
            connection.exec_driver_sql(
                "INSERT INTO company (slug, name, kind, certainty, known_from) "
                "VALUES ('acme', 'Acme', 'automaker', 'reported', '2025-11-14')"
            )
            connection.exec_driver_sql(
                "INSERT INTO company (slug, name, kind, certainty, known_from, known_to, "
                "version_of) SELECT slug, 'BYD Old', kind, certainty, known_from, "
                "'2026-11-30', id FROM company WHERE slug = 'byd'"
            )
            change = Change.__table__  # type: ignore[attr-defined]
            for at, operation, resource_id in (
                (created_at, "create", "acme"),
                (corrected_at, "update", "byd"),
            ):
                connection.execute(
                    insert(change).values(
                        occurred_at=at,
                        actor="curator",
                        operation=operation,
                        resource="companies",
                        resource_id=resource_id,
                        before={},
                        after={},
                    )
                )
        command.upgrade(config, "head")
        company = Company.__table__  # type: ignore[attr-defined]
        with engine.connect() as connection:
            rows = connection.execute(
                select(company.c.name, company.c.recorded_from, company.c.recorded_to)
            ).all()
        recorded = {name: (start, end) for name, start, end in rows}
        loaded = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
        assert recorded["Acme"] == (created_at, None)
        assert recorded["BYD Old"] == (loaded, corrected_at)
        assert recorded["BYD"] == (corrected_at, None)
        assert recorded["Honda"] == (loaded, None)
    finally:
        engine.dispose()
