from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.routing import ReadRoute
from app.services import health

router = APIRouter(route_class=ReadRoute, prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok"]


# 422: like every operation, a probe refuses a query parameter it does not take.
@router.get(
    "/live", summary="Liveness", response_model=HealthStatus, responses=problem_responses(422)
)
async def live(response: Response) -> HealthStatus:
    """The process is up (it does not touch the database)."""
    response.headers["Cache-Control"] = "no-store"
    return HealthStatus(status="ok")


@router.get(
    "/ready",
    summary="Readiness",
    response_model=HealthStatus,
    responses=problem_responses(422, 503),
)
def ready(session: SessionDep, response: Response) -> HealthStatus:
    """The database answers; a 503 problem otherwise."""
    response.headers["Cache-Control"] = "no-store"
    health.database_ready(session=session)
    return HealthStatus(status="ok")
