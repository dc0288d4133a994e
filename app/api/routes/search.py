from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, cursor_params, set_link_header
from app.core.routing import ReadRoute
from app.core.temporal import AsOfDep
from app.core.threads import in_search_threads
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
@in_search_threads
def search(
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
    as_of: AsOfDep,
    type: Annotated[DocumentType | None, Query(description="Only results of this type.")] = None,
) -> Page[SearchHit]:
    """Companies, executives, partnerships, tariffs, plans, plants, statements and source
    texts matching `q`, most relevant first, each with a highlighted snippet.

    `valid_at` keeps the hits whose resource its own list shows on that date (a plant: its
    company's plants), each saying the `validity` that list gives it; `validity=certain`
    keeps the certain ones. A source holds no valid time: under `valid_at` no source is a
    hit. `as_of` searches the documents as they were recorded at that instant (each state
    of a corrected resource, a retracted one until its retraction); `known_at` the
    resources reported by that day (a source: published by then). All of them work
    together; send them again with `cursor` (the `Link` header keeps them)."""
    result = search_service.search(session=session, q=q, doc_type=type, page=page, as_of=as_of)
    set_link_header(request, response, result.next_cursor)
    return result
