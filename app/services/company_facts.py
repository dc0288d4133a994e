"""Facts about one company: restructuring plans, financial results, plants."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.money import Money
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition
from app.models import Company, FinancialResult, Plant, RestructuringPlan
from app.models.base import FactPublic
from app.models.company_facts import FinancialResultPublic, PlantPublic, RestructuringPlanPublic
from app.services.citations import to_public
from app.services.companies import find_company

P = TypeVar("P", bound=FactPublic)

PLAN_LIST = ListSpec(
    sort_keys={"id": RestructuringPlan.id},
    default_sort="id",
    id_column=RestructuringPlan.id,
    facets={"target_year": RestructuringPlan.target_year, "certainty": RestructuringPlan.certainty},
)
RESULT_LIST = ListSpec(
    sort_keys={"id": FinancialResult.id, "period": FinancialResult.period},
    default_sort="id",
    id_column=FinancialResult.id,
    facets={"metric": FinancialResult.metric, "period": FinancialResult.period},
)
PLANT_LIST = ListSpec(
    sort_keys={"id": Plant.id, "name": Plant.name},
    default_sort="id",
    id_column=Plant.id,
    facets={"country": Plant.country},
)


@dataclass(frozen=True)
class PlanFilters:
    company: str | None = None
    target_year: int | None = None


@dataclass(frozen=True)
class ResultFilters:
    metric: str | None = None
    period: str | None = None


def _company_slugs(session: Session, company_ids: Sequence[int]) -> dict[int, str]:
    # A label only: a company's one row names it whatever the as-of.
    if not company_ids:
        return {}
    rows = session.exec(
        select(Company.id, Company.slug).where(col(Company.id).in_(set(company_ids)))
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def _public(
    session: Session,
    rows: Sequence[Any],
    public: type[P],
    *,
    with_citations: bool,
    money: bool = False,
    company: Company | None = None,
) -> list[P]:
    # Per-company lists already hold their company: no query to name it.
    slugs = (
        {company.id: company.slug}
        if company is not None
        else _company_slugs(session, [r.company_id for r in rows])
    )
    extra: list[dict[str, object]] = []
    for row in rows:
        fields: dict[str, object] = {"company": slugs[row.company_id]}
        if money:
            fields["amount"] = Money(amount=row.amount, currency=row.currency, usd=row.usd)
        extra.append(fields)
    return to_public(session, rows, public, with_citations=with_citations, extra=extra)


def _page(
    session: Session,
    statement: Any,
    spec: ListSpec,
    page: PageParams,
    public: type[P],
    *,
    include: frozenset[str],
    money: bool = False,
    company: Company | None = None,
) -> Page[P]:
    fetched = fetch_page(session, statement, spec, page)
    data = _public(
        session,
        fetched.rows,
        public,
        with_citations="citations" in include,
        money=money,
        company=company,
    )
    return fetched.page(data)


def list_restructuring_plans(
    *,
    session: Session,
    filters: PlanFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[RestructuringPlanPublic]:
    statement = select(RestructuringPlan).where(as_of_condition(RestructuringPlan, as_of))
    if filters.company is not None:
        # An unknown slug filters everything out, as any other filter value matching nothing.
        company_id = select(Company.id).where(Company.slug == filters.company).scalar_subquery()
        statement = statement.where(RestructuringPlan.company_id == company_id)
    if filters.target_year is not None:
        statement = statement.where(RestructuringPlan.target_year == filters.target_year)
    return _page(session, statement, PLAN_LIST, page, RestructuringPlanPublic, include=include)


def get_restructuring_plan(
    *, session: Session, plan_id: int, as_of: AsOf
) -> RestructuringPlanPublic:
    plan = session.exec(
        select(RestructuringPlan).where(
            RestructuringPlan.id == plan_id, as_of_condition(RestructuringPlan, as_of)
        )
    ).first()
    if plan is None:
        raise NotFound(f"No restructuring plan with id {plan_id}.")
    return _public(session, [plan], RestructuringPlanPublic, with_citations=True)[0]


def list_company_restructuring_plans(
    *,
    session: Session,
    slug: str,
    target_year: int | None,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[RestructuringPlanPublic]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = select(RestructuringPlan).where(
        RestructuringPlan.company_id == company.id, as_of_condition(RestructuringPlan, as_of)
    )
    if target_year is not None:
        statement = statement.where(RestructuringPlan.target_year == target_year)
    return _page(
        session,
        statement,
        PLAN_LIST,
        page,
        RestructuringPlanPublic,
        include=include,
        company=company,
    )


def list_company_financial_results(
    *,
    session: Session,
    slug: str,
    filters: ResultFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[FinancialResultPublic]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = select(FinancialResult).where(
        FinancialResult.company_id == company.id, as_of_condition(FinancialResult, as_of)
    )
    if filters.metric is not None:
        statement = statement.where(FinancialResult.metric == filters.metric)
    if filters.period is not None:
        statement = statement.where(FinancialResult.period == filters.period)
    return _page(
        session,
        statement,
        RESULT_LIST,
        page,
        FinancialResultPublic,
        include=include,
        money=True,
        company=company,
    )


def list_company_plants(
    *,
    session: Session,
    slug: str,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PlantPublic]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = select(Plant).where(Plant.company_id == company.id, as_of_condition(Plant, as_of))
    return _page(
        session, statement, PLANT_LIST, page, PlantPublic, include=include, company=company
    )
