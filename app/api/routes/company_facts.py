"""What one company faces or owns: tariff impacts, restructuring plans, results, plants."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import CompanySlug, PageDep
from app.api.routes.restructuring_plans import TargetYear
from app.core.db import SessionDep
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page
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
    responses=list_responses(404),
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
    fmt: ListFormatDep,
) -> Page[TariffImpactPublicWithTariff] | StreamingResponse:
    """What tariffs cost the company, filtered by fiscal year or metric. Sorts: `id`
    (default), `fiscal_year`. Facets: `fiscal_year`, `metric`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: tariffs.list_company_impacts(
            session=session, slug=slug, filters=filters, as_of=as_of, page=p, include=include
        ),
        TariffImpactPublicWithTariff,
    )


@router.get(
    "/{slug}/restructuring-plans",
    summary="List a company's restructuring plans",
    response_model=Page[RestructuringPlanPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
def list_company_restructuring_plans(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
    fmt: ListFormatDep,
    target_year: TargetYear = None,
) -> Page[RestructuringPlanPublic] | StreamingResponse:
    """The company's restructuring plans, filtered by target year. Sorts: `id`. Facets:
    `target_year`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: company_facts.list_company_restructuring_plans(
            session=session,
            slug=slug,
            target_year=target_year,
            as_of=as_of,
            page=p,
            include=include,
        ),
        RestructuringPlanPublic,
    )


@router.get(
    "/{slug}/financial-results",
    summary="List a company's financial results",
    response_model=Page[FinancialResultPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
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
    fmt: ListFormatDep,
) -> Page[FinancialResultPublic] | StreamingResponse:
    """The company's reported results, filtered by metric or period. Sorts: `id` (default),
    `period`. Facets: `metric`, `period`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: company_facts.list_company_financial_results(
            session=session, slug=slug, filters=filters, as_of=as_of, page=p, include=include
        ),
        FinancialResultPublic,
    )


@router.get(
    "/{slug}/plants",
    summary="List a company's plants",
    response_model=Page[PlantPublic],
    response_model_exclude_unset=True,
    responses=list_responses(404),
)
def list_company_plants(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: PageDep,
    include: CitationsInclude,
    fmt: ListFormatDep,
) -> Page[PlantPublic] | StreamingResponse:
    """The company's plants. Sorts: `id` (default), `name`. Facets: `country`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: company_facts.list_company_plants(
            session=session, slug=slug, as_of=as_of, page=p, include=include
        ),
        PlantPublic,
    )
