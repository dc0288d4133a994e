"""Keyset pagination: opaque cursors, ``sort=name`` / ``sort=-name``, ``Link`` headers,
and on request an exact ``total`` and facet counts.

A cursor holds the sort it was made for and the last row's sort key and id, so page 1,000
is one index range scan like page 1. NULLs have no place in a row-value comparison: a sort
key is a NOT NULL column, or a nullable text column (a value the source did not state)
whose NULL sorts as the empty string, a value no stored text has (first ascending).
"""

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Table,
    TypeDecorator,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import Label, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from app.core.db import is_sqlite
from app.core.errors import InvalidParameter
from app.core.fields import MAX_ROW_ID, UrlBoolean, UrlInteger
from app.core.limits import is_storable_text
from app.core.temporal import AS_OF_COLUMNS

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_FACET_VALUES = 100


class FacetCount(BaseModel):
    value: str | int | None = Field(description="A value of the column (null: not stated).")
    count: int = Field(description="Rows matching the current filters with this value.")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    total: int | None = Field(
        default=None, description="Exact number of matching rows; present with `count=true`."
    )
    facets: dict[str, list[FacetCount]] | None = Field(
        default=None,
        description=f"Per requested `facet`, up to {MAX_FACET_VALUES} values with their row "
        "counts under the current filters, most frequent first.",
    )


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    sort: str | None = None
    count: bool = False
    facets: tuple[str, ...] = ()


LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (max {MAX_LIMIT})."),
    UrlInteger,
]
# The alphabet of the cursors encode_cursor makes (unpadded base64url).
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        pattern=CURSOR_PATTERN,
        description="Opaque cursor from a previous page's `next_cursor`.",
    ),
]


def page_params(spec: "ListSpec") -> Callable[..., Awaitable[PageParams]]:
    """The paging parameters of the list ``spec`` describes, its sort keys and facet
    columns documented as enums: what the document offers is exactly what the list takes.

    ``facet`` is an array (repeat the parameter); a value may also join several names with
    commas, as the API first documented. Nothing else is forgiven (no blank, no padding).
    """
    sorts = [key for name in spec.sort_keys for key in (name, f"-{name}")]
    facet_names = list(spec.facets)
    sort_schema = {"type": "string", "enum": sorts, "examples": [spec.default_sort]}
    facet_schema = {
        "type": "array",
        "items": {"type": "string", "enum": facet_names},
        "maxItems": len(facet_names),
        "examples": [facet_names[:1]],
    }

    async def parse(
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
        sort: Annotated[
            str | None,
            WithJsonSchema(sort_schema),
            Query(description=f"Sort key, `-` first for descending: {', '.join(sorts)}."),
        ] = None,
        count: Annotated[
            bool,
            Query(description="Add the exact number of matching rows as `total`."),
            UrlBoolean,
        ] = False,
        facet: Annotated[
            list[str] | None,
            WithJsonSchema(facet_schema),
            Query(
                max_length=len(facet_names),
                description="Columns to count the values of: "
                f"{', '.join(facet_names)}. Repeat the parameter, or join names with commas.",
            ),
        ] = None,
    ) -> PageParams:
        facets = tuple(dict.fromkeys(name for value in facet or [] for name in value.split(",")))
        # An empty `cursor=` (what many clients send for "no cursor") means the first page.
        return PageParams(limit=limit, cursor=cursor or None, sort=sort, count=count, facets=facets)

    return parse


async def cursor_params(
    limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> PageParams:
    """Paging for lists with a fixed order (search results)."""
    return PageParams(limit=limit, cursor=cursor or None)


# A model's column attribute, such as ``Company.name``. SQLModel types those as the value's
# Python type (``str``), so this says "any" to the type checker instead.
ModelAttribute = Any


@dataclass(frozen=True)
class Tally:
    """A table of a list's current rows counted by some of its columns: one row per
    combination of their values, the count in ``count``, kept in step by triggers in the
    transaction of every write (so never behind what the list reads). Its columns are
    named as the list's."""

    table: Table
    count: str

    def covers(self, names: Iterable[str]) -> bool:
        """Whether every one of ``names`` is a column the tally counts by."""
        counted_by = {c.name for c in self.table.c if not c.primary_key} - {self.count}
        return all(name in counted_by for name in names)


@dataclass(frozen=True, eq=False)  # hashed by identity: prepared page statements key on it
class ListSpec:
    """What a list allows: its sort keys (with a default; the id breaks ties) and the
    columns it counts facets of. Every sort key and facet column is indexed.

    ``tally``: where the total and facets of current rows filtered by its columns are
    summed from, rather than counted row by row (see ``fetch_page``)."""

    sort_keys: dict[str, ModelAttribute]
    default_sort: str
    id_column: ModelAttribute
    facets: dict[str, ModelAttribute] = field(default_factory=dict)
    tally: Tally | None = None


def encode_cursor(payload: list[Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, param: str = "cursor") -> list[Any]:
    """The payload of a cursor this API made; a 422 naming ``param`` for anything else."""
    invalid = InvalidParameter("The cursor is not valid.", loc=["query", param])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw, parse_constant=_refuse_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not (
        isinstance(payload, list)
        and len(payload) == 3
        and all(_bindable(value) for value in payload)
        and type(payload[2]) is int
        and 0 <= payload[2] <= MAX_ROW_ID
    ):
        raise invalid
    return payload


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a cursor value")


def _bindable(value: Any) -> bool:
    """A value our cursors hold, one a query can bind. JSON can also spell what no database
    takes: numbers past float or BIGINT range, NUL (PostgreSQL) and lone surrogates (not
    UTF-8), which a forged cursor would otherwise carry into SQL as a 500."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return abs(value) < 2**63
    if isinstance(value, str):
        return is_storable_text(value)
    return value is None


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
        if isinstance(column_type, Integer) and type(value) is int and abs(value) <= MAX_ROW_ID:
            return value
        if isinstance(column_type, String) and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise InvalidParameter("The cursor is not valid.", loc=["query", "cursor"])


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """One page of rows, the cursor after it, and the counts that were asked for."""

    rows: list[T]
    next_cursor: str | None
    total: int | None = None
    facets: dict[str, list[FacetCount]] | None = None

    def page(self, data: list[Any]) -> Page[Any]:
        """The response page; ``total`` and ``facets`` are set only when asked for, so that
        routes serialising with ``exclude_unset`` leave them out otherwise."""
        extras: dict[str, Any] = {}
        if self.total is not None:
            extras["total"] = self.total
        if self.facets is not None:
            extras["facets"] = self.facets
        return Page(data=data, next_cursor=self.next_cursor, **extras)


def fetch_page(
    session: Session,
    statement: S,
    spec: ListSpec,
    params: PageParams,
    *,
    bindings: dict[str, Any] | None = None,
    current_filters: dict[str, Any] | None = None,
    facets_as: dict[str, ColumnElement[Any]] | None = None,
) -> Fetched[Any]:
    """Run the filtered ``statement`` as one keyset page (rows are what it selects; with
    several columns, the first must be the entity the sort keys belong to).

    A hot list passes a ``statement`` it built once per shape of its filters, with the
    values as bound parameters in ``bindings``: its page statement (order, cursor
    condition, limit) is then built once per sort too, since building a select costs more
    than running an indexed one.

    ``current_filters``: given when ``statement`` reads the current rows (no ``known_at``,
    ``as_of`` or ``valid_at``) with these equality filters and no others; when the list's tally
    covers them and the facets asked for, the total and facets are summed from it (a
    country facet over 100k companies: a few hundred tally rows, not 100k index entries).

    ``facets_as``: what a facet counts when the list shows another value than its column
    holds, such as a partnership's status on ``valid_at`` (its column keeps the current
    one). A facet counts what the rows show, never what they keep."""
    facet_columns = _facet_columns(spec, params.facets)
    sort, column = _sort(spec, params)
    after = _after(params.cursor, sort, column) if params.cursor is not None else {}
    position = _prepared_position if bindings is not None else _position
    page = position(statement, spec, sort, bool(after))
    values = {**(bindings or {}), **after, "page_size": params.limit + 1}
    rows: list[Any]
    if page.core_rows:
        # Pages are read, never changed: Core rows of the table's columns (attributes named
        # as the model's) cost a fraction of ORM instances, which dominated a page's time.
        rows = list(session.connection().execute(page.ordered, values).all())
    else:
        result = session.execute(page.ordered, values)
        rows = list((result.scalars() if page.one_entity else result).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1] if page.one_entity or page.core_rows else rows[-1][0]
        last_key = getattr(last, column.key)
        if last_key is None:  # only a nullable text column's, which sorts as ""
            last_key = UNSTATED
        next_cursor = encode_cursor([sort, _jsonable(last_key), getattr(last, spec.id_column.key)])
    tally = spec.tally
    if tally is not None and (
        facets_as or current_filters is None or not tally.covers([*current_filters, *facet_columns])
    ):
        tally = None
    total = None
    if params.count and tally is not None:
        total = _tallied_total(session, tally, current_filters or {})
    elif params.count:
        counting = statement.with_only_columns(func.count(), maintain_column_froms=True)
        total = session.execute(counting.order_by(None), bindings).scalar_one()
    facets = None
    facet_rows: Select[Any] = statement
    if facets_as and any(name in facets_as for name in facet_columns):
        facet_rows, facet_columns = _shown(statement, facet_columns, facets_as)
    if facet_columns and tally is not None:
        facets = {
            name: _tallied_facet(session, tally, name, current_filters or {})
            for name in facet_columns
        }
    elif len(facet_columns) > 1 and not is_sqlite(session):
        facets = _facets_in_one_scan(session, facet_rows, facet_columns, bindings)
    elif facet_columns:
        facets = {
            name: _facet(session, facet_rows, c, bindings) for name, c in facet_columns.items()
        }
    return Fetched(rows=rows, next_cursor=next_cursor, total=total, facets=facets)


def _shown(
    statement: S,
    columns: dict[str, InstrumentedAttribute[Any]],
    facets_as: dict[str, ColumnElement[Any]],
) -> tuple[Select[Any], dict[str, Any]]:
    """``statement``'s rows as a derived table of the facet values they show (``facets_as``
    where given, else the column), and its columns to count by: a value computed per row
    (a correlated subquery) is then grouped by as a column is."""
    shown = [facets_as.get(name, column).label(name) for name, column in columns.items()]
    rows = statement.with_only_columns(*shown, maintain_column_froms=True)
    table = rows.order_by(None).subquery("shown")
    return select(table), {name: table.c[name] for name in columns}


def _tallied_total(session: Session, tally: Tally, filters: dict[str, Any]) -> int:
    summed = func.coalesce(func.sum(tally.table.c[tally.count]), 0)
    counting = select(summed).where(*_tally_conditions(tally, filters))
    return int(session.execute(counting).scalar_one())


def _tallied_facet(
    session: Session, tally: Tally, name: str, filters: dict[str, Any]
) -> list[FacetCount]:
    """What ``_facet`` counts, summed over the tally's combinations; a value whose rows
    are all gone (its combinations at zero) is not listed, as a count would not list it."""
    column = tally.table.c[name]
    summed = func.sum(tally.table.c[tally.count])
    grouped = (
        select(column, summed.label("count"))
        .where(*_tally_conditions(tally, filters))
        .group_by(column)
        .having(summed > 0)
        .order_by(summed.desc(), column.asc().nulls_last())
        .limit(MAX_FACET_VALUES)
    )
    return [
        FacetCount(value=_jsonable(value), count=count) for value, count in session.execute(grouped)
    ]


def _tally_conditions(tally: Tally, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    return [tally.table.c[name] == value for name, value in filters.items()]


def _facet_columns(spec: ListSpec, names: Sequence[str]) -> dict[str, InstrumentedAttribute[Any]]:
    unknown = [name for name in names if name not in spec.facets]
    if unknown:
        allowed = ", ".join(sorted(spec.facets)) or "none on this list"
        raise InvalidParameter(
            f"Cannot count facets of {', '.join(unknown)}; use: {allowed}.",
            loc=["query", "facet"],
        )
    return {name: spec.facets[name] for name in names}


def _facet(
    session: Session,
    statement: Select[Any],
    column: InstrumentedAttribute[Any],
    bindings: dict[str, Any] | None,
) -> list[FacetCount]:
    counted = func.count().label("count")
    grouped = (
        statement.with_only_columns(column, counted, maintain_column_froms=True)
        .group_by(_group_key(session, statement, column))
        .order_by(counted.desc(), column.asc().nulls_last())
        .limit(MAX_FACET_VALUES)
    )
    return [
        FacetCount(value=_jsonable(value), count=count)
        for value, count in session.execute(grouped, bindings)
    ]


def _group_key(
    session: Session, statement: Select[Any], column: InstrumentedAttribute[Any]
) -> ColumnElement[Any]:
    """What a facet groups its rows by: ``column``, or on SQLite, when a filter on another
    column picks the rows, ``+column``. Given statistics, SQLite's planner would rather walk
    the facet column's index in order (no sort to group) and test the filter on every row of
    the table than group the rows the filter's index finds (``country=JP&facet=kind``), which
    are far fewer. The unary plus is SQLite's way to keep an index from being used for a
    term; unfiltered, the facet column's index is the right walk."""
    key = column.expression
    if not is_sqlite(session) or statement.whereclause is None:
        return key
    filtered_on = {
        element.key
        for element in visitors.iterate(statement.whereclause)
        if isinstance(element, Column)
    }
    if not filtered_on - AS_OF_COLUMNS - {column.key}:
        return key
    return UnaryExpression(key, operator=custom_op("+"), type_=column.type)


def _facets_in_one_scan(
    session: Session,
    statement: Select[Any],
    columns: dict[str, InstrumentedAttribute[Any]],
    bindings: dict[str, Any] | None,
) -> dict[str, list[FacetCount]]:
    """What ``_facet`` gives for each column, from one pass over the rows (PostgreSQL's
    GROUPING SETS), for a list without a tally: one scan feeding every facet's counts costs
    less than a scan per facet.

    Within a grouping set the other columns are NULL, so ranking by all of them in turn
    ranks each set by its own column, as ``_facet`` orders it; ``grouping()`` says which
    set a row belongs to (NULL is a value a facet counts too)."""
    keys = list(columns.values())
    counted = func.count().label("count")
    in_set = [func.grouping(key).label(f"in_set_{i}") for i, key in enumerate(keys)]
    rank = func.row_number().over(
        partition_by=in_set, order_by=[counted.desc(), *(k.asc().nulls_last() for k in keys)]
    )
    grouped = (
        statement.with_only_columns(
            *(key.label(f"value_{i}") for i, key in enumerate(keys)),
            counted,
            *in_set,
            rank.label("rank"),
            maintain_column_froms=True,
        )
        .group_by(func.grouping_sets(*keys))
        .order_by(None)
        .subquery()
    )
    ranked = select(grouped).where(grouped.c.rank <= MAX_FACET_VALUES).order_by(grouped.c.rank)
    names = list(columns)
    facets: dict[str, list[FacetCount]] = {name: [] for name in names}
    for row in session.execute(ranked, bindings).mappings():
        # grouping() is 0 for the one column the row's set groups by.
        index = next(i for i in range(len(keys)) if row[f"in_set_{i}"] == 0)
        value = _jsonable(row[f"value_{index}"])
        facets[names[index]].append(FacetCount(value=value, count=row["count"]))
    return facets


def _sort(spec: ListSpec, params: PageParams) -> tuple[str, InstrumentedAttribute[Any]]:
    """The requested sort (``-`` for descending) and its column; a 422 for an unknown one."""
    sort = params.sort if params.sort is not None else spec.default_sort
    name = sort.removeprefix("-")
    column = spec.sort_keys.get(name)
    if column is None:
        raise InvalidParameter(
            f"Unknown sort key {name!r}; use one of: {', '.join(sorted(spec.sort_keys))}.",
            loc=["query", "sort"],
        )
    return sort, column


def _after(cursor: str, sort: str, column: InstrumentedAttribute[Any]) -> dict[str, Any]:
    """The bound values of the page's keyset condition: the last row's sort key and id."""
    cursor_sort, last_value, last_id = decode_cursor(cursor)
    if cursor_sort != sort:
        raise InvalidParameter(
            f"This cursor was made for sort={cursor_sort!r}, not {sort!r}.",
            loc=["query", "cursor"],
        )
    return {"after_key": _restore(last_value, column), "after_id": last_id}


@dataclass(frozen=True)
class _PageStatement:
    ordered: Select[Any]
    one_entity: bool  # rows are one model's (else tuples whose first item is)
    core_rows: bool  # read as Core rows of that model's table (and any labelled columns)


# What a nullable text sort key's NULL sorts as: no stored text is empty.
UNSTATED = ""


def _sort_expression(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """The expression a sort key orders by: the column, or for a nullable text column its
    value with NULL as ``UNSTATED`` (its own index is not used then: such keys sort the
    rows of one company, never a whole table)."""
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if getattr(column.expression, "nullable", False) and isinstance(column_type, String):
        return func.coalesce(column, UNSTATED)
    return column  # type: ignore[return-value]


def _position(statement: S, spec: ListSpec, sort: str, after: bool) -> _PageStatement:
    """``statement`` ordered by ``sort``, after the cursor's row (``:after_key``,
    ``:after_id``) when ``after``, limited to ``:page_size`` rows (a page plus one, which
    tells whether there is a next page)."""
    column = spec.sort_keys[sort.removeprefix("-")]
    descending = sort.startswith("-")
    key_columns = (
        [column] if column is spec.id_column else [_sort_expression(column), spec.id_column]
    )
    if after:
        last_key = [bindparam("after_key", type_=column.type)] if len(key_columns) == 2 else []
        row_key = tuple_(*key_columns)
        last = tuple_(*last_key, bindparam("after_id", type_=Integer))
        condition: ColumnElement[bool] = row_key < last if descending else row_key > last
        statement = statement.where(condition)
    order = [c.desc() if descending else c.asc() for c in key_columns]
    ordered = statement.order_by(*order).limit(bindparam("page_size", type_=Integer))
    descriptions = statement.column_descriptions
    # A model alone, or followed by labelled columns (a joined row's slug, say), is read as
    # Core rows: their attributes are the model's columns and those labels.
    core_rows = isinstance(descriptions[0]["expr"], type) and all(
        isinstance(d["expr"], Label) for d in descriptions[1:]
    )
    return _PageStatement(ordered, len(descriptions) == 1, core_rows)


# Per prepared statement (its identity), sort and cursor presence: a few hundred at most.
_prepared_position = lru_cache(maxsize=1024)(_position)


def set_link_header(
    request: Request, response: Response, next_cursor: str | None, *, param: str = "cursor"
) -> None:
    """``Link: <…>; rel="next"``: this request's URL with ``next_cursor`` as ``param``
    (the change feed's is ``since``); none on the last page."""
    if next_cursor is None:
        return
    url = request.url.include_query_params(**{param: next_cursor})
    response.headers["Link"] = f'<{url}>; rel="next"'
