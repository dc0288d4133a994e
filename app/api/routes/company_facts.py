"""What one company faces or owns: tariff impacts, restructuring plans, results, plants."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.deps import CompanySlug, PageDep
from app.api.routes.restructuring_plans import TargetYear
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.include import include_param
from app.core.pagination import Page, set_link_header
from app.core.temporal import AsOfDep
from app.models.company_facts import FinancialResultPublic, PlantPublic, RestructuringPlanPublic
from app.models.tariff import TariffImpactPublicWithTariff
from app.services import company_facts, tariffs
from app.services.company_facts import ResultFilters
from app.services.tariffs import ImpactFilters

router = APIRouter(prefix="/v1/companies", tags=["companies"])

CitationsInclude = Annotated[frozenset[str], Depends(include_param("citations"))]


def impact_filters(
    fiscal_year: Annotated[
        str | None,
        Query(
            max_length=20, description="The fiscal year, as the source names it.", examples=["2025"]
        ),
    ] = None,
    metric: Annotated[
        str | None,
        Query(
            max_length=40, description="What the tariff hits, e.g. `profit`.", examples=["profit"]
        ),
    ] = None,
) -> ImpactFilters:
    return ImpactFilters(fiscal_year=fiscal_year, metric=metric)


def result_filters(
    metric: Annotated[
        str | None,
        Query(max_length=40, description="`loss`, `net_loss`, `revenue`, …", examples=["loss"]),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The reporting period, as the source names it.",
            examples=["2025"],
        ),
    ] = None,
) -> ResultFilters:
    return ResultFilters(metric=metric, period=period)


@router.get(
    "/{slug}/tariff-impacts",
    summary="List a company's tariff impacts",
    response_model=Page[TariffImpactPublicWithTariff],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_tariff_impacts(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: Annotated[ImpactFilters, Depends(impact_filters)],
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
) -> Page[TariffImpactPublicWithTariff]:
    """What tariffs cost the company, filtered by fiscal year or metric; sort by `id`
    (default) or `fiscal_year`."""
    result = tariffs.list_company_impacts(
        session=session, slug=slug, filters=filters, as_of=as_of, page=page, include=include
    )
    set_link_header(request, response, result.next_cursor)
    return result


@router.get(
    "/{slug}/restructuring-plans",
    summary="List a company's restructuring plans",
    response_model=Page[RestructuringPlanPublic],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_restructuring_plans(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
    target_year: TargetYear = None,
) -> Page[RestructuringPlanPublic]:
    """The company's restructuring plans, filtered by target year; sort by `id` (default)
    or `target_year` (plans that state none come after every year)."""
    result = company_facts.list_company_restructuring_plans(
        session=session,
        slug=slug,
        target_year=target_year,
        as_of=as_of,
        page=page,
        include=include,
    )
    set_link_header(request, response, result.next_cursor)
    return result


@router.get(
    "/{slug}/financial-results",
    summary="List a company's financial results",
    response_model=Page[FinancialResultPublic],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_financial_results(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: Annotated[ResultFilters, Depends(result_filters)],
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
) -> Page[FinancialResultPublic]:
    """The company's reported results, filtered by metric or period; sort by `id` (default)
    or `period`."""
    result = company_facts.list_company_financial_results(
        session=session, slug=slug, filters=filters, as_of=as_of, page=page, include=include
    )
    set_link_header(request, response, result.next_cursor)
    return result


@router.get(
    "/{slug}/plants",
    summary="List a company's plants",
    response_model=Page[PlantPublic],
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def list_company_plants(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
) -> Page[PlantPublic]:
    """The company's plants; sort by `id` (default) or `name`."""
    result = company_facts.list_company_plants(
        session=session, slug=slug, as_of=as_of, page=page, include=include
    )
    set_link_header(request, response, result.next_cursor)
    return result
