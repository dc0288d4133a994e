"""Reading citations: one query for a whole page of facts, never one per row."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Row
from sqlmodel import Session

from app.models import Citation
from app.models.base import FactPublic
from app.models.source import CitationPublic

P = TypeVar("P", bound=FactPublic)


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


def to_public(
    session: Session,
    rows: Sequence[Any],
    public: type[P],
    *,
    with_citations: bool,
    extra: Sequence[dict[str, object]] | None = None,
) -> list[P]:
    """Rows (model instances or Core rows of ``public``'s table) as their public model,
    with their citations embedded when asked for.

    ``extra`` holds, per row, fields the row does not carry itself (a related slug).
    """
    citations = (
        load_citations(session, public.fact_table, [r.id for r in rows])
        if with_citations and rows
        else None
    )
    # Core rows share their keys: read them once, not once per row.
    keys = rows[0]._fields if rows and isinstance(rows[0], Row) else None
    result = []
    for index, row in enumerate(rows):
        fields = dict(extra[index]) if extra else {}
        if citations is not None:
            fields["citations"] = citations.get(row.id, [])
        if keys is not None:
            result.append(public.from_columns(dict(zip(keys, row, strict=True)), **fields))
        else:
            result.append(public.from_row(row, **fields))
    return result
