from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.observability import metrics_registry
from app.core.routing import ReadRoute

router = APIRouter(route_class=ReadRoute, include_in_schema=False)


@router.get("/metrics")
async def get_metrics() -> Response:
    """Prometheus metrics: requests by route and status, latencies, database pool."""
    return Response(
        generate_latest(metrics_registry()),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
