"""Real databases, migrated with Alembic: SQLite files by default, PostgreSQL when
``AUTOFACTS_TEST_DATABASE_URL`` is set. Each pytest-xdist worker migrates and seeds its own
templates once (tests/helpers.py) and copies them: a seeded database shared by the read
tests, and a database of its own, empty or seeded, for each test that writes."""

import gc
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

# The suite keeps every core busy, and a search thread at nice 10 then gets a few percent of
# one: each search would wait for it. Searches run at normal priority in tests, servers the
# tests start included; tests/test_threads.py sets the default back and checks it.
os.environ.setdefault("AUTOFACTS_SEARCH_NICENESS", "0")

from app.core.db import make_engine
from tests.helpers import (
    TEMPLATES,
    client_for,
    drop_database,
    scratch_engine,
    seeded_database_url,
)


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    """The worker's templates go when it is done (first in, last out)."""
    yield
    TEMPLATES.drop()


# Each takes minutes, as long as much of the rest of a worker's share.
LONGEST = ("test_schemathesis_cli.py", "test_bench_smoke.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, then the other slow ones, each in its order: pytest-xdist
    hands tests out in this order, and a test of minutes handed out last would run alone
    at the end."""
    items.sort(
        key=lambda item: (item.path.name not in LONGEST, item.get_closest_marker("slow") is None)
    )


_tests_run = itertools.count(1)
# Now and then the heap is collected whole, so that what tests left in cycles is freed.
COLLECT_EVERY = 200


@pytest.fixture(autouse=True)
def _frozen_heap() -> None:
    """The app's lifespan collects the whole heap and freezes what survives, which a server
    does once; a test process starts an app in hundreds of tests, and each start would walk
    everything the session holds (pytest, hypothesis, every module) again, since the
    lifespan unfreezes it all at shutdown. Frozen here, before each test, the heap is left
    out of the walk, and a start collects only what is new."""
    if next(_tests_run) % COLLECT_EVERY == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = seeded_database_url(tmp_path_factory.mktemp("db"), "shared")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """The read tests' database: migrated and seeded."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_engine(migrated_engine: Engine) -> Engine:
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
def curator(tmp_path: Path) -> Iterator[Curator]:
    from app.services.api_keys import create_api_key

    with scratch_engine(tmp_path, seeded=True) as engine:
        with Session(engine) as session:
            key = create_api_key(session=session, name="curator")
        with client_for(engine) as test_client:
            yield Curator(test_client, engine, {"Authorization": f"Bearer {key}"})
