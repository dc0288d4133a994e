"""Companies: the list, one company, and the lookup every per-company route starts from."""

from dataclasses import dataclass

from sqlmodel import Session, select

from app.core.errors import NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import AsOf, as_of_condition
from app.models import Certainty, Company
from app.models.company import CompanyPublic
from app.services.citations import to_public

COMPANY_LIST = ListSpec(
    sort_keys={"name": Company.name, "slug": Company.slug, "id": Company.id},
    default_sort="name",
    id_column=Company.id,
    facets={"country": Company.country, "kind": Company.kind, "certainty": Company.certainty},
)


@dataclass(frozen=True)
class CompanyFilters:
    country: str | None = None
    kind: str | None = None
    certainty: Certainty | None = None


def find_company(*, session: Session, slug: str, as_of: AsOf) -> Company:
    company = session.exec(
        select(Company).where(Company.slug == slug, as_of_condition(Company, as_of))
    ).first()
    if company is None:
        raise NotFound(f"No company with slug {slug!r}.")
    return company


def get_company(*, session: Session, slug: str, as_of: AsOf) -> CompanyPublic:
    company = find_company(session=session, slug=slug, as_of=as_of)
    return to_public(session, [company], CompanyPublic, with_citations=True)[0]


def list_companies(
    *,
    session: Session,
    filters: CompanyFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[CompanyPublic]:
    statement = select(Company).where(as_of_condition(Company, as_of))
    if filters.country is not None:
        statement = statement.where(Company.country == filters.country)
    if filters.kind is not None:
        statement = statement.where(Company.kind == filters.kind)
    if filters.certainty is not None:
        statement = statement.where(Company.certainty == filters.certainty)
    fetched = fetch_page(session, statement, COMPANY_LIST, page)
    rows = fetched.rows
    data = to_public(session, rows, CompanyPublic, with_citations="citations" in include)
    return fetched.page(data)
