"""Which committed state of the database a read sees now: a value that changes whenever
any connection, in any process or on any host, commits a change, and never otherwise.

The response cache (``app/core/response_cache.py``) tags what it stores with the version
read *before* the answer was computed, and serves it only while a version read after the
request arrived is still equal: a write acknowledged before a request can never be
missing from its answer.

* SQLite: ``PRAGMA data_version`` on a connection of our own that never writes. It
  changes when another connection (this process's pools, another worker, the CLI)
  commits, and reads nothing but the WAL index in shared memory: cheap enough to ask on
  every request.
* PostgreSQL: ``pg_current_snapshot()``, which names exactly the transactions a new
  snapshot sees as committed; two equal snapshots see the same data. It is a round trip,
  so every request that arrives while one is on the wire waits for the next one, which
  starts after they all arrived and answers them all: under load one round trip serves a
  whole batch of requests instead of one.

Any failure (the database stopped) answers None: the caller reads without the cache,
and meets the outage there as every other read does.
"""

import asyncio
import contextlib
import itertools
import sqlite3
import threading
import time
from collections.abc import Hashable
from typing import Annotated, Any, Protocol

import psycopg
from fastapi import Depends, Request
from sqlalchemy import Engine

# Every connection a version is read on gets a number of its own in this process, part of
# each version read through it. A new connection's values (SQLite's count restarts; a
# PostgreSQL server after a failover or a restore can hand out a snapshot seen before) are
# then never equal to anything an earlier connection, or another engine's, gave.
_generations = itertools.count(1)

# After a failed check, the checks pause this long (each request reads without the cache
# meanwhile), so that a database that is gone is not asked again by every request.
RETRY_AFTER_SECONDS = 1.0
# A snapshot not answered by then counts as a failure: a database that hangs must not hold
# every cacheable request (each then reads as it would without the cache).
ANSWER_WITHIN_SECONDS = 2.0


class DataVersion(Protocol):
    async def current(self) -> Hashable | None:
        """The committed state as of now (read after the call began); None if unknown."""

    def close(self) -> None: ...


def data_version_of(engine: Engine) -> DataVersion | None:
    """How to read ``engine``'s data version; None where there is no way (an in-memory
    SQLite database is private to each connection)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in str(url):
            return None
        return SqliteDataVersion(engine)
    if url.get_backend_name() == "postgresql":
        return PostgresSnapshot(engine)
    return None


class SqliteDataVersion:
    """``PRAGMA data_version`` read on a connection of its own (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._dialect = engine.dialect
        self._url = engine.url
        self._connection: sqlite3.Connection | None = None
        self._generation = 0
        self._retry_at = 0.0
        self._lock = threading.Lock()  # a TestClient may drive the app from several threads

    async def current(self) -> Hashable | None:
        with self._lock:
            if time.monotonic() < self._retry_at:
                return None
            try:
                if self._connection is None:
                    self._connection = self._connect()
                    self._generation = next(_generations)
                (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._drop()
                self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
                return None
            return (self._generation, version)

    def _connect(self) -> sqlite3.Connection:
        arguments, options = self._dialect.create_connect_args(self._url)
        options.update(check_same_thread=False, isolation_level=None)
        connection: sqlite3.Connection = self._dialect.loaded_dbapi.connect(*arguments, **options)
        return connection

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self._drop()


_SNAPSHOT = "SELECT pg_current_snapshot()::text"


class PostgresSnapshot:
    """``pg_current_snapshot()``, one round trip per batch of waiting requests (see the
    module docstring).

    At most one query is on the wire: a request that arrives while it is joins the next
    one, sent as soon as the first returns. That next query starts after every request
    waiting for it arrived, so its answer is as new as each of them needs. The connection
    is asynchronous, on the loop that serves the requests: a thread of its own would wait
    for the GIL behind the loop (up to the interpreter's 5 ms switch interval) on every
    answer. It belongs to one loop at a time (a server has one; a test client may run an
    app on several, one after the other or at once): another loop's requests read without
    the cache until the owner's loop is closed, and then take it over.
    """

    def __init__(self, engine: Engine) -> None:
        arguments, options = engine.dialect.create_connect_args(engine.url)
        self._arguments = arguments
        self._options = {**options, "autocommit": True, "connect_timeout": 5}
        self._connection: Any = None
        self._generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight: asyncio.Future[Hashable | None] | None = None
        self._next: asyncio.Future[Hashable | None] | None = None
        self._asking: asyncio.Task[None] | None = None
        self._retry_at = 0.0

    async def current(self) -> Hashable | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and not self._loop.is_closed():
                return None  # the connection is another running loop's
            # The owner's loop is gone, and with it anything waiting on it.
            self._drop()
            self._loop, self._in_flight, self._next = loop, None, None
        if time.monotonic() < self._retry_at:
            return None
        if self._in_flight is None:
            future = self._in_flight = loop.create_future()
            # Held: the loop keeps only a weak reference to a task.
            self._asking = loop.create_task(self._ask(future))
        else:
            if self._next is None:
                self._next = loop.create_future()
            future = self._next
        # Shielded: a request that is cancelled (its client left) must not cancel the
        # answer the rest of its batch waits for.
        return await asyncio.shield(future)

    async def _ask(self, future: "asyncio.Future[Hashable | None] | None") -> None:
        while future is not None:
            try:
                version = await asyncio.wait_for(self._query(), ANSWER_WITHIN_SECONDS)
            except Exception:  # refused, dropped, or no answer in time
                self._drop()
                self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
                version = None
            if not future.done():
                future.set_result(version)
            future, self._next = self._next, None
            self._in_flight = future
            if version is None and future is not None:
                # The database has just failed to answer: those waiting read without the
                # cache at once rather than wait for another try.
                future.set_result(None)
                self._in_flight = None
                return

    async def _query(self) -> Hashable:
        if self._connection is None:
            self._connection = await psycopg.AsyncConnection.connect(
                *self._arguments, **self._options
            )
            self._generation = next(_generations)
        cursor = await self._connection.execute(_SNAPSHOT, prepare=True)
        row = await cursor.fetchone()
        return (self._generation, str(row[0]))

    def _drop(self) -> None:
        """Close the connection now, with no loop needed: libpq's own close, which waits
        for nothing. Only ever called where no query of it can be on the wire (its
        owner's loop, or a closed one)."""
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None

    def close(self) -> None:
        if self._asking is not None and not self._asking.done():
            # A query on the wire (a shutdown mid-request): closed once it has stopped.
            self._asking.add_done_callback(lambda _: self._drop())
            self._asking.cancel()
            return
        self._drop()


# Where the response cache leaves the version a missed answer is computed under.
DATA_VERSION_STATE = "autofacts.data_version"


async def current_data_version(request: Request) -> Hashable | None:
    """The app's data version, read after the request arrived (before its session reads
    anything): for a route that keeps what it computed until the data changes. The one the
    response cache read for this request, if it did; None where there is none to read."""
    seen: Hashable | None = request.scope.get("state", {}).get(DATA_VERSION_STATE)
    if seen is not None:
        return seen
    reader: DataVersion | None = getattr(request.app.state, "data_version", None)
    return None if reader is None else await reader.current()


DataVersionDep = Annotated[Hashable | None, Depends(current_data_version)]
