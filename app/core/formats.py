"""Every list as JSON pages, or streamed whole as NDJSON or CSV.

The format comes from ``?format=`` or else the ``Accept`` header, read as RFC 9110 §12.5.1
says: media ranges (``*/*``, ``text/*``) with q-values, the most specific range deciding a
type's q, and ``q=0`` meaning "not this". The acceptable type with the highest q wins, JSON
on a tie or without the header; when none of JSON, NDJSON and CSV is acceptable the answer
is a 406 problem. Every list answer says ``Vary: Accept``: its body depends on the header.

Every other GET of the API (a resource, search, the change feed) is served in JSON alone:
when ``Accept`` allows no JSON (``application/json``, ``application/*`` or ``*/*`` with a
q above 0) it is a 406 problem too, rather than JSON the client said it cannot take
(``refuse_unacceptable`` in app/core/http_semantics.py, one rule for them all). As with
lists, ``application/problem+json`` is not JSON's media type (RFC 9110 §12.5.1 matches
type and subtype): it names what errors come as, not the resource.

A stream walks the list with keyset pages of ``EXPORT_BATCH`` rows, so memory stays flat
however long the list; it starts at ``cursor`` if one is given and ignores ``limit``,
``count`` and ``facet``.

CSV cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
single quote in front, as OWASP recommends against CSV injection: a company named
``=HYPERLINK(...)`` would otherwise run as a formula when a curator opens the export in a
spreadsheet. A cell that is a plain number (``-2.5``) is a number, not a formula, and is
left as it is. Only CSV is changed: JSON and NDJSON carry the exact text, and so does the
``autofacts export`` facts file (app/exporter.py), which never goes through this module.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.core.accept import media_ranges, quality
from app.core.errors import DomainError, problem_responses
from app.core.pagination import Page, PageParams, set_link_header
from app.core.surfaces import API_PREFIX

EXPORT_BATCH = 500


class ListFormat(StrEnum):
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


MEDIA_TYPES = {
    ListFormat.json: "application/json",
    ListFormat.ndjson: "application/x-ndjson",
    ListFormat.csv: "text/csv",
}
# Who wins a tie of q-values: JSON, the format a page of the API is.
_PREFERENCE = (ListFormat.json, ListFormat.ndjson, ListFormat.csv)
# A cell a spreadsheet would run (OWASP, CSV injection), unless it is a plain number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class NotAcceptable(DomainError):
    """An ``Accept`` header that allows none of the formats a list is served in."""

    status, slug = 406, "not-acceptable"
    kind_headers: ClassVar[dict[str, str] | None] = {"Vary": "Accept"}


def negotiate(accept: str) -> ListFormat | None:
    """The format an ``Accept`` value prefers (module docstring); None if it allows none."""
    ranges = media_ranges(accept)
    if not ranges:
        return ListFormat.json
    chosen, chosen_q = None, 0.0
    for candidate in _PREFERENCE:
        q = quality(MEDIA_TYPES[candidate], ranges)
        if q > chosen_q:
            chosen, chosen_q = candidate, q
    return chosen


# Clients send a handful of distinct Accept values: each is read once.
@lru_cache(maxsize=256)
def admits_json(accept: str) -> bool:
    """Whether an ``Accept`` value allows JSON; one with no well-formed range allows
    anything, as for a list (``negotiate``)."""
    ranges = media_ranges(accept)
    return not ranges or quality(MEDIA_TYPES[ListFormat.json], ranges) > 0


def json_not_acceptable() -> NotAcceptable:
    """The 406 of a GET served in JSON alone (module docstring)."""
    return NotAcceptable(
        "The Accept header does not allow application/json, the one format this answer "
        "is served in."
    )


async def list_format(
    request: Request,
    format: Annotated[
        ListFormat | None,
        Query(
            description="`json` (pages, the default), or the whole list streamed as `ndjson` "
            "or `csv`; the `Accept` header (`application/x-ndjson`, `text/csv`, with "
            "q-values) works too. In CSV, a cell beginning with `=`, `+`, `-`, `@`, a tab "
            "or a carriage return is prefixed with `'` (OWASP: CSV injection).",
        ),
    ] = None,
) -> ListFormat:
    if format is not None:
        return format
    # Several Accept fields are one list (RFC 9110 §5.3).
    chosen = negotiate(", ".join(request.headers.getlist("accept")))
    if chosen is None:
        raise NotAcceptable(
            "The Accept header allows none of the formats a list is served in: "
            + ", ".join(MEDIA_TYPES[f] for f in _PREFERENCE)
            + "."
        )
    return chosen


ListFormatDep = Annotated[ListFormat, Depends(list_format)]


def list_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a list: the streamed formats, then its problem errors."""
    streamed = {
        MEDIA_TYPES[f]: {"schema": {"type": "string"}} for f in (ListFormat.ndjson, ListFormat.csv)
    }
    return {200: {"content": streamed}, **problem_responses(406, 422, *statuses)}


def document_json_only(schema: dict[str, Any]) -> None:
    """Declare the 406 of every GET of the API that an OpenAPI document gives in JSON alone,
    as lists declare theirs (``list_responses``): what ``refuse_unacceptable`` answers."""
    for path, item in schema.get("paths", {}).items():
        operation = item.get("get")
        if operation is None or not path.startswith(API_PREFIX):
            continue
        served = operation["responses"].get("200", {}).get("content", {})
        if set(served) == {MEDIA_TYPES[ListFormat.json]}:
            operation["responses"].setdefault("406", problem_responses(406)[406])


def list_response(
    request: Request,
    response: Response,
    fmt: ListFormat,
    page: PageParams,
    fetch: Callable[[PageParams], Page[Any]],
    item_model: type[BaseModel],
) -> Page[Any] | StreamingResponse:
    """One JSON page (with its ``Link`` header), or the whole list as a stream.

    The first batch is fetched before the stream starts, so a bad cursor or filter is
    still a 422 problem rather than a broken stream.
    """
    if fmt is ListFormat.json:
        result = fetch(page)
        set_link_header(request, response, result.next_cursor)
        response.headers["Vary"] = "Accept"
        return result
    batch = replace(page, limit=EXPORT_BATCH, count=False, facets=())
    first = fetch(batch)
    rows = _rows(first, fetch, batch)
    body = _ndjson(rows) if fmt is ListFormat.ndjson else _csv(rows, item_model)
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers={"Vary": "Accept"})


def _rows(
    first: Page[Any], fetch: Callable[[PageParams], Page[Any]], batch: PageParams
) -> Iterator[BaseModel]:
    page = first
    while True:
        yield from page.data
        if page.next_cursor is None:
            return
        page = fetch(replace(batch, cursor=page.next_cursor))


def _ndjson(rows: Iterator[BaseModel]) -> Iterator[str]:
    for row in rows:
        yield row.model_dump_json(exclude_unset=True) + "\n"


def _csv(rows: Iterator[BaseModel], item_model: type[BaseModel]) -> Iterator[str]:
    """One column per field; nested objects and lists are JSON in their cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns: list[str] | None = None
    for row in rows:
        values = row.model_dump(mode="json", exclude_unset=True)
        if columns is None:
            columns = list(values)
            writer.writerow(columns)
        writer.writerow(_cell(values.get(column)) for column in columns)
        yield _drain(buffer)
    if columns is None:
        # Without rows, the columns a row would have without include= or valid_at.
        unset = {"citations", "validity"}
        writer.writerow(name for name in item_model.model_fields if name not in unset)
    yield _drain(buffer)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
