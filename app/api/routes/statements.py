from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    SLUG_PATTERN,
    ActorDep,
    IdempotencyDep,
    IfMatch,
    WriteSessionDep,
    example_body,
    row_id,
    to_response,
)
from app.api.routes.executives import ExecutiveSlug
from app.api.routes.partnerships import PartnershipId
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etags import etag_of
from app.core.fields import UrlInteger
from app.core.formats import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page, PageParams, page_params
from app.core.routing import ReadRoute
from app.core.temporal import AsOfDep
from app.core.threads import indexed_read
from app.models.statement import StatementFilters, StatementIn, StatementPublic, StatementUpdate
from app.services import statements

router = APIRouter(route_class=ReadRoute, tags=["statements"])

StatementInclude = Annotated[frozenset[str], Depends(include_param("citations"))]
StatementPage = Annotated[PageParams, Depends(page_params(statements.STATEMENT_LIST))]

StatementId = Annotated[int, row_id("The statement's id."), UrlInteger]


def _slug_query(description: str, example: str, max_length: int = 100) -> object:
    return Query(
        max_length=max_length, pattern=SLUG_PATTERN, description=description, examples=[example]
    )


async def statement_filters(
    speaker_executive: Annotated[
        str | None, _slug_query("Said by this executive (slug).", "ivan-espinosa")
    ] = None,
    speaker_company: Annotated[
        str | None, _slug_query("Said by this company, speaking as itself (slug).", "nissan")
    ] = None,
    about_partnership: Annotated[
        str | None,
        _slug_query("About this partnership (slug).", "honda-nissan-us-collaboration", 200),
    ] = None,
    about_company: Annotated[
        str | None, _slug_query("About this company (slug).", "nissan")
    ] = None,
) -> StatementFilters:
    return StatementFilters(
        speaker_executive=speaker_executive,
        speaker_company=speaker_company,
        about_partnership=about_partnership,
        about_company=about_company,
    )


Filters = Annotated[StatementFilters, Depends(statement_filters)]


@router.get(
    "/v1/statements",
    summary="List statements",
    response_model=Page[StatementPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_statements(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Filters,
    as_of: AsOfDep,
    page: StatementPage,
    include: StatementInclude,
    fmt: ListFormatDep,
) -> Page[StatementPublic] | StreamingResponse:
    """What executives and companies said, each with its verbatim quote, filtered by speaker
    or by what it is about. Sorts: `id`. Facets: `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: statements.list_statements(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        StatementPublic,
    )


@router.get(
    "/v1/executives/{slug}/statements",
    summary="List an executive's statements",
    response_model=Page[StatementPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
@indexed_read
def list_executive_statements(
    slug: ExecutiveSlug,
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Filters,
    as_of: AsOfDep,
    page: StatementPage,
    include: StatementInclude,
    fmt: ListFormatDep,
) -> Page[StatementPublic] | StreamingResponse:
    """What the executive said. Sorts: `id`. Facets: `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: statements.list_executive_statements(
            session=session, slug=slug, filters=filters, as_of=as_of, page=p, include=include
        ),
        StatementPublic,
    )


@router.get(
    "/v1/partnerships/{partnership_id}/statements",
    summary="List the statements about a partnership",
    response_model=Page[StatementPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
@indexed_read
def list_partnership_statements(
    partnership_id: PartnershipId,
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Filters,
    as_of: AsOfDep,
    page: StatementPage,
    include: StatementInclude,
    fmt: ListFormatDep,
) -> Page[StatementPublic] | StreamingResponse:
    """What was said about the partnership. Sorts: `id`. Facets: `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: statements.list_partnership_statements(
            session=session,
            partnership_id=partnership_id,
            filters=filters,
            as_of=as_of,
            page=p,
            include=include,
        ),
        StatementPublic,
    )


@router.get(
    "/v1/statements/{statement_id}",
    summary="Get a statement",
    response_model=StatementPublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_statement(
    statement_id: StatementId, response: Response, session: SessionDep, as_of: AsOfDep
) -> StatementPublic:
    """One statement with the quotes that back it."""
    found = statements.get_statement(session=session, statement_id=statement_id, as_of=as_of)
    response.headers["ETag"] = etag_of(found)
    return found


@router.post(
    "/v1/statements",
    summary="Create a statement",
    status_code=201,
    response_model=StatementPublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_statement(
    payload: Annotated[StatementIn, example_body(StatementIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add what an executive or a company said: the `quote` must be found, verbatim, in one
    of its citations, and every citation in its source. The same words of the same speaker
    in the same source are the same statement: posting them again is a 409. Returns it with
    `Location`."""
    return to_response(
        statements.create_statement(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/v1/statements/{statement_id}",
    summary="Correct a statement",
    response_model=StatementPublic,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_statement(
    statement_id: StatementId,
    patch: Annotated[StatementUpdate, example_body(StatementUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`."""
    return to_response(
        statements.update_statement(
            session=session, actor=actor, statement_id=statement_id, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/v1/statements/{statement_id}",
    summary="Retract a statement",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_statement(
    statement_id: StatementId, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Withdraw a statement; it stays in the history."""
    return to_response(
        statements.delete_statement(
            session=session, actor=actor, statement_id=statement_id, if_match=if_match
        )
    )
