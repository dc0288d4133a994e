"""Real databases, migrated with Alembic: a SQLite file by default, PostgreSQL when
``AUTOFACTS_TEST_DATABASE_URL`` is set. The seeded database is shared by the read tests;
tests that write get an empty database of their own."""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import ROOT, get_settings
from app.core.db import get_session, make_engine
from app.main import create_app

POSTGRES_URL = os.environ.get("AUTOFACTS_TEST_DATABASE_URL")
_scratch_numbers = itertools.count()


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def _recreate_postgres_database(url: str) -> None:
    """Drop and create the database ``url`` names, through the server's maintenance db."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def fresh_database_url(tmp_path: Path, name: str) -> str:
    """The URL of a new, empty database (not migrated)."""
    if POSTGRES_URL:
        url = make_url(POSTGRES_URL)
        scratch = url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
        _recreate_postgres_database(scratch)
        return scratch
    return f"sqlite:///{tmp_path / (name + '.db')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if POSTGRES_URL:
        _recreate_postgres_database(POSTGRES_URL)
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
    url = fresh_database_url(tmp_path, f"scratch{next(_scratch_numbers)}")
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def client_for(engine: Engine) -> TestClient:
    """The app over real HTTP semantics (httpx), bound to ``engine``."""
    app = create_app()

    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def client(seeded_engine: Engine) -> Iterator[TestClient]:
    with client_for(seeded_engine) as test_client:
        yield test_client
