from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    SLUG_PATTERN,
    ActorDep,
    IdempotencyDep,
    IfMatch,
    WriteSessionDep,
    example_body,
    to_response,
)
from app.core.dates import Day
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etags import etag_of
from app.core.formats import ListFormatDep, list_response, list_responses
from app.core.pagination import Page, PageParams, page_params
from app.core.routing import ReadRoute
from app.core.threads import indexed_read
from app.models.source import SourceCreate, SourceFilters, SourcePublic, SourceSummary, SourceUpdate
from app.services import sources

router = APIRouter(route_class=ReadRoute, prefix="/v1/sources", tags=["sources"])


# A source is a document, not a fact: it has no valid time, only the day it was published.
KnownAt = Annotated[
    Day | None,
    Query(
        description="Only sources published on or before this date (YYYY-MM-DD).",
        examples=["2025-11-14"],
    ),
]


SourceIdOrSlug = Annotated[
    str,
    Path(
        max_length=200,
        pattern=SLUG_PATTERN,
        description="The source's integer id or its slug.",
        examples=["1", "2025-11-14-honda-nissan"],
    ),
]


async def source_filters(
    reported_by: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only sources reporting what this outlet said, exactly.",
            examples=["Nikkei Asia"],
        ),
    ] = None,
) -> SourceFilters:
    return SourceFilters(reported_by=reported_by)


@router.get(
    "",
    summary="List sources",
    response_model=Page[SourceSummary],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[SourceFilters, Depends(source_filters)],
    page: Annotated[PageParams, Depends(page_params(sources.SOURCE_LIST))],
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
@indexed_read
def get_source(
    id_or_slug: SourceIdOrSlug, response: Response, session: SessionDep, known_at: KnownAt = None
) -> SourcePublic:
    """One source with its full text, which every citation's offsets point into."""
    source = sources.get_source(session=session, id_or_slug=id_or_slug, known_at=known_at)
    response.headers["ETag"] = etag_of(source)
    return source


@router.post(
    "",
    summary="Add a source",
    status_code=201,
    response_model=SourcePublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_source(
    payload: Annotated[SourceCreate, example_body(SourceCreate)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an article, its full text inline, so that facts can quote it. Its slug and its
    text (by sha256) must be new: 409 otherwise. Returns it with `Location`."""
    return to_response(
        sources.create_source(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{id_or_slug}",
    summary="Amend a source's metadata",
    response_model=SourcePublic,
    responses=problem_responses(401, 404, 412, 413, 422),
)
def update_source(
    id_or_slug: SourceIdOrSlug,
    patch: Annotated[SourceUpdate, example_body(SourceUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch to `title`, `publisher`, `url` or `reported_by`. The text
    and `published_on` never change (quotes point into the text): a `text` field is a 422."""
    return to_response(
        sources.update_source(
            session=session, actor=actor, id_or_slug=id_or_slug, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/{id_or_slug}",
    summary="Delete a source",
    status_code=204,
    responses=problem_responses(401, 404, 409, 412, 422),
)
def delete_source(
    id_or_slug: SourceIdOrSlug, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Delete a source that no fact cites, current or past (409 otherwise), and its search
    entry."""
    return to_response(
        sources.delete_source(
            session=session, actor=actor, id_or_slug=id_or_slug, if_match=if_match
        )
    )
