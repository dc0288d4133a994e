from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    ActorDep,
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
from app.models.tariff import (
    ImpactIn,
    TariffFilters,
    TariffImpactPublicWithTariff,
    TariffImpactUpdate,
    TariffIn,
    TariffPublic,
    TariffUpdate,
)
from app.services import tariffs

router = APIRouter(route_class=ReadRoute, prefix="/v1/tariffs", tags=["tariffs"])

TariffInclude = Annotated[frozenset[str], Depends(include_param("impacts", "citations"))]

TariffId = Annotated[int, row_id("The tariff's id."), UrlInteger]
ImpactId = Annotated[int, row_id("The impact's id."), UrlInteger]


async def tariff_filters(
    imposing_country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Z]{2}$",
            description="ISO 3166-1 alpha-2 of the country levying the tariff.",
            examples=["US"],
        ),
    ] = None,
    target_country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Z]{2}$",
            description="ISO 3166-1 alpha-2 of the country whose goods it hits.",
            examples=["JP"],
        ),
    ] = None,
    product: Annotated[
        str | None,
        Query(max_length=200, description="The goods taxed, exactly.", examples=["vehicles"]),
    ] = None,
) -> TariffFilters:
    return TariffFilters(
        imposing_country=imposing_country, target_country=target_country, product=product
    )


@router.get(
    "",
    summary="List tariffs",
    response_model=Page[TariffPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_tariffs(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[TariffFilters, Depends(tariff_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(tariffs.TARIFF_LIST))],
    include: TariffInclude,
    fmt: ListFormatDep,
) -> Page[TariffPublic] | StreamingResponse:
    """Tariffs, filtered by imposing or target country or product. Sorts: `id` (default),
    `product`. Facets: `imposing_country`, `target_country`, `product`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: tariffs.list_tariffs(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        TariffPublic,
    )


@router.get(
    "/{tariff_id}",
    summary="Get a tariff",
    response_model=TariffPublic,
    responses=problem_responses(404, 422),
)
def get_tariff(
    tariff_id: TariffId, response: Response, session: SessionDep, as_of: AsOfDep
) -> TariffPublic:
    """One tariff with its impacts on companies and the quotes that back them. With
    `valid_at`, the rate that held that day."""
    tariff = tariffs.get_tariff(session=session, tariff_id=tariff_id, as_of=as_of)
    response.headers["ETag"] = etag_of(tariff)
    return tariff


@router.post(
    "",
    summary="Create a tariff",
    status_code=201,
    response_model=TariffPublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_tariff(
    payload: Annotated[TariffIn, example_body(TariffIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a tariff and the impacts given with it; every quote must be found in its source.
    A current tariff of the same countries and product is a 409. Returns it with
    `Location`."""
    return to_response(
        tariffs.create_tariff(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{tariff_id}",
    summary="Correct a tariff, or change its rate",
    response_model=TariffPublic,
    responses=problem_responses(401, 404, 412, 413, 422),
)
def update_tariff(
    tariff_id: TariffId,
    patch: Annotated[TariffUpdate, example_body(TariffUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`. A new
    `rate_pct` with an `effective_on` later than the current one is a rate change: the old
    rate stays answerable with `valid_at` before that day, and becomes `previous_rate_pct`
    unless the patch gives one."""
    return to_response(
        tariffs.update_tariff(
            session=session, actor=actor, tariff_id=tariff_id, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/{tariff_id}",
    summary="Retract a tariff",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_tariff(
    tariff_id: TariffId, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Withdraw a tariff and its current impacts; they stay in the history."""
    return to_response(
        tariffs.delete_tariff(session=session, actor=actor, tariff_id=tariff_id, if_match=if_match)
    )


@router.get(
    "/{tariff_id}/impacts/{impact_id}",
    summary="Get a tariff impact",
    response_model=TariffImpactPublicWithTariff,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_impact(
    tariff_id: TariffId,
    impact_id: ImpactId,
    response: Response,
    session: SessionDep,
    as_of: AsOfDep,
) -> TariffImpactPublicWithTariff:
    """One impact of a tariff on a company, with the quotes that back it."""
    impact = tariffs.get_impact(
        session=session, tariff_id=tariff_id, impact_id=impact_id, as_of=as_of
    )
    response.headers["ETag"] = etag_of(impact)
    return impact


@router.post(
    "/{tariff_id}/impacts",
    summary="Add an impact to a tariff",
    status_code=201,
    response_model=TariffImpactPublicWithTariff,
    responses=problem_responses(401, 404, 409, 413, 422),
)
def create_impact(
    tariff_id: TariffId,
    payload: Annotated[ImpactIn, example_body(ImpactIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add what the tariff costs a company in a fiscal year. A current impact of the tariff
    on the same company, year and metric is a 409. Returns it with `Location`."""
    return to_response(
        tariffs.create_impact(
            session=session,
            actor=actor,
            tariff_id=tariff_id,
            payload=payload,
            idempotency=idempotency,
        )
    )


@router.patch(
    "/{tariff_id}/impacts/{impact_id}",
    summary="Correct a tariff impact",
    response_model=TariffImpactPublicWithTariff,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_impact(
    tariff_id: TariffId,
    impact_id: ImpactId,
    patch: Annotated[TariffImpactUpdate, example_body(TariffImpactUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch (`amount` is replaced whole); the previous values stay
    answerable with `as_of`."""
    return to_response(
        tariffs.update_impact(
            session=session,
            actor=actor,
            tariff_id=tariff_id,
            impact_id=impact_id,
            patch=patch,
            if_match=if_match,
        )
    )


@router.delete(
    "/{tariff_id}/impacts/{impact_id}",
    summary="Retract a tariff impact",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_impact(
    tariff_id: TariffId,
    impact_id: ImpactId,
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw an impact; it stays in the history."""
    return to_response(
        tariffs.delete_impact(
            session=session,
            actor=actor,
            tariff_id=tariff_id,
            impact_id=impact_id,
            if_match=if_match,
        )
    )
