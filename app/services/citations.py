"""Reading citations: one query for a whole page of facts, never one per row."""

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlmodel import Session, col, select

from app.models import Citation, FactBase
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
    statement = (
        select(Citation)
        .where(Citation.fact_type == fact_type, col(Citation.fact_id).in_(fact_ids))
        .order_by(col(Citation.id))
    )
    for citation in session.exec(statement):
        by_fact[citation.fact_id].append(
            CitationPublic.model_validate(citation, from_attributes=True)
        )
    return by_fact


def to_public(
    session: Session,
    rows: Sequence[FactBase],
    public: type[P],
    *,
    with_citations: bool,
    extra: Sequence[dict[str, object]] | None = None,
) -> list[P]:
    """Rows as their public model, with their citations embedded when asked for.

    ``extra`` holds, per row, fields the row does not carry itself (a related slug).
    """
    citations = (
        load_citations(session, rows[0].__table__.name, [r.id for r in rows])  # type: ignore[attr-defined]
        if with_citations and rows
        else None
    )
    result = []
    for index, row in enumerate(rows):
        fields = dict(extra[index]) if extra else {}
        if citations is not None:
            fields["citations"] = citations.get(row.id, [])  # type: ignore[attr-defined]
        result.append(public.from_row(row, **fields))
    return result
