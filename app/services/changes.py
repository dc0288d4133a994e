"""The change log: every write appends here in its own transaction; consumers page it."""

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.core.errors import InvalidParameter
from app.core.pagination import decode_cursor, encode_cursor
from app.models import Change
from app.models.change import ChangePage, ChangePublic


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
            occurred_at=dt.datetime.now(dt.UTC),
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
