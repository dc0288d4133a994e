"""The PostgreSQL floor of a non-blocking read: ``floor.py``'s bare FastAPI route and its
one indexed slug lookup, but through psycopg 3's asyncio support, so that a request
waiting on the database never holds the event loop.

Connections come from ``psycopg_pool.AsyncConnectionPool`` when it is installed; without
it (it is not one of Autofacts' dependencies today), from a small pool of
``psycopg.AsyncConnection`` kept here, the same size. Measured on the long tail's details
mix, it is the bar company detail answers to on PostgreSQL (issue 21: ≥ 0.8x):

    AUTOFACTS_DATABASE_URL=postgresql+psycopg://… uvicorn floor_async:app --app-dir bench
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, HTTPException
from floor import _COLUMNS, _SQL, Company

POOL_SIZE = int(os.environ.get("FLOOR_POOL_SIZE", "8"))
_URL = os.environ["AUTOFACTS_DATABASE_URL"].replace("+psycopg", "")
_QUERY = _SQL.format("%s")


class _Pool:
    """A fixed set of autocommit connections handed out one request at a time."""

    def __init__(self) -> None:
        self._idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(POOL_SIZE):
            self._idle.put_nowait(await psycopg.AsyncConnection.connect(_URL, autocommit=True))

    async def close(self) -> None:
        while not self._idle.empty():
            await self._idle.get_nowait().close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        connection = await self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put_nowait(connection)


try:
    from psycopg_pool import AsyncConnectionPool

    POOL = "psycopg_pool.AsyncConnectionPool"
    pool: Any = AsyncConnectionPool(
        _URL, min_size=POOL_SIZE, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=False
    )
except ImportError:
    POOL = "own pool of psycopg.AsyncConnection"
    pool = _Pool()


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    yield
    await pool.close()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.get("/")
async def ready() -> dict[str, str]:
    return {"pool": POOL}


@app.get("/floor/{slug}", response_model=Company)
async def company_by_slug(slug: str) -> object:
    async with pool.connection() as connection:
        cursor = await connection.execute(_QUERY, (slug,))
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404)
    return dict(zip(_COLUMNS, row, strict=True))
