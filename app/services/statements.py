"""Statements: their reads, and the writes that add, correct and retract them."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CompoundSelect, or_, union_all
from sqlmodel import Session, SQLModel, col, select

from app.core.dates import parse_partial_date
from app.core.errors import BodyInvalid, Conflict, NotFound
from app.core.pagination import ListSpec, Page, PageParams, fetch_page
from app.core.quotes import locate_within
from app.core.temporal import AsOf, as_of_condition, certainly, is_current, rows_stating
from app.models import Company, Executive, Partnership, Source, Statement
from app.models.search import DocumentType
from app.models.statement import (
    StatementFilters,
    StatementIn,
    StatementPublic,
    StatementUpdate,
)
from app.services.citations import Quote, stored_quotes, to_public, verify_citations
from app.services.executives import company_executive_ids, find_executive
from app.services.writing import (
    Idempotency,
    Resource,
    Written,
    add_fact,
    by_log_id,
    correct_if_any,
)

STATEMENT_LIST = ListSpec(
    sort_keys={"id": Statement.id},
    default_sort="id",
    id_column=Statement.id,
    facets={"certainty": Statement.certainty},
)


def _entity_id(row: Statement) -> int:
    """The id of the statement a row states: its own, or on a past version the current row's."""
    entity_id = row.version_of or row.id
    assert entity_id is not None, "rows are read or flushed before they are named"
    return entity_id


def _slugs(session: Session, model: Any, ids: set[int | None]) -> dict[int, str]:
    # A label only: an entity's current row names it whatever the as-of.
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(model.id, model.slug).where(col(model.id).in_(wanted))).all()
    return dict(rows)


def _public(
    session: Session, rows: Sequence[Any], *, with_citations: bool, as_of: AsOf
) -> list[StatementPublic]:
    executives = _slugs(session, Executive, {r.speaker_executive_id for r in rows})
    companies = _slugs(
        session, Company, {r.speaker_company_id for r in rows} | {r.about_company_id for r in rows}
    )
    partnerships = _slugs(session, Partnership, {r.about_partnership_id for r in rows})
    sources = {
        s.id: s
        for s in session.exec(select(Source).where(col(Source.id).in_({r.source_id for r in rows})))
    }
    extra: list[dict[str, object]] = [
        {
            "speaker_executive": executives.get(row.speaker_executive_id or 0),
            "speaker_company": companies.get(row.speaker_company_id or 0),
            "about_partnership": partnerships.get(row.about_partnership_id or 0),
            "about_company": companies.get(row.about_company_id or 0),
            "source": sources[row.source_id].slug,
            "reported_on": sources[row.source_id].published_on,
        }
        for row in rows
    ]
    return to_public(
        session,
        rows,
        StatementPublic,
        with_citations=with_citations,
        extra=extra,
        valid_at=as_of.valid_at,
    )


def named_in(session: Session, said: Sequence[StatementPublic]) -> dict[str, dict[str, Any]]:
    """What statements name, by slug, for a page to show and link: each executive's and
    company's name, each partnership's ``(id, title)``. One query per kind whatever the
    number of statements; the current rows, as the slugs themselves are."""
    slugs: dict[str, set[str]] = {"executive": set(), "company": set(), "partnership": set()}
    for one in said:
        for kind, slug in (
            ("executive", one.speaker_executive),
            ("company", one.speaker_company),
            ("company", one.about_company),
            ("partnership", one.about_partnership),
        ):
            if slug is not None:
                slugs[kind].add(slug)
    named: dict[str, dict[str, Any]] = {kind: {} for kind in slugs}
    for kind, model, label in (
        ("executive", Executive, Executive.name),
        ("company", Company, Company.name),
    ):
        if slugs[kind]:
            rows = session.exec(
                select(model.slug, label).where(col(model.slug).in_(slugs[kind]), is_current(model))
            )
            named[kind] = dict(rows.all())
    if slugs["partnership"]:
        partnerships = session.exec(
            select(Partnership.slug, Partnership.id, Partnership.title).where(
                col(Partnership.slug).in_(slugs["partnership"]), is_current(Partnership)
            )
        )
        named["partnership"] = {slug: (id_, title) for slug, id_, title in partnerships.all()}
    return named


def _current_id(model: Any, slug: str) -> Any:
    """The id of the entity a slug names now (a scalar subquery: none matches nothing)."""
    return select(model.id).where(model.slug == slug, is_current(model)).scalar_subquery()


def _filtered(as_of: AsOf, filters: StatementFilters) -> Any:
    statement = select(Statement).where(
        as_of_condition(Statement, as_of), *certainly(Statement, as_of)
    )
    for column, model, slug in (
        (Statement.speaker_executive_id, Executive, filters.speaker_executive),
        (Statement.speaker_company_id, Company, filters.speaker_company),
        (Statement.about_partnership_id, Partnership, filters.about_partnership),
        (Statement.about_company_id, Company, filters.about_company),
    ):
        if slug is not None:
            statement = statement.where(col(column) == _current_id(model, slug))
    return statement


def listed_statements(as_of: AsOf) -> Any:
    """The rows ``/v1/statements`` pages over under ``as_of``, before its filters."""
    return _filtered(as_of, StatementFilters())


def list_statements(
    *,
    session: Session,
    filters: StatementFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[StatementPublic]:
    return _page(session, _filtered(as_of, filters), page, include, as_of)


def _page(
    session: Session, statement: Any, page: PageParams, include: frozenset[str], as_of: AsOf
) -> Page[StatementPublic]:
    fetched = fetch_page(session, statement, STATEMENT_LIST, page)
    with_citations = "citations" in include
    return fetched.page(_public(session, fetched.rows, with_citations=with_citations, as_of=as_of))


def list_executive_statements(
    *,
    session: Session,
    slug: str,
    filters: StatementFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[StatementPublic]:
    executive = find_executive(session=session, slug=slug, as_of=as_of)
    speaker = executive.version_of or executive.id
    statement = _filtered(as_of, filters).where(col(Statement.speaker_executive_id) == speaker)
    return _page(session, statement, page, include, as_of)


def list_company_statements(
    *,
    session: Session,
    slug: str,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[StatementPublic]:
    """What company ``slug`` said, what was said about it, and what the executives of its
    executives list (``list_company_executives``) said: a company page's statements, in one
    query however many executives it has."""
    company_id = _current_id(Company, slug)
    # Each way of naming the company found by its own index: as one OR, a planner that
    # finds no statistics for it walks every current statement instead.
    named: CompoundSelect[Any] = union_all(
        select(Statement.id).where(col(Statement.speaker_company_id) == company_id),
        select(Statement.id).where(col(Statement.about_company_id) == company_id),
        select(Statement.id).where(
            col(Statement.speaker_executive_id).in_(company_executive_ids(slug=slug, as_of=as_of))
        ),
    )
    statement = _filtered(as_of, StatementFilters()).where(col(Statement.id).in_(named))
    return _page(session, statement, page, include, as_of)


def list_partnership_statements(
    *,
    session: Session,
    partnership_id: int,
    filters: StatementFilters,
    as_of: AsOf,
    page: PageParams,
    include: frozenset[str],
) -> Page[StatementPublic]:
    partnership = session.exec(
        select(Partnership.id).where(
            or_(
                col(Partnership.id) == partnership_id,
                col(Partnership.version_of) == partnership_id,
            ),
            as_of_condition(Partnership, as_of),
        )
    ).first()
    if partnership is None:
        raise NotFound(f"No partnership with id {partnership_id}.")
    statement = _filtered(as_of, filters).where(
        col(Statement.about_partnership_id) == partnership_id
    )
    return _page(session, statement, page, include, as_of)


def get_statement(*, session: Session, statement_id: int, as_of: AsOf) -> StatementPublic:
    row = session.exec(
        select(Statement)
        .where(rows_stating(Statement, statement_id), as_of_condition(Statement, as_of))
        .order_by(col(Statement.id))
    ).first()
    if row is None:
        raise NotFound(f"No statement with id {statement_id}.")
    return _public(session, [row], with_citations=True, as_of=as_of)[0]


# -- writes ----------------------------------------------------------------------------------


def _find(session: Session, statement_id: int) -> Statement:
    row = session.exec(
        select(Statement).where(col(Statement.id) == statement_id, is_current(Statement))
    ).first()
    if row is None:
        raise NotFound(f"No statement with id {statement_id}.")
    return row


STATEMENTS: Resource[int, Statement, StatementPublic] = Resource(
    name="statements",
    find=_find,
    read=lambda session, row: get_statement(
        session=session, statement_id=_entity_id(row), as_of=AsOf()
    ),
    log_id=lambda row, _: _entity_id(row),
    read_many=lambda session, rows: by_log_id(
        rows, _public(session, rows, with_citations=True, as_of=AsOf()), _entity_id
    ),
    location=lambda row, _: f"/v1/statements/{_entity_id(row)}",
    row=lambda row: row,
    search=DocumentType.statement,
    search_id=_entity_id,
)


def _referenced(session: Session, model: type[SQLModel], field: str, slug: str | None) -> Any:
    """The id of the current entity a body field names by slug, or a 422 naming the field."""
    if slug is None:
        return None
    found = session.exec(
        select(model.id).where(model.slug == slug, is_current(model))  # type: ignore[attr-defined]
    ).first()
    if found is None:
        raise BodyInvalid([([field], f"no {model.__tablename__} {slug!r}")])
    return found


def _said(
    quote: str, quotes: Sequence[Quote], field: str, *, stored: bool = False
) -> dict[str, Any]:
    """The statement's words as the source prints them, found inside one of its citations:
    what a citation quotes is what the source says, and the words must be part of it.

    ``stored``: the words or the citations are the row's, not the body's. A body that is
    valid on its own but does not fit what is stored conflicts with the resource's state
    (409, RFC 9110 §15.5.10), which no check of the body alone can foresee."""
    for cited in quotes:
        span = locate_within(cited.source.text, (cited.start, cited.end), quote)
        if span is not None:
            return {"quote": cited.source.text[span[0] : span[1]], "source_id": cited.source.id}
    if stored:
        raise Conflict(
            f"{quote!r} is not in any of the statement's citations: send the quote and "
            "its citations together"
        )
    raise BodyInvalid([([field], f"{quote!r} is not in any of the statement's citations")])


def _refuse_twin(session: Session, row: Statement, other_than: int | None = None) -> None:
    """Refuse a second current statement of the same words by the same speaker in the same
    source: the importer's natural key of a statement. What it is about, when it was said
    and how sure we are describe that statement; they do not make another."""
    key = {
        "speaker_executive_id": row.speaker_executive_id,
        "speaker_company_id": row.speaker_company_id,
        "source_id": row.source_id,
        "quote": row.quote,
    }
    statement = select(Statement.id).where(
        is_current(Statement),
        *(
            col(getattr(Statement, name)).is_(None)
            if value is None
            else col(getattr(Statement, name)) == value
            for name, value in key.items()
        ),
    )
    if other_than is not None:
        statement = statement.where(col(Statement.id) != other_than)
    twin = session.exec(statement).first()
    if twin is not None:
        raise Conflict(f"The speaker already said {row.quote!r} in that source (statement {twin}).")


def _about(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The columns of the ``about_*`` and ``said_on`` fields among ``values``."""
    columns: dict[str, Any] = {}
    if "about_partnership" in values:
        columns["about_partnership_id"] = _referenced(
            session, Partnership, "about_partnership", values["about_partnership"]
        )
    if "about_company" in values:
        columns["about_company_id"] = _referenced(
            session, Company, "about_company", values["about_company"]
        )
    if "said_on" in values:
        said_on = values["said_on"]
        day, precision = parse_partial_date(said_on) if said_on else (None, None)
        columns |= {"valid_from": day, "valid_from_precision": precision}
    return columns


def create_statement(
    *, session: Session, actor: str, payload: StatementIn, idempotency: Idempotency | None
) -> Written:
    def add() -> Statement:
        speaker_executive_id = _referenced(
            session, Executive, "speaker_executive", payload.speaker_executive
        )
        speaker_company_id = _referenced(
            session, Company, "speaker_company", payload.speaker_company
        )
        quotes = verify_citations(session, payload.citations)
        row = Statement(
            speaker_executive_id=speaker_executive_id,
            speaker_company_id=speaker_company_id,
            speech=payload.speech,
            certainty=payload.certainty,
            **_said(payload.quote, quotes, "quote"),
            **_about(session, payload.model_dump()),
        )
        _refuse_twin(session, row)
        add_fact(session, row, quotes, payload.told_as)
        return row

    return STATEMENTS.create(session, actor, body=payload, idempotency=idempotency, add=add)


def update_statement(
    *,
    session: Session,
    actor: str,
    statement_id: int,
    patch: StatementUpdate,
    if_match: str | None,
) -> Written:
    def apply(row: Statement) -> bool:
        changes = patch.changes()
        quotes = verify_citations(session, patch.citations) if patch.citations else None
        columns = {k: v for k, v in changes.items() if k in ("speech", "certainty")}
        columns |= _about(session, changes)
        if quotes is not None or "quote" in changes:
            # New words must be in the citations, and new citations must hold the words.
            cited = quotes if quotes is not None else stored_quotes(session, row)
            both_sent = quotes is not None and "quote" in changes
            columns |= _said(changes.get("quote", row.quote), cited, "quote", stored=not both_sent)
            _refuse_twin(session, Statement.model_validate(row.model_dump() | columns), row.id)
        return correct_if_any(session, row, columns, quotes)

    return STATEMENTS.change(session, actor, statement_id, apply, if_match=if_match)


def delete_statement(
    *, session: Session, actor: str, statement_id: int, if_match: str | None
) -> Written:
    return STATEMENTS.retract(session, actor, statement_id, if_match=if_match)
