from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import SLUG_PATTERN, CompanySlug, PageDep
from app.core.db import SessionDep
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page
from app.core.temporal import AsOfDep
from app.models.executive import CompanyExecutivePublic, ExecutivePublic
from app.services import executives
from app.services.executives import ExecutiveFilters

router = APIRouter(tags=["executives"])

# PostgreSQL refuses NUL in text (a 500 otherwise), and no title holds a control character.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

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


def executive_filters(
    company: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SLUG_PATTERN,
            description="Only executives with a role at this company (its slug) that answers "
            "`valid_at`/`known_at`.",
            examples=["nissan"],
        ),
    ] = None,
    title: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=PRINTABLE,
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
    page: PageDep,
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
    responses=list_responses(404),
)
def get_executive(slug: ExecutiveSlug, session: SessionDep, as_of: AsOfDep) -> ExecutivePublic:
    """One executive with the roles that answer `valid_at`/`known_at`, and their quotes."""
    return executives.get_executive(session=session, slug=slug, as_of=as_of)


@router.get(
    "/v1/companies/{slug}/executives",
    summary="List a company's executives",
    response_model=Page[CompanyExecutivePublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
def list_company_executives(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
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
