from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.api.deps import SLUG_PATTERN, CompanySlug, PageDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.include import include_param
from app.core.pagination import Page, set_link_header
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
    responses=problem_responses(422),
)
def list_executives(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[ExecutiveFilters, Depends(executive_filters)],
    as_of: AsOfDep,
    page: PageDep,
    include: ExecutiveInclude,
) -> Page[ExecutivePublic]:
    """Executives, filtered by a role's company or title; sort by `name` (default), `slug`
    or `id`."""
    result = executives.list_executives(
        session=session, filters=filters, as_of=as_of, page=page, include=include
    )
    set_link_header(request, response, result.next_cursor)
    return result


@router.get(
    "/v1/executives/{slug}",
    summary="Get an executive",
    response_model=ExecutivePublic,
    responses=problem_responses(404, 422),
)
def get_executive(slug: ExecutiveSlug, session: SessionDep, as_of: AsOfDep) -> ExecutivePublic:
    """One executive with the roles that answer `valid_at`/`known_at`, and their quotes."""
    return executives.get_executive(session=session, slug=slug, as_of=as_of)


@router.get(
    "/v1/companies/{slug}/executives",
    summary="List a company's executives",
    response_model=Page[CompanyExecutivePublic],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_executives(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
    include: RoleInclude,
) -> Page[CompanyExecutivePublic]:
    """Who holds which role at the company, one item per role; sort by role `id` (default,
    the order roles were recorded) or `title`."""
    result = executives.list_company_executives(
        session=session, slug=slug, as_of=as_of, page=page, include=include
    )
    set_link_header(request, response, result.next_cursor)
    return result
