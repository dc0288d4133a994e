"""Tariffs and what they cost companies: the list, one tariff, a company's impacts, and
the writes that add, correct and retract them.

A tariff's rate changes over time. A PATCH giving a new ``rate_pct`` with an
``effective_on`` later than the current one is a rate change: besides the correction (the
old state stays answerable through ``as_of``), the rate being replaced is kept as our
current word about the past, a version of the tariff (``version_of`` set, ``known_to``
open) valid until the new rate took effect, so ``valid_at`` before that day answers it
under the tariff's own id. Reads without ``valid_at`` leave such past rates out, so a
tariff is one row in a list. (Tariff rows stored separately per rate period, with ids of
their own, stay separate tariffs, as the reads always served them.)
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.dates import format_partial_date, parse_partial_date
from app.core.errors import BodyInvalid, Conflict, NotFound
from app.core.money import Money
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition, certainly, rows_stating
from app.models import Company, Tariff, TariffImpact
from app.models.company import CompanyRef
from app.models.search import DocumentType
from app.models.tariff import (
    ImpactFilters,
    ImpactIn,
    TariffFilters,
    TariffImpactPublic,
    TariffImpactPublicWithTariff,
    TariffImpactUpdate,
    TariffIn,
    TariffPublic,
    TariffRef,
    TariffUpdate,
)
from app.services.changes import write_instant
from app.services.citations import Quote, by_parent, to_public, verify_citations
from app.services.companies import AnyCompany, find_company
from app.services.facts import project_facts
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    citations_of,
    cite_version,
    correct_fact,
    correct_with,
    effective_changes,
    retract_fact,
)

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


def _entity_id(row: Tariff | TariffImpact | AnyCompany) -> int:
    """The id of the fact a row states: its own, or on a past version the current row's."""
    entity_id = row.version_of or row.id
    assert entity_id is not None, "rows are read or flushed before they are named"
    return entity_id


def _tariff_as_of(as_of: AsOf) -> ColumnElement[bool]:
    """Tariff rows answering ``as_of``. Without ``valid_at``, a tariff's past rates kept by
    a rate change (versions of it that ended) are left out: one tariff, one row."""
    condition = as_of_condition(Tariff, as_of)
    if as_of.valid_at is None:
        past_rate = and_(col(Tariff.version_of).is_not(None), col(Tariff.valid_to).is_not(None))
        condition = and_(condition, ~past_rate)
    return condition


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
    company: AnyCompany | None = None,
    valid_at: dt.date | None = None,
) -> list[ImpactT]:
    # Per-company lists already hold their company: no query to name it.
    companies = (
        {_entity_id(company): CompanyRef(slug=company.slug, name=company.name)}
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
    return to_public(
        session, impacts, public, with_citations=with_citations, extra=extra, valid_at=valid_at
    )


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
        # A past version of a tariff finds the impacts of the tariff it is a version of.
        impacts = session.exec(
            select(TariffImpact)
            .where(
                col(TariffImpact.tariff_id).in_([_entity_id(t) for t in tariffs]),
                as_of_condition(TariffImpact, as_of),
            )
            .order_by(col(TariffImpact.id))
        ).all()
        by_tariff = by_parent(
            impacts,
            _impacts_public(
                session,
                impacts,
                TariffImpactPublic,
                with_citations=with_citations,
                valid_at=as_of.valid_at,
            ),
            lambda impact: impact.tariff_id,
        )
        for fields, tariff in zip(extra, tariffs, strict=True):
            fields["impacts"] = by_tariff.get(_entity_id(tariff), [])
    return to_public(
        session,
        tariffs,
        TariffPublic,
        with_citations=with_citations,
        extra=extra,
        valid_at=as_of.valid_at,
    )


def listed_tariffs(as_of: AsOf) -> SelectOfScalar[Tariff]:
    """The rows ``/v1/tariffs`` pages over under ``as_of``, before its filters."""
    return select(Tariff).where(_tariff_as_of(as_of), *certainly(Tariff, as_of))


def list_tariffs(
    *,
    session: Session,
    filters: TariffFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[TariffPublic]:
    statement = listed_tariffs(as_of)
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


def get_tariff(
    *, session: Session, tariff_id: int, as_of: AsOf, with_impacts: bool = True
) -> TariffPublic:
    """One tariff, with all its impacts unless ``with_impacts`` is false (a reader who
    pages through them with ``list_tariff_impacts``)."""
    tariff = session.exec(
        select(Tariff)
        .where(rows_stating(Tariff, tariff_id), _tariff_as_of(as_of))
        .order_by(col(Tariff.id))
    ).first()
    if tariff is None:
        raise NotFound(f"No tariff with id {tariff_id}.")
    return _tariffs_public(
        session, [tariff], as_of=as_of, with_impacts=with_impacts, with_citations=True
    )[0]


def list_tariff_impacts(
    *,
    session: Session,
    tariff_id: int,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[TariffImpactPublic]:
    """The impacts ``get_tariff`` embeds, a keyset page at a time in the same order: a
    tariff may hit a thousand companies, and a reader that shows a few should read a few.
    Of a tariff ``get_tariff`` found (an unknown id has none)."""
    statement = select(TariffImpact).where(
        TariffImpact.tariff_id == tariff_id, as_of_condition(TariffImpact, as_of)
    )
    fetched = fetch_page(session, statement, IMPACT_LIST, page)
    data = _impacts_public(
        session,
        fetched.rows,
        TariffImpactPublic,
        with_citations="citations" in include,
        valid_at=as_of.valid_at,
    )
    return fetched.page(data)


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
        TariffImpact.company_id == _entity_id(company),
        as_of_condition(TariffImpact, as_of),
        *certainly(TariffImpact, as_of),
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
        valid_at=as_of.valid_at,
    )
    return fetched.page(data)


# -- writes ------------------------------------------------------------------------------------

_TARIFF_FIELDS = {
    "imposing_country",
    "target_country",
    "product",
    "rate_pct",
    "previous_rate_pct",
    "baseline_rate_pct",
}


def _tariff_location(tariff_id: int) -> str:
    return f"/v1/tariffs/{tariff_id}"


def _impact_location(tariff_id: int, impact_id: int) -> str:
    return f"/v1/tariffs/{tariff_id}/impacts/{impact_id}"


def _valid_from(effective_on: str | None) -> dict[str, Any]:
    day, precision = parse_partial_date(effective_on) if effective_on else (None, None)
    return {"valid_from": day, "valid_from_precision": precision}


def _current_tariff(session: Session, tariff_id: int) -> Tariff:
    tariff = session.exec(
        select(Tariff).where(
            Tariff.id == tariff_id,
            col(Tariff.version_of).is_(None),
            col(Tariff.known_to).is_(None),
        )
    ).first()
    if tariff is None:
        raise NotFound(f"No tariff with id {tariff_id}.")
    return tariff


def _named_company(session: Session, slug: str) -> Company | None:
    return session.exec(
        select(Company).where(Company.slug == slug, as_of_condition(Company, AsOf()))
    ).first()


def _impact_twin(
    session: Session,
    *,
    tariff_id: int,
    company_id: int,
    fiscal_year: str | None,
    metric: str | None,
    other_than: int | None = None,
) -> None:
    """Refuse a second current impact of a tariff on a company for one year and metric
    (an unstated year or metric is one value: two unqualified impacts are twins too)."""
    statement = select(TariffImpact.id).where(
        TariffImpact.tariff_id == tariff_id,
        TariffImpact.company_id == company_id,
        TariffImpact.fiscal_year == fiscal_year,
        TariffImpact.metric == metric,
        col(TariffImpact.known_to).is_(None),
    )
    if other_than is not None:
        statement = statement.where(TariffImpact.id != other_than)
    if session.exec(statement).first() is not None:
        raise Conflict(
            f"Tariff {tariff_id} already has a {metric or 'unqualified'!r} impact for "
            f"{fiscal_year or 'an unstated year'!r} on that company."
        )


def _add_impact(
    session: Session, tariff: Tariff, company: Company, impact: ImpactIn, quotes: list[Quote]
) -> TariffImpact:
    row = TariffImpact(
        tariff_id=_entity_id(tariff),
        company_id=_entity_id(company),
        fiscal_year=impact.fiscal_year,
        metric=impact.metric,
        direction=impact.direction,
        kind=impact.kind,
        certainty=impact.certainty,
        **impact.amount.columns(),
    )
    add_fact(session, row, quotes, impact.told_as)
    return row


def create_tariff(
    *, session: Session, actor: str, payload: TariffIn, idempotency: Idempotency | None
) -> Written:
    """A tariff and the impacts the body gives (each recorded as its own change too)."""
    impacts: list[TariffImpact] = []

    def add() -> Tariff:
        twin = session.exec(
            select(Tariff.id).where(
                Tariff.imposing_country == payload.imposing_country,
                Tariff.target_country == payload.target_country,
                Tariff.product == payload.product,
                col(Tariff.version_of).is_(None),
                col(Tariff.known_to).is_(None),
            )
        ).first()
        if twin is not None:
            raise Conflict(
                f"Tariff {twin} already states what {payload.imposing_country} levies on "
                f"{payload.product!r} from {payload.target_country}; correct it instead."
            )
        companies: list[Company] = []
        errors: list[tuple[list[str | int], str]] = []
        seen: dict[tuple[str, str | None, str | None], int] = {}
        for i, impact in enumerate(payload.impacts):
            key = (impact.company, impact.fiscal_year, impact.metric)
            if key in seen:
                errors.append((["impacts", i], f"states again what impacts.{seen[key]} states"))
            seen.setdefault(key, i)
            if (company := _named_company(session, impact.company)) is None:
                errors.append((["impacts", i, "company"], f"no company {impact.company!r}"))
            else:
                companies.append(company)
        if errors:
            raise BodyInvalid(errors)
        quotes = verify_citations(session, payload.citations)
        impact_quotes = [
            verify_citations(session, impact.citations, loc=("impacts", i, "citations"))
            for i, impact in enumerate(payload.impacts)
        ]
        tariff = Tariff(
            **payload.model_dump(include=_TARIFF_FIELDS),
            **_valid_from(payload.effective_on),
            certainty=payload.certainty,
        )
        add_fact(session, tariff, quotes, payload.told_as)
        given = zip(payload.impacts, companies, impact_quotes, strict=True)
        impacts.extend(
            _add_impact(session, tariff, company, impact, cited) for impact, company, cited in given
        )
        return tariff

    def log_impacts(_: Tariff) -> None:
        for impact in impacts:
            IMPACTS.log(session, actor, impact, None, IMPACTS.read(session, impact))

    return TARIFFS.create(
        session, actor, body=payload, idempotency=idempotency, add=add, then=log_impacts
    )


def update_tariff(
    *, session: Session, actor: str, tariff_id: int, patch: TariffUpdate, if_match: str | None
) -> Written:
    def apply(tariff: Tariff) -> bool:
        changes = patch.changes()
        if "effective_on" in changes:
            changes |= _valid_from(changes.pop("effective_on"))
        quotes = verify_citations(session, patch.citations) if patch.citations is not None else None
        changes, quotes = effective_changes(session, tariff, changes, quotes)
        if not changes and quotes is None:
            return False
        if _is_rate_change(tariff, changes):
            _keep_past_rate(session, tariff, changes)
            changes.setdefault("previous_rate_pct", tariff.rate_pct)
        correct_fact(session, tariff, changes, quotes)
        return True

    return TARIFFS.change(session, actor, tariff_id, apply, if_match=if_match)


def _is_rate_change(tariff: Tariff, changes: dict[str, Any]) -> bool:
    """A new rate from a day after the current one took effect (or from any day, when the
    source never said when the current one did): not a correction of the rate, a change."""
    starts = changes.get("valid_from")
    return (
        "rate_pct" in changes
        and changes["rate_pct"] != tariff.rate_pct
        and starts is not None
        and (tariff.valid_from is None or starts > tariff.valid_from)
    )


def _keep_past_rate(session: Session, tariff: Tariff, changes: dict[str, Any]) -> None:
    """Keep the rate being replaced as what we now know of the past: valid until the new
    rate took effect, with the quotes that state it (and so reported when they were),
    recorded from this write."""
    past = Tariff.model_validate(tariff.model_dump(exclude={"id"}))
    past.valid_to = changes["valid_from"]
    past.valid_to_precision = changes["valid_from_precision"]
    past.recorded_from = write_instant(session)
    past.version_of = tariff.id
    session.add(past)
    session.flush()
    cite_version(session, past, citations_of(session, tariff))
    project_facts(session, [past])


def delete_tariff(*, session: Session, actor: str, tariff_id: int, if_match: str | None) -> Written:
    """Retract a tariff, its current impacts and the past rates we hold of it."""

    def withdraw_with_it(tariff: Tariff) -> None:
        impacts = session.exec(
            select(TariffImpact)
            .where(TariffImpact.tariff_id == tariff_id, col(TariffImpact.known_to).is_(None))
            .order_by(col(TariffImpact.id))
        ).all()
        for impact in impacts:
            impact_before = IMPACTS.read(session, impact)
            retract_fact(session, impact)
            IMPACTS.log(session, actor, impact, impact_before, None)
        past_rates = session.exec(
            select(Tariff).where(Tariff.version_of == tariff_id, col(Tariff.known_to).is_(None))
        ).all()
        for row in past_rates:
            retract_fact(session, row)

    return TARIFFS.retract(session, actor, tariff_id, if_match=if_match, check=withdraw_with_it)


# -- impacts of one tariff -------------------------------------------------------------------


def get_impact(
    *, session: Session, tariff_id: int, impact_id: int, as_of: AsOf
) -> TariffImpactPublicWithTariff:
    impact = session.exec(
        select(TariffImpact)
        .where(
            rows_stating(TariffImpact, impact_id),
            TariffImpact.tariff_id == tariff_id,
            as_of_condition(TariffImpact, as_of),
        )
        .order_by(col(TariffImpact.id))
    ).first()
    if impact is None:
        raise NotFound(f"No impact with id {impact_id} of tariff {tariff_id}.")
    return _impacts_public(
        session,
        [impact],
        TariffImpactPublicWithTariff,
        with_citations=True,
        with_tariff=True,
        valid_at=as_of.valid_at,
    )[0]


def _current_impact(session: Session, tariff_id: int, impact_id: int) -> TariffImpact:
    impact = session.exec(
        select(TariffImpact).where(
            TariffImpact.id == impact_id,
            TariffImpact.tariff_id == tariff_id,
            col(TariffImpact.version_of).is_(None),
            col(TariffImpact.known_to).is_(None),
        )
    ).first()
    if impact is None:
        raise NotFound(f"No impact with id {impact_id} of tariff {tariff_id}.")
    return impact


def create_impact(
    *,
    session: Session,
    actor: str,
    tariff_id: int,
    payload: ImpactIn,
    idempotency: Idempotency | None,
) -> Written:
    def add() -> TariffImpact:
        tariff = _current_tariff(session, tariff_id)
        company = _named_company(session, payload.company)
        if company is None:
            raise BodyInvalid([(["company"], f"no company {payload.company!r}")])
        _impact_twin(
            session,
            tariff_id=tariff_id,
            company_id=_entity_id(company),
            fiscal_year=payload.fiscal_year,
            metric=payload.metric,
        )
        quotes = verify_citations(session, payload.citations)
        return _add_impact(session, tariff, company, payload, quotes)

    return IMPACTS.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_impact(
    *,
    session: Session,
    actor: str,
    tariff_id: int,
    impact_id: int,
    patch: TariffImpactUpdate,
    if_match: str | None,
) -> Written:
    def apply(impact: TariffImpact) -> bool:
        changes = patch.changes()
        if patch.amount is not None:
            changes |= patch.amount.columns()
        if "fiscal_year" in changes or "metric" in changes:
            _impact_twin(
                session,
                tariff_id=tariff_id,
                company_id=impact.company_id,
                fiscal_year=changes.get("fiscal_year", impact.fiscal_year),
                metric=changes.get("metric", impact.metric),
                other_than=impact_id,
            )
        return correct_with(session, impact, changes, patch.citations)

    return IMPACTS.change(session, actor, (tariff_id, impact_id), apply, if_match=if_match)


def delete_impact(
    *, session: Session, actor: str, tariff_id: int, impact_id: int, if_match: str | None
) -> Written:
    return IMPACTS.retract(session, actor, (tariff_id, impact_id), if_match=if_match)


TARIFFS: Resource[int, Tariff, TariffPublic] = Resource(
    name="tariffs",
    find=_current_tariff,
    read=lambda session, tariff: get_tariff(
        session=session, tariff_id=_entity_id(tariff), as_of=AsOf()
    ),
    log_id=lambda tariff, _: _entity_id(tariff),
    read_many=lambda session, rows: by_log_id(
        rows,
        _tariffs_public(session, rows, as_of=AsOf(), with_impacts=True, with_citations=True),
        _entity_id,
    ),
    location=lambda tariff, _: _tariff_location(_entity_id(tariff)),
    row=lambda tariff: tariff,
    search=DocumentType.tariff,
    search_id=_entity_id,
)
# An impact is a resource of its own, in its tariff's search document.
IMPACTS: Resource[tuple[int, int], TariffImpact, TariffImpactPublicWithTariff] = Resource(
    name="tariff-impacts",
    find=lambda session, ids: _current_impact(session, *ids),
    read=lambda session, impact: get_impact(
        session=session, tariff_id=impact.tariff_id, impact_id=_entity_id(impact), as_of=AsOf()
    ),
    log_id=lambda impact, _: _entity_id(impact),
    read_many=lambda session, rows: by_log_id(
        rows,
        _impacts_public(
            session, rows, TariffImpactPublicWithTariff, with_citations=True, with_tariff=True
        ),
        _entity_id,
    ),
    location=lambda impact, _: _impact_location(impact.tariff_id, _entity_id(impact)),
    row=lambda impact: impact,
    search=DocumentType.tariff,
    search_id=lambda impact: impact.tariff_id,
)
