"""Citations: verifying a body's quotes against their sources, and reading them back, one
query for a whole page of facts, never one per row."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Row, Select, Table
from sqlmodel import Session, col, or_, select

from app.core.errors import BodyInvalid
from app.core.fields import MAX_ROW_ID
from app.core.quotes import CitationIn, cite_in, offsets_problem
from app.models import Citation, Source
from app.models.base import FactPublic
from app.models.source import CitationPublic

P = TypeVar("P", bound=FactPublic)
R = TypeVar("R")


def cited_sources(
    session: Session, citations: Sequence[CitationIn]
) -> list[Source | tuple[str, str]]:
    """Each citation's source, in one query, or why it has none: ``(field, message)``,
    the field being ``source`` or ``source_id``.

    A source is named by slug or id, as ``/v1/sources/{id-or-slug}`` names it (digits are
    an id first, a slug if no source has that id); a citation naming it twice, by
    ``source`` and ``source_id``, must name the same one."""
    ids: set[int] = set()
    slugs: set[str] = set()
    for citation in citations:
        for _field, named in citation.references:
            if isinstance(named, int):
                ids.add(named)
            else:
                slugs.add(named)
                if _as_id(named) is not None:
                    ids.add(int(named))
    rows = (
        session.exec(
            select(Source).where(or_(col(Source.id).in_(ids), col(Source.slug).in_(slugs)))
        ).all()
        if ids or slugs
        else []
    )
    by_id = {row.id: row for row in rows}
    by_slug = {row.slug: row for row in rows}
    found: list[Source | tuple[str, str]] = []
    for citation in citations:
        sources: list[Source] = []
        missing: tuple[str, str] | None = None
        for field, named in citation.references:
            number = named if isinstance(named, int) else _as_id(named)
            source = by_id.get(number) if number is not None else None
            if source is None and isinstance(named, str):
                source = by_slug.get(named)
            if source is None:
                missing = missing or (field, f"no source {named!r}")
            else:
                sources.append(source)
        if missing is not None:
            found.append(missing)
        elif len({s.id for s in sources}) > 1:
            message = f"source {citation.source!r} and source_id {citation.source_id} differ"
            found.append(("source_id", message))
        else:
            found.append(sources[0])
    return found


@dataclass(frozen=True)
class Quote:
    source: Source
    start: int
    end: int


def verify_citations(
    session: Session, citations: Sequence[CitationIn], *, loc: Sequence[str | int] = ("citations",)
) -> list[Quote]:
    """Find every quote in its source, or refuse the body naming each one that is not."""
    quotes, errors = [], []
    for index, (citation, source) in enumerate(
        zip(citations, cited_sources(session, citations), strict=True)
    ):
        if not isinstance(source, Source):
            field, message = source
            errors.append(([*loc, index, field], message))
            continue
        span = cite_in(source.text, citation.quote)
        if not isinstance(span, tuple):
            why = f"is not in source {source.slug!r}" if span is None else span
            errors.append(([*loc, index, "quote"], f"{citation.quote!r} {why}"))
            continue
        if (problem := offsets_problem(citation, span)) is not None:
            errors.append(([*loc, index, "start_offset"], problem))
            continue
        quotes.append(Quote(source, *span))
    if errors:
        raise BodyInvalid(errors)
    return quotes


def stored_quotes(session: Session, row: Any) -> list[Quote]:
    """The quotes a stored fact row's citations hold, as ``verify_citations`` gives a
    body's: what a correction keeping the row's citations checks new values against."""
    cited = session.exec(
        select(Citation, Source)
        .join(Source, col(Source.id) == Citation.source_id)
        .where(Citation.fact_type == row.__tablename__, Citation.fact_id == row.id)
        .order_by(col(Citation.id))
    )
    return [Quote(source, c.start_offset, c.end_offset) for c, source in cited]


def _as_id(named: str) -> int | None:
    return int(named) if named.isascii() and named.isdigit() and int(named) <= MAX_ROW_ID else None


def load_citations(
    session: Session, fact_type: str, fact_ids: Sequence[int]
) -> dict[int, list[CitationPublic]]:
    """The citations of many rows of one fact table, by row id."""
    by_fact: dict[int, list[CitationPublic]] = defaultdict(list)
    if not fact_ids:
        return by_fact
    rows = session.connection().execute(
        _CITATIONS, {"fact_type": fact_type, "fact_ids": list(fact_ids)}
    )
    for fact_id, source_id, quote, start_offset, end_offset in rows:
        by_fact[fact_id].append(
            CitationPublic(
                source_id=source_id, quote=quote, start_offset=start_offset, end_offset=end_offset
            )
        )
    return by_fact


_CITATION = Citation.__table__  # type: ignore[attr-defined]

# Built once: every detail and list with citations runs it (see app/core/temporal.py).
_CITATIONS = (
    sa.select(
        _CITATION.c.fact_id,
        _CITATION.c.source_id,
        _CITATION.c.quote,
        _CITATION.c.start_offset,
        _CITATION.c.end_offset,
    )
    .where(
        _CITATION.c.fact_type == sa.bindparam("fact_type"),
        _CITATION.c.fact_id.in_(sa.bindparam("fact_ids", expanding=True)),
    )
    .order_by(_CITATION.c.id)
)


# The citation columns ``with_citations`` adds to a fact row, in this order.
_CITED = (
    _CITATION.c.source_id,
    _CITATION.c.quote,
    _CITATION.c.start_offset,
    _CITATION.c.end_offset,
)


def with_citations(statement: Select[Any], table: Table, fact_type: str) -> Select[Any]:
    """``statement``, selecting rows of the fact table ``table``, with each row's citations
    joined: a result row per citation, in the order ``load_citations`` gives them (a fact
    row without any comes once, its citation columns NULL). A detail read and its quotes
    then take one round trip, not two."""
    return (
        statement.add_columns(*(column.label(f"cited_{column.key}") for column in _CITED))
        .outerjoin(
            _CITATION,
            sa.and_(_CITATION.c.fact_type == fact_type, _CITATION.c.fact_id == table.c.id),
        )
        .order_by(_CITATION.c.id)
    )


def cited_public(
    rows: Sequence[Row[Any]], public: type[P], *, valid_at: dt.date | None = None
) -> P:
    """The fact row of a ``with_citations`` result (its first) as ``public``, with its
    citations embedded (and its ``validity`` on ``valid_at``, if given)."""
    first, width = rows[0], len(_CITED)
    citations = [
        CitationPublic(
            source_id=row.cited_source_id,
            quote=row.cited_quote,
            start_offset=row.cited_start_offset,
            end_offset=row.cited_end_offset,
        )
        for row in rows
        if row.id == first.id and row.cited_source_id is not None
    ]
    columns = dict(zip(first._fields[:-width], first[:-width], strict=True))
    return public.from_columns(columns, valid_at=valid_at, citations=citations)


def to_public(
    session: Session,
    rows: Sequence[Any],
    public: type[P],
    *,
    with_citations: bool,
    extra: Sequence[dict[str, object]] | None = None,
    valid_at: dt.date | None = None,
) -> list[P]:
    """Rows (model instances or Core rows of ``public``'s table) as their public model,
    with their citations embedded when asked for.

    ``extra`` holds, per row, fields the row does not carry itself (a related slug);
    ``valid_at``, the date each row's ``validity`` is told for (none without it).
    """
    citations = (
        load_citations(session, public.fact_table, [r.id for r in rows])
        if with_citations and rows
        else None
    )
    extras: list[dict[str, Any]] = (
        [dict(fields) for fields in extra] if extra else [{} for _ in rows]
    )
    if citations is not None:
        for fields, row in zip(extras, rows, strict=True):
            fields["citations"] = citations.get(row.id, [])
    if rows and isinstance(rows[0], Row):
        keys = rows[0]._fields  # Core rows share their keys: read them once, not per row
        columns = [dict(zip(keys, row, strict=True)) for row in rows]
        return public.list_from_columns(columns, extras, valid_at=valid_at)
    return [
        public.from_row(row, valid_at=valid_at, **fields)
        for row, fields in zip(rows, extras, strict=True)
    ]


def by_parent(
    rows: Sequence[R], items: Sequence[P], parent: Callable[[R], int]
) -> dict[int, list[P]]:
    """Rows' public models (``to_public`` of ``rows``, in their order) grouped under the id
    of the row each belongs to: a partnership's scope, a tariff's impacts, an executive's
    roles, read for a whole page at once."""
    grouped: dict[int, list[P]] = defaultdict(list)
    for row, item in zip(rows, items, strict=True):
        grouped[parent(row)].append(item)
    return grouped
