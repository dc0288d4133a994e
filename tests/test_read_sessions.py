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
    assert client.get("/v1/companies", params={"limit": "many"}).status_code == 422
    assert client.get("/v1/companies/Not-A-Slug").status_code == 422
    assert client.get("/v1/search", params={"q": "Espinosa"}).status_code == 200


def test_reads_take_no_connection_from_the_pool_once_warm(
    seeded_engine: Engine, checkouts: list[object]
) -> None:
    with client_for(seeded_engine, cache=False) as client:
        _reads(client)
        warm = len(checkouts)
        assert warm >= 1
        for _ in range(3):
            _reads(client)  # 404s and 422s (ours and FastAPI's) give their sessions back too
        assert len(checkouts) == warm


def test_sessions_are_handed_out_one_request_at_a_time(seeded_engine: Engine) -> None:
    sessions = ReadSessions(seeded_engine, keep=2)
    first, second, third = sessions.acquire(), sessions.acquire(), sessions.acquire()
    assert len({id(first), id(second), id(third)}) == 3
    for session in (first, second, third):
        session.connection()
        sessions.release(session)
    # Two kept (the third closed), and handed out again rather than new ones.
    again = [sessions.acquire(), sessions.acquire()]
    assert {id(s) for s in again} == {id(first), id(second)}
    for session in again:
        sessions.release(session)
    sessions.close()


def test_a_failed_statement_closes_only_its_own_session(seeded_engine: Engine) -> None:
    sessions = ReadSessions(seeded_engine, keep=5)
    kept, failed = sessions.acquire(), sessions.acquire()
    kept.connection()
    sessions.release(kept)
    failed.connection()
    timeout = OperationalError("SELECT 1", {}, Exception("statement timeout"))
    sessions.drop(failed, timeout)
    assert failed.get_transaction() is None  # closed: its connection is back in the pool
    assert sessions.acquire() is kept
    sessions.release(kept)
    sessions.close()


def test_a_lost_connection_drops_every_session_from_before_it(seeded_engine: Engine) -> None:
    sessions = ReadSessions(seeded_engine, keep=5)
    idle, running, failing = sessions.acquire(), sessions.acquire(), sessions.acquire()
    for session in (idle, running, failing):
        session.connection()
    sessions.release(idle)

    lost = OperationalError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    sessions.drop(failing, lost)
    # The request still running when the connection was lost comes back: not kept either.
    sessions.release(running)
    fresh = sessions.acquire()
    assert fresh is not idle and fresh is not running and fresh is not failing
    fresh.connection()
    sessions.release(fresh)
    assert sessions.acquire() is fresh  # sessions from after the loss are kept as ever
    sessions.release(fresh)
    sessions.close()
