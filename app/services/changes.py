"""The change log: every write appends here in its own transaction; consumers page it."""

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.core.errors import InvalidParameter
from app.core.pagination import decode_cursor, encode_cursor
from app.models import Change
from app.models.change import ChangePage, ChangePublic

_INSTANT = "autofacts.write_instant"


def write_instant(session: Session) -> dt.datetime:
    """The instant of the write transaction ``session`` is in: what every row it writes is
    recorded at (``recorded_from``/``recorded_to``) and its change logged at, so one write
    is one instant of our record.

    Strictly later than every write logged before: writes are serialised (see
    ``core.db.begin_write``), and a clock that stepped back or two writes within one
    microsecond must still give each its own instant, or ``as_of`` could not tell them
    apart."""
    transaction = session.get_transaction()
    kept = session.info.get(_INSTANT)
    if kept is not None and kept[0] is transaction:
        return kept[1]  # type: ignore[no-any-return]
    instant = dt.datetime.now(dt.UTC)
    latest = session.exec(
        select(Change.occurred_at).order_by(col(Change.id).desc()).limit(1)
    ).first()
    if latest is not None:
        if latest.tzinfo is None:
            latest = latest.replace(tzinfo=dt.UTC)
        instant = max(instant, latest + dt.timedelta(microseconds=1))
    session.info[_INSTANT] = (transaction, instant)
    return instant


def record_change(
    session: Session,
    *,
    actor: str,
    operation: str,
    resource: str,
    resource_id: str | int,
    before: BaseModel | None,
    after: BaseModel | None,
) -> None:
    session.add(
        Change(
            occurred_at=write_instant(session),
            actor=actor,
            operation=operation,
            resource=resource,
            resource_id=str(resource_id),
            before=_snapshot(before),
            after=_snapshot(after),
        )
    )


def _snapshot(model: BaseModel | None) -> Any:
    return None if model is None else model.model_dump(mode="json", exclude_unset=True)


def list_changes(*, session: Session, since: str | None, limit: int) -> ChangePage:
    """Changes after ``since`` in the order they were made. ``next_cursor`` is always the
    position after the last change returned (``since`` itself when there is none), so a
    consumer stores it and polls with it."""
    after = 0
    if since is not None:
        kind, _, last_id = decode_cursor(since, param="since")
        if kind != "changes":
            raise InvalidParameter("The cursor is not valid.", loc=["query", "since"])
        after = last_id
    rows = session.exec(
        select(Change).where(col(Change.id) > after).order_by(col(Change.id)).limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].id if rows else after
    return ChangePage(
        data=[ChangePublic.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=encode_cursor(["changes", None, last]),
        has_more=has_more,
    )


def latest_changes(*, session: Session, limit: int) -> list[ChangePublic]:
    """The newest changes first (the explorer's home page; the feed reads oldest first)."""
    rows = session.exec(select(Change).order_by(col(Change.id).desc()).limit(limit)).all()
    return [ChangePublic.model_validate(row, from_attributes=True) for row in rows]
