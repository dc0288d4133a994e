"""Sources: the articles facts are quoted from, and how curators add and amend them."""

import datetime as dt
import hashlib

from sqlalchemy.orm import defer
from sqlmodel import Session, or_, select

from app.core.errors import Conflict, NotFound
from app.core.fields import MAX_ROW_ID
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.models import Citation, Source
from app.models.search import DocumentType
from app.models.source import SourceFilters, SourceIn, SourcePublic, SourceSummary, SourceUpdate
from app.services.writing import Idempotency, Resource, Written, by_log_id

SOURCE_LIST = ListSpec(
    sort_keys={"published_on": Source.published_on, "slug": Source.slug, "id": Source.id},
    default_sort="published_on",
    id_column=Source.id,
    facets={"reported_by": Source.reported_by, "published_on": Source.published_on},
)


def find_source(*, session: Session, id_or_slug: str, known_at: dt.date | None) -> Source:
    """The row of one source by integer id or by slug; with ``known_at``, only if published
    by then."""
    statement = select(Source)
    if known_at is not None:
        statement = statement.where(Source.published_on <= known_at)
    source = None
    if id_or_slug.isascii() and id_or_slug.isdigit() and int(id_or_slug) <= MAX_ROW_ID:
        source = session.exec(statement.where(Source.id == int(id_or_slug))).first()
    if source is None:
        source = session.exec(statement.where(Source.slug == id_or_slug)).first()
    if source is None:
        raise NotFound(f"No source with id or slug {id_or_slug!r}.")
    return source


def get_source(*, session: Session, id_or_slug: str, known_at: dt.date | None) -> SourcePublic:
    """One source by integer id or by slug; with ``known_at``, only if published by then."""
    return _public(find_source(session=session, id_or_slug=id_or_slug, known_at=known_at))


def _public(source: Source) -> SourcePublic:
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


# -- writes ------------------------------------------------------------------------------------


def _source_id(source: Source) -> int:
    assert source.id is not None, "rows are read or flushed before they are named"
    return source.id


SOURCES: Resource[str, Source, SourcePublic] = Resource(
    name="sources",
    find=lambda session, id_or_slug: find_source(
        session=session, id_or_slug=id_or_slug, known_at=None
    ),
    read=lambda _, source: _public(source),
    read_many=lambda _, rows: by_log_id(rows, [_public(s) for s in rows], _source_id),
    log_id=lambda source, _: _source_id(source),
    location=lambda source, _: f"/v1/sources/{_source_id(source)}",
    row=lambda source: source,
    search=DocumentType.source,
    search_id=_source_id,
)


def create_source(
    *, session: Session, actor: str, payload: SourceIn, idempotency: Idempotency | None
) -> Written:
    """Store a new article. Its slug and its text (by sha256) must both be new."""

    def add() -> Source:
        # The importer reads text files in text mode: the same article, however its lines
        # end, must hash the same whichever way it arrives.
        text = (payload.text or "").replace("\r\n", "\n").replace("\r", "\n")
        sha256 = hashlib.sha256(text.encode()).hexdigest()
        for same in session.exec(
            select(Source).where(or_(Source.slug == payload.slug, Source.sha256 == sha256))
        ):
            if same.slug == payload.slug:
                raise Conflict(f"A source with slug {payload.slug!r} exists already.")
            raise Conflict(f"This text is already stored as source {same.slug!r}.")
        source = Source(
            **payload.model_dump(exclude={"text", "text_file"}), text=text, sha256=sha256
        )
        session.add(source)
        session.flush()
        return source

    return SOURCES.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_source(
    *, session: Session, actor: str, id_or_slug: str, patch: SourceUpdate, if_match: str | None
) -> Written:
    """Amend a source's metadata in place: a source is a document, not a fact, so there is
    no earlier version to keep (the change log holds the values it had)."""

    def apply(source: Source) -> bool:
        changes = {k: v for k, v in patch.changes().items() if getattr(source, k) != v}
        source.sqlmodel_update(changes)
        session.add(source)
        return bool(changes)

    return SOURCES.change(session, actor, id_or_slug, apply, if_match=if_match)


def delete_source(
    *, session: Session, actor: str, id_or_slug: str, if_match: str | None
) -> Written:
    """Delete a source no citation points at (one added by mistake); a cited source stays,
    since history quotes it."""

    def check(source: Source) -> None:
        cited = session.exec(select(Citation.id).where(Citation.source_id == source.id)).first()
        if cited is not None:
            raise Conflict(
                f"Source {source.slug!r} is cited by facts (current or past); it cannot be deleted."
            )

    return SOURCES.retract(session, actor, id_or_slug, if_match=if_match, check=check)
