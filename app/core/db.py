"""The engine and the per-request session. SQLite and PostgreSQL both first-class."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import QueuePool
from sqlmodel import Session
from starlette.exceptions import HTTPException

from app.core.config import get_settings
from app.core.data_version import data_version_of
from app.core.errors import DomainError

# Connections a pool opens beyond its size when every kept one is out.
MAX_OVERFLOW = 10


def make_engine(
    url: str, *, statement_timeout_ms: int = 0, autocommit: bool = False, **kwargs: Any
) -> Engine:
    """An engine for ``url``. ``statement_timeout_ms`` (PostgreSQL) has the server cancel a
    statement that runs longer: the serving engine has one, so that a runaway query or a
    lock held too long costs one request a 503, not a worker. Migrations and bulk loads,
    which may rightly run for minutes, have none. ``autocommit`` (PostgreSQL) makes a pool
    for reads only: see ``get_read_engine``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            kwargs.setdefault("max_overflow", MAX_OVERFLOW)  # a file's pool is a QueuePool
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers run beside a writer; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            # No memory map (SQLite's default): the pages each connection maps count in the
            # worker's resident memory once per connection, and reads run on several
            # threads' connections at once. Read through the OS page cache, a lookup of
            # 100k companies costs the same.
            cursor.close()

        return engine
    settings = get_settings()
    if autocommit:
        # Nothing to roll back on a connection that never opens a transaction.
        kwargs.update(isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=MAX_OVERFLOW,
        # No ping before every checkout (a round trip on every request): a connection the
        # server dropped fails its first statement, that request gets a 503, and SQLAlchemy
        # then discards every connection older than the failure, so the next ones reconnect.
        pool_pre_ping=False,
        connect_args={
            "connect_timeout": 5,
            "options": f"-c statement_timeout={statement_timeout_ms}",
        },
        **kwargs,
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, statement_timeout_ms=settings.db_statement_timeout_ms)


@lru_cache
def get_read_engine() -> Engine:
    """The engine GET requests read through.

    On PostgreSQL, a pool of its own whose connections stay in autocommit: a read's
    statements each see the latest committed data, as they would in a READ COMMITTED
    transaction, without the BEGIN and ROLLBACK round trips a transaction adds to every
    request. Its own pool, because switching a shared connection into autocommit and back,
    and rolling it back on return, is work on every request that buys nothing. SQLite's
    driver opens no transaction for a SELECT anyway, so there reads share the engine."""
    settings = get_settings()
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        return get_engine()
    return make_engine(
        settings.database_url,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        autocommit=True,
    )


def read_engine_of(engine: Engine) -> Engine:
    """Reads through ``engine`` in autocommit, as ``get_read_engine`` reads, over the
    engine's own pool (each connection switched for the request and back)."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class ReadSessions:
    """The sessions GET requests read through, kept from one request to the next.

    Each session serves one request at a time, from ``acquire`` until its response is sent.
    ``release`` closes it, which empties its identity map and gives its connection back to
    the pool, and keeps the session object for the next request. An idle session holds no
    connection: a request waiting for a thread (every endpoint runs in the thread pool)
    must not hold one either, or the connections the running threads need could all be
    held by requests waiting for those very threads. Nothing is held between statements:
    reads run in autocommit on PostgreSQL, and SQLite's driver opens no transaction for a
    SELECT, so every statement sees the latest committed data, as in a new session.
    """

    def __init__(self, engine: Engine, *, keep: int, at_once: int | None = None) -> None:
        self.engine = engine
        self.keep = keep  # idle sessions kept at most (each without a connection)
        # Requests reading at once, at most (``in_use``); None: no bound.
        self.at_once = at_once
        self._idle: list[Session] = []
        self._slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            WeakKeyDictionary()
        )
        # Bumped when a connection is lost: a session from before is not kept again.
        self._generation = 0

    def in_use(self) -> AbstractAsyncContextManager[Any]:
        """Held by each request from ``acquire`` to ``release``: at most ``at_once`` (the
        connections the pool may open) read at once. A request keeps its connection until
        its answer is sent, and FastAPI validates a plain function's answer in the thread
        pool: more requests than the pool has connections could hold them all while they
        wait for threads, and the threads running endpoints would wait for a connection.
        One per event loop (a test client may drive the app from several)."""
        if self.at_once is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.at_once)
        return slots

    def acquire(self) -> Session:
        if self._idle:
            return self._idle.pop()
        session = Session(self.engine)
        session.info[_GENERATION] = self._generation
        return session

    def release(self, session: Session) -> None:
        """Take back a session whose request is done (a 404 or a 422 included)."""
        session.close()
        if session.info[_GENERATION] == self._generation and len(self._idle) < self.keep:
            self._idle.append(session)

    def drop(self, session: Session, error: BaseException) -> None:
        """Close the session of a request that failed otherwise: its connection goes back
        to the pool, as a session's always did. A lost connection (an outage, a restart)
        is thrown away, with every idle session's and those of requests still running
        (closed when they come back): theirs are as dead, and each would fail a request of
        its own before being dropped."""
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            session.invalidate()
            self._generation += 1
            self.close()
        else:
            session.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().invalidate()


_GENERATION = "autofacts.read_sessions.generation"
# A request's own mistakes, answered as problems: its session is as good as ever.
_REQUEST_ERRORS = (DomainError, RequestValidationError, HTTPException)


def bind_engine(app: FastAPI, engine: Engine, read_engine: Engine | None = None) -> None:
    """Serve ``app`` from ``engine``, reads from ``read_engine`` (by default ``engine``'s
    pool in autocommit). On the app's state, not a dependency override: overrides send
    every request through FastAPI's slower dependency solving, see app/core/routing.py."""
    app.state.engine = engine
    app.state.read_engine = read_engine or read_engine_of(engine)
    pool = app.state.read_engine.pool
    if isinstance(pool, QueuePool):
        size, at_once = pool.size(), pool.size() + MAX_OVERFLOW
    else:  # a pool that never makes a checkout wait
        size, at_once = 5, None
    app.state.read_sessions = ReadSessions(app.state.read_engine, keep=size, at_once=at_once)
    # Whether indexed reads run on the loop (app/core/threads.py): SQLite, in this process.
    app.state.local_database = app.state.read_engine.dialect.name == "sqlite"
    previous = getattr(app.state, "data_version", None)
    if previous is not None:
        previous.close()
    app.state.data_version = data_version_of(app.state.read_engine)


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: one of the app's ``ReadSessions`` for reads, a new one (in a
    transaction) for writes. Async although the driver is not: taking a session does no
    I/O, and a sync dependency with ``yield`` costs two trips through the thread pool on
    every request."""
    state = request.app.state
    if request.method not in _READS:
        with Session(state.engine) as session:
            yield session
        return
    sessions: ReadSessions = state.read_sessions
    async with sessions.in_use():
        session = sessions.acquire()
        try:
            yield session
        except _REQUEST_ERRORS:
            sessions.release(session)
            raise
        except BaseException as error:
            sessions.drop(session, error)
            raise
        sessions.release(session)


SessionDep = Annotated[Session, Depends(get_session)]


def is_sqlite(session_or_engine: OrmSession | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, OrmSession)
        else session_or_engine
    )
    return bind.dialect.name == "sqlite"


def lift_statement_timeout(connection: Connection) -> None:
    """Let the rest of ``connection``'s transaction run as long as it needs (PostgreSQL):
    a bulk load, an export or ``ANALYZE`` is not a request."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")


def analyze(engine: Engine) -> None:
    """Refresh the query planner's statistics, after a load. SQLite keeps none until asked,
    and without them it takes "known_to IS NULL" (true of nearly every row) for a selective
    condition and walks the wrong index."""
    with engine.begin() as connection:
        lift_statement_timeout(connection)
        connection.exec_driver_sql("ANALYZE")


# Any constant: the key of the advisory lock every PostgreSQL write transaction takes.
_WRITE_LOCK = 0x4155_544F


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as the only writer until it ends.

    Writes are serialised on purpose: change-log ids then become visible in order (a feed
    reader never skips one), an If-Match check and the write it guards cannot interleave
    with another write, and a repeated Idempotency-Key always finds the first request's
    row. SQLite takes its write lock up front; PostgreSQL a transaction advisory lock.
    A request takes it through ``app.api.deps.WriteSessionDep``, once its key is verified:
    a request that will be refused never waits for it.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")
