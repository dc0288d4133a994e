"""Facts about one company: restructuring plans, financial results, plants."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

from app.core.errors import NotFound
from app.core.money import Money
from app.core.pagination import Page, PageParams, Sorting, paginate
from app.core.temporal import AsOf, as_of_condition
from app.models import Company, FinancialResult, Plant, RestructuringPlan
from app.models.base import FactBase, FactPublic
from app.models.company_facts import FinancialResultPublic, PlantPublic, RestructuringPlanPublic
from app.services.citations import to_public
from app.services.companies import find_company

P = TypeVar("P", bound=FactPublic)

# Keyset pages need a NOT NULL sort key, and a plan may state no target year: sort on the
# year with such plans after every year (where PostgreSQL puts NULLs), through a sentinel
# the plan statements select beside each row so that its cursor can hold it.
_NO_TARGET_YEAR = 10_000
_PLAN_TARGET_YEAR = func.coalesce(RestructuringPlan.target_year, _NO_TARGET_YEAR).label(
    "target_year_key"
)
PLAN_SORTING = Sorting(
    keys={"id": RestructuringPlan.id, "target_year": _PLAN_TARGET_YEAR},  # type: ignore[dict-item]
    default="id",
    id_column=RestructuringPlan.id,  # type: ignore[arg-type]
)
RESULT_SORTING = Sorting(
    keys={"id": FinancialResult.id, "period": FinancialResult.period},  # type: ignore[dict-item]
    default="id",
    id_column=FinancialResult.id,  # type: ignore[arg-type]
)
PLANT_SORTING = Sorting(
    keys={"id": Plant.id, "name": Plant.name},  # type: ignore[dict-item]
    default="id",
    id_column=Plant.id,  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class PlanFilters:
    company: str | None = None
    target_year: int | None = None


@dataclass(frozen=True)
class ResultFilters:
    metric: str | None = None
    period: str | None = None


def _plans() -> Any:
    return select(RestructuringPlan, _PLAN_TARGET_YEAR, col(RestructuringPlan.id))


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
    sorting: Sorting,
    page: PageParams,
    public: type[P],
    *,
    include: frozenset[str],
    money: bool = False,
    company: Company | None = None,
) -> Page[P]:
    paginator = paginate(statement, sorting, page)
    rows, next_cursor = paginator.split(session.exec(paginator.statement).all())
    if rows and not isinstance(rows[0], FactBase):
        rows = [row[0] for row in rows]  # (plan, sort key, id) rows, see PLAN_SORTING
    data = _public(
        session,
        rows,
        public,
        with_citations="citations" in include,
        money=money,
        company=company,
    )
    return Page(data=data, next_cursor=next_cursor)


def list_restructuring_plans(
    *,
    session: Session,
    filters: PlanFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[RestructuringPlanPublic]:
    statement = _plans().where(as_of_condition(RestructuringPlan, as_of))
    if filters.company is not None:
        # An unknown slug filters everything out, as any other filter value matching nothing.
        company_id = select(Company.id).where(Company.slug == filters.company).scalar_subquery()
        statement = statement.where(RestructuringPlan.company_id == company_id)
    if filters.target_year is not None:
        statement = statement.where(RestructuringPlan.target_year == filters.target_year)
    return _page(session, statement, PLAN_SORTING, page, RestructuringPlanPublic, include=include)


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
    statement = _plans().where(
        RestructuringPlan.company_id == company.id, as_of_condition(RestructuringPlan, as_of)
    )
    if target_year is not None:
        statement = statement.where(RestructuringPlan.target_year == target_year)
    return _page(
        session,
        statement,
        PLAN_SORTING,
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
        RESULT_SORTING,
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
        session, statement, PLANT_SORTING, page, PlantPublic, include=include, company=company
    )
