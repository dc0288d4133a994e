"""The engine and the per-request session. SQLite and PostgreSQL both first-class."""

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers run beside a writer; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    settings = get_settings()
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
        **kwargs,
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


async def get_session() -> AsyncIterator[Session]:
    """The request's session. Async although the driver is not: opening a Session does no
    I/O, and a sync dependency with ``yield`` costs two trips through the thread pool on
    every request (see the read path in the README's Performance section)."""
    with Session(get_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "sqlite"


# Any constant: the key of the advisory lock every PostgreSQL write transaction takes.
_WRITE_LOCK = 0x4155_544F


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as the only writer until it ends.

    Writes are serialised on purpose: change-log ids then become visible in order (a feed
    reader never skips one), an If-Match check and the write it guards cannot interleave
    with another write, and a repeated Idempotency-Key always finds the first request's
    row. SQLite takes its write lock up front; PostgreSQL a transaction advisory lock.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")


def get_write_session(session: SessionDep) -> Session:
    begin_write(session)
    return session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]
