from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import (
    SLUG_PATTERN,
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
from app.models.company_facts import (
    PlanFilters,
    PlanIn,
    RestructuringPlanPublic,
    RestructuringPlanUpdate,
)
from app.services import company_facts

router = APIRouter(
    route_class=ReadRoute, prefix="/v1/restructuring-plans", tags=["restructuring plans"]
)

PlanInclude = Annotated[frozenset[str], Depends(include_param("citations"))]

PlanId = Annotated[int, row_id("The restructuring plan's id."), UrlInteger]
TargetYear = Annotated[
    int | None,
    Query(
        ge=1,
        le=9999,
        description="The year the plan's plant reduction is to be done by.",
        examples=[2028],
    ),
    UrlInteger,
]


async def plan_filters(
    company: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=SLUG_PATTERN,
            description="The company's slug.",
            examples=["nissan"],
        ),
    ] = None,
    target_year: TargetYear = None,
) -> PlanFilters:
    return PlanFilters(company=company, target_year=target_year)


@router.get(
    "",
    summary="List restructuring plans",
    response_model=Page[RestructuringPlanPublic],
    response_model_exclude_unset=True,
    responses=list_responses(),
)
def list_restructuring_plans(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: Annotated[PlanFilters, Depends(plan_filters)],
    as_of: AsOfDep,
    page: Annotated[PageParams, Depends(page_params(company_facts.PLAN_LIST))],
    include: PlanInclude,
    fmt: ListFormatDep,
) -> Page[RestructuringPlanPublic] | StreamingResponse:
    """Restructuring plans, filtered by company or target year. Sorts: `id`. Facets:
    `target_year`, `certainty`."""
    return list_response(
        request,
        response,
        fmt,
        page,
        lambda p: company_facts.list_restructuring_plans(
            session=session, filters=filters, as_of=as_of, page=p, include=include
        ),
        RestructuringPlanPublic,
    )


@router.get(
    "/{plan_id}",
    summary="Get a restructuring plan",
    response_model=RestructuringPlanPublic,
    responses=problem_responses(404, 422),
)
@indexed_read
def get_restructuring_plan(
    plan_id: PlanId, response: Response, session: SessionDep, as_of: AsOfDep
) -> RestructuringPlanPublic:
    """One restructuring plan with the quotes that back it."""
    plan = company_facts.get_restructuring_plan(session=session, plan_id=plan_id, as_of=as_of)
    response.headers["ETag"] = etag_of(plan)
    return plan


@router.post(
    "",
    summary="Create a restructuring plan",
    status_code=201,
    response_model=RestructuringPlanPublic,
    responses=problem_responses(401, 409, 413, 422),
)
def create_restructuring_plan(
    payload: Annotated[PlanIn, example_body(PlanIn)],
    session: WriteSessionDep,
    actor: ActorDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a company's plan; every quote must be found in its source. A current plan of the
    company with the same name is a 409. Returns it with `Location`."""
    return to_response(
        company_facts.create_restructuring_plan(
            session=session, actor=actor, payload=payload, idempotency=idempotency
        )
    )


@router.patch(
    "/{plan_id}",
    summary="Correct a restructuring plan",
    response_model=RestructuringPlanPublic,
    responses=problem_responses(401, 404, 409, 412, 413, 422),
)
def update_restructuring_plan(
    plan_id: PlanId,
    patch: Annotated[RestructuringPlanUpdate, example_body(RestructuringPlanUpdate)],
    session: WriteSessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a JSON merge patch; the previous values stay answerable with `as_of`."""
    return to_response(
        company_facts.update_restructuring_plan(
            session=session, actor=actor, plan_id=plan_id, patch=patch, if_match=if_match
        )
    )


@router.delete(
    "/{plan_id}",
    summary="Retract a restructuring plan",
    status_code=204,
    responses=problem_responses(401, 404, 412, 422),
)
def delete_restructuring_plan(
    plan_id: PlanId, session: WriteSessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    """Withdraw a plan; it stays in the history."""
    return to_response(
        company_facts.delete_restructuring_plan(
            session=session, actor=actor, plan_id=plan_id, if_match=if_match
        )
    )
