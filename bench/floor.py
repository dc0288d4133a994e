"""The floor under a company by slug: a bare FastAPI route that runs the company's one
indexed lookup through the raw driver (no ORM, no middleware, no citations, no ETag) and
returns it through ``response_model``.

Measured beside the ceiling (``ceiling.py``) on each database, it shows what one trip to
the database costs a FastAPI route by itself on this machine, before anything Autofacts
adds:

    AUTOFACTS_DATABASE_URL=… uvicorn floor:app --app-dir bench --loop asyncio --http httptools
"""

import datetime as dt
import os
import sqlite3
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class Company(BaseModel):
    id: int
    slug: str
    name: str
    country: str | None
    kind: str
    description: str | None
    certainty: str
    known_from: dt.date


_COLUMNS = list(Company.model_fields)
_SQL = f"SELECT {', '.join(_COLUMNS)} FROM company WHERE slug = {{}} AND known_to IS NULL"
_URL = os.environ["AUTOFACTS_DATABASE_URL"]

connection: Any
if _URL.startswith("sqlite"):
    connection = sqlite3.connect(_URL.split("///", 1)[1], check_same_thread=False)
    connection.execute("PRAGMA mmap_size=268435456")  # as Autofacts reads it
    _QUERY = _SQL.format("?")
else:
    import psycopg

    connection = psycopg.connect(_URL.replace("+psycopg", ""), autocommit=True)
    _QUERY = _SQL.format("%s")

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/floor/{slug}", response_model=Company)
async def company_by_slug(slug: str) -> object:
    row = connection.execute(_QUERY, (slug,)).fetchone()
    if row is None:
        raise HTTPException(404)
    return dict(zip(_COLUMNS, row, strict=True))
