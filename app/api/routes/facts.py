from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import SLUG_PATTERN, row_id
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.fields import MAX_ROW_ID, UrlInteger
from app.core.formats import ListFormatDep, list_response, list_responses
from app.core.include import include_param
from app.core.pagination import Page, PageParams, page_params
from app.core.routing import ReadRoute
from app.core.temporal import AsOfDep
from app.core.threads import indexed_read
from app.models import Certainty
from app.models.fact import FactFilters, FactItemPublic
from app.services import fact_list

router = APIRouter(route_class=ReadRoute, prefix="/v1/facts", tags=["facts"])

FactInclude = Annotated[frozenset[str], Depends(include_param("citations"))]

FactId = Annotated[int, row_id("The fact's id."), UrlInteger]


async def fact_filters(
    company: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SLUG_PATTERN,
            description="Facts tied to this company (its slug): the company itself, its "
            "executives' roles, memberships, tariff impacts, plans, results and plants.",
            examples=["nissan"],
        ),
    ] = None,
    subject_type: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The subject's kind: `company`, `executive`, `partnership`, `tariff`, …",
            examples=["company"],
        ),
    ] = None,
    predicate: Annotated[
        str | None,
        Query(max_length=60, description="What the fact states.", examples=["status"]),
    ] = None,
    certainty: Annotated[Certainty | None, Query(description="How sure the source is.")] = None,
    source: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ROW_ID,
            description="Facts quoting this source (its id): what an article backs.",
            examples=[1],
        ),
        UrlInteger,
    ] = None,
) -> FactFilters:
    return FactFilters(
        company=company,
        subject_type=subject_type,
        predicate=predicate,
        certainty=certainty,
        source=source,
    )


@router.get(
    "",
    summary="List facts",
    response_model=Page[FactItemPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_facts(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[FactFilters, Depends(fact_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(fact_list.FACT_LIST))],
    include: FactInclude,
    fmt: ListFormatDep,
) -> Page[FactItemPublic] | StreamingResponse:
    """Every fact as subject, predicate and value, filtered by company, subject type,
    predicate, certainty or the source it quotes. Sorts: `id`. Facets: `predicate`,
    `subject_type`, `fact_type`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: fact_list.list_facts(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        FactItemPublic,
    )


@router.get(
    "/{fact_id}",
    summary="Get a fact",
    response_model=FactItemPublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_fact(fact_id: FactId, session: SessionDep, as_of: AsOfDep) -> FactItemPublic:
    """One fact with the quotes that back it."""
    return fact_list.get_fact(session=session, fact_id=fact_id, as_of=as_of)
