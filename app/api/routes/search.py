from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, cursor_params, set_link_header
from app.core.routing import ReadRoute
from app.models.search import DocumentType, SearchHit
from app.services import search as search_service

router = APIRouter(route_class=ReadRoute, prefix="/v1/search", tags=["search"])


@router.get(
    "",
    summary="Search everything",
    response_model=Page[SearchHit],
    response_model_exclude_unset=True,
    responses=problem_responses(422),
)
async def search(
    request: Request,
    response: Response,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=1000,
            description="Words to find (all of them; the last may be the start of a word). "
            "Operators and punctuation are ignored.",
            examples=["Espinosa"],
        ),
    ],
    page: Annotated[PageParams, Depends(cursor_params)],
    type: Annotated[DocumentType | None, Query(description="Only results of this type.")] = None,
) -> Page[SearchHit]:
    """Companies, executives, partnerships, tariffs, plans, plants and source texts
    matching `q`, most relevant first, each with a highlighted snippet."""
    result = search_service.search(session=session, q=q, doc_type=type, page=page)
    set_link_header(request, response, result.next_cursor)
    return result
