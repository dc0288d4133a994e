from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import SLUG_PATTERN, CompanySlug, PageDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page
from app.core.temporal import AsOfDep
from app.models import Certainty, PartnershipStatus
from app.models.partnership import PartnershipDetail, PartnershipPublic
from app.services import partnerships
from app.services.partnerships import PartnershipFilters

router = APIRouter(tags=["partnerships"])

PartnershipInclude = Annotated[frozenset[str], Depends(include_param("members", "citations"))]

PartnershipId = Annotated[
    int,
    Path(ge=1, le=2**31 - 1, description="The partnership's id.", examples=[1]),
]


def partnership_filters(
    status: Annotated[
        PartnershipStatus | None,
        Query(
            description="Only partnerships with this status; with `valid_at` or `known_at`, "
            "the status they had then.",
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
    page: PageDep,
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
    responses=list_responses(404),
)
def get_partnership(
    partnership_id: PartnershipId, session: SessionDep, as_of: AsOfDep
) -> PartnershipDetail:
    """One partnership with its members, scope, exclusions, status history and quotes."""
    return partnerships.get_partnership(session=session, partnership_id=partnership_id, as_of=as_of)


@router.get(
    "/v1/companies/{slug}/partnerships",
    summary="List a company's partnerships",
    response_model=Page[PartnershipPublic],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_partnerships(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: FiltersDep,
    as_of: AsOfDep,
    page: PageDep,
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
