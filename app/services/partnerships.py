"""Partnerships: the list, one partnership with its scope and history, a company's."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.dates import (
    certainly_overlap,
    ends_by_start,
    format_partial_date,
    parse_partial_date,
    partial_day,
    refuse_patched_range,
    stored_day,
    stored_span,
)
from app.core.errors import BodyConflicts, BodyInvalid, Conflict, NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.quotes import CitationIn
from app.core.temporal import (
    AsOf,
    Validity,
    as_of_condition,
    certainly,
    entity_id,
    entity_in,
    validity_on,
)
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
    ExclusionIn,
    PartnershipDetail,
    PartnershipFilters,
    PartnershipIn,
    PartnershipMemberIn,
    PartnershipPublic,
    PartnershipScopePublic,
    PartnershipScopeUpdate,
    PartnershipStatusPublic,
    PartnershipUpdate,
    ScopeIn,
    StatusChangeIn,
    began_after_end,
    end_before_status_error,
    latest_status,
    overlap_error,
    span_text,
)
from app.models.search import DocumentType
from app.services.citations import Quote, by_parent, to_public, verify_citations
from app.services.companies import find_company
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    correct_fact,
    correct_with,
    retract_fact,
)

PARTNERSHIP_LIST = ListSpec(
    sort_keys={"id": Partnership.id, "title": Partnership.title},
    default_sort="id",
    id_column=Partnership.id,
    facets={"status": Partnership.status, "certainty": Partnership.certainty},
)


def _asks_for_the_past(as_of: AsOf) -> bool:
    """Whether the stored current status may not be the answer: with ``valid_at`` or
    ``known_at`` or ``as_of``, the status comes from the dated history instead."""
    return as_of.valid_at is not None or as_of.known_at is not None or as_of.as_of is not None


def _status_order() -> list[Any]:
    # The latest row that answers as_of wins; NULLS LAST so SQLite and PostgreSQL agree on
    # a row without a start date (it held "since always", so any dated row is later).
    return [
        col(PartnershipStatusChange.valid_from).desc().nulls_last(),
        col(PartnershipStatusChange.id).desc(),
    ]


def _entity_id(partnership: Partnership) -> int:
    """The id its children point to: a superseded copy stands for the row it was."""
    return partnership.version_of or partnership.id  # type: ignore[return-value]


def _status_as_of(as_of: AsOf) -> ColumnElement[Any]:
    """The status of the enclosing query's partnership that answers ``as_of``."""
    return (
        select(PartnershipStatusChange.status)
        .where(
            PartnershipStatusChange.partnership_id == entity_id(Partnership, as_of),
            as_of_condition(PartnershipStatusChange, as_of),
            *certainly(PartnershipStatusChange, as_of),
        )
        .order_by(*_status_order())
        .limit(1)
        .scalar_subquery()
    )


def _exists_on(as_of: AsOf) -> list[ColumnElement[bool]]:
    """With ``valid_at``: a partnership exists from its first status on (possibly earlier
    where that status's date is imprecise), so one with no status that (possibly, or with
    ``validity=certain`` certainly) held on the date is not listed."""
    if as_of.valid_at is None:
        return []
    status = (
        select(PartnershipStatusChange.id)
        .where(
            PartnershipStatusChange.partnership_id == entity_id(Partnership, as_of),
            as_of_condition(PartnershipStatusChange, as_of),
            *certainly(PartnershipStatusChange, as_of),
        )
        .exists()
    )
    return [status]


def _listed_on(as_of: AsOf) -> list[ColumnElement[bool]]:
    """What a partnership answers to be listed under ``as_of``, whatever the filters."""
    return [as_of_condition(Partnership, as_of), *_exists_on(as_of)]


def listed_partnerships(as_of: AsOf) -> Select[Any]:
    """The rows ``/v1/partnerships`` pages over under ``as_of``, before its filters."""
    return select(Partnership).where(*_listed_on(as_of))


def listed_validity(
    session: Session, partnerships: Sequence[Partnership], as_of: AsOf
) -> list[Validity | None]:
    """The ``validity`` each of these partnerships shows in a list under ``as_of``: that
    of the status it shows."""
    fields = _fields(session, partnerships, as_of, with_members=False)
    return [own.get("validity") for own in fields]  # type: ignore[misc]


def _statuses(
    session: Session, partnership_ids: Sequence[int], as_of: AsOf
) -> dict[int, PartnershipStatusChange]:
    """The status row that answers ``as_of``, for many partnerships in one query."""
    statement = (
        select(PartnershipStatusChange)
        .where(
            col(PartnershipStatusChange.partnership_id).in_(partnership_ids),
            as_of_condition(PartnershipStatusChange, as_of),
            *certainly(PartnershipStatusChange, as_of),
        )
        .order_by(*_status_order())
    )
    statuses: dict[int, PartnershipStatusChange] = {}
    for row in session.exec(statement):
        statuses.setdefault(row.partnership_id, row)
    return statuses


def _members(
    session: Session, partnership_ids: Sequence[int], as_of: AsOf
) -> dict[int, list[CompanyRef]]:
    """The member companies of many partnerships, in one query."""
    members: dict[int, list[CompanyRef]] = defaultdict(list)
    statement = (
        select(PartnershipMember.partnership_id, Company.slug, Company.name)
        .join(Company, col(PartnershipMember.company_id) == entity_id(Company, as_of))
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
    ids = [_entity_id(p) for p in partnerships]
    statuses = _statuses(session, ids, as_of) if _asks_for_the_past(as_of) and ids else None
    members = _members(session, ids, as_of) if with_members and ids else None
    result: list[dict[str, object]] = []
    for partnership in partnerships:
        key = _entity_id(partnership)
        fields: dict[str, object] = {"status": partnership.status}
        if statuses is not None:
            status = statuses.get(key)
            fields["status"] = status.status if status is not None else None
            if as_of.valid_at is not None and status is not None:
                # A partnership is what its status is on the date: as certain as that row.
                fields["validity"] = validity_on(
                    as_of.valid_at, status.certain_from, status.certain_to
                )
        if members is not None:
            fields["members"] = members.get(key, [])
        result.append(fields)
    return result


def _find_partnership(session: Session, partnership_id: int, as_of: AsOf) -> Partnership:
    # Under as_of the answer may be a superseded copy, found by the id it stands for.
    partnership = session.exec(
        select(Partnership).where(
            or_(
                col(Partnership.id) == partnership_id, col(Partnership.version_of) == partnership_id
            ),
            as_of_condition(Partnership, as_of),
            *_exists_on(as_of),
        )
    ).first()
    if partnership is None:
        raise NotFound(f"No partnership with id {partnership_id}.")
    return partnership


def get_partnership(*, session: Session, partnership_id: int, as_of: AsOf) -> PartnershipDetail:
    partnership = _find_partnership(session, partnership_id, as_of)
    return _details(session, [partnership], as_of)[0]


def _details(
    session: Session, partnerships: Sequence[Partnership], as_of: AsOf
) -> list[PartnershipDetail]:
    """Partnerships with their members, scope and status history, a few queries for all
    of them (an import logs thousands)."""
    if not partnerships:
        return []
    ids = [_entity_id(p) for p in partnerships]
    fields = _fields(session, partnerships, as_of, with_members=True)
    scope_rows = session.exec(
        select(PartnershipScope)
        .where(
            col(PartnershipScope.partnership_id).in_(ids),
            as_of_condition(PartnershipScope, as_of),
        )
        .order_by(col(PartnershipScope.id))
    ).all()
    scope = by_parent(
        scope_rows,
        to_public(
            session,
            scope_rows,
            PartnershipScopePublic,
            with_citations=True,
            valid_at=as_of.valid_at,
        ),
        lambda row: row.partnership_id,
    )
    status_rows = session.exec(
        select(PartnershipStatusChange)
        .where(
            col(PartnershipStatusChange.partnership_id).in_(ids),
            as_of_condition(PartnershipStatusChange, as_of),
        )
        .order_by(
            col(PartnershipStatusChange.valid_from).asc().nulls_first(),
            col(PartnershipStatusChange.id),
        )
    ).all()
    history = by_parent(
        status_rows,
        to_public(
            session,
            status_rows,
            PartnershipStatusPublic,
            with_citations=True,
            valid_at=as_of.valid_at,
        ),
        lambda row: row.partnership_id,
    )
    extra: list[dict[str, object]] = [
        {
            **own,
            "scope": [s for s in scope[key] if s.certainty != Certainty.excluded],
            "excluded": [s for s in scope[key] if s.certainty == Certainty.excluded],
            "status_history": history[key],
        }
        for key, own in zip(ids, fields, strict=True)
    ]
    return to_public(
        session,
        partnerships,
        PartnershipDetail,
        with_citations=True,
        extra=extra,
        valid_at=as_of.valid_at,
    )


def _list(
    session: Session,
    statement: SelectOfScalar[Partnership],
    filters: PartnershipFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[PartnershipPublic]:
    statement = statement.where(*_listed_on(as_of))
    if filters.status is not None:
        if _asks_for_the_past(as_of):
            statement = statement.where(_status_as_of(as_of) == filters.status)
        else:
            statement = statement.where(Partnership.status == filters.status)
    if filters.member is not None:
        member_of = (
            select(PartnershipMember.partnership_id)
            .join(Company, col(PartnershipMember.company_id) == entity_id(Company, as_of))
            .where(
                Company.slug == filters.member,
                as_of_condition(PartnershipMember, as_of),
                as_of_condition(Company, as_of),
            )
        )
        statement = statement.where(entity_in(Partnership, as_of, member_of))
    if filters.certainty is not None:
        statement = statement.where(Partnership.certainty == filters.certainty)
    # Under valid_at, known_at or as_of the status shown comes from the history, and so
    # must the status the facet counts.
    shown = {"status": _status_as_of(as_of)} if _asks_for_the_past(as_of) else None
    fetched = fetch_page(session, statement, PARTNERSHIP_LIST, page, facets_as=shown)
    rows = fetched.rows
    data = to_public(
        session,
        rows,
        PartnershipPublic,
        with_citations="citations" in include,
        extra=_fields(session, rows, as_of, with_members="members" in include),
        valid_at=as_of.valid_at,
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
    # The company's memberships first, then their partnerships by key: a condition per
    # partnership (EXISTS on its members) read every partnership there is.
    member_of = select(PartnershipMember.partnership_id).where(
        PartnershipMember.company_id == (company.version_of or company.id),
        as_of_condition(PartnershipMember, as_of),
    )
    statement = select(Partnership).where(entity_in(Partnership, as_of, member_of))
    return _list(session, statement, filters, as_of, page, include)


# -- writes ------------------------------------------------------------------------------------
# Every write is recorded on the partnership it touches (resource ``partnerships``, its id),
# before and after as its detail: a consumer mirrors one resource whatever part changed.


def _location(partnership_id: int) -> str:
    return f"/v1/partnerships/{partnership_id}"


def _date_columns(column: str, text: str | None) -> dict[str, Any]:
    """A partial date as its two columns: ``valid_from`` and ``valid_from_precision``."""
    day, precision = parse_partial_date(text) if text is not None else (None, None)
    return {column: day, f"{column}_precision": precision}


def _dates(valid_from: str | None, valid_to: str | None) -> dict[str, Any]:
    return _date_columns("valid_from", valid_from) | _date_columns("valid_to", valid_to)


def _current(session: Session, slug: str) -> Partnership | None:
    return session.exec(
        select(Partnership).where(Partnership.slug == slug, as_of_condition(Partnership, AsOf()))
    ).first()


def _current_company(session: Session, slug: str) -> Company | None:
    return session.exec(
        select(Company).where(Company.slug == slug, as_of_condition(Company, AsOf()))
    ).first()


def _current_children(session: Session, model: Any, partnership_id: int) -> list[Any]:
    """The rows of ``model`` that are our sources' current word about the partnership."""
    return list(
        session.exec(
            select(model)
            .where(model.partnership_id == partnership_id, col(model.known_to).is_(None))
            .order_by(col(model.id))
        )
    )


def _verify_all(
    session: Session,
    groups: Sequence[tuple[tuple[str | int, ...], Sequence[CitationIn]]],
    errors: list[tuple[list[str | int], str]],
) -> list[list[Quote]]:
    """Verify each group's quotes (``loc`` names the group's ``citations``), collecting every
    fault into ``errors`` so one refusal names them all."""
    quotes: list[list[Quote]] = []
    for loc, citations in groups:
        try:
            quotes.append(verify_citations(session, citations, loc=loc))
        except BodyInvalid as exc:
            errors.extend((list(e["loc"][1:]), e["msg"]) for e in exc.errors or [])
            quotes.append([])
    return quotes


def _latest_status(session: Session, partnership_id: int) -> PartnershipStatus:
    """The status the partnership's current rows make current, by the importer's rule."""
    rows = _current_children(session, PartnershipStatusChange, partnership_id)
    return latest_status((row.valid_from, row.status) for row in rows)


def _detail(session: Session, partnership_id: int) -> PartnershipDetail:
    return get_partnership(session=session, partnership_id=partnership_id, as_of=AsOf())


def create_partnership(
    *, session: Session, actor: str, payload: PartnershipIn, idempotency: Idempotency | None
) -> Written:
    def add() -> Partnership:
        if _current(session, payload.slug) is not None:
            raise Conflict(f"A partnership with slug {payload.slug!r} exists already.")
        errors: list[tuple[list[str | int], str]] = []
        companies: list[Company] = []
        for i, slug in enumerate(payload.members):
            company = _current_company(session, slug)
            if company is None:
                errors.append((["members", i], f"no company {slug!r}"))
            elif company in companies:
                errors.append((["members", i], f"{slug!r} is named twice"))
            else:
                companies.append(company)
        areas: dict[str, str] = {}
        scope: list[tuple[tuple[str, int], ScopeIn | ExclusionIn]] = [
            *((("scope", i), area) for i, area in enumerate(payload.scope)),
            *((("excluded", i), area) for i, area in enumerate(payload.excluded)),
        ]
        for loc, area in scope:
            if area.area in areas:
                errors.append(([*loc, "area"], f"{area.area!r} is stated at {areas[area.area]}"))
            areas.setdefault(area.area, ".".join(map(str, loc)))
        if (contradiction := payload.statuses_after_end()) is not None:
            errors.append((["ended_on"], contradiction))
        quotes = _verify_all(
            session,
            [
                (("citations",), payload.citations),
                *(
                    (("statuses", i, "citations"), s.citations)
                    for i, s in enumerate(payload.statuses)
                ),
                *(((*loc, "citations"), area.citations) for loc, area in scope),
            ],
            errors,
        )
        if errors:
            raise BodyInvalid(errors)
        own_quotes, status_quotes = quotes[0], quotes[1 : 1 + len(payload.statuses)]
        scope_quotes = quotes[1 + len(payload.statuses) :]
        dates = _dates(payload.announced_on, payload.ended_on)
        partnership = Partnership(
            slug=payload.slug,
            title=payload.title,
            notes=payload.notes,
            certainty=payload.certainty,
            status=latest_status(
                (parse_partial_date(s.valid_from)[0] if s.valid_from else None, s.status)
                for s in payload.statuses
            ),
            **dates,
        )
        add_fact(session, partnership, own_quotes, payload.told_as)
        partnership_id: int = partnership.id  # type: ignore[assignment]
        # Membership is stated by the partnership's own quotes, and holds as long.
        for company in companies:
            member = PartnershipMember(
                partnership_id=partnership_id,
                company_id=company.id,  # type: ignore[arg-type]
                certainty=payload.certainty,
                **dates,
            )
            add_fact(session, member, own_quotes, payload.told_as)
        for status, cited in zip(payload.statuses, status_quotes, strict=True):
            row = PartnershipStatusChange(
                partnership_id=partnership_id,
                status=status.status,
                certainty=status.certainty,
                **_dates(status.valid_from, status.valid_to),
            )
            add_fact(session, row, cited, status.told_as)
        for (_, area), cited in zip(scope, scope_quotes, strict=True):
            area_row = PartnershipScope(  # type: ignore[call-arg]  # add_fact sets known_from
                partnership_id=partnership_id, area=area.area, certainty=area.certainty
            )
            add_fact(session, area_row, cited, area.told_as)
        return partnership

    return PARTNERSHIPS.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_partnership(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    patch: PartnershipUpdate,
    if_match: str | None,
) -> Written:
    def apply(partnership: Partnership) -> bool:
        changes = patch.changes()
        for field, column in (("announced_on", "valid_from"), ("ended_on", "valid_to")):
            if field in changes:
                changes |= _date_columns(column, changes.pop(field))
        # PartnershipIn's rule, against the stored bound the patch leaves as it is.
        refuse_patched_range(partnership, changes, "announced_on", "ended_on")
        if changes.get("valid_to") is not None:
            _refuse_end_before_statuses(session, partnership, changes)
        return correct_with(session, partnership, changes, patch.citations)

    return PARTNERSHIPS.change(session, actor, partnership_id, apply, if_match=if_match)


def _refuse_end_before_statuses(
    session: Session, partnership: Partnership, changes: dict[str, Any]
) -> None:
    """A patched end against the stored status history (``began_after_end``)."""
    end = stored_day(changes["valid_to"], changes["valid_to_precision"])
    assert end is not None, "a patched end is a date"
    later = [
        f"stored status {row.status} (id {row.id}) from "
        f"{format_partial_date(row.valid_from, row.valid_from_precision)}"
        for row in _current_children(session, PartnershipStatusChange, _entity_id(partnership))
        if began_after_end(end, stored_day(row.valid_from, row.valid_from_precision))
    ]
    if later:
        ended = format_partial_date(*end) or ""
        raise BodyConflicts([(["ended_on"], end_before_status_error(ended, later))])


def delete_partnership(
    *, session: Session, actor: str, partnership_id: int, if_match: str | None
) -> Written:
    def withdraw_with_it(_: Partnership) -> None:
        for model in (PartnershipMember, PartnershipStatusChange, PartnershipScope):
            for row in _current_children(session, model, partnership_id):
                retract_fact(session, row)

    return PARTNERSHIPS.retract(
        session, actor, partnership_id, if_match=if_match, check=withdraw_with_it
    )


# Statuses, members and scope rows are written as changes of their partnership: each answers
# with the partnership and is logged as its change, a POST as a 201 at the partnership's URL.


def add_status(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    payload: StatusChangeIn,
    idempotency: Idempotency | None,
) -> Written:
    """A status change: a new dated row; the status it follows ends on that date."""

    def apply(partnership: Partnership) -> bool:
        day, precision = parse_partial_date(payload.valid_from)
        open_rows = session.exec(
            select(PartnershipStatusChange)
            .where(
                PartnershipStatusChange.partnership_id == partnership_id,
                col(PartnershipStatusChange.known_to).is_(None),
                col(PartnershipStatusChange.valid_to).is_(None),
            )
            .order_by(*_status_order())
        ).all()
        previous = open_rows[0] if open_rows else None
        if previous is not None:
            if previous.status == payload.status:
                raise Conflict(f"Partnership {partnership_id} is {payload.status} already.")
            began = stored_day(previous.valid_from, previous.valid_from_precision)
            if ends_by_start(began, (day, precision)):
                # The body is well formed; the partnership's history is what it conflicts
                # with (another change may have been recorded since the client read it).
                since = format_partial_date(previous.valid_from, previous.valid_from_precision)
                raise Conflict(
                    f"valid_from must be after {since}, when the current status "
                    f"({previous.status}) began."
                )
        _refuse_overlap(session, partnership_id, payload, previous)
        _refuse_status_after_end(partnership, payload)
        quotes = verify_citations(session, payload.citations)
        if previous is not None:
            # A correction, not an edit: as_of before this write still finds it open.
            ended = {"valid_to": day, "valid_to_precision": precision}
            correct_fact(session, previous, ended, None)
        row = PartnershipStatusChange(
            partnership_id=partnership_id,
            status=payload.status,
            certainty=payload.certainty,
            **_dates(payload.valid_from, payload.valid_to),
        )
        add_fact(session, row, quotes, payload.told_as)
        # The stored status is derived from the rows (it is not a fact of its own), so it
        # is set, not corrected: as_of reads the status from the rows themselves.
        partnership.status = _latest_status(session, partnership_id)
        session.add(partnership)
        return True

    return PARTNERSHIPS.change(
        session, actor, partnership_id, apply, status=201, body=payload, idempotency=idempotency
    )


def _refuse_status_after_end(partnership: Partnership, payload: StatusChangeIn) -> None:
    """An added status against the partnership's stored end (``began_after_end``)."""
    end = (partnership.valid_to, partnership.valid_to_precision)
    if began_after_end(stored_day(*end), partial_day(payload.valid_from)):
        this = f"this status ({payload.status}) from {payload.valid_from}"
        ended = f"The partnership's end, {format_partial_date(*end)},"
        raise BodyConflicts([(["valid_from"], end_before_status_error(ended, [this]))])


def _refuse_overlap(
    session: Session,
    partnership_id: int,
    payload: StatusChangeIn,
    previous: PartnershipStatusChange | None,
) -> None:
    """PartnershipIn's rule against the stored history: the new status may share no day
    with another. The status it closes ends where it begins, so never shares one."""
    span = payload.span()
    for row in _current_children(session, PartnershipStatusChange, partnership_id):
        stored = stored_span(row)
        if row is previous or not certainly_overlap(span, stored):
            continue
        # Blame the end when the status would fit without it.
        field = "valid_to" if not certainly_overlap((span[0], None), stored) else "valid_from"
        raise BodyConflicts(
            [
                (
                    [field],
                    overlap_error(
                        "it",
                        span_text(payload.valid_from, payload.valid_to),
                        f"status {row.status} (id {row.id})",
                        span_text(
                            format_partial_date(row.valid_from, row.valid_from_precision),
                            format_partial_date(row.valid_to, row.valid_to_precision),
                        ),
                    ),
                )
            ]
        )


def add_member(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    payload: PartnershipMemberIn,
    idempotency: Idempotency | None,
) -> Written:
    def apply(partnership: Partnership) -> bool:
        company = _current_company(session, payload.company)
        if company is None:
            raise BodyInvalid([(["company"], f"no company {payload.company!r}")])
        stated = session.exec(
            select(PartnershipMember).where(
                PartnershipMember.partnership_id == partnership_id,
                PartnershipMember.company_id == company.id,
            )
        ).first()
        if stated is not None and stated.known_to is None:
            raise Conflict(f"{payload.company!r} is a member of partnership {partnership_id}.")
        if stated is not None:
            # partnership_member is unique on (partnership, company) across its history.
            raise Conflict(
                f"{payload.company!r} was a member of partnership {partnership_id} and was "
                "retracted; its membership cannot be stated again."
            )
        quotes = verify_citations(session, payload.citations)
        # A member holds as long as the partnership, as the importer's members do.
        dates = {
            column: getattr(partnership, column)
            for column in ("valid_from", "valid_from_precision", "valid_to", "valid_to_precision")
        }
        member = PartnershipMember(
            partnership_id=partnership_id,
            company_id=company.id,  # type: ignore[arg-type]
            certainty=payload.certainty,
            **dates,
        )
        add_fact(session, member, quotes)
        return True

    return PARTNERSHIPS.change(
        session, actor, partnership_id, apply, status=201, body=payload, idempotency=idempotency
    )


def delete_member(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    company_slug: str,
    if_match: str | None,
) -> Written:
    def apply(_: Partnership) -> bool:
        members = _current_children(session, PartnershipMember, partnership_id)
        company = _current_company(session, company_slug)
        member = next(
            (m for m in members if company is not None and m.company_id == company.id), None
        )
        if member is None:
            raise NotFound(f"{company_slug!r} is not a member of partnership {partnership_id}.")
        if len(members) == 1:
            raise Conflict(
                f"{company_slug!r} is the partnership's last member; retract the partnership."
            )
        retract_fact(session, member)
        return True

    return PARTNERSHIPS.change(session, actor, partnership_id, apply, if_match=if_match, status=204)


def _area_taken(
    session: Session, partnership_id: int, area: str, *, other_than: int | None
) -> None:
    for row in _current_children(session, PartnershipScope, partnership_id):
        if row.area == area and row.id != other_than:
            raise Conflict(f"Partnership {partnership_id} states {area!r} already.")


def add_scope(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    payload: ScopeIn,
    idempotency: Idempotency | None,
) -> Written:
    """An area the partnership covers, or (certainty ``excluded``) rules out."""

    def apply(_: Partnership) -> bool:
        _area_taken(session, partnership_id, payload.area, other_than=None)
        quotes = verify_citations(session, payload.citations)
        row = PartnershipScope(  # type: ignore[call-arg]  # add_fact sets known_from
            partnership_id=partnership_id, area=payload.area, certainty=payload.certainty
        )
        add_fact(session, row, quotes, payload.told_as)
        return True

    return PARTNERSHIPS.change(
        session, actor, partnership_id, apply, status=201, body=payload, idempotency=idempotency
    )


def _find_scope(session: Session, partnership_id: int, scope_id: int) -> PartnershipScope:
    row = session.exec(
        select(PartnershipScope).where(
            PartnershipScope.id == scope_id,
            PartnershipScope.partnership_id == partnership_id,
            col(PartnershipScope.known_to).is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"Partnership {partnership_id} has no scope row {scope_id}.")
    return row


def update_scope(
    *,
    session: Session,
    actor: str,
    partnership_id: int,
    scope_id: int,
    patch: PartnershipScopeUpdate,
    if_match: str | None,
) -> Written:
    def apply(_: Partnership) -> bool:
        row = _find_scope(session, partnership_id, scope_id)
        changes = patch.changes()
        if "area" in changes:
            _area_taken(session, partnership_id, changes["area"], other_than=scope_id)
        return correct_with(session, row, changes, patch.citations)

    return PARTNERSHIPS.change(session, actor, partnership_id, apply, if_match=if_match)


def delete_scope(
    *, session: Session, actor: str, partnership_id: int, scope_id: int, if_match: str | None
) -> Written:
    def apply(_: Partnership) -> bool:
        retract_fact(session, _find_scope(session, partnership_id, scope_id))
        return True

    return PARTNERSHIPS.change(session, actor, partnership_id, apply, if_match=if_match, status=204)


PARTNERSHIPS: Resource[int, Partnership, PartnershipDetail] = Resource(
    name="partnerships",
    find=lambda session, partnership_id: _find_partnership(session, partnership_id, AsOf()),
    read=lambda session, partnership: _detail(session, _entity_id(partnership)),
    log_id=lambda partnership, _: _entity_id(partnership),
    read_many=lambda session, rows: by_log_id(rows, _details(session, rows, AsOf()), _entity_id),
    location=lambda partnership, _: _location(_entity_id(partnership)),
    row=lambda partnership: partnership,
    search=DocumentType.partnership,
    search_id=_entity_id,
)
