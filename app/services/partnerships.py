"""Partnerships: the list, one partnership with its scope and history, a company's."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition
from app.models import (
    Certainty,
    Company,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatus,
    PartnershipStatusChange,
)
from app.models.company import CompanyRef
from app.models.partnership import (
    PartnershipDetail,
    PartnershipPublic,
    PartnershipScopePublic,
    PartnershipStatusPublic,
)
from app.services.citations import to_public
from app.services.companies import find_company

PARTNERSHIP_LIST = ListSpec(
    sort_keys={"id": Partnership.id, "title": Partnership.title},
    default_sort="id",
    id_column=Partnership.id,
    facets={"status": Partnership.status, "certainty": Partnership.certainty},
)


@dataclass(frozen=True)
class PartnershipFilters:
    status: PartnershipStatus | None = None
    member: str | None = None
    certainty: Certainty | None = None


def _asks_for_the_past(as_of: AsOf) -> bool:
    """Whether the stored current status may not be the answer: with ``valid_at`` or
    ``known_at``, the status comes from the dated history instead."""
    return as_of.valid_at is not None or as_of.known_at is not None


def _status_order() -> list[Any]:
    # The latest row that answers as_of wins; NULLS LAST so SQLite and PostgreSQL agree on
    # a row without a start date (it held "since always", so any dated row is later).
    return [
        col(PartnershipStatusChange.valid_from).desc().nulls_last(),
        col(PartnershipStatusChange.id).desc(),
    ]


def _status_as_of(as_of: AsOf) -> ColumnElement[Any]:
    """The status of the enclosing query's partnership that answers ``as_of``."""
    return (
        select(PartnershipStatusChange.status)
        .where(
            PartnershipStatusChange.partnership_id == Partnership.id,
            as_of_condition(PartnershipStatusChange, as_of),
        )
        .order_by(*_status_order())
        .limit(1)
        .scalar_subquery()
    )


def _statuses(
    session: Session, partnership_ids: Sequence[int], as_of: AsOf
) -> dict[int, PartnershipStatus]:
    """The status that answers ``as_of``, for many partnerships in one query."""
    statement = (
        select(PartnershipStatusChange)
        .where(
            col(PartnershipStatusChange.partnership_id).in_(partnership_ids),
            as_of_condition(PartnershipStatusChange, as_of),
        )
        .order_by(*_status_order())
    )
    statuses: dict[int, PartnershipStatus] = {}
    for row in session.exec(statement):
        statuses.setdefault(row.partnership_id, row.status)
    return statuses


def _members(
    session: Session, partnership_ids: Sequence[int], as_of: AsOf
) -> dict[int, list[CompanyRef]]:
    """The member companies of many partnerships, in one query."""
    members: dict[int, list[CompanyRef]] = defaultdict(list)
    statement = (
        select(PartnershipMember.partnership_id, Company.slug, Company.name)
        .join(Company, col(Company.id) == PartnershipMember.company_id)
        .where(
            col(PartnershipMember.partnership_id).in_(partnership_ids),
            as_of_condition(PartnershipMember, as_of),
            as_of_condition(Company, as_of),
        )
        .order_by(col(PartnershipMember.id))
    )
    for partnership_id, slug, name in session.exec(statement):
        members[partnership_id].append(CompanyRef(slug=slug, name=name))
    return members


def _fields(
    session: Session,
    partnerships: Sequence[Partnership],
    as_of: AsOf,
    *,
    with_members: bool,
) -> list[dict[str, object]]:
    """Per partnership, the fields its row does not answer by itself."""
    ids = [p.id for p in partnerships if p.id is not None]
    statuses = _statuses(session, ids, as_of) if _asks_for_the_past(as_of) and ids else None
    members = _members(session, ids, as_of) if with_members and ids else None
    result: list[dict[str, object]] = []
    for partnership in partnerships:
        fields: dict[str, object] = {
            "status": partnership.status if statuses is None else statuses.get(partnership.id)  # type: ignore[arg-type]
        }
        if members is not None:
            fields["members"] = members.get(partnership.id, [])  # type: ignore[arg-type]
        result.append(fields)
    return result


def _find_partnership(session: Session, partnership_id: int, as_of: AsOf) -> Partnership:
    partnership = session.exec(
        select(Partnership).where(
            Partnership.id == partnership_id, as_of_condition(Partnership, as_of)
        )
    ).first()
    if partnership is None:
        raise NotFound(f"No partnership with id {partnership_id}.")
    return partnership


def get_partnership(*, session: Session, partnership_id: int, as_of: AsOf) -> PartnershipDetail:
    partnership = _find_partnership(session, partnership_id, as_of)
    fields = _fields(session, [partnership], as_of, with_members=True)[0]
    scope_rows = session.exec(
        select(PartnershipScope)
        .where(
            PartnershipScope.partnership_id == partnership_id,
            as_of_condition(PartnershipScope, as_of),
        )
        .order_by(col(PartnershipScope.id))
    ).all()
    scope = to_public(session, scope_rows, PartnershipScopePublic, with_citations=True)
    status_rows = session.exec(
        select(PartnershipStatusChange)
        .where(
            PartnershipStatusChange.partnership_id == partnership_id,
            as_of_condition(PartnershipStatusChange, as_of),
        )
        .order_by(
            col(PartnershipStatusChange.valid_from).asc().nulls_first(),
            col(PartnershipStatusChange.id),
        )
    ).all()
    return to_public(
        session,
        [partnership],
        PartnershipDetail,
        with_citations=True,
        extra=[
            {
                **fields,
                "scope": [s for s in scope if s.certainty != Certainty.excluded],
                "excluded": [s for s in scope if s.certainty == Certainty.excluded],
                "status_history": to_public(
                    session, status_rows, PartnershipStatusPublic, with_citations=True
                ),
            }
        ],
    )[0]


def _list(
    session: Session,
    statement: SelectOfScalar[Partnership],
    filters: PartnershipFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PartnershipPublic]:
    statement = statement.where(as_of_condition(Partnership, as_of))
    if filters.status is not None:
        if _asks_for_the_past(as_of):
            statement = statement.where(_status_as_of(as_of) == filters.status)
        else:
            statement = statement.where(Partnership.status == filters.status)
    if filters.member is not None:
        member = (
            select(PartnershipMember.id)
            .join(Company, col(Company.id) == PartnershipMember.company_id)
            .where(
                PartnershipMember.partnership_id == Partnership.id,
                Company.slug == filters.member,
                as_of_condition(PartnershipMember, as_of),
                as_of_condition(Company, as_of),
            )
        )
        statement = statement.where(member.exists())
    if filters.certainty is not None:
        statement = statement.where(Partnership.certainty == filters.certainty)
    fetched = fetch_page(session, statement, PARTNERSHIP_LIST, page)
    rows = fetched.rows
    data = to_public(
        session,
        rows,
        PartnershipPublic,
        with_citations="citations" in include,
        extra=_fields(session, rows, as_of, with_members="members" in include),
    )
    return fetched.page(data)


def list_partnerships(
    *,
    session: Session,
    filters: PartnershipFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PartnershipPublic]:
    return _list(session, select(Partnership), filters, as_of, page, include)


def list_company_partnerships(
    *,
    session: Session,
    slug: str,
    filters: PartnershipFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PartnershipPublic]:
    company = find_company(session=session, slug=slug, as_of=as_of)
    membership = select(PartnershipMember.id).where(
        PartnershipMember.partnership_id == Partnership.id,
        PartnershipMember.company_id == company.id,
        as_of_condition(PartnershipMember, as_of),
    )
    statement = select(Partnership).where(membership.exists())
    return _list(session, statement, filters, as_of, page, include)
