"""Companies: the list, one company, and the lookup every per-company route starts from."""

from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, func, insert
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.core.pagination import ListSpec, Page, PageParams, Tally, fetch_page
from app.core.temporal import (
    AsOf,
    AsOfShape,
    as_of_bindings,
    as_of_condition,
    as_of_shape,
    bound_as_of,
    bound_as_of_condition,
    certainly,
    prepared_filters,
)
from app.models import (
    Company,
    CompanyTally,
    ExecutiveRole,
    FinancialResult,
    PartnershipMember,
    Plant,
    RestructuringPlan,
    TariffImpact,
)
from app.models.company import CompanyFilters, CompanyIn, CompanyPublic, CompanyUpdate
from app.models.search import DocumentType
from app.services.citations import cited_public, to_public, verify_citations, with_citations
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    correct_with,
)

COMPANY_LIST = ListSpec(
    sort_keys={"name": Company.name, "slug": Company.slug, "id": Company.id},
    default_sort="name",
    id_column=Company.id,
    facets={"country": Company.country, "kind": Company.kind, "certainty": Company.certainty},
    tally=Tally(table=CompanyTally.__table__, count="companies"),  # type: ignore[attr-defined]
)


# A company as reads see it (a Core row) or as writes change it (a model instance); the
# per-company routes only use its columns.
AnyCompany = Company | Row[Any]


def find_company(*, session: Session, slug: str, as_of: AsOf) -> Row[Any]:
    """The company row every per-company read starts from (a Core row: its columns as
    attributes); a 404 when there is none."""
    company = (
        session.connection()
        .execute(_company_by_slug(as_of_shape(as_of)), {"slug": slug, **as_of_bindings(as_of)})
        .first()
    )
    if company is None:
        raise NotFound(f"No company with slug {slug!r}.")
    return company


def company_to_change(*, session: Session, slug: str) -> Company:
    """The current company row as a model instance, for a write to change; a 404 when
    there is none."""
    company = session.exec(
        select(Company).where(Company.slug == slug, as_of_condition(Company, AsOf()))
    ).first()
    if company is None:
        raise NotFound(f"No company with slug {slug!r}.")
    return company


def get_company(*, session: Session, slug: str, as_of: AsOf) -> CompanyPublic:
    rows = (
        session.connection()
        .execute(
            _cited_company_by_slug(as_of_shape(as_of)), {"slug": slug, **as_of_bindings(as_of)}
        )
        .all()
    )
    if not rows:
        raise NotFound(f"No company with slug {slug!r}.")
    return cited_public(rows, CompanyPublic, valid_at=as_of.valid_at)


COMPANY = Company.__table__  # type: ignore[attr-defined]


@cache
def _cited_company_by_slug(shape: AsOfShape) -> Select[Any]:
    return with_citations(_company_by_slug(shape), COMPANY, CompanyPublic.fact_table)


@cache
def _company_by_slug(shape: AsOfShape) -> Select[Any]:
    # Every company read starts here: built once per as_of shape (see app/core/temporal.py),
    # run through Core, which costs a fraction of an ORM query.
    return select(COMPANY).where(
        COMPANY.c.slug == bindparam("slug"), bound_as_of_condition(COMPANY.c, shape)
    )


def list_companies(
    *,
    session: Session,
    filters: CompanyFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[CompanyPublic]:
    names, shape, bindings = prepared_filters(filters, as_of)
    statement = _company_list(names, shape)
    current = None if any(shape) else {name: bindings[name] for name in names}
    fetched = fetch_page(
        session, statement, COMPANY_LIST, page, bindings=bindings, current_filters=current
    )
    rows = fetched.rows
    data = to_public(
        session,
        rows,
        CompanyPublic,
        with_citations="citations" in include,
        valid_at=as_of.valid_at,
    )
    return fetched.page(data)


def refill_company_tally(connection: Connection) -> None:
    """Count the current companies into ``company_tally`` afresh, for a bulk load that set
    its triggers aside (gen-dataset); the company-tally migration fills it the same way."""
    tally = CompanyTally.__table__  # type: ignore[attr-defined]
    combination = (col(Company.country), col(Company.kind), col(Company.certainty))
    counted = (
        select(*combination, func.count())
        .where(as_of_condition(Company, AsOf()))
        .group_by(*combination)
    )
    connection.execute(delete(tally))
    connection.execute(
        insert(tally).from_select(["country", "kind", "certainty", "companies"], counted)
    )


def listed_companies(as_of: AsOf) -> Select[Any]:
    """The rows ``/v1/companies`` pages over under ``as_of``, before its filters."""
    return select(Company).where(as_of_condition(Company, as_of), *certainly(Company, as_of))


@cache
def _company_list(filters: frozenset[str], shape: AsOfShape) -> Select[Any]:
    # The most requested list: built once per set of filters given and as_of shape, their
    # values bound (see fetch_page).
    statement = listed_companies(bound_as_of(shape))
    for name in sorted(filters):
        statement = statement.where(getattr(Company, name) == bindparam(name))
    return statement


# -- writes ------------------------------------------------------------------------------------

_DEPENDENTS = (
    ExecutiveRole,
    PartnershipMember,
    TariffImpact,
    RestructuringPlan,
    FinancialResult,
    Plant,
)


def _company_id(company: Company) -> int:
    assert company.id is not None, "rows are read or flushed before they are named"
    return company.id


COMPANIES: Resource[str, Company, CompanyPublic] = Resource(
    name="companies",
    find=lambda session, slug: company_to_change(session=session, slug=slug),
    read=lambda session, company: get_company(session=session, slug=company.slug, as_of=AsOf()),
    log_id=lambda company, _: company.slug,
    read_many=lambda session, rows: by_log_id(
        rows, to_public(session, rows, CompanyPublic, with_citations=True), lambda c: c.slug
    ),
    location=lambda company, _: f"/v1/companies/{company.slug}",
    row=lambda company: company,
    search=DocumentType.company,
    search_id=_company_id,
)


def create_company(
    *, session: Session, actor: str, payload: CompanyIn, idempotency: Idempotency | None
) -> Written:
    def add() -> Company:
        if _current(session, payload.slug) is not None:
            raise Conflict(f"A company with slug {payload.slug!r} exists already.")
        quotes = verify_citations(session, payload.citations)
        company = Company(**payload.model_dump(exclude={"citations", "told_as"}))
        add_fact(session, company, quotes, payload.told_as)
        return company

    return COMPANIES.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_company(
    *, session: Session, actor: str, slug: str, patch: CompanyUpdate, if_match: str | None
) -> Written:
    def apply(company: Company) -> bool:
        return correct_with(session, company, patch.changes(), patch.citations)

    return COMPANIES.change(session, actor, slug, apply, if_match=if_match)


def delete_company(*, session: Session, actor: str, slug: str, if_match: str | None) -> Written:
    def check(company: Company) -> None:
        for model in _DEPENDENTS:
            dependent = session.exec(
                select(model.id).where(
                    model.company_id == company.id,
                    col(model.known_to).is_(None),
                )
            ).first()
            if dependent is not None:
                raise Conflict(
                    f"Company {slug!r} still has current {model.__tablename__} facts; "
                    "retract them first."
                )

    return COMPANIES.retract(session, actor, slug, if_match=if_match, check=check)


def _current(session: Session, slug: str) -> Company | None:
    return session.exec(
        select(Company).where(Company.slug == slug, as_of_condition(Company, AsOf()))
    ).first()
