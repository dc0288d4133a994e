"""Every list as JSON pages, or streamed whole as NDJSON or CSV.

The format comes from ``?format=`` or else the ``Accept`` header. A stream walks the list
with keyset pages of ``EXPORT_BATCH`` rows, so memory stays flat however long the list;
it starts at ``cursor`` if one is given and ignores ``limit``, ``count`` and ``facet``.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, set_link_header

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


async def list_format(
    request: Request,
    format: Annotated[
        ListFormat | None,
        Query(
            description="`json` (pages, the default), or the whole list streamed as `ndjson` "
            "or `csv`; the `Accept` header (`application/x-ndjson`, `text/csv`) works too.",
        ),
    ] = None,
) -> ListFormat:
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    for candidate in (ListFormat.ndjson, ListFormat.csv):
        if MEDIA_TYPES[candidate] in accept:
            return candidate
    return ListFormat.json


ListFormatDep = Annotated[ListFormat, Depends(list_format)]


def list_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a list: the streamed formats, then its problem errors."""
    streamed = {
        MEDIA_TYPES[f]: {"schema": {"type": "string"}} for f in (ListFormat.ndjson, ListFormat.csv)
    }
    return {200: {"content": streamed}, **problem_responses(422, *statuses)}


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
        return result
    batch = replace(page, limit=EXPORT_BATCH, count=False, facets=())
    first = fetch(batch)
    rows = _rows(first, fetch, batch)
    body = _ndjson(rows) if fmt is ListFormat.ndjson else _csv(rows, item_model)
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt])


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
        writer.writerow(name for name in item_model.model_fields if name != "citations")
    yield _drain(buffer)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
