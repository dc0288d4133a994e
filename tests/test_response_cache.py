"""The response cache: a kept answer is given again only while the database is unchanged,
whoever changed it (this app, another connection, another process), and answers differ
where their requests do. Real databases throughout; each test that writes has its own."""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.core.config import get_settings
from app.core.data_version import ANSWER_WITHIN_SECONDS, PostgresSnapshot, SqliteDataVersion
from app.core.db import bind_engine, make_engine
from app.core.response_cache import LOOKUPS, ResponseCache
from tests.conftest import Curator
from tests.helpers import POSTGRES_URL, client_for, count_queries


def _lookups(result: str) -> float:
    return float(LOOKUPS.labels(result)._value.get())


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _cache_of(client: TestClient) -> ResponseCache:
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


@pytest.fixture
def cache_bytes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lets a test set ``AUTOFACTS_RESPONSE_CACHE_BYTES`` for the apps it creates."""
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _with_cache_bytes(monkeypatch: pytest.MonkeyPatch, value: int) -> None:
    monkeypatch.setenv("AUTOFACTS_RESPONSE_CACHE_BYTES", str(value))
    get_settings.cache_clear()


# -- what is kept and given again --------------------------------------------------------------


# On PostgreSQL the data version is the cluster's snapshot, which a commit in any database
# moves (another xdist worker's, another run's): a read right after one is rightly computed
# afresh. A read repeated at once must still be kept in one of a few tries.
TRIES = 5


def test_a_repeated_read_is_answered_without_the_database(curator: Curator) -> None:
    client = curator.client
    for _ in range(TRIES):
        first = client.get("/v1/companies/nissan")
        hits = _lookups("hit")
        with count_queries(curator.engine) as statements:
            again = client.get("/v1/companies/nissan")
        if not statements:
            break
    assert statements == []
    assert _lookups("hit") == hits + 1
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    # What the middlewares outside add is added to a kept answer too, afresh.
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_list_is_tagged_once_and_revalidates_to_304(curator: Curator) -> None:
    client = curator.client
    for _ in range(TRIES):
        first = client.get("/v1/companies", params={"country": "JP"})
        etag = first.headers["ETag"]
        with count_queries(curator.engine) as statements:
            same = client.get("/v1/companies", params={"country": "JP"})
            revalidated = client.get(
                "/v1/companies", params={"country": "JP"}, headers={"If-None-Match": etag}
            )
        if not statements:
            break
    assert statements == []
    assert same.headers["ETag"] == etag and same.content == first.content
    assert revalidated.status_code == 304
    assert revalidated.headers["ETag"] == etag
    assert revalidated.content == b""


def test_answers_differ_by_query_host_and_accept(curator: Curator) -> None:
    client = curator.client
    page = client.get("/v1/companies", params={"limit": 1})
    other_page = client.get("/v1/companies", params={"limit": 2})
    assert len(page.json()["data"]) == 1 and len(other_page.json()["data"]) == 2

    # Links are absolute: another host's answer links to that host.
    elsewhere = client.get(
        "/v1/companies", params={"limit": 1}, headers={"Host": "api.example.org"}
    )
    assert page.headers["Link"].startswith("<http://testserver/")
    assert elsewhere.headers["Link"].startswith("<http://api.example.org/")

    streamed = client.get(
        "/v1/companies", params={"limit": 1}, headers={"Accept": "application/x-ndjson"}
    )
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    again = client.get("/v1/companies", params={"limit": 1})
    assert again.headers["content-type"] == "application/json"
    assert again.content == page.content


def test_a_request_with_two_accept_or_host_headers_is_never_kept(curator: Curator) -> None:
    """Which of two headers a route reads is the route's business: such an answer is not
    kept, or it would be given to requests it was not made for."""
    client = curator.client
    both = [("Accept", "application/json"), ("Accept", "text/csv")]
    assert client.get("/v1/companies", headers=both).status_code == 200
    csv = client.get("/v1/companies", headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")

    hosts = [("Host", "elsewhere.example"), ("Host", "testserver")]
    client.get("/v1/companies", params={"limit": 1}, headers=hosts)
    page = client.get("/v1/companies", params={"limit": 1})
    assert page.headers["Link"].startswith("<http://testserver/")


def test_an_app_bound_to_another_database_gives_none_of_the_first_ones_answers(
    seeded_engine: Engine, empty_db_engine: Engine
) -> None:
    with client_for(seeded_engine) as client:
        assert client.get("/v1/companies").json()["data"]
        bind_engine(client.app, empty_db_engine)  # type: ignore[arg-type]
        assert client.get("/v1/companies").json()["data"] == []


def test_problems_and_paths_outside_the_api_are_not_kept(curator: Curator) -> None:
    client = curator.client
    assert client.get("/v1/companies/tesla").status_code == 404
    assert client.get("/v1/companies", params={"limit": 0}).status_code == 422
    with count_queries(curator.engine) as statements:
        assert client.get("/v1/companies/tesla").status_code == 404
    assert statements  # asked again
    misses = _lookups("miss")
    assert client.get("/health/ready").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert _lookups("miss") == misses  # never looked up


# -- never stale -------------------------------------------------------------------------------


def test_a_write_through_the_api_is_read_at_once(curator: Curator) -> None:
    client = curator.client
    before = client.get("/v1/companies/byd")
    listed = client.get("/v1/companies", params={"country": "CN"})
    assert client.get("/v1/companies/byd").content == before.content  # kept
    response = client.patch(
        "/v1/companies/byd",
        json={"name": "BYD Auto"},
        headers={**curator.headers, "If-Match": before.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    after = client.get("/v1/companies/byd")
    assert after.json()["name"] == "BYD Auto"
    assert after.headers["ETag"] == response.headers["ETag"] != before.headers["ETag"]
    relisted = client.get("/v1/companies", params={"country": "CN"})
    assert [c["name"] for c in relisted.json()["data"]] == ["BYD Auto"]
    assert relisted.headers["ETag"] != listed.headers["ETag"]


def test_a_commit_by_another_process_is_read_at_once(curator: Curator) -> None:
    """Another worker, host or the CLI writes through connections of its own: here, an
    engine of its own on the same database."""
    client = curator.client
    assert client.get("/v1/companies/byd").json()["description"] is not None
    client.get("/v1/companies/byd")  # kept
    elsewhere = make_engine(_url(curator.engine))
    try:
        with elsewhere.begin() as connection:
            connection.execute(
                text("UPDATE company SET description = 'changed elsewhere' WHERE slug = 'byd'")
            )
    finally:
        elsewhere.dispose()
    assert client.get("/v1/companies/byd").json()["description"] == "changed elsewhere"


def test_an_answer_computed_across_a_commit_is_not_served_after_it(curator: Curator) -> None:
    """A commit lands while an answer is being computed (after the data version was read):
    whichever state that answer shows, the next request shows the commit."""
    client = curator.client
    elsewhere = make_engine(_url(curator.engine))
    committed = threading.Event()

    def commit_once(*_args: Any) -> None:
        if committed.is_set():
            return
        committed.set()
        with elsewhere.begin() as connection:
            connection.execute(text("UPDATE company SET name = 'Renamed' WHERE slug = 'byd'"))

    event.listen(curator.engine, "before_cursor_execute", commit_once)
    try:
        client.get("/v1/companies/byd")
    finally:
        event.remove(curator.engine, "before_cursor_execute", commit_once)
        elsewhere.dispose()
    assert committed.is_set()
    assert client.get("/v1/companies/byd").json()["name"] == "Renamed"


def test_an_answer_from_before_a_commit_is_not_kept_after_it(tmp_path: Path) -> None:
    """The race the data version's order guards against: an answer read before a commit
    comes back after another request has already seen the commit's version. It must not
    be kept under that version, or every later request would be given the old state."""
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE item (value TEXT)"))
        connection.execute(text("INSERT INTO item VALUES ('old')"))
    elsewhere = make_engine(f"sqlite:///{tmp_path / 'race.db'}")

    async def value(request: Request) -> Response:
        with engine.connect() as connection:
            read = connection.execute(text("SELECT value FROM item")).scalar_one()
        if "race" in request.query_params:
            with elsewhere.begin() as connection:
                connection.execute(text("UPDATE item SET value = 'new'"))
            # Another request, answered while this one is still on its way out.
            other = await _answer(request.app, "/v1/value")
            assert other == b"new"
        return Response(read.encode(), media_type="application/json")

    route = Route("/v1/value", value)
    route.cacheable = True  # type: ignore[attr-defined]
    app = Starlette(routes=[route], middleware=[Middleware(ResponseCache, max_bytes=100_000)])
    app.state.data_version = SqliteDataVersion(engine)
    try:
        with TestClient(app) as client:
            assert client.get("/v1/value", params={"race": 1}).content == b"old"
            # The answer to the racing request was read before the commit: never given again.
            assert client.get("/v1/value", params={"race": 1}).content == b"new"
    finally:
        app.state.data_version.close()
        engine.dispose()
        elsewhere.dispose()


async def _answer(app: Any, path: str) -> bytes:
    """``app``'s body for a GET of ``path``, asked from inside another request."""
    body = b""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal body
        if message["type"] == "http.response.body":
            body += message.get("body", b"")

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    return body


# -- bounds and settings -----------------------------------------------------------------------


def test_the_cache_keeps_no_more_than_its_bytes(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, cache_bytes: None
) -> None:
    _with_cache_bytes(monkeypatch, 8_000)
    with client_for(seeded_engine) as client:
        cache = _cache_of(client)

        def asks_the_database(params: dict[str, Any]) -> bool:
            with count_queries(seeded_engine) as statements:
                assert client.get("/v1/facts", params=params).status_code == 200
            return bool(statements)

        for _ in range(TRIES):
            pages: list[dict[str, Any]] = [{"limit": 1}]
            while True:  # every fact, one a page: some 30 small answers, ~0.7 kB each
                response = client.get("/v1/facts", params=pages[-1])
                assert response.status_code == 200
                assert 0 < cache._bytes <= 8_000
                cursor = response.json()["next_cursor"]
                if cursor is None:
                    break
                pages.append({"limit": 1, "cursor": cursor})
            if not asks_the_database(pages[-1]):  # the latest are kept
                break
        else:
            raise AssertionError(f"the latest page was never kept in {TRIES} walks")
        assert len(pages) > 20
        whole = client.get("/v1/facts", params={"limit": 200})
        assert len(whole.content) > cache.max_answer_bytes
        assert asks_the_database(pages[0])  # the oldest made room for them
        assert asks_the_database({"limit": 200})  # too large to keep at all


def test_set_to_zero_the_cache_keeps_nothing(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, cache_bytes: None
) -> None:
    _with_cache_bytes(monkeypatch, 0)
    with client_for(seeded_engine) as client:
        client.get("/v1/companies/nissan")
        with count_queries(seeded_engine) as statements:
            assert client.get("/v1/companies/nissan").status_code == 200
        assert statements
        assert _cache_of(client)._answers == {}


# -- the data versions -------------------------------------------------------------------------


def test_sqlite_data_version_changes_with_every_commit_and_nothing_else(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'versions.db'}")
    version = SqliteDataVersion(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        first = asyncio.run(version.current())
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM t")).all()
        assert asyncio.run(version.current()) == first  # a read changes nothing
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        second = asyncio.run(version.current())
        assert second not in (None, first)
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO t VALUES (2)"))
            assert asyncio.run(version.current()) == second  # not committed yet
            connection.commit()
        assert asyncio.run(version.current()) not in (None, second)
    finally:
        version.close()
        engine.dispose()


def test_sqlite_data_version_unknown_when_the_file_cannot_be_opened(tmp_path: Path) -> None:
    version = SqliteDataVersion(make_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    assert asyncio.run(version.current()) is None
    assert asyncio.run(version.current()) is None  # paused, not retried on every request
    version.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL pass only")
def test_postgres_snapshot_is_shared_by_a_batch_and_never_older_than_a_commit(
    migrated_engine: Engine,
) -> None:
    snapshot = PostgresSnapshot(migrated_engine)
    sent = 0
    query = snapshot._query

    async def counted() -> object:
        nonlocal sent
        sent += 1
        return await query()

    snapshot._query = counted  # type: ignore[method-assign]

    def commit() -> None:
        with migrated_engine.begin() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE bump (x int) ON COMMIT DROP"))

    async def scenario() -> None:
        before = await snapshot.current()
        assert before is not None
        sent_before = sent
        answers = await asyncio.gather(*(snapshot.current() for _ in range(50)))
        assert sent - sent_before <= 2  # the one on the wire, and one for the rest
        assert all(answer is not None for answer in answers)

        commit()
        assert await snapshot.current() != before
        # A query already on the wire when the commit lands does not answer for later
        # requests: they wait for the next one.
        settled = await snapshot.current()
        on_the_wire = asyncio.ensure_future(snapshot.current())
        await asyncio.sleep(0)
        commit()
        after = await snapshot.current()
        await on_the_wire
        assert after != settled

    try:
        asyncio.run(scenario())
    finally:
        snapshot.close()


def test_postgres_snapshot_unknown_while_the_server_is_unreachable() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    snapshot = PostgresSnapshot(engine)
    assert asyncio.run(snapshot.current()) is None
    snapshot.close()
    engine.dispose()


def test_postgres_snapshot_gives_up_on_a_server_that_does_not_answer() -> None:
    """A server that takes the connection and never answers (a frozen process): the
    requests waiting are let go within ANSWER_WITHIN_SECONDS, to read without the cache,
    and the next ones are not held at all while the check pauses."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/frozen")
    snapshot = PostgresSnapshot(engine)

    async def scenario() -> tuple[list[object], float, object, float]:
        started = time.monotonic()
        answers = await asyncio.gather(*(snapshot.current() for _ in range(10)))
        waited = time.monotonic() - started
        started = time.monotonic()
        paused = await snapshot.current()
        return answers, waited, paused, time.monotonic() - started

    try:
        answers, waited, paused, at_once = asyncio.run(scenario())
    finally:
        snapshot.close()
        engine.dispose()
        silent.close()
    assert answers == [None] * 10
    assert ANSWER_WITHIN_SECONDS <= waited < ANSWER_WITHIN_SECONDS + 1
    assert paused is None and at_once < 0.1


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL pass only")
def test_postgres_snapshot_belongs_to_one_running_loop_at_a_time(migrated_engine: Engine) -> None:
    """A test client may run an app on two loops at once: the second reads without the
    cache (None) rather than share the first one's connection, and takes the check over
    once the first loop is closed."""
    snapshot = PostgresSnapshot(migrated_engine)
    owner = asyncio.new_event_loop()
    running = threading.Thread(target=owner.run_forever)
    running.start()
    try:
        first = asyncio.run_coroutine_threadsafe(snapshot.current(), owner).result(10)
        assert first is not None
        assert asyncio.run(snapshot.current()) is None
    finally:
        owner.call_soon_threadsafe(owner.stop)
        running.join()
        owner.close()
    try:
        taken_over = asyncio.run(snapshot.current())
        assert taken_over is not None
        assert taken_over != first  # a new connection: a generation of its own
    finally:
        snapshot.close()
