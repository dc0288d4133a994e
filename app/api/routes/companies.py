from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    ActorDep,
    CompanySlug,
    IdempotencyDep,
    IfMatch,
    WriteSessionDep,
    example_body,
    to_response,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etags import etag_of
from app.core.formats import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page, PageParams, page_params
from app.core.routing import ReadRoute
from app.core.temporal import AsOfDep
from app.core.threads import indexed_read
from app.models import Certainty
from app.models.company import CompanyFilters, CompanyIn, CompanyPublic, CompanyUpdate
from app.services import companies

router = APIRouter(route_class=ReadRoute, prefix="/v1/companies", tags=["companies"])

CompanyInclude = Annotated[frozenset[str], Depends(include_param("citations"))]


async def company_filters(
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
    page: Annotated[PageParams, Depends(page_params(companies.COMPANY_LIST))],
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
@indexed_read
def get_company(
    slug: CompanySlug, response: Response, session: SessionDep, as_of: AsOfDep
) -> CompanyPublic:
    """One company with the quotes that back it."""
    company = companies.get_company(session=session, slug=slug, as_of=as_of)
    response.headers["ETag"] = etag_of(company)
    return company


@router.post(
    "",
    summary="Create a company",
    status_code=201,
    response_model=CompanyPublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_company(
    payload: Annotated[CompanyIn, example_body(CompanyIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a company; every quote must be found in its source. Returns it with `Location`."""
    return to_response(
        companies.create_company(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{slug}",
    summary="Correct a company",
    response_model=CompanyPublic,
    responses=problem_responses(401, 404, 412, 413, 422),
)
def update_company(
    slug: CompanySlug,
    patch: Annotated[CompanyUpdate, example_body(CompanyUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`."""
    return to_response(
        companies.update_company(
            session=session, actor=actor, slug=slug, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/{slug}",
    summary="Retract a company",
    status_code=204,
    responses=problem_responses(401, 404, 409, 412, 422),
)
def delete_company(
    slug: CompanySlug, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Withdraw a company (it has no current facts left); it stays in the history."""
    return to_response(
        companies.delete_company(session=session, actor=actor, slug=slug, if_match=if_match)
    )
