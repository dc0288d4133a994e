"""Search under ``valid_at``: a hit stands for a resource, so it is kept when that
resource's own list would list it on the date, and says the ``validity`` that list gives
it. The conditions are the lists' own (each service's ``listed_*``), asked here of a
document's resource; there is no second account of what held when.

A source holds no valid time (``/v1/sources`` takes no ``valid_at``): under ``valid_at``
no source is a hit.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, literal_column, or_
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlmodel import Session

from app.core.temporal import (
    AsOf,
    AsOfShape,
    Validity,
    as_of_shape,
    bound_as_of,
    rows_stating,
    validity_on,
)
from app.models import (
    Company,
    Executive,
    Partnership,
    Plant,
    RestructuringPlan,
    Statement,
    Tariff,
)
from app.models.search import DocumentType, SearchHit
from app.services import companies, company_facts, executives, partnerships, statements, tariffs


def _own_validity(session: Session, rows: Sequence[Any], as_of: AsOf) -> list[Validity | None]:
    """The ``validity`` a list item shows that is told by its own row."""
    assert as_of.valid_at is not None, "a validity is told for a date"
    return [validity_on(as_of.valid_at, row.certain_from, row.certain_to) for row in rows]


@dataclass(frozen=True)
class Listed:
    """A type of hit as its resource's list answers ``valid_at``: the rows the list pages
    over before its filters, and the ``validity`` it shows for each."""

    model: Any
    rows: Callable[[AsOf], Select[Any]]
    validity: Callable[[Session, Sequence[Any], AsOf], list[Validity | None]] = _own_validity


# A plant's hit links to its company's plants, the list it is an item of.
LISTS: dict[DocumentType, Listed] = {
    DocumentType.company: Listed(Company, companies.listed_companies),
    DocumentType.executive: Listed(Executive, executives.listed_executives),
    DocumentType.partnership: Listed(
        Partnership, partnerships.listed_partnerships, partnerships.listed_validity
    ),
    DocumentType.tariff: Listed(Tariff, tariffs.listed_tariffs),
    DocumentType.restructuring_plan: Listed(RestructuringPlan, company_facts.listed_plans),
    DocumentType.plant: Listed(Plant, company_facts.listed_plants),
    DocumentType.statement: Listed(Statement, statements.listed_statements),
}

# The parameters the condition leaves to the statement it goes into, which binds them.
_AS_OF_PARAMETERS = frozenset({"valid_at", "known_at", "as_of"})


def may_be_listed(doc_type: DocumentType | None, as_of: AsOf) -> bool:
    """Whether hits of ``doc_type`` (of any type: None) may answer ``as_of``: not a
    source's under ``valid_at``."""
    return as_of.valid_at is None or doc_type is None or doc_type in LISTS


def listed_condition(
    session: Session, doc_type: DocumentType | None, as_of: AsOf
) -> tuple[str, dict[str, Any]]:
    """A condition in SQL on the search document aliased ``d``: its resource would be
    listed by its own list under ``as_of`` (of the type ``doc_type``, if given); and the
    values of its own parameters. ``:valid_at``, ``:known_at`` and ``:as_of`` are left
    for the statement to bind."""
    dialect: Any = type(session.get_bind().dialect)
    return _compiled(dialect, doc_type, as_of_shape(as_of))


@cache
def _compiled(
    dialect: Any, doc_type: DocumentType | None, shape: AsOfShape
) -> tuple[str, dict[str, Any]]:
    # The search's statements are SQL text: the lists' conditions are written into them,
    # with parameters by name and no casts of their own (the statement types its values).
    bound = bound_as_of(shape)
    doc_id: ColumnElement[int] = literal_column("d.doc_id")
    kind: ColumnElement[str] = literal_column("d.doc_type")
    conditions: list[ColumnElement[bool]] = []
    for listed_type in [doc_type] if doc_type is not None else list(DocumentType):
        listed = LISTS.get(listed_type)
        if listed is None:
            continue
        rows = listed.rows(bound).where(rows_stating(listed.model, doc_id))
        conditions.append(and_(kind == literal_column(f"'{listed_type.value}'"), rows.exists()))
    named: Dialect = dialect(paramstyle="named")
    named.bind_typing = BindTyping.NONE
    compiled = or_(false(), *conditions).compile(dialect=named)
    params = {k: v for k, v in compiled.params.items() if k not in _AS_OF_PARAMETERS}
    return str(compiled), params


def with_validity(session: Session, hits: list[SearchHit], as_of: AsOf) -> list[SearchHit]:
    """The hits, each with the ``validity`` its resource's list shows on ``valid_at`` (a
    resource several rows of which are listed, a tariff and its past rates, is as certain
    as the most certain); one query per type of hit. A hit whose resource is no longer
    listed (written between the ranking and this) is left out."""
    ids: dict[DocumentType, set[int]] = defaultdict(set)
    for hit in hits:
        ids[hit.type].add(hit.id)
    labels: dict[tuple[DocumentType, int], Validity | None] = {}
    for doc_type, entities in ids.items():
        listed = LISTS[doc_type]
        wanted = or_(*(rows_stating(listed.model, entity) for entity in sorted(entities)))
        rows = session.scalars(listed.rows(as_of).where(wanted)).all()
        for row, validity in zip(rows, listed.validity(session, rows, as_of), strict=True):
            key = (doc_type, row.version_of or row.id)
            if labels.get(key) != Validity.certain:
                labels[key] = validity
    kept = []
    for hit in hits:
        if (hit.type, hit.id) in labels:
            hit.validity = labels[(hit.type, hit.id)]
            kept.append(hit)
    return kept
