"""Reading ``/v1/facts``: the flat list the importer's projection writes into ``fact``.

``app.services.facts`` writes that table; this module only reads it.
"""

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, tuple_
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.temporal import (
    AsOf,
    AsOfShape,
    as_of_condition,
    bound_as_of_condition,
    certainly,
    prepared_filters,
)
from app.models import Citation, Company, Fact
from app.models.fact import FactFilters, FactItemPublic, FactRecord, FactSubject
from app.models.source import CitationPublic

FACT_LIST = ListSpec(
    sort_keys={"id": Fact.id},
    default_sort="id",
    id_column=Fact.id,
    facets={
        "predicate": Fact.predicate,
        "subject_type": Fact.subject_type,
        "fact_type": Fact.fact_type,
        "certainty": Fact.certainty,
    },
)


def _load_citations(
    session: Session, facts: Sequence[Fact]
) -> dict[tuple[str, int], list[CitationPublic]]:
    """The citations of a page of facts of several types, in one query."""
    by_fact: dict[tuple[str, int], list[CitationPublic]] = defaultdict(list)
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for fact in facts:
        ids_by_type[fact.fact_type].add(fact.fact_id)
    if not ids_by_type:
        return by_fact
    statement = (
        select(Citation)
        .where(
            or_(
                *(
                    and_(
                        col(Citation.fact_type) == fact_type, col(Citation.fact_id).in_(sorted(ids))
                    )
                    for fact_type, ids in ids_by_type.items()
                )
            )
        )
        .order_by(col(Citation.id))
    )
    for citation in session.exec(statement):
        by_fact[(citation.fact_type, citation.fact_id)].append(
            CitationPublic.model_validate(citation, from_attributes=True)
        )
    return by_fact


def _public(
    session: Session, facts: Sequence[Fact], *, with_citations: bool, as_of: AsOf
) -> list[FactItemPublic]:
    citations = _load_citations(session, facts) if with_citations else None
    result = []
    for fact in facts:
        fields: dict[str, object] = {
            "subject": FactSubject(type=fact.subject_type, id=fact.subject_id, label=fact.subject),
            "record": FactRecord(type=fact.fact_type, id=fact.fact_id),
        }
        if citations is not None:
            fields["citations"] = citations.get((fact.fact_type, fact.fact_id), [])
        result.append(FactItemPublic.from_row(fact, valid_at=as_of.valid_at, **fields))
    return result


def list_facts(
    *,
    session: Session,
    filters: FactFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[FactItemPublic]:
    names, shape, bindings = prepared_filters(filters, as_of)
    statement = _fact_list(names, shape)
    fetched = fetch_page(session, statement, FACT_LIST, page, bindings=bindings)
    data = _public(session, fetched.rows, with_citations="citations" in include, as_of=as_of)
    return fetched.page(data)


@cache
def _fact_list(filters: frozenset[str], shape: AsOfShape) -> Select[Any]:
    """The flat list, built once per set of filters given and as_of shape, their values
    bound (see fetch_page)."""
    statement = select(Fact).where(bound_as_of_condition(Fact, shape), *certainly(Fact, shape))
    if "company" in filters:
        # An unknown slug filters everything out, as any other filter value matching nothing.
        # Facts name a company by the id of its row (never of a superseded copy); a slug
        # retracted and taken again names two such rows.
        companies = select(Company.id).where(
            Company.slug == bindparam("company"), col(Company.version_of).is_(None)
        )
        statement = statement.where(col(Fact.company_id).in_(companies))
    if "source" in filters:
        # The facts the source's citations name, found from its citations (an index on
        # source_id), not by asking each fact whether a citation of the source names it.
        statement = statement.where(
            tuple_(col(Fact.fact_type), col(Fact.fact_id)).in_(
                select(col(Citation.fact_type), col(Citation.fact_id)).where(
                    col(Citation.source_id) == bindparam("source")
                )
            )
        )
    for name in sorted(filters - {"company", "source"}):
        statement = statement.where(getattr(Fact, name) == bindparam(name))
    return statement


def get_fact(*, session: Session, fact_id: int, as_of: AsOf) -> FactItemPublic:
    fact = session.exec(
        select(Fact).where(Fact.id == fact_id, as_of_condition(Fact, as_of))
    ).first()
    if fact is None:
        raise NotFound(f"No fact with id {fact_id}.")
    return _public(session, [fact], with_citations=True, as_of=as_of)[0]
