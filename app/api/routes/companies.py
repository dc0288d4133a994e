from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import CompanySlug, PageDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page
from app.core.temporal import AsOfDep
from app.models import Certainty
from app.models.company import CompanyPublic
from app.services import companies
from app.services.companies import CompanyFilters

router = APIRouter(prefix="/v1/companies", tags=["companies"])

CompanyInclude = Annotated[frozenset[str], Depends(include_param("citations"))]


def company_filters(
    country: Annotated[
        str | None,
        Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.", examples=["JP"]),
    ] = None,
    kind: Annotated[
        str | None, Query(max_length=40, description="automaker, media, …", examples=["automaker"])
    ] = None,
    certainty: Annotated[Certainty | None, Query(description="How sure the source is.")] = None,
) -> CompanyFilters:
    return CompanyFilters(country=country, kind=kind, certainty=certainty)


@router.get(
    "",
    summary="List companies",
    response_model=Page[CompanyPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_companies(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[CompanyFilters, Depends(company_filters)],
    as_of: AsOfDep,
    page: PageDep,
    include: CompanyInclude,
    fmt: ListFormatDep,
) -> Page[CompanyPublic] | StreamingResponse:
    """Companies, filtered by country, kind or certainty. Sorts: `name` (default), `slug`,
    `id`. Facets: `country`, `kind`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: companies.list_companies(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        CompanyPublic,
    )


@router.get(
    "/{slug}",
    summary="Get a company",
    response_model=CompanyPublic,
    responses=problem_responses(404, 422),
)
def get_company(slug: CompanySlug, session: SessionDep, as_of: AsOfDep) -> CompanyPublic:
    """One company with the quotes that back it."""
    return companies.get_company(session=session, slug=slug, as_of=as_of)
