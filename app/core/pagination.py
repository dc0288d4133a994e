"""Keyset pagination: opaque cursors, ``sort=name`` / ``sort=-name``, ``Link`` headers.

A cursor holds the sort it was made for and the last row's sort key and id, so page 1,000
is one index range scan like page 1. Only NOT NULL columns are sortable: NULLs have no
place in a row-value comparison.
"""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Date, Integer, Select, String, TypeDecorator, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import InvalidParameter

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    sort: str | None


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (max {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="Opaque cursor from a previous page's `next_cursor`."),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Sort key; prefix with `-` for descending. Each list documents its keys.",
        ),
    ] = None,
) -> PageParams:
    # An empty `cursor=` (what many clients send for "no cursor") means the first page.
    return PageParams(limit=limit, cursor=cursor or None, sort=sort or None)


@dataclass(frozen=True)
class Sorting:
    """The sort keys a list allows, by name, with its default; ``id`` breaks ties."""

    keys: dict[str, InstrumentedAttribute[Any]]
    default: str
    id_column: InstrumentedAttribute[Any]

    def describe(self) -> str:
        return ", ".join(sorted(self.keys))


def encode_cursor(payload: list[Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter("The cursor is not valid.", loc=["query", "cursor"]) from exc
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[2], int)):
        raise InvalidParameter("The cursor is not valid.", loc=["query", "cursor"])
    return payload


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _restore(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    """Turn a cursor's JSON value back into the column's Python type, or refuse it."""
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # SQLModel's AutoString wraps a String
        column_type = column_type.impl_instance
    try:
        if isinstance(column_type, Date) and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if isinstance(column_type, Integer) and type(value) is int:
            return value
        if isinstance(column_type, String) and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise InvalidParameter("The cursor is not valid.", loc=["query", "cursor"])


def paginate(statement: S, sorting: Sorting, params: PageParams) -> "Paginator[S]":
    """Order ``statement`` by the requested sort and position it after the cursor."""
    sort = params.sort or sorting.default
    name = sort.removeprefix("-")
    column = sorting.keys.get(name)
    if column is None:
        raise InvalidParameter(
            f"Unknown sort key {name!r}; use one of: {sorting.describe()}.",
            loc=["query", "sort"],
        )
    descending = sort.startswith("-")
    key_columns: list[InstrumentedAttribute[Any]] = (
        [column] if column is sorting.id_column else [column, sorting.id_column]
    )
    if params.cursor is not None:
        cursor_sort, last_value, last_id = decode_cursor(params.cursor)
        if cursor_sort != sort:
            raise InvalidParameter(
                f"This cursor was made for sort={cursor_sort!r}, not {sort!r}.",
                loc=["query", "cursor"],
            )
        last_key = [_restore(last_value, column)] if len(key_columns) == 2 else []
        row_key = tuple_(*key_columns)
        after = tuple_(*last_key, last_id)
        condition: ColumnElement[bool] = row_key < after if descending else row_key > after
        statement = statement.where(condition)
    order = [c.desc() if descending else c.asc() for c in key_columns]
    statement = statement.order_by(*order).limit(params.limit + 1)
    return Paginator(statement=statement, sort=sort, column=column, sorting=sorting, params=params)


@dataclass(frozen=True)
class Paginator(Generic[S]):
    statement: S
    sort: str
    column: InstrumentedAttribute[Any]
    sorting: Sorting
    params: PageParams

    def split(self, rows: Sequence[Any]) -> tuple[list[Any], str | None]:
        """The page's rows (``limit`` of the ``limit + 1`` fetched) and the next cursor."""
        rows = list(rows)
        if len(rows) <= self.params.limit:
            return rows, None
        rows = rows[: self.params.limit]
        last = rows[-1]
        last_value = _jsonable(getattr(last, self.column.key))
        return rows, encode_cursor(
            [self.sort, last_value, getattr(last, self.sorting.id_column.key)]
        )


def set_link_header(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
