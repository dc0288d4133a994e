"""What every write shares: verified citations, history instead of erasure, the change
log, and Idempotency-Key replay, all inside the one transaction a write runs in.

A resource's service builds its rows and calls these; ``commit_write`` ends the
transaction. Nothing here knows HTTP beyond the status code and headers it replays.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.core.citations import CitationIn, locate_quote, offsets_problem
from app.core.errors import BodyInvalid, InvalidParameter
from app.core.etags import etag_of
from app.models import Citation, FactBase, IdempotentRequest, Source
from app.models.search import DocumentType
from app.services.changes import record_change
from app.services.citations import cited_sources
from app.services.facts import project_facts
from app.services.search_index import reindex


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
        span = locate_quote(source.text, citation.quote)
        if span is None:
            errors.append(
                (
                    [*loc, index, "quote"],
                    f"{citation.quote!r} is not in source {source.slug!r}",
                )
            )
            continue
        if (problem := offsets_problem(citation, span)) is not None:
            errors.append(([*loc, index, "start_offset"], problem))
            continue
        quotes.append(Quote(source, *span))
    if errors:
        raise BodyInvalid(errors)
    return quotes


def add_fact(session: Session, row: FactBase, quotes: Sequence[Quote]) -> None:
    """Store a new fact row with its citations; known since its earliest source."""
    row.known_from = min(q.source.published_on for q in quotes)
    session.add(row)
    session.flush()
    _cite(session, row, quotes)
    project_facts(session, [row])


def correct_fact(
    session: Session,
    row: FactBase,
    changes: dict[str, object],
    quotes: Sequence[Quote] | None,
    *,
    today: dt.date,
) -> None:
    """Apply ``changes`` to ``row``, keeping its old state answerable through ``known_at``:
    the old state moves to a copy closed today, the row is our word from today on. Without
    new ``quotes`` the row keeps its citations."""
    old_citations = _citations_of(session, row)
    copy = type(row).model_validate(row.model_dump(exclude={"id"}))
    copy.known_to = today
    copy.version_of = row.id  # type: ignore[attr-defined]
    session.add(copy)
    for name, value in changes.items():
        setattr(row, name, value)
    row.known_from = today
    session.add(row)
    session.flush()
    for citation in old_citations:
        session.add(
            Citation(
                **citation.model_dump(exclude={"id", "fact_id"}),
                fact_id=copy.id,  # type: ignore[attr-defined]
            )
        )
    if quotes is not None:
        for citation in old_citations:
            session.delete(citation)
        session.flush()
        _cite(session, row, quotes)
    project_facts(session, [copy, row])


def correct_with(
    session: Session,
    row: FactBase,
    changes: dict[str, object],
    citations: Sequence[CitationIn] | None,
) -> bool:
    """Correct ``row`` as a PATCH asks: ``changes``, and ``citations`` (verified) in place of
    its own when the patch names any. A patch that asks for nothing makes no new version;
    returns whether it made one."""
    quotes = verify_citations(session, citations) if citations is not None else None
    if not changes and quotes is None:
        return False
    correct_fact(session, row, changes, quotes, today=dt.date.today())
    return True


def retract_fact(session: Session, row: FactBase, *, today: dt.date) -> None:
    """Withdraw a fact: it stays answerable for the days our sources said it."""
    row.known_to = today
    session.add(row)
    session.flush()
    project_facts(session, [row])


def _cite(session: Session, row: FactBase, quotes: Sequence[Quote]) -> None:
    for quote in quotes:
        session.add(
            Citation(
                fact_type=row.__tablename__,  # type: ignore[arg-type]
                fact_id=row.id,  # type: ignore[attr-defined]
                source_id=quote.source.id,  # type: ignore[arg-type]
                quote=quote.source.text[quote.start : quote.end],
                start_offset=quote.start,
                end_offset=quote.end,
            )
        )


def _citations_of(session: Session, row: FactBase) -> list[Citation]:
    return list(
        session.exec(
            select(Citation)
            .where(
                Citation.fact_type == row.__tablename__,
                Citation.fact_id == row.id,  # type: ignore[attr-defined]
            )
            .order_by(col(Citation.id))
        )
    )


def refresh_search(session: Session, doc_type: DocumentType, *ids: int) -> None:
    session.flush()
    reindex(session, doc_type, ids)


# -- ending a write --------------------------------------------------------------------------


def log_change(
    session: Session,
    *,
    actor: str,
    resource: str,
    resource_id: str | int,
    before: BaseModel | None,
    after: BaseModel | None,
) -> None:
    """Append a write to the change log, unless it left the resource as it was. Nothing
    before makes it a create, nothing after a delete."""
    if after == before:
        return
    operation = "create" if before is None else "delete" if after is None else "update"
    record_change(
        session,
        actor=actor,
        operation=operation,
        resource=resource,
        resource_id=resource_id,
        before=before,
        after=after,
    )


@dataclass(frozen=True)
class Idempotency:
    """An ``Idempotency-Key`` and the request it came with."""

    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, method: str, path: str, body: BaseModel) -> "Idempotency | None":
        if key is None:
            return None
        digest = hashlib.sha256(
            f"{method} {path} ".encode() + body.model_dump_json().encode()
        ).hexdigest()
        return cls(key=key, fingerprint=digest)


@dataclass(frozen=True)
class Written:
    """A write's response: what a retry with the same Idempotency-Key gets again."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def written(model: BaseModel, status: int = 200, *, location: str | None = None) -> Written:
    """The answer to a write that leaves ``model``: its body and ETag exactly as a GET of it
    gives them, so the tag is the one the next ``If-Match`` is checked against."""
    headers = {} if location is None else {"Location": location}
    headers["ETag"] = etag_of(model)
    return Written(status, model.model_dump_json(exclude_unset=True), headers)


def commit_write(
    session: Session,
    *,
    actor: str,
    idempotency: Idempotency | None,
    write: Callable[[], Written],
) -> Written:
    """Run ``write`` and commit it, or replay the first response to this Idempotency-Key
    (refusing the key if it came with another request). Everything is rolled back if any
    step fails: the tables, the change log and the key."""
    try:
        if idempotency is not None:
            stored = session.exec(
                select(IdempotentRequest).where(
                    IdempotentRequest.actor == actor, IdempotentRequest.key == idempotency.key
                )
            ).first()
            if stored is not None:
                if stored.request_hash != idempotency.fingerprint:
                    raise InvalidParameter(
                        "This Idempotency-Key was used with another request.",
                        loc=["header", "idempotency-key"],
                    )
                session.rollback()
                return Written(stored.status_code, stored.body, dict(stored.headers or {}))
        written = write()
        if idempotency is not None:
            session.add(
                IdempotentRequest(
                    actor=actor,
                    key=idempotency.key,
                    request_hash=idempotency.fingerprint,
                    status_code=written.status,
                    body=written.body,
                    headers=written.headers,
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return written
