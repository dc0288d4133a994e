"""GET requests read through sessions kept from one request to the next."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from app.core.db import ReadSessions
from tests.helpers import client_for


@pytest.fixture
def checkouts(seeded_engine: Engine) -> Iterator[list[object]]:
    """Every connection checked out of the pool while the test runs."""
    taken: list[object] = []

    def record(dbapi_connection: object, _record: object, _proxy: object) -> None:
        taken.append(dbapi_connection)

    event.listen(seeded_engine, "checkout", record)
    yield taken
    event.remove(seeded_engine, "checkout", record)


def _reads(client: TestClient) -> None:
    assert client.get("/v1/companies/nissan").status_code == 200
    assert client.get("/v1/companies", params={"country": "JP"}).status_code == 200
    assert client.get("/v1/companies/nissan/executives").status_code == 200
    assert client.get("/v1/companies/tesla").status_code == 404
    assert client.get("/v1/companies", params={"cursor": "bogus"}).status_code == 422
    assert client.get("/v1/search", params={"q": "Espinosa"}).status_code == 200


def test_reads_take_no_connection_from_the_pool_once_warm(
    seeded_engine: Engine, checkouts: list[object]
) -> None:
    with client_for(seeded_engine) as client:
        _reads(client)
        warm = len(checkouts)
        assert warm >= 1
        for _ in range(3):
            _reads(client)  # a 404 and a 422 give their session back too
        assert len(checkouts) == warm


def test_sessions_are_handed_out_one_request_at_a_time(seeded_engine: Engine) -> None:
    sessions = ReadSessions(seeded_engine, keep=2)
    first, second, third = sessions.acquire(), sessions.acquire(), sessions.acquire()
    assert len({id(first), id(second), id(third)}) == 3
    for session in (first, second, third):
        session.connection()
        sessions.release(session)
    # Two kept (the third closed), and handed out again rather than new ones.
    assert {id(sessions.acquire()), id(sessions.acquire())} == {id(first), id(second)}
    sessions.close()


def test_a_lost_connection_drops_every_idle_session(seeded_engine: Engine) -> None:
    sessions = ReadSessions(seeded_engine, keep=5)
    held = [sessions.acquire() for _ in range(3)]
    for session in held[1:]:
        session.connection()
        sessions.release(session)
    failed = held[0]
    failed.connection()

    sessions.discard(failed, ValueError("a bug, not the database"))
    assert {id(sessions.acquire()), id(sessions.acquire())} == {id(s) for s in held[1:]}
    for session in held[1:]:
        sessions.release(session)

    lost = sessions.acquire()
    gone = OperationalError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    sessions.discard(lost, gone)
    assert all(sessions.acquire() is not kept for kept in held)
