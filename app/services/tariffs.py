"""Tariffs and what they cost companies: the list, one tariff, a company's impacts."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, col, select

from app.core.dates import format_partial_date
from app.core.errors import NotFound
from app.core.money import Money
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition
from app.models import Company, Tariff, TariffImpact
from app.models.company import CompanyRef
from app.models.tariff import (
    TariffImpactPublic,
    TariffImpactPublicWithTariff,
    TariffPublic,
    TariffRef,
)
from app.services.citations import to_public
from app.services.companies import find_company

ImpactT = TypeVar("ImpactT", bound=TariffImpactPublic)

TARIFF_LIST = ListSpec(
    sort_keys={"id": Tariff.id, "product": Tariff.product},
    default_sort="id",
    id_column=Tariff.id,
    facets={
        "imposing_country": Tariff.imposing_country,
        "target_country": Tariff.target_country,
        "product": Tariff.product,
    },
)

IMPACT_LIST = ListSpec(
    sort_keys={"id": TariffImpact.id, "fiscal_year": TariffImpact.fiscal_year},
    default_sort="id",
    id_column=TariffImpact.id,
    facets={"fiscal_year": TariffImpact.fiscal_year, "metric": TariffImpact.metric},
)


@dataclass(frozen=True)
class TariffFilters:
    imposing_country: str | None = None
    target_country: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class ImpactFilters:
    fiscal_year: str | None = None
    metric: str | None = None


def _company_refs(session: Session, company_ids: Sequence[int]) -> dict[int, CompanyRef]:
    # A label only: a company's one row names it whatever the as-of, so no as_of_condition.
    if not company_ids:
        return {}
    rows = session.exec(
        select(Company.id, Company.slug, Company.name).where(col(Company.id).in_(set(company_ids)))
    ).all()
    return {id_: CompanyRef(slug=slug, name=name) for id_, slug, name in rows}  # type: ignore[misc]


def _tariff_refs(session: Session, tariff_ids: Sequence[int]) -> dict[int, TariffRef]:
    # The impact is the fact asked for; its tariff is a label, whatever that tariff's as-of.
    if not tariff_ids:
        return {}
    rows = session.exec(
        select(Tariff.id, Tariff.imposing_country, Tariff.target_country, Tariff.product).where(
            col(Tariff.id).in_(set(tariff_ids))
        )
    ).all()
    refs = (TariffRef.model_validate(row, from_attributes=True) for row in rows)
    return {ref.id: ref for ref in refs}


def _impacts_public(
    session: Session,
    impacts: Sequence[TariffImpact],
    public: type[ImpactT],
    *,
    with_citations: bool,
    with_tariff: bool = False,
    company: Company | None = None,
) -> list[ImpactT]:
    # Per-company lists already hold their company: no query to name it.
    companies = (
        {company.id: CompanyRef(slug=company.slug, name=company.name)}
        if company is not None
        else _company_refs(session, [i.company_id for i in impacts])
    )
    tariffs = _tariff_refs(session, [i.tariff_id for i in impacts]) if with_tariff else {}
    extra: list[dict[str, object]] = []
    for impact in impacts:
        fields: dict[str, object] = {
            "company": companies[impact.company_id],
            "amount": Money(amount=impact.amount, currency=impact.currency, usd=impact.usd),
        }
        if with_tariff:
            fields["tariff"] = tariffs[impact.tariff_id]
        extra.append(fields)
    return to_public(session, impacts, public, with_citations=with_citations, extra=extra)


def _tariffs_public(
    session: Session,
    tariffs: Sequence[Tariff],
    *,
    as_of: AsOf,
    with_impacts: bool,
    with_citations: bool,
) -> list[TariffPublic]:
    extra: list[dict[str, object]] = [
        {"effective_on": format_partial_date(t.valid_from, t.valid_from_precision)} for t in tariffs
    ]
    if with_impacts and tariffs:
        impacts = session.exec(
            select(TariffImpact)
            .where(
                col(TariffImpact.tariff_id).in_([t.id for t in tariffs]),
                as_of_condition(TariffImpact, as_of),
            )
            .order_by(col(TariffImpact.id))
        ).all()
        by_tariff: dict[int, list[TariffImpactPublic]] = defaultdict(list)
        for impact, public in zip(
            impacts,
            _impacts_public(session, impacts, TariffImpactPublic, with_citations=with_citations),
            strict=True,
        ):
            by_tariff[impact.tariff_id].append(public)
        for fields, tariff in zip(extra, tariffs, strict=True):
            fields["impacts"] = by_tariff.get(tariff.id, [])  # type: ignore[arg-type]
    return to_public(session, tariffs, TariffPublic, with_citations=with_citations, extra=extra)


def list_tariffs(
    *,
    session: Session,
    filters: TariffFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[TariffPublic]:
    statement = select(Tariff).where(as_of_condition(Tariff, as_of))
    if filters.imposing_country is not None:
        statement = statement.where(Tariff.imposing_country == filters.imposing_country)
    if filters.target_country is not None:
        statement = statement.where(Tariff.target_country == filters.target_country)
    if filters.product is not None:
        statement = statement.where(Tariff.product == filters.product)
    fetched = fetch_page(session, statement, TARIFF_LIST, page)
    rows = fetched.rows
    data = _tariffs_public(
        session,
        rows,
        as_of=as_of,
        with_impacts="impacts" in include,
        with_citations="citations" in include,
    )
    return fetched.page(data)


def get_tariff(*, session: Session, tariff_id: int, as_of: AsOf) -> TariffPublic:
    tariff = session.exec(
        select(Tariff).where(Tariff.id == tariff_id, as_of_condition(Tariff, as_of))
    ).first()
    if tariff is None:
        raise NotFound(f"No tariff with id {tariff_id}.")
    return _tariffs_public(session, [tariff], as_of=as_of, with_impacts=True, with_citations=True)[
        0
    ]


def list_company_impacts(
    *,
    session: Session,
    slug: str,
    filters: ImpactFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[TariffImpactPublicWithTariff]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = select(TariffImpact).where(
        TariffImpact.company_id == company.id, as_of_condition(TariffImpact, as_of)
    )
    if filters.fiscal_year is not None:
        statement = statement.where(TariffImpact.fiscal_year == filters.fiscal_year)
    if filters.metric is not None:
        statement = statement.where(TariffImpact.metric == filters.metric)
    fetched = fetch_page(session, statement, IMPACT_LIST, page)
    rows = fetched.rows
    data = _impacts_public(
        session,
        rows,
        TariffImpactPublicWithTariff,
        with_citations="citations" in include,
        with_tariff=True,
        company=company,
    )
    return fetched.page(data)
