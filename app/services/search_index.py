"""What each resource contributes to search, rebuilt from the database by id.

Writers (the importer, the write services) call ``reindex`` with the ids they touched, in
their own transaction, so search never lags behind the data. Each type is one query for
all its ids plus one per related table, whatever the number of ids. A changed document
is recorded at the write's instant, its former state kept for ``as_of``.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from sqlmodel import Session, col, select

from app.core.money import decimal_to_str
from app.models import (
    Company,
    Executive,
    ExecutiveRole,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    Plant,
    RestructuringPlan,
    Source,
    Statement,
    Tariff,
    TariffImpact,
)
from app.models.search import TITLE_LENGTH, DocumentType, SearchDocument
from app.services.changes import write_instant


class Document(NamedTuple):
    doc_id: int | None  # a table model's id type; always set once the row is stored
    key: str
    title: str
    body: str
    known_from: dt.date


def reindex(session: Session, doc_type: DocumentType, ids: Iterable[int]) -> None:
    """Refresh the search documents of these resources at the write's instant; close
    those no longer current."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    documents = {d.doc_id: d for d in _BUILDERS[doc_type](session, wanted)}
    instant = write_instant(session)
    for doc_id in wanted:
        document = documents.get(doc_id)
        if document is None:
            remove_document(session=session, doc_type=doc_type, doc_id=doc_id, instant=instant)
        else:
            index_document(
                session=session,
                doc_type=doc_type,
                doc_id=doc_id,
                key=document.key,
                title=document.title,
                body=document.body,
                known_from=document.known_from,
                instant=instant,
            )


def _current_document(
    session: Session, doc_type: DocumentType, doc_id: int
) -> SearchDocument | None:
    return session.exec(
        select(SearchDocument).where(
            SearchDocument.doc_type == doc_type,
            SearchDocument.doc_id == doc_id,
            col(SearchDocument.recorded_to).is_(None),
        )
    ).first()


def index_document(
    *,
    session: Session,
    doc_type: DocumentType,
    doc_id: int,
    key: str,
    title: str,
    body: str,
    known_from: dt.date,
    instant: dt.datetime,
) -> None:
    """Record the search document of one resource at ``instant`` (in the caller's
    transaction): the current one, if it says something else, is closed there and the new
    one starts there, so ``as_of`` finds each state."""
    title = title[:TITLE_LENGTH]
    document = _current_document(session, doc_type, doc_id)
    if document is not None:
        if (document.key, document.title, document.body, document.known_from) == (
            key,
            title,
            body,
            known_from,
        ):
            return
        if document.recorded_from == instant:
            # Made by this same write: no one was ever served it, so it is replaced.
            document.key, document.title, document.body = key, title, body
            document.known_from = known_from
            session.add(document)
            return
        document.recorded_to = instant
        session.add(document)
        session.flush()  # closed before the new one is current: one current per resource
    session.add(
        SearchDocument(
            doc_type=doc_type,
            doc_id=doc_id,
            key=key,
            title=title,
            body=body,
            known_from=known_from,
            recorded_from=instant,
        )
    )


def remove_document(
    *, session: Session, doc_type: DocumentType, doc_id: int, instant: dt.datetime
) -> None:
    """Close the current document of a resource that is no longer current at ``instant``
    (one made by this same write never answered, and goes)."""
    document = _current_document(session, doc_type, doc_id)
    if document is None:
        return
    if document.recorded_from == instant:
        session.delete(document)
    else:
        document.recorded_to = instant
        session.add(document)


def _join(*parts: object) -> str:
    return ". ".join(str(p) for p in parts if p not in (None, ""))


def _company_names(session: Session, ids: Iterable[int]) -> dict[int | None, str]:
    rows = session.exec(select(Company.id, Company.name).where(col(Company.id).in_(set(ids))))
    return {company_id: name for company_id, name in rows}


def _companies(session: Session, ids: Sequence[int]) -> list[Document]:
    rows = session.exec(
        select(Company).where(col(Company.id).in_(ids), col(Company.known_to).is_(None))
    )
    return [
        Document(
            c.id, c.slug, c.name, _join(c.name, c.kind, c.country, c.description), c.known_from
        )
        for c in rows
    ]


def _executives(session: Session, ids: Sequence[int]) -> list[Document]:
    executives = session.exec(
        select(Executive).where(col(Executive.id).in_(ids), col(Executive.known_to).is_(None))
    ).all()
    roles = session.exec(
        select(ExecutiveRole.executive_id, ExecutiveRole.title, Company.name)
        .join(Company, col(Company.id) == ExecutiveRole.company_id)
        .where(col(ExecutiveRole.executive_id).in_(ids), col(ExecutiveRole.known_to).is_(None))
        .order_by(col(ExecutiveRole.id))
    )
    titles: dict[int | None, list[str]] = defaultdict(list)
    for executive_id, title, company in roles:
        titles[executive_id].append(f"{title}, {company}")
    return [
        Document(e.id, e.slug, e.name, _join(e.name, *titles[e.id]), e.known_from)
        for e in executives
    ]


def _partnerships(session: Session, ids: Sequence[int]) -> list[Document]:
    partnerships = session.exec(
        select(Partnership).where(col(Partnership.id).in_(ids), col(Partnership.known_to).is_(None))
    ).all()
    members: dict[int | None, list[str]] = defaultdict(list)
    for partnership_id, name in session.exec(
        select(PartnershipMember.partnership_id, Company.name)
        .join(Company, col(Company.id) == PartnershipMember.company_id)
        .where(
            col(PartnershipMember.partnership_id).in_(ids),
            col(PartnershipMember.known_to).is_(None),
        )
        .order_by(col(PartnershipMember.id))
    ):
        members[partnership_id].append(name)
    areas: dict[int | None, list[str]] = defaultdict(list)
    for partnership_id, area in session.exec(
        select(PartnershipScope.partnership_id, PartnershipScope.area)
        .where(
            col(PartnershipScope.partnership_id).in_(ids),
            col(PartnershipScope.known_to).is_(None),
        )
        .order_by(col(PartnershipScope.id))
    ):
        areas[partnership_id].append(area)
    return [
        Document(
            p.id,
            str(p.id),
            p.title,
            _join(p.title, " and ".join(members[p.id]), p.status, *areas[p.id], p.notes),
            p.known_from,
        )
        for p in partnerships
    ]


def _tariffs(session: Session, ids: Sequence[int]) -> list[Document]:
    tariffs = session.exec(
        select(Tariff).where(col(Tariff.id).in_(ids), col(Tariff.known_to).is_(None))
    ).all()
    impacted: dict[int | None, list[str]] = defaultdict(list)
    for tariff_id, name in session.exec(
        select(TariffImpact.tariff_id, Company.name)
        .join(Company, col(Company.id) == TariffImpact.company_id)
        .where(col(TariffImpact.tariff_id).in_(ids), col(TariffImpact.known_to).is_(None))
        .order_by(col(TariffImpact.id))
    ):
        impacted[tariff_id].append(name)
    documents = []
    for t in tariffs:
        title = f"{t.imposing_country} tariff on {t.product} from {t.target_country}"
        rate = f"{decimal_to_str(t.rate_pct)} percent" if t.rate_pct is not None else None
        documents.append(
            Document(
                t.id,
                str(t.id),
                title,
                _join(title, rate, "tariffs", *impacted[t.id]),
                t.known_from,
            )
        )
    return documents


def _restructuring_plans(session: Session, ids: Sequence[int]) -> list[Document]:
    plans = session.exec(
        select(RestructuringPlan).where(
            col(RestructuringPlan.id).in_(ids), col(RestructuringPlan.known_to).is_(None)
        )
    ).all()
    names = _company_names(session, (p.company_id for p in plans))
    return [
        Document(
            p.id,
            str(p.id),
            p.name,
            _join(
                names[p.company_id],
                p.name,
                f"{p.job_cuts} jobs cut" if p.job_cuts is not None else None,
                f"plants from {p.plants_before} to {p.plants_after}"
                if p.plants_after is not None
                else None,
                p.target_year,
            ),
            p.known_from,
        )
        for p in plans
    ]


def _plants(session: Session, ids: Sequence[int]) -> list[Document]:
    plants = session.exec(
        select(Plant, Company.slug, Company.name)
        .join(Company, col(Company.id) == Plant.company_id)
        .where(col(Plant.id).in_(ids), col(Plant.known_to).is_(None))
    ).all()
    return [
        Document(p.id, slug, p.name, _join(name, p.name, p.city, p.region, p.country), p.known_from)
        for p, slug, name in plants
    ]


def _sources(session: Session, ids: Sequence[int]) -> list[Document]:
    sources = session.exec(select(Source).where(col(Source.id).in_(ids)))
    # A source is reported from the day it was published.
    return [Document(s.id, s.slug, s.title, s.text, s.published_on) for s in sources]


def _statements(session: Session, ids: Sequence[int]) -> list[Document]:
    statements = session.exec(
        select(Statement).where(col(Statement.id).in_(ids), col(Statement.known_to).is_(None))
    ).all()
    speakers = dict(
        session.exec(
            select(Executive.id, Executive.name).where(
                col(Executive.id).in_({s.speaker_executive_id for s in statements})
            )
        ).all()
    )
    companies = _company_names(
        session,
        {i for s in statements for i in (s.speaker_company_id, s.about_company_id) if i},
    )
    partnerships = dict(
        session.exec(
            select(Partnership.id, Partnership.title).where(
                col(Partnership.id).in_({s.about_partnership_id for s in statements})
            )
        ).all()
    )
    documents = []
    for s in statements:
        speaker = speakers.get(s.speaker_executive_id) or companies[s.speaker_company_id]
        about = (partnerships.get(s.about_partnership_id), companies.get(s.about_company_id))
        title = f"{speaker}: {s.quote}"
        body = _join(speaker, s.quote, *about)
        documents.append(Document(s.id, str(s.id), title, body, s.known_from))
    return documents


_BUILDERS: dict[DocumentType, Callable[[Session, Sequence[int]], list[Document]]] = {
    DocumentType.company: _companies,
    DocumentType.executive: _executives,
    DocumentType.partnership: _partnerships,
    DocumentType.tariff: _tariffs,
    DocumentType.restructuring_plan: _restructuring_plans,
    DocumentType.plant: _plants,
    DocumentType.source: _sources,
    DocumentType.statement: _statements,
}
