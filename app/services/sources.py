"""Sources: the articles facts are quoted from."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.core.errors import NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.models import Source
from app.models.source import SourcePublic, SourceSummary

SOURCE_LIST = ListSpec(
    sort_keys={"published_on": Source.published_on, "slug": Source.slug, "id": Source.id},
    default_sort="published_on",
    id_column=Source.id,
    facets={"reported_by": Source.reported_by, "published_on": Source.published_on},
)

# Larger numbers cannot be a row id (and SQLite refuses to bind them): they can only be slugs.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class SourceFilters:
    reported_by: str | None = None


def get_source(*, session: Session, id_or_slug: str, known_at: dt.date | None) -> SourcePublic:
    """One source by integer id or by slug; with ``known_at``, only if published by then."""
    statement = select(Source)
    if known_at is not None:
        statement = statement.where(Source.published_on <= known_at)
    source = None
    if id_or_slug.isascii() and id_or_slug.isdigit() and int(id_or_slug) <= MAX_ID:
        source = session.exec(statement.where(Source.id == int(id_or_slug))).first()
    if source is None:
        source = session.exec(statement.where(Source.slug == id_or_slug)).first()
    if source is None:
        raise NotFound(f"No source with id or slug {id_or_slug!r}.")
    return SourcePublic.model_validate(source, from_attributes=True)


def list_sources(
    *, session: Session, filters: SourceFilters, known_at: dt.date | None, page: PageParams
) -> Page[SourceSummary]:
    # Never the text: a page of articles would weigh megabytes; the detail carries it.
    statement = select(Source).options(defer(Source.text))  # type: ignore[arg-type]
    if known_at is not None:
        statement = statement.where(Source.published_on <= known_at)
    if filters.reported_by is not None:
        statement = statement.where(Source.reported_by == filters.reported_by)
    fetched = fetch_page(session, statement, SOURCE_LIST, page)
    rows = fetched.rows
    data = [SourceSummary.model_validate(row, from_attributes=True) for row in rows]
    return fetched.page(data)
