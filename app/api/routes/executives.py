from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    SLUG_PATTERN,
    ActorDep,
    CompanySlug,
    IdempotencyDep,
    IfMatch,
    WriteSessionDep,
    example_body,
    row_id,
    to_response,
)
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
from app.models.executive import (
    CompanyExecutivePublic,
    ExecutiveFilters,
    ExecutiveIn,
    ExecutivePublic,
    ExecutiveRoleDetail,
    ExecutiveRoleUpdate,
    ExecutiveUpdate,
    RoleIn,
)
from app.services import executives

router = APIRouter(route_class=ReadRoute, tags=["executives"])


ExecutiveInclude = Annotated[frozenset[str], Depends(include_param("roles", "citations"))]
RoleInclude = Annotated[frozenset[str], Depends(include_param("citations"))]

ExecutiveSlug = Annotated[
    str,
    Path(
        max_length=100,
        pattern=SLUG_PATTERN,
        description="The executive's slug.",
        examples=["ivan-espinosa"],
    ),
]

RoleId = Annotated[int, row_id("The role's id."), UrlInteger]


async def executive_filters(
    company: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SLUG_PATTERN,
            description="Only executives with a role at this company (its slug) that answers "
            "`valid_at`/`known_at`/`as_of`.",
            examples=["nissan"],
        ),
    ] = None,
    title: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only executives with a role of this exact title.",
            examples=["CEO"],
        ),
    ] = None,
) -> ExecutiveFilters:
    return ExecutiveFilters(company=company, title=title)


@router.get(
    "/v1/executives",
    summary="List executives",
    response_model=Page[ExecutivePublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_executives(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[ExecutiveFilters, Depends(executive_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(executives.EXECUTIVE_LIST))],
    include: ExecutiveInclude,
    fmt: ListFormatDep,
) -> Page[ExecutivePublic] | StreamingResponse:
    """Executives, filtered by a role's company or title. Sorts: `name` (default), `slug`,
    `id`. Facets: `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: executives.list_executives(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        ExecutivePublic,
    )


@router.get(
    "/v1/executives/{slug}",
    summary="Get an executive",
    response_model=ExecutivePublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_executive(
    slug: ExecutiveSlug, response: Response, session: SessionDep, as_of: AsOfDep
) -> ExecutivePublic:
    """One executive with the roles that answer `valid_at`/`known_at`/`as_of`, and their quotes."""
    executive = executives.get_executive(session=session, slug=slug, as_of=as_of)
    response.headers["ETag"] = etag_of(executive)
    return executive


@router.post(
    "/v1/executives",
    summary="Create an executive",
    status_code=201,
    response_model=ExecutivePublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_executive(
    payload: Annotated[ExecutiveIn, example_body(ExecutiveIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an executive and the roles listed with it (at stored companies); every quote
    must be found in its source. Returns it with `Location`."""
    return to_response(
        executives.create_executive(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/v1/executives/{slug}",
    summary="Correct an executive",
    response_model=ExecutivePublic,
    responses=problem_responses(401, 404, 412, 413, 422),
)
def update_executive(
    slug: ExecutiveSlug,
    patch: Annotated[ExecutiveUpdate, example_body(ExecutiveUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch to `name`, `certainty` or `citations` (the slug never
    changes); the previous values stay answerable with `as_of`."""
    return to_response(
        executives.update_executive(
            session=session, actor=actor, slug=slug, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/v1/executives/{slug}",
    summary="Retract an executive",
    status_code=204,
    responses=problem_responses(401, 404, 409, 412, 422),
)
def delete_executive(
    slug: ExecutiveSlug, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Withdraw an executive whose roles are all retracted (409 otherwise); it stays in the
    history."""
    return to_response(
        executives.delete_executive(session=session, actor=actor, slug=slug, if_match=if_match)
    )


@router.get(
    "/v1/executives/{slug}/roles/{role_id}",
    summary="Get a role",
    response_model=ExecutiveRoleDetail,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_role(
    slug: ExecutiveSlug, role_id: RoleId, response: Response, session: SessionDep, as_of: AsOfDep
) -> ExecutiveRoleDetail:
    """One of the executive's roles, with its company and quotes, as of
    `valid_at`/`known_at`/`as_of`."""
    role = executives.get_role(session=session, slug=slug, role_id=role_id, as_of=as_of)
    response.headers["ETag"] = etag_of(role)
    return role


@router.post(
    "/v1/executives/{slug}/roles",
    summary="Add a role",
    status_code=201,
    response_model=ExecutiveRoleDetail,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def create_role(
    slug: ExecutiveSlug,
    payload: Annotated[RoleIn, example_body(RoleIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a title the executive holds at a stored company (`company` is its slug), from
    `started_on` until `ended_on` (exclusive), each as precise as the source. Returns it
    with `Location`."""
    return to_response(
        executives.create_role(
            session=session, actor=actor, slug=slug, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/v1/executives/{slug}/roles/{role_id}",
    summary="Correct a role",
    response_model=ExecutiveRoleDetail,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_role(
    slug: ExecutiveSlug,
    role_id: RoleId,
    patch: Annotated[ExecutiveRoleUpdate, example_body(ExecutiveRoleUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch to `title`, `started_on`, `ended_on`, `certainty` or
    `citations`; the previous values stay answerable with `as_of`."""
    return to_response(
        executives.update_role(
            session=session,
            actor=actor,
            slug=slug,
            role_id=role_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/v1/executives/{slug}/roles/{role_id}",
    summary="Retract a role",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_role(
    slug: ExecutiveSlug,
    role_id: RoleId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a role; it stays answerable with `as_of` for the days it was said."""
    return to_response(
        executives.delete_role(
            session=session, actor=actor, slug=slug, role_id=role_id, if_match=if_match
        )
    )


@router.get(
    "/v1/companies/{slug}/executives",
    summary="List a company's executives",
    response_model=Page[CompanyExecutivePublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
@indexed_read
def list_company_executives(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(executives.COMPANY_EXECUTIVE_LIST))],
    include: RoleInclude,
    fmt: ListFormatDep,
) -> Page[CompanyExecutivePublic] | StreamingResponse:
    """Who holds which role at the company, one item per role. Sorts: role `id` (default,
    the order roles were recorded), `title`. Facets: `title`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: executives.list_company_executives(
            session=session, slug=slug, as_of=as_of, page=p, include=include
        ),
        CompanyExecutivePublic,
    )
