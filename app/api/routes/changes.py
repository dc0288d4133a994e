from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.fields import UrlInteger
from app.core.pagination import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, set_link_header
from app.core.routing import ReadRoute
from app.models.change import ChangePage
from app.services import changes

router = APIRouter(route_class=ReadRoute, prefix="/v1/changes", tags=["changes"])


@router.get(
    "", summary="Follow the change log", response_model=ChangePage, responses=problem_responses(422)
)
def list_changes(
    request: Request,
    response: Response,
    session: SessionDep,
    since: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=CURSOR_PATTERN,
            description="The `next_cursor` of the previous call; omit to start at the "
            "first change.",
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description=f"Changes per call (max {MAX_LIMIT})."),
        UrlInteger,
    ] = DEFAULT_LIMIT,
) -> ChangePage:
    """Every write in the order it was made (who, when, what, before and after), so
    another service can mirror Autofacts: store `next_cursor`, call again with it."""
    # Revalidate every time: a poller must see a new change at once.
    response.headers["Cache-Control"] = "no-cache"
    page = changes.list_changes(session=session, since=since or None, limit=limit)
    # next_cursor is always given (a poller keeps it); a next page exists only with has_more.
    set_link_header(request, response, page.next_cursor if page.has_more else None, param="since")
    return page
