"""The explorer: HTML pages at ``/`` that browse every fact with its quote and its history.

Each page calls the services ``/v1`` calls, with the same parameters, and links to the JSON
it was drawn from; nothing here queries the database or decides what a fact is. Pages are
left out of the OpenAPI document (they are not the API), answered through the same
middlewares (rate limit, ETags, response cache), and their problems are pages too when a
browser asks (``app.core.errors``). Plain functions: the thread pool runs them, so their
database work never holds the event loop (search: the search threads, as /v1/search).
"""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from app.api.deps import CompanySlug
from app.api.routes.executives import ExecutiveSlug
from app.api.routes.partnerships import PartnershipId
from app.api.routes.restructuring_plans import PlanId
from app.api.routes.sources import SourceIdOrSlug
from app.api.routes.statements import StatementId
from app.api.routes.tariffs import TariffId
from app.core.data_version import DataVersionDep
from app.core.db import SessionDep
from app.core.errors import InvalidParameter, NotFound
from app.core.pagination import CURSOR_PATTERN, MAX_LIMIT, PageParams
from app.core.routing import ReadRoute
from app.core.threads import in_search_threads, run_endpoint
from app.models.company import CompanyFilters
from app.models.company_facts import ResultFilters
from app.models.fact import FactFilters
from app.models.partnership import PartnershipFilters
from app.models.search import DocumentType
from app.models.source import SourceFilters
from app.models.statement import StatementFilters, StatementPublic
from app.models.tariff import ImpactFilters, TariffFilters
from app.services import (
    changes,
    companies,
    company_facts,
    executives,
    fact_list,
    partnerships,
    resource_counts,
    sources,
    statements,
    tariffs,
)
from app.services import search as search_service
from app.web.render import (
    TEMPLATES,
    TIME_FIELDS,
    Moment,
    MomentDep,
    highlighted,
    page,
    timeline,
    url,
)

router = APIRouter(
    route_class=ReadRoute, include_in_schema=False, default_response_class=HTMLResponse
)

# Every row of a section, as far as one page of the API goes; the JSON link has the rest.
EVERY = PageParams(limit=MAX_LIMIT)
CITATIONS = frozenset({"citations"})
NONE: frozenset[str] = frozenset()
SEARCH_PAGE = 20
# A tariff may hit a thousand companies: its page shows the first, its JSON has them all.
FIRST_IMPACTS = PageParams(limit=20)
LATEST_CHANGES = 10


def _json(model: BaseModel) -> Any:
    """What ``/v1`` would send for ``model``: templates read the API's own shapes."""
    return model.model_dump(mode="json", exclude_unset=True)


def _statements(session: Session, said: Sequence[StatementPublic]) -> dict[str, Any]:
    """Statements as a page lists them, with the names and pages of what they name."""
    return {"statements": [_json(s) for s in said], "named": statements.named_in(session, said)}


def _rows(result: Any) -> dict[str, Any]:
    """A page of a list: its rows, and whether the API has more of them."""
    return {"data": [_json(row) for row in result.data], "more": result.next_cursor is not None}


@router.get("/")
def home(
    request: Request, session: SessionDep, moment: MomentDep, data_version: DataVersionDep
) -> HTMLResponse:
    """A search box, how many of each resource there are (kept until the data changes),
    the latest changes."""
    as_of = moment.as_of
    counts = resource_counts.count_resources(
        session=session, as_of=as_of, data_version=data_version
    )
    first = PageParams(limit=50)
    return page(
        request,
        "home.html",
        title="Autofacts explorer",
        api="/v1/companies",
        moment=moment,
        counts=counts,
        companies=_rows(
            companies.list_companies(
                session=session, filters=CompanyFilters(), as_of=as_of, page=first, include=NONE
            )
        ),
        partnerships=_rows(
            partnerships.list_partnerships(
                session=session,
                filters=PartnershipFilters(),
                as_of=as_of,
                page=first,
                include=NONE,
            )
        ),
        tariffs=_rows(
            tariffs.list_tariffs(
                session=session, filters=TariffFilters(), as_of=as_of, page=first, include=NONE
            )
        ),
        sources=_rows(
            sources.list_sources(
                session=session, filters=SourceFilters(), known_at=as_of.known_at, page=first
            )
        ),
        changes=[_json(c) for c in changes.latest_changes(session=session, limit=LATEST_CHANGES)],
    )


@router.get("/search")
async def search(
    request: Request,
    session: SessionDep,
    moment: MomentDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    type: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str | None, Query(max_length=1000, pattern=CURSOR_PATTERN)] = None,
) -> HTMLResponse:
    """Results with the API's highlighted snippets, a type filter and cursor pages; drawn
    in the search threads, as /v1/search is answered, so that a costly search never holds
    a thread lookups need (app/core/threads.py). Only the hand-off is on the loop."""
    arguments = {"request": request, "session": session, "moment": moment}
    return await run_endpoint(_search, {**arguments, "q": q, "type": type, "cursor": cursor})


@in_search_threads
def _search(
    *, request: Request, session: Session, moment: Moment, q: str, type: str, cursor: str | None
) -> HTMLResponse:
    doc_type = _document_type(type)
    result = None
    if q.strip():
        result = search_service.search(
            session=session,
            q=q,
            doc_type=doc_type,
            page=PageParams(limit=SEARCH_PAGE, cursor=cursor or None),
            as_of=moment.as_of,
        )
    query = {"q": q, "type": doc_type.value if doc_type else None}
    return page(
        request,
        "search.html",
        title=f"Search: {q}" if q else "Search",
        api=url("/v1/search", query) if q.strip() else "/v1/search?q=",
        moment=moment,
        q=q,
        type=query["type"],
        types=[t.value for t in DocumentType],
        query=query,
        cursor=cursor,
        result=None if result is None else _json(result),
    )


def _document_type(text: str) -> DocumentType | None:
    """The type filter: none when empty (the form's "any"), else one /v1/search takes."""
    if not text:
        return None
    try:
        return DocumentType(text)
    except ValueError:
        named = ", ".join(f"'{t.value}'" for t in DocumentType)
        raise InvalidParameter(
            f"type must be empty or one of {named}.", loc=["query", "type"], type_="enum"
        ) from None


@router.get("/companies/{slug}")
def company(
    request: Request, slug: CompanySlug, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """A company and its facts grouped by kind."""
    as_of = moment.as_of
    found = companies.get_company(session=session, slug=slug, as_of=as_of)
    people = executives.list_company_executives(
        session=session, slug=slug, as_of=as_of, page=EVERY, include=CITATIONS
    )
    sections = {
        "executives": _rows(people),
        "partnerships": _rows(
            partnerships.list_company_partnerships(
                session=session,
                slug=slug,
                filters=PartnershipFilters(),
                as_of=as_of,
                page=EVERY,
                include=CITATIONS,
            )
        ),
        "tariff-impacts": _rows(
            tariffs.list_company_impacts(
                session=session,
                slug=slug,
                filters=ImpactFilters(),
                as_of=as_of,
                page=EVERY,
                include=CITATIONS,
            )
        ),
        "restructuring-plans": _rows(
            company_facts.list_company_restructuring_plans(
                session=session,
                slug=slug,
                target_year=None,
                as_of=as_of,
                page=EVERY,
                include=CITATIONS,
            )
        ),
        "financial-results": _rows(
            company_facts.list_company_financial_results(
                session=session,
                slug=slug,
                filters=ResultFilters(),
                as_of=as_of,
                page=EVERY,
                include=CITATIONS,
            )
        ),
        "plants": _rows(
            company_facts.list_company_plants(
                session=session, slug=slug, as_of=as_of, page=EVERY, include=CITATIONS
            )
        ),
    }
    return page(
        request,
        "company.html",
        title=found.name,
        api=f"/v1/companies/{slug}",
        moment=moment,
        company=_json(found),
        sections=sections,
        **_statements(
            session,
            statements.list_company_statements(
                session=session, slug=slug, as_of=as_of, page=EVERY, include=CITATIONS
            ).data,
        ),
    )


@router.get("/sources/{id_or_slug}")
def source(
    request: Request, id_or_slug: SourceIdOrSlug, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """The article with every quoted span highlighted, and the facts each one backs."""
    found = sources.get_source(
        session=session, id_or_slug=id_or_slug, known_at=moment.as_of.known_at
    )
    facts = fact_list.list_facts(
        session=session,
        filters=FactFilters(source=found.id),
        as_of=moment.as_of,
        page=EVERY,
        include=CITATIONS,
    )
    rows = _rows(facts)
    return page(
        request,
        "source.html",
        title=found.title,
        api=f"/v1/sources/{found.slug}",
        api_fields=("known_at",),  # a source has no valid time (see /v1/sources)
        moment=moment,
        source=_json(found),
        facts=rows,
        facts_api=f"/v1/facts?source={found.id}&include=citations&limit={MAX_LIMIT}",
        segments=highlighted(found.text, found.id, rows["data"]),
    )


@router.get("/partnerships/{partnership_id}")
def partnership(
    request: Request, partnership_id: PartnershipId, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """A partnership: members, scope, what it excludes, the timeline of its statuses."""
    found = _json(
        partnerships.get_partnership(
            session=session, partnership_id=partnership_id, as_of=moment.as_of
        )
    )
    said = statements.list_partnership_statements(
        session=session,
        partnership_id=partnership_id,
        filters=StatementFilters(),
        as_of=moment.as_of,
        page=EVERY,
        include=CITATIONS,
    )
    history = [
        (s["status"].replace("_", " "), s["valid_from"], s["valid_to"])
        for s in found["status_history"]
    ]
    return page(
        request,
        "partnership.html",
        title=found["title"],
        api=f"/v1/partnerships/{partnership_id}",
        moment=moment,
        partnership=found,
        **_statements(session, said.data),
        timeline=timeline(history, _drawn_on(found, moment)),
    )


@router.get("/executives/{slug}")
def executive(
    request: Request, slug: ExecutiveSlug, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """An executive, the roles they held, and what they said."""
    found = _json(executives.get_executive(session=session, slug=slug, as_of=moment.as_of))
    said = statements.list_executive_statements(
        session=session,
        slug=slug,
        filters=StatementFilters(),
        as_of=moment.as_of,
        page=EVERY,
        include=CITATIONS,
    )
    roles = [(r["title"], r["valid_from"], r["valid_to"]) for r in found.get("roles") or ()]
    return page(
        request,
        "executive.html",
        title=found["name"],
        api=f"/v1/executives/{slug}",
        moment=moment,
        executive=found,
        **_statements(session, said.data),
        timeline=timeline(roles, _drawn_on(found, moment)),
    )


@router.get("/tariffs/{tariff_id}")
def tariff(
    request: Request, tariff_id: TariffId, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """A tariff, its rates on a timeline, and what it costs companies."""
    found = _json(
        tariffs.get_tariff(
            session=session, tariff_id=tariff_id, as_of=moment.as_of, with_impacts=False
        )
    )
    impacts = tariffs.list_tariff_impacts(
        session=session,
        tariff_id=tariff_id,
        as_of=moment.as_of,
        page=FIRST_IMPACTS,
        include=CITATIONS,
    )
    # The rates the tariff states, each as long as the source lets us say: the baseline
    # before the trade war and any previous rate end on no stated day; the tariff's rate
    # starts on effective_on, or on no stated day, and is "now" only when told as present.
    rates = []
    if found.get("baseline_rate_pct") is not None:
        rates.append((f"{found['baseline_rate_pct']} % before the trade war", None, None))
    if found.get("previous_rate_pct") is not None:
        rates.append((f"{found['previous_rate_pct']} % previously", None, None))
    if found.get("rate_pct") is not None:  # a tariff the source names without its rate
        told = " now" if found.get("told_as") != "past" else ""
        rates.append(
            (f"{found['rate_pct']} %{told}", found.get("effective_on"), found.get("valid_to"))
        )
    return page(
        request,
        "tariff.html",
        title=_tariff_title(found),
        api=f"/v1/tariffs/{tariff_id}",
        moment=moment,
        tariff=found,
        impacts=_rows(impacts),
        timeline=timeline(rates, _drawn_on(found, moment)),
    )


def _tariff_title(found: dict[str, Any]) -> str:
    """What tells a tariff from the others on the same trade: its rate, its dates, and
    whether the source told it as past."""
    title: str = f"{found['imposing_country']} tariff on {found['product']} from "
    title += found["target_country"]
    title += f", {found['rate_pct']} %" if found.get("rate_pct") is not None else ", no rate"
    if found.get("effective_on"):
        title += f" from {found['effective_on']}"
    if found.get("valid_to"):
        title += f" to {found['valid_to']}"
    if found.get("told_as") == "past":
        title += " (told as past)"
    return title


@router.get("/restructuring-plans/{plan_id}")
def restructuring_plan(
    request: Request, plan_id: PlanId, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """A restructuring plan: job cuts, plants before and after."""
    found = _json(
        company_facts.get_restructuring_plan(session=session, plan_id=plan_id, as_of=moment.as_of)
    )
    try:
        company_name = companies.get_company(
            session=session, slug=found["company"], as_of=moment.as_of
        ).name
    except NotFound:  # its company not in the record at that time: its slug still names it
        company_name = found["company"]
    return page(
        request,
        "plan.html",
        title=f"{company_name}: {found['name']}",
        company_name=company_name,
        api=f"/v1/restructuring-plans/{plan_id}",
        moment=moment,
        plan=found,
    )


@router.get("/statements/{statement_id}")
def statement(
    request: Request, statement_id: StatementId, session: SessionDep, moment: MomentDep
) -> HTMLResponse:
    """A statement: who said it, about what, in the source's words."""
    found = statements.get_statement(session=session, statement_id=statement_id, as_of=moment.as_of)
    return page(
        request,
        "statement.html",
        title=f"Statement {statement_id}",
        api=f"/v1/statements/{statement_id}",
        moment=moment,
        statement=_json(found),
        named=statements.named_in(session, [found]),
    )


def _drawn_on(fact: dict[str, Any], moment: Any) -> dt.date:
    """The day a timeline's open rows run to: the day asked about, else the day our sources
    reported the fact (a present-tense statement holds on it)."""
    if moment.as_of.valid_at is not None:
        return moment.as_of.valid_at  # type: ignore[no-any-return]
    return dt.date.fromisoformat(fact["known_from"])


# Longer than any value a page takes (as_of's 40): a refused value is shown, not all of it.
SHOWN_VALUE = 60


def problem_page(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None
) -> Response:
    """A problem drawn as a page (app/core/errors.py asks for it when a browser does).

    On one of the pages (a 404 at a time the entity does not hold, a 422 for a time value)
    the time controls stay, holding what was sent, with their "Now" link: the reader
    corrects the value in place."""
    fields: tuple[str, ...] = ()
    sent: dict[str, str] = {}
    hidden: dict[str, str] = {}
    if request.scope.get("endpoint") in PAGE_ENDPOINTS:
        fields = TIME_FIELDS
        given = request.query_params
        sent = {n: given[n][:SHOWN_VALUE] for n in (*fields, "validity") if given.get(n)}
        if request.scope["endpoint"] is search and given.get("q"):
            hidden = {"q": given["q"]}
    return TEMPLATES.TemplateResponse(
        request,
        "problem.html",
        {
            "title": body["title"],
            "problem": body,
            "api_url": None,
            "moment": sent,
            "time_fields": fields,
            "hidden": hidden,
            "at_a_time": body["status"] == 404 and bool(sent),
        },
        status_code=body["status"],
        headers=headers,
    )


STATIC = FilePath(__file__).parent / "static"


PAGE_ENDPOINTS = frozenset(getattr(route, "endpoint", None) for route in router.routes)


def install_pages(app: FastAPI) -> None:
    """The pages, their stylesheet and script, and their problem pages."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.problem_page = problem_page
