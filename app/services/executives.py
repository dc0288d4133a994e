"""Executives and their roles: the list, one executive, and a company's executives."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam
from sqlmodel import Session, col, select

from app.core.dates import parse_partial_date, refuse_patched_range
from app.core.errors import BodyInvalid, Conflict, NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import (
    AsOf,
    AsOfShape,
    as_of_bindings,
    as_of_condition,
    as_of_shape,
    bound_as_of_condition,
    certainly,
    entity_id,
    entity_in,
)
from app.models import Company, Executive, ExecutiveRole
from app.models.base import ToldAs
from app.models.company import CompanyRef
from app.models.executive import (
    CompanyExecutivePublic,
    ExecutiveFilters,
    ExecutiveIn,
    ExecutivePublic,
    ExecutiveRef,
    ExecutiveRoleDetail,
    ExecutiveRolePublic,
    ExecutiveRolePublicWithCompany,
    ExecutiveRoleUpdate,
    ExecutiveUpdate,
    RoleIn,
)
from app.models.search import DocumentType
from app.services.citations import Quote, by_parent, to_public, verify_citations
from app.services.companies import COMPANY, AnyCompany, find_company
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    correct_if_any,
    effective_changes,
)

EXECUTIVE_LIST = ListSpec(
    sort_keys={"name": Executive.name, "slug": Executive.slug, "id": Executive.id},
    default_sort="name",
    id_column=Executive.id,
    facets={"certainty": Executive.certainty},
)

# A company's executives page over its roles (one item per role held), in the order the
# roles were recorded or by title: both are columns of the one table the page scans.
COMPANY_EXECUTIVE_LIST = ListSpec(
    sort_keys={"id": ExecutiveRole.id, "title": ExecutiveRole.title},
    default_sort="id",
    id_column=ExecutiveRole.id,
    facets={"title": ExecutiveRole.title, "certainty": ExecutiveRole.certainty},
)


def _ref_id(row: Executive | ExecutiveRole | AnyCompany) -> int:
    entity_id = row.version_of or row.id
    assert entity_id is not None, "rows read from the database have ids"
    return entity_id


def _roles_by_executive(
    session: Session, executive_ids: Sequence[int], as_of: AsOf, *, with_citations: bool
) -> dict[int, list[ExecutiveRolePublicWithCompany]]:
    """The roles of many executives, with their companies, in one query."""
    if not executive_ids:
        return {}
    statement = (
        select(ExecutiveRole, Company.slug, Company.name)
        .join(Company, entity_id(Company, as_of) == ExecutiveRole.company_id)
        .where(
            col(ExecutiveRole.executive_id).in_(executive_ids),
            as_of_condition(ExecutiveRole, as_of),
            as_of_condition(Company, as_of),
        )
        .order_by(col(ExecutiveRole.id))
    )
    rows = session.exec(statement).all()
    roles = [role for role, _, _ in rows]
    return by_parent(
        roles,
        to_public(
            session,
            roles,
            ExecutiveRolePublicWithCompany,
            with_citations=with_citations,
            extra=[{"company": CompanyRef(slug=slug, name=name)} for _, slug, name in rows],
            valid_at=as_of.valid_at,
        ),
        lambda role: role.executive_id,
    )


def _executives_public(
    session: Session,
    executives: Sequence[Executive],
    as_of: AsOf,
    *,
    with_roles: bool,
    with_citations: bool,
) -> list[ExecutivePublic]:
    extra: list[dict[str, object]] | None = None
    if with_roles:
        roles = _roles_by_executive(
            session, [_ref_id(e) for e in executives], as_of, with_citations=with_citations
        )
        extra = [{"roles": roles.get(_ref_id(e), [])} for e in executives]
    return to_public(
        session,
        executives,
        ExecutivePublic,
        with_citations=with_citations,
        extra=extra,
        valid_at=as_of.valid_at,
    )


def find_executive(*, session: Session, slug: str, as_of: AsOf) -> Executive:
    executive = session.exec(
        select(Executive).where(Executive.slug == slug, as_of_condition(Executive, as_of))
    ).first()
    if executive is None:
        raise NotFound(f"No executive with slug {slug!r}.")
    return executive


def get_executive(*, session: Session, slug: str, as_of: AsOf) -> ExecutivePublic:
    executive = find_executive(session=session, slug=slug, as_of=as_of)
    return _executives_public(session, [executive], as_of, with_roles=True, with_citations=True)[0]


def listed_executives(as_of: AsOf) -> Select[Any]:
    """The rows ``/v1/executives`` pages over under ``as_of``, before its filters."""
    return select(Executive).where(as_of_condition(Executive, as_of), *certainly(Executive, as_of))


def list_executives(
    *,
    session: Session,
    filters: ExecutiveFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[ExecutivePublic]:
    statement = listed_executives(as_of)
    if filters.company is not None or filters.title is not None:
        # Both filters must hold for the same role, and that role must answer as_of: an
        # executive who was not yet at the company on valid_at is not one of its executives.
        role = (
            select(ExecutiveRole.executive_id)
            .join(Company, entity_id(Company, as_of) == ExecutiveRole.company_id)
            .where(as_of_condition(ExecutiveRole, as_of), as_of_condition(Company, as_of))
        )
        if filters.title is not None:
            role = role.where(ExecutiveRole.title == filters.title)
        if filters.company is not None:
            # A company's few roles first, then their executives by key: a condition on each
            # executive would read every executive in the table.
            role = role.where(Company.slug == filters.company)
            statement = statement.where(entity_in(Executive, as_of, role))
        else:
            # A title is held by many: walking executives in page order until the page is
            # full stops early, where collecting every holder first reads them all.
            statement = statement.where(
                role.where(ExecutiveRole.executive_id == entity_id(Executive, as_of)).exists()
            )
    fetched = fetch_page(session, statement, EXECUTIVE_LIST, page)
    rows = fetched.rows
    data = _executives_public(
        session,
        rows,
        as_of,
        with_roles="roles" in include,
        with_citations="citations" in include,
    )
    return fetched.page(data)


def list_company_executives(
    *,
    session: Session,
    slug: str,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[CompanyExecutivePublic]:
    shape = as_of_shape(as_of)
    bindings = {"slug": slug, **as_of_bindings(as_of)}
    fetched = fetch_page(
        session, _company_roles(shape), COMPANY_EXECUTIVE_LIST, page, bindings=bindings
    )
    roles = fetched.rows
    if not roles:
        find_company(session=session, slug=slug, as_of=as_of)  # a 404 if there is no company
    public = to_public(
        session,
        roles,
        ExecutiveRolePublic,
        with_citations="citations" in include,
        valid_at=as_of.valid_at,
    )
    data = [
        CompanyExecutivePublic(
            executive=ExecutiveRef(slug=role.executive_slug, name=role.executive_name), role=item
        )
        for role, item in zip(roles, public, strict=True)
    ]
    return fetched.page(data)


def company_executive_ids(*, slug: str, as_of: AsOf) -> Select[Any]:
    """The ids of the executives ``list_company_executives`` names for the same ``slug``
    and ``as_of``, as a subquery with its values bound: for a read that follows all of
    them at once (what they said) rather than one query per executive."""
    return (
        _company_roles(as_of_shape(as_of))
        .with_only_columns(col(ExecutiveRole.executive_id), maintain_column_froms=True)
        .params(slug=slug, **as_of_bindings(as_of))
    )


@cache
def _company_roles(shape: AsOfShape) -> Select[Any]:
    """The roles held at the company ``:slug`` by executives who answer as_of, each with its
    executive's slug and name: one statement where a company, its roles and their
    executives took three (on PostgreSQL, three round trips). Built once per as_of shape,
    its values bound (see fetch_page)."""
    company_id = (
        select(entity_id(COMPANY.c, shape))
        .where(COMPANY.c.slug == bindparam("slug"), bound_as_of_condition(COMPANY.c, shape))
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(ExecutiveRole)
        .add_columns(
            col(Executive.slug).label("executive_slug"), col(Executive.name).label("executive_name")
        )
        .join(Executive, entity_id(Executive, shape) == ExecutiveRole.executive_id)
        .where(
            col(ExecutiveRole.company_id) == company_id,
            bound_as_of_condition(ExecutiveRole, shape),
            *certainly(ExecutiveRole, shape),
            bound_as_of_condition(Executive, shape),
        )
    )


def find_role(
    *, session: Session, slug: str, role_id: int, as_of: AsOf
) -> tuple[Executive, ExecutiveRole]:
    executive = find_executive(session=session, slug=slug, as_of=as_of)
    role = session.exec(
        select(ExecutiveRole).where(
            entity_id(ExecutiveRole, as_of) == role_id,
            ExecutiveRole.executive_id == _ref_id(executive),
            as_of_condition(ExecutiveRole, as_of),
        )
    ).first()
    if role is None:
        raise NotFound(f"Executive {slug!r} has no role {role_id}.")
    return executive, role


def get_role(*, session: Session, slug: str, role_id: int, as_of: AsOf) -> ExecutiveRoleDetail:
    executive, role = find_role(session=session, slug=slug, role_id=role_id, as_of=as_of)
    return _role_detail(session, executive, role, as_of)


def _role_detail(
    session: Session, executive: Executive, role: ExecutiveRole, as_of: AsOf = AsOf()
) -> ExecutiveRoleDetail:
    company = session.exec(
        select(Company).where(
            entity_id(Company, as_of) == role.company_id, as_of_condition(Company, as_of)
        )
    ).first()
    if company is None:
        # As in an executive's roles: a role at a company that does not answer as_of is not
        # served either.
        raise NotFound(f"Executive {executive.slug!r} has no role {role.version_of or role.id}.")
    extra: dict[str, object] = {
        "company": CompanyRef(slug=company.slug, name=company.name),
        "executive": ExecutiveRef(slug=executive.slug, name=executive.name),
    }
    return to_public(
        session,
        [role],
        ExecutiveRoleDetail,
        with_citations=True,
        extra=[extra],
        valid_at=as_of.valid_at,
    )[0]


def _role_details(session: Session, roles: Sequence[ExecutiveRole]) -> list[ExecutiveRoleDetail]:
    """Current roles as ``_role_detail`` gives each, in three queries for all of them."""
    executives = session.exec(
        select(Executive).where(col(Executive.id).in_({r.executive_id for r in roles}))
    ).all()
    companies = session.exec(
        select(Company).where(
            col(Company.id).in_({r.company_id for r in roles}), as_of_condition(Company, AsOf())
        )
    ).all()
    people = {e.id: ExecutiveRef(slug=e.slug, name=e.name) for e in executives}
    employers = {c.id: CompanyRef(slug=c.slug, name=c.name) for c in companies}
    extra: list[dict[str, object]] = [
        {"company": employers[role.company_id], "executive": people[role.executive_id]}
        for role in roles
    ]
    return to_public(session, roles, ExecutiveRoleDetail, with_citations=True, extra=extra)


# -- writes ------------------------------------------------------------------------------------

Errors = list[tuple[list[str | int], str]]


def create_executive(
    *, session: Session, actor: str, payload: ExecutiveIn, idempotency: Idempotency | None
) -> Written:
    """Add an executive and the roles the body lists, each role's company already stored."""
    roles: list[ExecutiveRole] = []

    def add() -> Executive:
        if _current_executive(session, payload.slug) is not None:
            raise Conflict(f"An executive with slug {payload.slug!r} exists already.")
        errors: Errors = []
        quotes = _verify(session, payload.citations, ["citations"], errors)
        planned: list[tuple[dict[str, Any], list[Quote]]] = []
        told: list[ToldAs] = []
        stated: dict[tuple[object, ...], int] = {}
        for index, role_in in enumerate(payload.roles):
            loc: list[str | int] = ["roles", index]
            plan = _plan_role(session, role_in, loc, errors)
            if plan is None:
                continue
            key = tuple(plan[0][name] for name in ("company_id", "title", "valid_from"))
            if key in stated:
                errors.append((loc, f"states again what roles[{stated[key]}] states"))
            stated.setdefault(key, index)
            planned.append(plan)
            told.append(role_in.told_as)
        if errors:
            raise BodyInvalid(errors)
        executive = Executive(**payload.model_dump(include={"slug", "name", "certainty"}))
        add_fact(session, executive, quotes, payload.told_as)
        for (values, role_quotes), role_told_as in zip(planned, told, strict=True):
            role = ExecutiveRole(executive_id=_ref_id(executive), **values)
            add_fact(session, role, role_quotes, role_told_as)
            roles.append(role)
        return executive

    def log_roles(executive: Executive) -> None:
        # Each role is a resource of its own (with its own URL): a consumer mirroring roles
        # sees them created, as it would had they been posted one by one.
        for role in roles:
            found = (executive, role)
            ROLES.log(session, actor, found, None, ROLES.read(session, found))

    return EXECUTIVES.create(
        session, actor, body=payload, idempotency=idempotency, add=add, then=log_roles
    )


def update_executive(
    *, session: Session, actor: str, slug: str, patch: ExecutiveUpdate, if_match: str | None
) -> Written:
    def apply(executive: Executive) -> bool:
        errors: Errors = []
        quotes = (
            _verify(session, patch.citations, ["citations"], errors)
            if patch.citations is not None
            else None
        )
        if errors:
            raise BodyInvalid(errors)
        return correct_if_any(session, executive, patch.changes(), quotes)

    return EXECUTIVES.change(session, actor, slug, apply, if_match=if_match)


def delete_executive(*, session: Session, actor: str, slug: str, if_match: str | None) -> Written:
    def check(executive: Executive) -> None:
        role_id = session.exec(
            select(ExecutiveRole.id).where(
                ExecutiveRole.executive_id == _ref_id(executive),
                col(ExecutiveRole.known_to).is_(None),
            )
        ).first()
        if role_id is not None:
            raise Conflict(
                f"Executive {slug!r} still has current roles (role {role_id} among them); "
                "retract them first."
            )

    return EXECUTIVES.retract(session, actor, slug, if_match=if_match, check=check)


# A role found for a write, with its executive (whose URL and search document it is under).
_FoundRole = tuple[Executive, ExecutiveRole]


def create_role(
    *,
    session: Session,
    actor: str,
    slug: str,
    payload: RoleIn,
    idempotency: Idempotency | None,
) -> Written:
    """Add a role to a stored executive, at a stored company."""

    def add() -> _FoundRole:
        executive = find_executive(session=session, slug=slug, as_of=AsOf())
        errors: Errors = []
        planned = _plan_role(session, payload, [], errors)
        if planned is None:
            raise BodyInvalid(errors)
        values, quotes = planned
        role = ExecutiveRole(executive_id=_ref_id(executive), **values)
        if _twin(session, role.executive_id, values) is not None:
            raise Conflict(
                f"Executive {slug!r} already holds {role.title!r} at {payload.company!r} "
                "from that date."
            )
        add_fact(session, role, quotes, payload.told_as)
        return executive, role

    return ROLES.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_role(
    *,
    session: Session,
    actor: str,
    slug: str,
    role_id: int,
    patch: ExecutiveRoleUpdate,
    if_match: str | None,
) -> Written:
    """Correct a role; what it said before stays answerable through ``as_of``."""

    def apply(found: _FoundRole) -> bool:
        role = found[1]
        changes = patch.changes(exclude=frozenset({"citations", "started_on", "ended_on"}))
        if "started_on" in patch.model_fields_set:
            changes |= _date_columns("valid_from", patch.started_on)
        if "ended_on" in patch.model_fields_set:
            changes |= _date_columns("valid_to", patch.ended_on)
        # RoleIn's rule, against the stored bound the patch leaves as it is.
        refuse_patched_range(role, changes, "started_on", "ended_on")
        errors: Errors = []
        quotes = (
            _verify(session, patch.citations, ["citations"], errors)
            if patch.citations is not None
            else None
        )
        if errors:
            raise BodyInvalid(errors)
        changes, quotes = effective_changes(session, role, changes, quotes)
        if changes.keys() & {"title", "valid_from"}:
            twin = _twin(session, role.executive_id, role.model_dump() | changes)
            if twin is not None and twin.id != role.id:
                raise Conflict(
                    f"Executive {slug!r} already holds that title there from that date "
                    f"(role {twin.id})."
                )
        return correct_if_any(session, role, changes, quotes)

    return ROLES.change(session, actor, (slug, role_id), apply, if_match=if_match)


def delete_role(
    *, session: Session, actor: str, slug: str, role_id: int, if_match: str | None
) -> Written:
    """Retract a role: it stays answerable for the days our sources said it."""
    return ROLES.retract(session, actor, (slug, role_id), if_match=if_match)


EXECUTIVES: Resource[str, Executive, ExecutivePublic] = Resource(
    name="executives",
    find=lambda session, slug: find_executive(session=session, slug=slug, as_of=AsOf()),
    read=lambda session, executive: get_executive(
        session=session, slug=executive.slug, as_of=AsOf()
    ),
    log_id=lambda executive, _: executive.slug,
    read_many=lambda session, rows: by_log_id(
        rows,
        _executives_public(session, rows, AsOf(), with_roles=True, with_citations=True),
        lambda executive: executive.slug,
    ),
    location=lambda executive, _: f"/v1/executives/{executive.slug}",
    row=lambda executive: executive,
    search=DocumentType.executive,
    search_id=_ref_id,
)
# A role is a resource of its own, in its executive's search document.
ROLES: Resource[tuple[str, int], _FoundRole, ExecutiveRoleDetail] = Resource(
    name="executive-roles",
    find=lambda session, key: find_role(session=session, slug=key[0], role_id=key[1], as_of=AsOf()),
    read=lambda session, found: _role_detail(session, *found),
    log_id=lambda _, role: role.id,
    read_many=lambda session, rows: by_log_id(rows, _role_details(session, rows), _ref_id),
    location=lambda found, role: f"/v1/executives/{found[0].slug}/roles/{role.id}",
    row=lambda found: found[1],
    search=DocumentType.executive,
    search_id=lambda found: _ref_id(found[0]),
)


def _current_executive(session: Session, slug: str) -> Executive | None:
    return session.exec(
        select(Executive).where(Executive.slug == slug, col(Executive.known_to).is_(None))
    ).first()


def _plan_role(
    session: Session, payload: RoleIn, loc: list[str | int], errors: Errors
) -> tuple[dict[str, Any], list[Quote]] | None:
    """The columns of the role a body describes (all but its executive) and its verified
    quotes, or None having added to ``errors`` everything wrong with it."""
    found = len(errors)
    company = session.exec(
        select(Company).where(Company.slug == payload.company, col(Company.known_to).is_(None))
    ).first()
    if company is None:
        errors.append(([*loc, "company"], f"no company {payload.company!r}"))
    dates = _date_columns("valid_from", payload.started_on) | _date_columns(
        "valid_to", payload.ended_on
    )
    quotes = _verify(session, payload.citations, [*loc, "citations"], errors)
    if len(errors) > found or company is None:
        return None
    values = {
        "company_id": _ref_id(company),
        "title": payload.title,
        "certainty": payload.certainty,
        **dates,
    }
    return values, quotes


def _date_columns(column: str, text: str | None) -> dict[str, Any]:
    """A partial date as its two columns: ``"2025-04"`` → 2025-04-01 at month precision."""
    day, precision = parse_partial_date(text) if text else (None, None)
    return {column: day, f"{column}_precision": precision}


def _verify(
    session: Session, citations: Sequence[Any], loc: list[str | int], errors: Errors
) -> list[Quote]:
    """Verified quotes, or none having added each missing one to ``errors``, so that one
    answer names every fault of the body."""
    try:
        return verify_citations(session, citations, loc=loc)
    except BodyInvalid as refused:
        errors.extend((error["loc"][1:], error["msg"]) for error in refused.errors or [])
        return []


def _twin(session: Session, executive_id: int, values: dict[str, Any]) -> ExecutiveRole | None:
    """The executive's current role with the same title at the same company from the same
    date (the importer's natural key of a role)."""
    valid_from = col(ExecutiveRole.valid_from)
    return session.exec(
        select(ExecutiveRole).where(
            ExecutiveRole.executive_id == executive_id,
            ExecutiveRole.company_id == values["company_id"],
            ExecutiveRole.title == values["title"],
            valid_from.is_(None)
            if values["valid_from"] is None
            else valid_from == values["valid_from"],
            col(ExecutiveRole.known_to).is_(None),
        )
    ).first()
