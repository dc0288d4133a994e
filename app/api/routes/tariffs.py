from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import PageDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.export import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page
from app.core.temporal import AsOfDep
from app.models.tariff import TariffPublic
from app.services import tariffs
from app.services.tariffs import TariffFilters

router = APIRouter(prefix="/v1/tariffs", tags=["tariffs"])

TariffInclude = Annotated[frozenset[str], Depends(include_param("impacts", "citations"))]

TariffId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The tariff's id.", examples=[1])]


def tariff_filters(
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
    page: PageDep,
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
def get_tariff(tariff_id: TariffId, session: SessionDep, as_of: AsOfDep) -> TariffPublic:
    """One tariff with its impacts on companies and the quotes that back them."""
    return tariffs.get_tariff(session=session, tariff_id=tariff_id, as_of=as_of)
