from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
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
from app.models import Certainty, PartnershipStatus
from app.models.partnership import (
    PartnershipDetail,
    PartnershipFilters,
    PartnershipIn,
    PartnershipMemberIn,
    PartnershipPublic,
    PartnershipScopeUpdate,
    PartnershipUpdate,
    ScopeIn,
    StatusChangeIn,
)
from app.services import partnerships

router = APIRouter(route_class=ReadRoute, tags=["partnerships"])

PartnershipInclude = Annotated[frozenset[str], Depends(include_param("members", "citations"))]

# The seed's U.S. talks: the partnership with a scope, examples of its own included.
PartnershipId = Annotated[int, row_id("The partnership's id.", example=3), UrlInteger]
ScopeId = Annotated[
    int,
    row_id("The scope row's id, as the partnership's `scope` or `excluded` lists it.", example=7),
    UrlInteger,
]


async def partnership_filters(
    status: Annotated[
        PartnershipStatus | None,
        Query(
            description="Only partnerships with this status; with `valid_at`, `known_at` or "
            "`as_of`, the status they had then.",
            examples=["in_talks"],
        ),
    ] = None,
    member: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SLUG_PATTERN,
            description="Only partnerships this company (its slug) is a member of.",
            examples=["nissan"],
        ),
    ] = None,
    certainty: Annotated[Certainty | None, Query(description="How sure the source is.")] = None,
) -> PartnershipFilters:
    return PartnershipFilters(status=status, member=member, certainty=certainty)


FiltersDep = Annotated[PartnershipFilters, Depends(partnership_filters)]


@router.get(
    "/v1/partnerships",
    summary="List partnerships",
    response_model=Page[PartnershipPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_partnerships(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: FiltersDep,
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(partnerships.PARTNERSHIP_LIST))],
    include: PartnershipInclude,
    fmt: ListFormatDep,
) -> Page[PartnershipPublic] | StreamingResponse:
    """Partnerships, filtered by status, member or certainty. Sorts: `id` (default),
    `title`. Facets: `status`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: partnerships.list_partnerships(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        PartnershipPublic,
    )


@router.get(
    "/v1/partnerships/{partnership_id}",
    summary="Get a partnership",
    response_model=PartnershipDetail,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_partnership(
    partnership_id: PartnershipId, response: Response, session: SessionDep, as_of: AsOfDep
) -> PartnershipDetail:
    """One partnership with its members, scope, exclusions, status history and quotes."""
    partnership = partnerships.get_partnership(
        session=session, partnership_id=partnership_id, as_of=as_of
    )
    response.headers["ETag"] = etag_of(partnership)
    return partnership


@router.get(
    "/v1/companies/{slug}/partnerships",
    summary="List a company's partnerships",
    response_model=Page[PartnershipPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
@indexed_read
def list_company_partnerships(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: FiltersDep,
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(partnerships.PARTNERSHIP_LIST))],
    include: PartnershipInclude,
    fmt: ListFormatDep,
) -> Page[PartnershipPublic] | StreamingResponse:
    """Partnerships the company is a member of, with the partnership list's filters.
    Sorts: `id` (default), `title`. Facets: `status`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: partnerships.list_company_partnerships(
            session=session, slug=slug, filters=filters, as_of=as_of, page=p, include=include
        ),
        PartnershipPublic,
    )


# -- writes: every one answers with (or retracts from) the partnership's detail -------------


@router.post(
    "/v1/partnerships",
    summary="Create a partnership",
    status_code=201,
    response_model=PartnershipDetail,
    responses=problem_responses(401, 409, 413, 422),
)
def create_partnership(
    payload: Annotated[PartnershipIn, example_body(PartnershipIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a partnership with its members, dated statuses (at least one; the latest is its
    status), scope and exclusions; every quote must be found in its source. An `ended_on`
    certainly before one of the statuses began is a 422 naming `ended_on`."""
    return to_response(
        partnerships.create_partnership(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/v1/partnerships/{partnership_id}",
    summary="Correct a partnership",
    response_model=PartnershipDetail,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_partnership(
    partnership_id: PartnershipId,
    patch: Annotated[PartnershipUpdate, example_body(PartnershipUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`. The
    status changes through `POST /v1/partnerships/{id}/statuses`, not here."""
    return to_response(
        partnerships.update_partnership(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/v1/partnerships/{partnership_id}",
    summary="Retract a partnership",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_partnership(
    partnership_id: PartnershipId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a partnership with its members, statuses and scope; it stays in the history."""
    return to_response(
        partnerships.delete_partnership(
            session=session, actor=actor, partnership_id=partnership_id, if_match=if_match
        )
    )


@router.post(
    "/v1/partnerships/{partnership_id}/statuses",
    summary="Change a partnership's status",
    status_code=201,
    response_model=PartnershipDetail,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def add_partnership_status(
    partnership_id: PartnershipId,
    payload: Annotated[StatusChangeIn, example_body(StatusChangeIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a dated status (`valid_from` is required): the current status ends on that date,
    and `valid_at`/`known_at`/`as_of` before it still answer the old one. 409 if it is the status
    already, if `valid_from` is not after the current status began, or if it is certainly
    after the partnership's `ended_on`."""
    return to_response(
        partnerships.add_status(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            payload=payload,
            idempotency=idempotency,
        )
    )


@router.post(
    "/v1/partnerships/{partnership_id}/members",
    summary="Add a member to a partnership",
    status_code=201,
    response_model=PartnershipDetail,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def add_partnership_member(
    partnership_id: PartnershipId,
    payload: Annotated[PartnershipMemberIn, example_body(PartnershipMemberIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a company (by slug) as a member; 409 if it is one already."""
    return to_response(
        partnerships.add_member(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            payload=payload,
            idempotency=idempotency,
        )
    )


@router.delete(
    "/v1/partnerships/{partnership_id}/members/{company_slug}",
    summary="Retract a partnership member",
    status_code=204,
    responses=problem_responses(401, 404, 409, 412, 422),
)
def delete_partnership_member(
    partnership_id: PartnershipId,
    company_slug: CompanySlug,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a membership (`If-Match`: the partnership's ETag); 409 for its last member."""
    return to_response(
        partnerships.delete_member(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            company_slug=company_slug,
            if_match=if_match,
        )
    )


@router.post(
    "/v1/partnerships/{partnership_id}/scope",
    summary="Add a scope area or exclusion",
    status_code=201,
    response_model=PartnershipDetail,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def add_partnership_scope(
    partnership_id: PartnershipId,
    payload: Annotated[ScopeIn, example_body(ScopeIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an area the partnership covers, or (certainty `excluded`) rules out; 409 if it
    states that area already."""
    return to_response(
        partnerships.add_scope(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            payload=payload,
            idempotency=idempotency,
        )
    )


@router.patch(
    "/v1/partnerships/{partnership_id}/scope/{scope_id}",
    summary="Correct a scope area",
    response_model=PartnershipDetail,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_partnership_scope(
    partnership_id: PartnershipId,
    scope_id: ScopeId,
    patch: Annotated[PartnershipScopeUpdate, example_body(PartnershipScopeUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch to one scope row (`If-Match`: the partnership's ETag); the
    previous values stay answerable with `as_of`."""
    return to_response(
        partnerships.update_scope(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            scope_id=scope_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/v1/partnerships/{partnership_id}/scope/{scope_id}",
    summary="Retract a scope area",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_partnership_scope(
    partnership_id: PartnershipId,
    scope_id: ScopeId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw one scope row (`If-Match`: the partnership's ETag); it stays in the history."""
    return to_response(
        partnerships.delete_scope(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            scope_id=scope_id,
            if_match=if_match,
        )
    )
