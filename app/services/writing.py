"""What every write shares: verified citations, history instead of erasure, the change
log, and Idempotency-Key replay, all inside the one transaction a write runs in.

The guarded write (find, If-Match, correct or retract, reindex, log the change, respond)
is written once, here, as ``Resource.create``, ``.change`` and ``.retract``. A domain
declares a ``Resource`` (how its URL's key finds it, how a GET shows it, its change-log
name, its search document) and passes its own checks and row building as hooks, so a new
resource's write path is a declaration plus its checks, never another copy of the sequence.
Nothing here knows HTTP beyond the status code and headers it replays.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from app.core.errors import InvalidParameter
from app.core.etags import etag_of, require_if_match
from app.core.quotes import CitationIn
from app.models import Citation, FactBase, IdempotentRequest
from app.models.base import ToldAs
from app.models.search import DocumentType
from app.services.changes import record_change, write_instant
from app.services.citations import Quote, verify_citations
from app.services.facts import project_facts
from app.services.search_index import reindex

K = TypeVar("K")  # how a URL names the resource: a slug, an id, or ids under a parent
H = TypeVar("H")  # what a write acts on once found: a row, or a row with its parent
P = TypeVar("P", bound=BaseModel)


def add_fact(
    session: Session, row: FactBase, quotes: Sequence[Quote], told_as: ToldAs = ToldAs.present
) -> None:
    """Store a new fact row with its citations: reported since its earliest source,
    recorded from this write. Its earliest source states it as holding on its
    publication date (``FactBase.holds_on``), or, told as past, as over by then
    (``FactBase.ended_by``)."""
    row.known_from = reported_on(quotes)
    row.recorded_from = write_instant(session)
    anchor(row, row.known_from, told_as)
    session.add(row)
    session.flush()
    _cite(session, row, quotes)
    project_facts(session, [row])


def anchor(row: FactBase, published_on: dt.date, told_as: ToldAs) -> None:
    """Date ``row`` by its earliest source's publication date, as that source tells of
    it: holding then (``holds_on``) or over by then (``ended_by``)."""
    past = told_as == ToldAs.past
    row.holds_on = None if past else published_on
    row.ended_by = published_on if past else None


def correct_fact(
    session: Session,
    row: FactBase,
    changes: dict[str, object],
    quotes: Sequence[Quote] | None,
) -> None:
    """Apply ``changes`` to ``row``, keeping its old state answerable through ``as_of``:
    the old state moves to a copy whose record closes at this write's instant, the row is
    our word from that instant on. Without new ``quotes`` the row keeps its citations, and
    so the date it was reported (``known_from``): a correction is never backdated to, nor
    dated by, the day it was made."""
    old_citations = citations_of(session, row)
    instant = write_instant(session)
    copy = type(row).model_validate(row.model_dump(exclude={"id"}))
    _close(copy, instant)
    copy.version_of = row.id  # type: ignore[attr-defined]
    session.add(copy)
    for name, value in changes.items():
        setattr(row, name, value)
    row.recorded_from = instant
    if quotes is not None:
        row.known_from = reported_on(quotes)
    session.add(row)
    session.flush()
    cite_version(session, copy, old_citations)
    if quotes is not None:
        for citation in old_citations:
            session.delete(citation)
        told_as = ToldAs.present if row.ended_by is None else ToldAs.past
        anchor(row, row.known_from, told_as)
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
    return correct_if_any(session, row, changes, quotes)


def correct_if_any(
    session: Session, row: FactBase, changes: dict[str, object], quotes: Sequence[Quote] | None
) -> bool:
    """Correct ``row`` unless there is nothing to correct: a patch that restates the row
    makes no new version. Returns whether it made one."""
    changes, quotes = effective_changes(session, row, changes, quotes)
    if not changes and quotes is None:
        return False
    correct_fact(session, row, changes, quotes)
    return True


QuotesT = TypeVar("QuotesT", bound=Sequence[Quote])


def effective_changes(
    session: Session, row: FactBase, changes: dict[str, Any], quotes: QuotesT | None
) -> tuple[dict[str, Any], QuotesT | None]:
    """What a patch really changes: values it restates and the quotes the row already has
    (the same spans, in the same order) are no correction. A merge patch that leaves the
    representation as it was must leave its ETag too, or every other client's copy turns
    stale for nothing."""
    changes = {name: value for name, value in changes.items() if getattr(row, name) != value}
    if quotes is not None:
        stored = [(c.source_id, c.start_offset, c.end_offset) for c in citations_of(session, row)]
        if stored == [(q.source.id, q.start, q.end) for q in quotes]:
            quotes = None
    return changes, quotes


def retract_fact(session: Session, row: FactBase) -> None:
    """Withdraw a fact: it stays answerable through ``as_of`` for the time it was ours."""
    _close(row, write_instant(session))
    session.add(row)
    session.flush()
    project_facts(session, [row])


def reported_on(quotes: Sequence[Quote]) -> dt.date:
    """When a fact with these quotes was reported: the earliest of their sources."""
    return min(q.source.published_on for q in quotes)


def _close(row: FactBase, instant: dt.datetime) -> None:
    # known_to, the day of recorded_to, is what "current" (known_to IS NULL) is read from.
    row.recorded_to = instant
    row.known_to = instant.date()


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


def cite_version(session: Session, version: FactBase, citations: Sequence[Citation]) -> None:
    """Cite ``version`` (a copy of a row, ``version_of`` set) with the row's ``citations``:
    citations name the row they back by its own id, a version's included."""
    for citation in citations:
        session.add(
            Citation(
                **citation.model_dump(exclude={"id", "fact_id"}),
                fact_id=version.id,  # type: ignore[attr-defined]
            )
        )


def citations_of(session: Session, row: FactBase) -> list[Citation]:
    """``row``'s citations, in the order they were made."""
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
    """An ``Idempotency-Key`` and the request line it came with; the body is added by the
    write that parses it (``commit_write``), so a retry must repeat all three."""

    key: str
    method: str
    path: str

    def fingerprint(self, body: BaseModel | None) -> str:
        # The parsed body, not its bytes: a retry spelling the same JSON otherwise (key
        # order, spacing, a default given explicitly) is the same request.
        dumped = b"" if body is None else body.model_dump_json().encode()
        return hashlib.sha256(f"{self.method} {self.path} ".encode() + dumped).hexdigest()


@dataclass(frozen=True)
class Written:
    """A write's response: what a retry with the same Idempotency-Key gets again."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def by_log_id(
    rows: Sequence[Any], shown: Sequence[P], log_id: Callable[[Any], str | int]
) -> dict[str | int, P]:
    """Each row's public form (``shown``, in the rows' order) by the id the change log
    names it by: what a ``Resource``'s ``read_many`` answers."""
    return {log_id(row): public for row, public in zip(rows, shown, strict=True)}


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
    body: BaseModel | None = None,
) -> Written:
    """Run ``write`` and commit it, or replay the first response to this Idempotency-Key
    (refusing the key if it came with another request). Everything is rolled back if any
    step fails: the tables, the change log and the key."""
    fingerprint = "" if idempotency is None else idempotency.fingerprint(body)
    try:
        if idempotency is not None:
            stored = session.exec(
                select(IdempotentRequest).where(
                    IdempotentRequest.actor == actor, IdempotentRequest.key == idempotency.key
                )
            ).first()
            if stored is not None:
                if stored.request_hash != fingerprint:
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
                    request_hash=fingerprint,
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


# -- the guarded write -------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource(Generic[K, H, P]):
    """A domain's declaration for the guarded write: all it states beyond its own checks.

    ``find`` gives the current resource a URL names (a 404 when there is none); ``read``
    gives it as a GET does, so the before and after images, the change log and the ETag a
    write answers with are those a reader sees. ``log_id`` names it in the change log,
    ``location`` in a 201. Its rows feed the ``search`` document ``search_id`` names (a
    role feeds its executive's). ``row`` is what a retraction withdraws: a fact stays in
    the history, closed; anything else (a source: a document, not a fact) is deleted.

    ``read_many`` is ``read`` for many current rows at once, by their ``log_id``: what an
    import logs its thousands of rows with, in a few queries rather than some per row."""

    name: str
    find: Callable[[Session, K], H]
    read: Callable[[Session, H], P]
    log_id: Callable[[H, P], str | int]
    location: Callable[[H, P], str]
    row: Callable[[H], SQLModel]
    read_many: Callable[[Session, Sequence[Any]], dict[str | int, P]]
    search: DocumentType | None = None
    search_id: Callable[[H], int] | None = None

    def create(
        self,
        session: Session,
        actor: str,
        *,
        body: BaseModel,
        idempotency: Idempotency | None,
        add: Callable[[], H],
        then: Callable[[H], None] | None = None,
    ) -> Written:
        """Add the resource: ``add`` runs the domain's checks and stores its rows; the rest
        (reindex, change log, a 201 with Location) is the same for every resource. ``then``
        logs what the write made besides (an executive's roles, each a resource of its own)."""

        def write() -> Written:
            handle = add()
            self.reindex(session, handle)
            after = self.read(session, handle)
            self.log(session, actor, handle, None, after)
            if then is not None:
                then(handle)
            return written(after, 201, location=self.location(handle, after))

        return commit_write(session, actor=actor, idempotency=idempotency, write=write, body=body)

    def change(
        self,
        session: Session,
        actor: str,
        key: K,
        apply: Callable[[H], bool],
        *,
        if_match: str | None = None,
        status: int = 200,
        body: BaseModel | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:
        """Change the resource ``key`` names if ``If-Match`` is fresh: ``apply`` makes the
        change (a correction, or a row added under it) and says whether there is anything
        to reindex. A 201 (a row posted under the resource) answers with the resource and
        its Location, a 204 with nothing."""

        def write() -> Written:
            handle, before = self._found_fresh(session, key, if_match)
            if apply(handle):
                self.reindex(session, handle)
            after = self.read(session, handle)
            self.log(session, actor, handle, before, after)
            if status == 204:
                return Written(204)
            location = self.location(handle, after) if status == 201 else None
            return written(after, status, location=location)

        return commit_write(session, actor=actor, idempotency=idempotency, write=write, body=body)

    def retract(
        self,
        session: Session,
        actor: str,
        key: K,
        *,
        if_match: str | None,
        check: Callable[[H], None] | None = None,
    ) -> Written:
        """Withdraw the resource ``key`` names if ``If-Match`` is fresh and ``check`` lets
        it: the domain's own refusal (current facts still naming it), and what it withdraws
        along with it."""

        def write() -> Written:
            handle, before = self._found_fresh(session, key, if_match)
            if check is not None:
                check(handle)
            row = self.row(handle)
            if isinstance(row, FactBase):
                retract_fact(session, row)
            else:
                session.delete(row)
            self.reindex(session, handle)
            self.log(session, actor, handle, before, None)
            return Written(204)

        return commit_write(session, actor=actor, idempotency=None, write=write)

    def _found_fresh(self, session: Session, key: K, if_match: str | None) -> tuple[H, P]:
        """The resource and its before image, once If-Match is found to be of it."""
        handle = self.find(session, key)
        before = self.read(session, handle)
        require_if_match(if_match, etag_of(before))
        return handle, before

    def reindex(self, session: Session, handle: H) -> None:
        if self.search is not None:
            assert self.search_id is not None, "a searchable resource names its document"
            refresh_search(session, self.search, self.search_id(handle))

    def log(
        self, session: Session, actor: str, handle: H, before: P | None, after: P | None
    ) -> None:
        shown = after if after is not None else before
        assert shown is not None, "a write logs what it found or what it made"
        log_change(
            session,
            actor=actor,
            resource=self.name,
            resource_id=self.log_id(handle, shown),
            before=before,
            after=after,
        )
