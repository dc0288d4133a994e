"""What one company faces or owns: tariff impacts, restructuring plans, results, plants.

Financial results and plants are written under their company's URL. Their create bodies
are the facts file's entries (``ResultIn``, ``PlantIn``) unchanged, so ``company`` is in
the body too and must be the URL's slug (a 422 naming ``body.company`` otherwise); the
company of a stored result or plant never changes.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    ActorDep,
    CompanySlug,
    IdempotencyDep,
    IfMatch,
    WriteSessionDep,
    company_slug,
    example_body,
    row_id,
    to_response,
)
from app.api.routes.restructuring_plans import TargetYear
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
from app.models.company_facts import (
    FinancialResultPublic,
    FinancialResultUpdate,
    PlantIn,
    PlantPublic,
    PlantUpdate,
    RestructuringPlanPublic,
    ResultFilters,
    ResultIn,
)
from app.models.tariff import ImpactFilters, TariffImpactPublicWithTariff
from app.services import company_facts, tariffs

router = APIRouter(route_class=ReadRoute, prefix="/v1/companies", tags=["companies"])

CitationsInclude = Annotated[frozenset[str], Depends(include_param("citations"))]

ResultId = Annotated[int, row_id("The financial result's id."), UrlInteger]
PlantId = Annotated[int, row_id("The plant's id."), UrlInteger]
# The seed's one plant is Honda's: the plants' operations take it as their example.
PlantOwnerSlug = Annotated[str, company_slug("honda")]


async def impact_filters(
    fiscal_year: Annotated[
        str | None,
        Query(
            max_length=20,
            description="The fiscal year, as the source names it.",
            examples=["FY2025"],
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


async def result_filters(
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
@indexed_read
def list_company_tariff_impacts(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: Annotated[ImpactFilters, Depends(impact_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(tariffs.IMPACT_LIST))],
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
@indexed_read
def list_company_restructuring_plans(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(company_facts.PLAN_LIST))],
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
@indexed_read
def list_company_financial_results(
    request: Request,
    response: Response,
    slug: CompanySlug,
    session: SessionDep,
    filters: Annotated[ResultFilters, Depends(result_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(company_facts.RESULT_LIST))],
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
@indexed_read
def list_company_plants(
    request: Request,
    response: Response,
    slug: PlantOwnerSlug,
    session: SessionDep,
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(company_facts.PLANT_LIST))],
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


# -- financial results: one, and writes --------------------------------------------------------


@router.get(
    "/{slug}/financial-results/{result_id}",
    summary="Get a company's financial result",
    response_model=FinancialResultPublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_financial_result(
    slug: CompanySlug,
    result_id: ResultId,
    response: Response,
    session: SessionDep,
    as_of: AsOfDep,
) -> FinancialResultPublic:
    """One reported result of the company, with the quotes that back it."""
    result = company_facts.get_financial_result(
        session=session, slug=slug, result_id=result_id, as_of=as_of
    )
    response.headers["ETag"] = etag_of(result)
    return result


@router.post(
    "/{slug}/financial-results",
    summary="Add a financial result to a company",
    status_code=201,
    response_model=FinancialResultPublic,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def create_financial_result(
    slug: CompanySlug,
    payload: Annotated[ResultIn, example_body(ResultIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a reported result; `company` in the body must be the URL's. A current result of
    the company for the same period and metric is a 409. Returns it with `Location`."""
    return to_response(
        company_facts.create_financial_result(
            session=session, actor=actor, slug=slug, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{slug}/financial-results/{result_id}",
    summary="Correct a company's financial result",
    response_model=FinancialResultPublic,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_financial_result(
    slug: CompanySlug,
    result_id: ResultId,
    patch: Annotated[FinancialResultUpdate, example_body(FinancialResultUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch (`amount` is replaced whole); the previous values stay
    answerable with `as_of`."""
    return to_response(
        company_facts.update_financial_result(
            session=session,
            actor=actor,
            slug=slug,
            result_id=result_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/{slug}/financial-results/{result_id}",
    summary="Retract a company's financial result",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_financial_result(
    slug: CompanySlug,
    result_id: ResultId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a result; it stays in the history."""
    return to_response(
        company_facts.delete_financial_result(
            session=session, actor=actor, slug=slug, result_id=result_id, if_match=if_match
        )
    )


# -- plants: one, and writes -------------------------------------------------------------------


@router.get(
    "/{slug}/plants/{plant_id}",
    summary="Get a company's plant",
    response_model=PlantPublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_plant(
    slug: PlantOwnerSlug,
    plant_id: PlantId,
    response: Response,
    session: SessionDep,
    as_of: AsOfDep,
) -> PlantPublic:
    """One plant of the company, with the quotes that back it."""
    plant = company_facts.get_plant(session=session, slug=slug, plant_id=plant_id, as_of=as_of)
    response.headers["ETag"] = etag_of(plant)
    return plant


@router.post(
    "/{slug}/plants",
    summary="Add a plant to a company",
    status_code=201,
    response_model=PlantPublic,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def create_plant(
    slug: PlantOwnerSlug,
    payload: Annotated[PlantIn, example_body(PlantIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a plant; `company` in the body must be the URL's. A current plant of the company
    with the same name is a 409. Returns it with `Location`."""
    return to_response(
        company_facts.create_plant(
            session=session, actor=actor, slug=slug, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{slug}/plants/{plant_id}",
    summary="Correct a company's plant",
    response_model=PlantPublic,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_plant(
    slug: PlantOwnerSlug,
    plant_id: PlantId,
    patch: Annotated[PlantUpdate, example_body(PlantUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`."""
    return to_response(
        company_facts.update_plant(
            session=session,
            actor=actor,
            slug=slug,
            plant_id=plant_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/{slug}/plants/{plant_id}",
    summary="Retract a company's plant",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_plant(
    slug: PlantOwnerSlug,
    plant_id: PlantId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a plant; it stays in the history."""
    return to_response(
        company_facts.delete_plant(
            session=session, actor=actor, slug=slug, plant_id=plant_id, if_match=if_match
        )
    )
