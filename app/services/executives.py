"""Executives and their roles: the list, one executive, and a company's executives."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition
from app.models import Company, Executive, ExecutiveRole
from app.models.company import CompanyRef
from app.models.executive import (
    CompanyExecutivePublic,
    ExecutivePublic,
    ExecutiveRef,
    ExecutiveRolePublic,
    ExecutiveRolePublicWithCompany,
)
from app.services.citations import to_public
from app.services.companies import find_company

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


@dataclass(frozen=True)
class ExecutiveFilters:
    company: str | None = None
    title: str | None = None


def _roles_by_executive(
    session: Session, executive_ids: Sequence[int], as_of: AsOf, *, with_citations: bool
) -> dict[int, list[ExecutiveRolePublicWithCompany]]:
    """The roles of many executives, with their companies, in one query."""
    roles: dict[int, list[ExecutiveRolePublicWithCompany]] = defaultdict(list)
    if not executive_ids:
        return roles
    statement = (
        select(ExecutiveRole, Company.slug, Company.name)
        .join(Company, col(Company.id) == ExecutiveRole.company_id)
        .where(
            col(ExecutiveRole.executive_id).in_(executive_ids),
            as_of_condition(ExecutiveRole, as_of),
            as_of_condition(Company, as_of),
        )
        .order_by(col(ExecutiveRole.id))
    )
    rows = session.exec(statement).all()
    public = to_public(
        session,
        [role for role, _, _ in rows],
        ExecutiveRolePublicWithCompany,
        with_citations=with_citations,
        extra=[{"company": CompanyRef(slug=slug, name=name)} for _, slug, name in rows],
    )
    for (role, _, _), item in zip(rows, public, strict=True):
        roles[role.executive_id].append(item)
    return roles


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
            session,
            [e.id for e in executives if e.id is not None],
            as_of,
            with_citations=with_citations,
        )
        extra = [{"roles": roles.get(e.id, [])} for e in executives]  # type: ignore[arg-type]
    return to_public(
        session, executives, ExecutivePublic, with_citations=with_citations, extra=extra
    )


def get_executive(*, session: Session, slug: str, as_of: AsOf) -> ExecutivePublic:
    executive = session.exec(
        select(Executive).where(Executive.slug == slug, as_of_condition(Executive, as_of))
    ).first()
    if executive is None:
        raise NotFound(f"No executive with slug {slug!r}.")
    return _executives_public(session, [executive], as_of, with_roles=True, with_citations=True)[0]


def list_executives(
    *,
    session: Session,
    filters: ExecutiveFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[ExecutivePublic]:
    statement = select(Executive).where(as_of_condition(Executive, as_of))
    if filters.company is not None or filters.title is not None:
        # Both filters must hold for the same role, and that role must answer as_of: an
        # executive who was not yet at the company on valid_at is not one of its executives.
        role = (
            select(ExecutiveRole.id)
            .join(Company, col(Company.id) == ExecutiveRole.company_id)
            .where(
                ExecutiveRole.executive_id == Executive.id,
                as_of_condition(ExecutiveRole, as_of),
                as_of_condition(Company, as_of),
            )
        )
        if filters.company is not None:
            role = role.where(Company.slug == filters.company)
        if filters.title is not None:
            role = role.where(ExecutiveRole.title == filters.title)
        statement = statement.where(role.exists())
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
    company = find_company(session=session, slug=slug, as_of=as_of)
    statement = (
        select(ExecutiveRole)
        .join(Executive, col(Executive.id) == ExecutiveRole.executive_id)
        .where(
            ExecutiveRole.company_id == company.id,
            as_of_condition(ExecutiveRole, as_of),
            as_of_condition(Executive, as_of),
        )
    )
    fetched = fetch_page(session, statement, COMPANY_EXECUTIVE_LIST, page)
    roles = fetched.rows
    executive_ids = {role.executive_id for role in roles}
    executives = {
        executive.id: ExecutiveRef(slug=executive.slug, name=executive.name)
        for executive in session.exec(select(Executive).where(col(Executive.id).in_(executive_ids)))
    }
    public = to_public(session, roles, ExecutiveRolePublic, with_citations="citations" in include)
    data = [
        CompanyExecutivePublic(executive=executives[role.executive_id], role=item)
        for role, item in zip(roles, public, strict=True)
    ]
    return fetched.page(data)
