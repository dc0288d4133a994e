"""Real databases, migrated with Alembic: a SQLite file by default, PostgreSQL when
``AUTOFACTS_TEST_DATABASE_URL`` is set. The seeded database is shared by the read tests;
tests that write get an empty database of their own."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from app.core.config import get_settings
from app.core.db import make_engine
from tests.helpers import (
    POSTGRES_URL,
    client_for,
    migrate,
    recreate_postgres_database,
    scratch_engine,
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if POSTGRES_URL:
        recreate_postgres_database(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'autofacts.db'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_engine(migrated_engine: Engine) -> Engine:
    from app.importer import import_facts, load_file

    with Session(migrated_engine) as session:
        import_facts(session, load_file(get_settings().seed_file))
    return migrated_engine


@pytest.fixture
def empty_db_engine(tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty database of this test's own."""
    with scratch_engine(tmp_path) as engine:
        yield engine


@pytest.fixture(scope="session")
def client(seeded_engine: Engine) -> Iterator[TestClient]:
    with client_for(seeded_engine) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def uncached_client(seeded_engine: Engine) -> Iterator[TestClient]:
    """A client whose every request runs its route's statements (tests that count them)."""
    with client_for(seeded_engine, cache=False) as test_client:
        yield test_client


@dataclass
class Curator:
    """A client on a seeded database of this test's own, with a live API key."""

    client: TestClient
    engine: Engine
    headers: dict[str, str]

    def counts(self) -> dict[str, int]:
        """Rows per table: a refused write must leave every one as it was."""
        with self.engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in SQLModel.metadata.tables
            }


@pytest.fixture
def curator(empty_db_engine: Engine) -> Iterator[Curator]:
    from app.importer import import_facts, load_file
    from app.services.api_keys import create_api_key

    with Session(empty_db_engine) as session:
        import_facts(session, load_file(get_settings().seed_file))
        key = create_api_key(session=session, name="curator")
    with client_for(empty_db_engine) as test_client:
        yield Curator(test_client, empty_db_engine, {"Authorization": f"Bearer {key}"})
