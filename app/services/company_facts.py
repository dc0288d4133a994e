"""Facts about one company: restructuring plans, financial results, plants; their reads and
the writes that add, correct and retract them.

The three are alike: a row about one company, known by that company and a natural key
(a plan's name, a result's period and metric, a plant's name). ``_Kind`` says what
differs, and one create, update and delete serve all three.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import BodyInvalid, Conflict, NotFound
from app.core.money import Money
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition, certainly, rows_stating
from app.models import Company, FinancialResult, Plant, RestructuringPlan
from app.models.base import FactPublic
from app.models.company_facts import (
    FinancialResultPublic,
    FinancialResultUpdate,
    PlanFilters,
    PlanIn,
    PlantIn,
    PlantPublic,
    PlantUpdate,
    RestructuringPlanPublic,
    RestructuringPlanUpdate,
    ResultFilters,
    ResultIn,
)
from app.models.search import DocumentType
from app.services.citations import to_public, verify_citations
from app.services.companies import AnyCompany, company_to_change, find_company
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    correct_with,
)

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


CompanyFact = RestructuringPlan | FinancialResult | Plant


def _entity_id(row: AnyCompany | CompanyFact) -> int:
    """The id of the fact a row states: its own, or on a past version the current row's."""
    entity_id = row.version_of or row.id
    assert entity_id is not None, "rows are read or flushed before they are named"
    return entity_id


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
    company: AnyCompany | None = None,
    valid_at: dt.date | None = None,
) -> list[P]:
    # Per-company lists already hold their company: no query to name it.
    slugs = (
        {_entity_id(company): company.slug}
        if company is not None
        else _company_slugs(session, [r.company_id for r in rows])
    )
    extra: list[dict[str, object]] = []
    for row in rows:
        fields: dict[str, object] = {"company": slugs[row.company_id]}
        if money:
            fields["amount"] = Money(amount=row.amount, currency=row.currency, usd=row.usd)
        extra.append(fields)
    return to_public(
        session, rows, public, with_citations=with_citations, extra=extra, valid_at=valid_at
    )


def _page(
    session: Session,
    statement: Any,
    spec: ListSpec,
    page: PageParams,
    public: type[P],
    *,
    include: frozenset[str],
    as_of: AsOf,
    money: bool = False,
    company: AnyCompany | None = None,
) -> Page[P]:
    fetched = fetch_page(session, statement, spec, page)
    data = _public(
        session,
        fetched.rows,
        public,
        with_citations="citations" in include,
        money=money,
        company=company,
        valid_at=as_of.valid_at,
    )
    return fetched.page(data)


def listed_plans(as_of: AsOf) -> SelectOfScalar[RestructuringPlan]:
    """The rows ``/v1/restructuring-plans`` pages over under ``as_of``, before its
    filters."""
    return select(RestructuringPlan).where(
        as_of_condition(RestructuringPlan, as_of), *certainly(RestructuringPlan, as_of)
    )


def list_restructuring_plans(
    *,
    session: Session,
    filters: PlanFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[RestructuringPlanPublic]:
    statement = listed_plans(as_of)
    if filters.company is not None:
        # An unknown slug filters everything out, as any other filter value matching nothing.
        # A slug names one company at a time, but a retracted one may have held it before.
        company_ids = select(Company.id).where(
            Company.slug == filters.company, col(Company.version_of).is_(None)
        )
        statement = statement.where(col(RestructuringPlan.company_id).in_(company_ids))
    if filters.target_year is not None:
        statement = statement.where(RestructuringPlan.target_year == filters.target_year)
    return _page(
        session, statement, PLAN_LIST, page, RestructuringPlanPublic, include=include, as_of=as_of
    )


def get_restructuring_plan(
    *, session: Session, plan_id: int, as_of: AsOf
) -> RestructuringPlanPublic:
    plan = session.exec(
        select(RestructuringPlan)
        .where(rows_stating(RestructuringPlan, plan_id), as_of_condition(RestructuringPlan, as_of))
        .order_by(col(RestructuringPlan.id))
    ).first()
    if plan is None:
        raise NotFound(f"No restructuring plan with id {plan_id}.")
    return _public(
        session, [plan], RestructuringPlanPublic, with_citations=True, valid_at=as_of.valid_at
    )[0]


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
        RestructuringPlan.company_id == _entity_id(company),
        as_of_condition(RestructuringPlan, as_of),
        *certainly(RestructuringPlan, as_of),
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
        as_of=as_of,
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
        FinancialResult.company_id == _entity_id(company),
        as_of_condition(FinancialResult, as_of),
        *certainly(FinancialResult, as_of),
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
        as_of=as_of,
        money=True,
        company=company,
    )


def _plants(as_of: AsOf) -> SelectOfScalar[Plant]:
    return select(Plant).where(as_of_condition(Plant, as_of), *certainly(Plant, as_of))


def listed_plants(as_of: AsOf) -> SelectOfScalar[Plant]:
    """The rows the plants lists of companies page over under ``as_of``: each under a
    company that answers it (as ``find_company`` asks), whichever."""
    company = (
        select(Company.id)
        .where(rows_stating(Company, Plant.company_id), as_of_condition(Company, as_of))
        .exists()
    )
    return _plants(as_of).where(company)


def list_company_plants(
    *,
    session: Session,
    slug: str,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PlantPublic]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = _plants(as_of).where(Plant.company_id == _entity_id(company))
    return _page(
        session,
        statement,
        PLANT_LIST,
        page,
        PlantPublic,
        include=include,
        as_of=as_of,
        company=company,
    )


# -- one row, and writes -------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind(Generic[P]):
    """What sets plans, results and plants apart, for the reads and writes they share."""

    model: type[CompanyFact]
    public: type[P]
    resource: str  # in URLs and the change log
    label: str  # in messages
    key: tuple[str, ...]  # the natural key beside the company
    fields: frozenset[str]  # the body fields stored as they are
    search: DocumentType | None = None
    money: bool = False
    # Under its company's URL (the body's company must be the URL's), or top-level.
    nested: bool = True

    def location(self, company: Company | None, row_id: int) -> str:
        if company is not None:
            return f"/v1/companies/{company.slug}/{self.resource}/{row_id}"
        return f"/v1/{self.resource}/{row_id}"


_PLANS = _Kind(
    RestructuringPlan,
    RestructuringPlanPublic,
    "restructuring-plans",
    "restructuring plan",
    ("name",),
    frozenset({"name", "job_cuts", "plants_before", "plants_after", "target_year"}),
    search=DocumentType.restructuring_plan,
    nested=False,
)
_RESULTS = _Kind(
    FinancialResult,
    FinancialResultPublic,
    "financial-results",
    "financial result",
    ("period", "metric"),
    frozenset({"period", "metric"}),
    money=True,
)
_PLANTS = _Kind(
    Plant,
    PlantPublic,
    "plants",
    "plant",
    ("name",),
    frozenset({"name", "city", "region", "country"}),
    search=DocumentType.plant,
)

Entry = PlanIn | ResultIn | PlantIn
Update = RestructuringPlanUpdate | FinancialResultUpdate | PlantUpdate


def _money(entry: Entry | Update) -> dict[str, Any]:
    amount = getattr(entry, "amount", None)
    return {} if amount is None else amount.columns()


def _get(
    session: Session, kind: _Kind[P], row_id: int, as_of: AsOf, company: AnyCompany | None
) -> P:
    statement = select(kind.model).where(
        rows_stating(kind.model, row_id), as_of_condition(kind.model, as_of)
    )
    if company is not None:
        statement = statement.where(col(kind.model.company_id) == _entity_id(company))
    row = session.exec(statement.order_by(col(kind.model.id))).first()
    if row is None:
        raise NotFound(_missing(kind, row_id, company))
    return _public(
        session,
        [row],
        kind.public,
        with_citations=True,
        money=kind.money,
        valid_at=as_of.valid_at,
    )[0]


def _missing(kind: _Kind[Any], row_id: int, company: AnyCompany | None) -> str:
    of = f" of {company.slug!r}" if company is not None else ""
    return f"No {kind.label} with id {row_id}{of}."


def _current(
    session: Session, kind: _Kind[Any], row_id: int, company: Company | None
) -> CompanyFact:
    statement = select(kind.model).where(
        col(kind.model.id) == row_id,
        col(kind.model.version_of).is_(None),
        col(kind.model.known_to).is_(None),
    )
    if company is not None:
        statement = statement.where(col(kind.model.company_id) == _entity_id(company))
    row: CompanyFact | None = session.exec(statement).first()  # type: ignore[assignment]
    if row is None:
        raise NotFound(_missing(kind, row_id, company))
    return row


def _url_company(session: Session, kind: _Kind[Any], slug: str | None) -> Company | None:
    """The company of a nested URL (404 when there is none now); None for top-level ones."""
    if not kind.nested:
        return None
    assert slug is not None, "nested resources are reached through their company"
    return company_to_change(session=session, slug=slug)


def _body_company(
    session: Session, kind: _Kind[Any], entry: Entry, url_company: Company | None
) -> Company:
    """The company a create body names: under a company's URL it must be that company."""
    if url_company is not None:
        if entry.company != url_company.slug:
            raise BodyInvalid(
                [(["company"], f"is {entry.company!r} but the URL names {url_company.slug!r}")]
            )
        return url_company
    company = session.exec(
        select(Company).where(Company.slug == entry.company, as_of_condition(Company, AsOf()))
    ).first()
    if company is None:
        raise BodyInvalid([(["company"], f"no company {entry.company!r}")])
    return company


def _refuse_twin(
    session: Session,
    kind: _Kind[Any],
    company_id: int,
    key: dict[str, Any],
    *,
    other_than: int | None = None,
) -> None:
    """Refuse a second current row of a company with the same natural key."""
    statement = select(kind.model.id).where(
        col(kind.model.company_id) == company_id,
        col(kind.model.known_to).is_(None),
        *(col(getattr(kind.model, name)) == value for name, value in key.items()),
    )
    if other_than is not None:
        statement = statement.where(col(kind.model.id) != other_than)
    if (twin := session.exec(statement).first()) is not None:
        named = ", ".join(
            f"{name} {'not stated' if value is None else repr(value)}"
            for name, value in key.items()
        )
        raise Conflict(f"The company already has a {kind.label} with {named} (id {twin}).")


# A fact found for a write: its row, and the company of its URL (None for a top-level one).
_Found = tuple[CompanyFact, Company | None]
# How a URL names one: the company's slug (None for a top-level one), and its id.
_Key = tuple[str | None, int]


@cache
def _writes(kind: _Kind[P]) -> Resource[_Key, _Found, P]:
    """The kind declared for the guarded write: one declaration serves all three kinds."""
    return Resource(
        name=kind.resource,
        find=lambda session, key: _found(session, kind, *key),
        read=lambda session, found: _get(session, kind, _entity_id(found[0]), AsOf(), found[1]),
        log_id=lambda found, _: _entity_id(found[0]),
        read_many=lambda session, rows: by_log_id(
            rows,
            _public(session, rows, kind.public, with_citations=True, money=kind.money),
            _entity_id,
        ),
        location=lambda found, _: kind.location(found[1], _entity_id(found[0])),
        row=lambda found: found[0],
        search=kind.search,
        search_id=lambda found: _entity_id(found[0]),
    )


# Each kind's declaration by its table: what an import logs the rows it writes as.
COMPANY_FACTS: dict[type[CompanyFact], Resource[Any, Any, Any]] = {
    kind.model: _writes(kind) for kind in (_PLANS, _RESULTS, _PLANTS)
}


def _found(session: Session, kind: _Kind[Any], slug: str | None, row_id: int) -> _Found:
    company = _url_company(session, kind, slug)
    return _current(session, kind, row_id, company), company


def _create(
    *,
    session: Session,
    actor: str,
    kind: _Kind[Any],
    slug: str | None,
    entry: Entry,
    idempotency: Idempotency | None,
) -> Written:
    def add() -> _Found:
        company = _body_company(session, kind, entry, _url_company(session, kind, slug))
        company_id = _entity_id(company)
        values = entry.model_dump(include=set(kind.fields)) | _money(entry)
        _refuse_twin(session, kind, company_id, {name: values[name] for name in kind.key})
        quotes = verify_citations(session, entry.citations)
        row = kind.model(**values, company_id=company_id, certainty=entry.certainty)
        add_fact(session, row, quotes, entry.told_as)
        return row, company if kind.nested else None

    return _writes(kind).create(session, actor, body=entry, idempotency=idempotency, add=add)


def _update(
    *,
    session: Session,
    actor: str,
    kind: _Kind[Any],
    slug: str | None,
    row_id: int,
    patch: Update,
    if_match: str | None,
) -> Written:
    def apply(found: _Found) -> bool:
        row = found[0]
        # An amount is replaced whole: its three columns, never the nested object.
        changes = patch.changes() | _money(patch)
        if changes.keys() & set(kind.key):
            key = {name: changes.get(name, getattr(row, name)) for name in kind.key}
            _refuse_twin(session, kind, row.company_id, key, other_than=row_id)
        return correct_with(session, row, changes, patch.citations)

    return _writes(kind).change(session, actor, (slug, row_id), apply, if_match=if_match)


def _delete(
    *,
    session: Session,
    actor: str,
    kind: _Kind[Any],
    slug: str | None,
    row_id: int,
    if_match: str | None,
) -> Written:
    return _writes(kind).retract(session, actor, (slug, row_id), if_match=if_match)


# Restructuring plans: top-level resources, the company named in the body.


def create_restructuring_plan(
    *, session: Session, actor: str, payload: PlanIn, idempotency: Idempotency | None
) -> Written:
    return _create(
        session=session,
        actor=actor,
        kind=_PLANS,
        slug=None,
        entry=payload,
        idempotency=idempotency,
    )


def update_restructuring_plan(
    *,
    session: Session,
    actor: str,
    plan_id: int,
    patch: RestructuringPlanUpdate,
    if_match: str | None,
) -> Written:
    return _update(
        session=session,
        actor=actor,
        kind=_PLANS,
        slug=None,
        row_id=plan_id,
        patch=patch,
        if_match=if_match,
    )


def delete_restructuring_plan(
    *, session: Session, actor: str, plan_id: int, if_match: str | None
) -> Written:
    return _delete(
        session=session, actor=actor, kind=_PLANS, slug=None, row_id=plan_id, if_match=if_match
    )


# Financial results and plants: under their company's URL.


def get_financial_result(
    *, session: Session, slug: str, result_id: int, as_of: AsOf
) -> FinancialResultPublic:
    company = find_company(session=session, slug=slug, as_of=as_of)
    return _get(session, _RESULTS, result_id, as_of, company)


def create_financial_result(
    *,
    session: Session,
    actor: str,
    slug: str,
    payload: ResultIn,
    idempotency: Idempotency | None,
) -> Written:
    return _create(
        session=session,
        actor=actor,
        kind=_RESULTS,
        slug=slug,
        entry=payload,
        idempotency=idempotency,
    )


def update_financial_result(
    *,
    session: Session,
    actor: str,
    slug: str,
    result_id: int,
    patch: FinancialResultUpdate,
    if_match: str | None,
) -> Written:
    return _update(
        session=session,
        actor=actor,
        kind=_RESULTS,
        slug=slug,
        row_id=result_id,
        patch=patch,
        if_match=if_match,
    )


def delete_financial_result(
    *, session: Session, actor: str, slug: str, result_id: int, if_match: str | None
) -> Written:
    return _delete(
        session=session, actor=actor, kind=_RESULTS, slug=slug, row_id=result_id, if_match=if_match
    )


def get_plant(*, session: Session, slug: str, plant_id: int, as_of: AsOf) -> PlantPublic:
    company = find_company(session=session, slug=slug, as_of=as_of)
    return _get(session, _PLANTS, plant_id, as_of, company)


def create_plant(
    *,
    session: Session,
    actor: str,
    slug: str,
    payload: PlantIn,
    idempotency: Idempotency | None,
) -> Written:
    return _create(
        session=session,
        actor=actor,
        kind=_PLANTS,
        slug=slug,
        entry=payload,
        idempotency=idempotency,
    )


def update_plant(
    *,
    session: Session,
    actor: str,
    slug: str,
    plant_id: int,
    patch: PlantUpdate,
    if_match: str | None,
) -> Written:
    return _update(
        session=session,
        actor=actor,
        kind=_PLANTS,
        slug=slug,
        row_id=plant_id,
        patch=patch,
        if_match=if_match,
    )


def delete_plant(
    *, session: Session, actor: str, slug: str, plant_id: int, if_match: str | None
) -> Written:
    return _delete(
        session=session, actor=actor, kind=_PLANTS, slug=slug, row_id=plant_id, if_match=if_match
    )
