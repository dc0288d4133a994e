"""GET requests read through sessions kept from one request to the next."""

import asyncio
import inspect
import threading
import time

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from app.core.db import ReadSessions, get_session
from app.main import ROUTERS
from tests.helpers import async_client_for, client_for


def _reads(client: TestClient) -> None:
    assert client.get("/v1/companies/nissan").status_code == 200
    assert client.get("/v1/companies", params={"country": "JP"}).status_code == 200
    assert client.get("/v1/companies/nissan/executives").status_code == 200
    assert client.get("/v1/companies/tesla").status_code == 404
    assert client.get("/v1/companies", params={"cursor": "bogus"}).status_code == 422
    assert client.get("/v1/companies", params={"limit": "many"}).status_code == 422
    assert client.get("/v1/companies/Not-A-Slug").status_code == 422
    assert client.get("/v1/search", params={"q": "Espinosa"}).status_code == 200


def test_a_session_between_requests_holds_no_connection(seeded_engine: Engine) -> None:
    """A request waiting for a thread holds no connection: otherwise the connections the
    running threads need could all be held by requests waiting for those threads."""
    with client_for(seeded_engine, cache=False) as client:
        for _ in range(3):
            _reads(client)  # 404s and 422s (ours and FastAPI's) give their sessions back too
            assert seeded_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_read_held_in_the_database_holds_no_other_request(seeded_engine: Engine) -> None:
    """A statement that takes long (here: held before it runs, as a lock or a slow plan
    would hold it) keeps its own request waiting, and nothing else: the event loop and the
    other threads go on answering. (A list: on SQLite an indexed read, a company by its
    slug say, runs on the loop, tests/test_indexed_reads.py.)"""
    armed, arrived, held = threading.Event(), threading.Event(), threading.Event()

    def hold_the_first(*_args: object) -> None:
        if armed.is_set():
            armed.clear()
            arrived.set()
            held.wait(10)

    async def scenario() -> None:
        async with async_client_for(seeded_engine) as client:
            armed.set()
            stuck = asyncio.create_task(client.get("/v1/companies", params={"country": "JP"}))
            assert await asyncio.to_thread(arrived.wait, 5)
            started = time.monotonic()
            other = await client.get("/v1/sources")
            looked_up = await client.get("/v1/companies/nissan")
            live = await client.get("/health/live")
            waited = time.monotonic() - started
            assert not stuck.done()
            held.set()
            assert (await stuck).status_code == 200
        assert [other.status_code, looked_up.status_code, live.status_code] == [200] * 3
        assert waited < 2, waited

    event.listen(seeded_engine, "before_cursor_execute", hold_the_first)
    try:
        asyncio.run(scenario())
    finally:
        held.set()
        event.remove(seeded_engine, "before_cursor_execute", hold_the_first)


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


def test_every_endpoint_that_reads_the_database_runs_off_the_event_loop() -> None:
    """A coroutine endpoint runs on the loop, and its statements would stall every other
    request of the worker: each one that takes a session is a plain function."""

    def sessions_of(dependant: Dependant) -> bool:
        return dependant.call is get_session or any(
            sessions_of(sub) for sub in dependant.dependencies
        )

    readers = [
        route
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and sessions_of(route.dependant)
    ]
    assert len(readers) > 30
    on_the_loop = [r.path for r in readers if inspect.iscoroutinefunction(r.endpoint)]
    assert on_the_loop == []


def test_more_reads_at_once_than_the_pool_has_connections_all_answer(
    seeded_engine: Engine,
) -> None:
    """FastAPI's own handler (compiled routing off) validates a plain function's answer in
    the thread pool, so a request waits for a thread while its connection is still out:
    without a bound on the reads in flight, requests beyond the pool's connections held
    them all and the threads running endpoints waited for one until the pool timed out."""
    pool = seeded_engine.pool
    connections = pool.size() + pool.overflow() + 10  # type: ignore[attr-defined]

    async def scenario() -> list[int]:
        async with async_client_for(seeded_engine, compiled_routing=False) as client:
            answers = await asyncio.wait_for(
                asyncio.gather(
                    *(client.get("/v1/companies/nissan") for _ in range(connections * 3))
                ),
                20,
            )
        return [answer.status_code for answer in answers]

    assert set(asyncio.run(scenario())) == {200}
