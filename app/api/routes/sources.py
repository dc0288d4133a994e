import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import SLUG_PATTERN, PageDep
from app.core.db import SessionDep
from app.core.errors import InvalidParameter, problem_responses
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.pagination import Page
from app.models.source import SourcePublic, SourceSummary
from app.services import sources
from app.services.sources import SourceFilters

router = APIRouter(prefix="/v1/sources", tags=["sources"])

# PostgreSQL refuses NUL in text (a 500 otherwise), and no outlet's name holds a control
# character.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

# A source is a document, not a fact: it has no valid time, only the day it was published.
KnownAt = Annotated[
    dt.date | None,
    Query(
        description="Only sources published on or before this date (YYYY-MM-DD).",
        examples=["2025-11-14"],
    ),
]


def source_filters(
    reported_by: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=PRINTABLE,
            description="Only sources reporting what this outlet said, exactly.",
            examples=["Nikkei Asia"],
        ),
    ] = None,
) -> SourceFilters:
    return SourceFilters(reported_by=reported_by)


def no_include(
    include: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Sources embed no related objects; any value is refused, so that a "
            "typo is not silently ignored.",
        ),
    ] = None,
) -> None:
    if include:
        raise InvalidParameter(
            "Sources have no related objects to include.", loc=["query", "include"]
        )


@router.get(
    "",
    summary="List sources",
    response_model=Page[SourceSummary],
    responses=list_responses(),
    dependencies=[Depends(no_include)],
)
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[SourceFilters, Depends(source_filters)],
    page: PageDep,
    fmt: ListFormatDep,
    known_at: KnownAt = None,
) -> Page[SourceSummary] | StreamingResponse:
    """The articles facts are quoted from, without their text. Sorts: `published_on`
    (default), `slug`, `id`. Facets: `reported_by`, `published_on`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: sources.list_sources(session=session, filters=filters, known_at=known_at, page=p),
        SourceSummary,
    )


@router.get(
    "/{id_or_slug}",
    summary="Get a source",
    response_model=SourcePublic,
    responses=problem_responses(404, 422),
)
def get_source(
    id_or_slug: Annotated[
        str,
        Path(
            max_length=200,
            pattern=SLUG_PATTERN,
            description="The source's integer id or its slug.",
            examples=["1", "2025-11-14-honda-nissan"],
        ),
    ],
    session: SessionDep,
    known_at: KnownAt = None,
) -> SourcePublic:
    """One source with its full text, which every citation's offsets point into."""
    return sources.get_source(session=session, id_or_slug=id_or_slug, known_at=known_at)
