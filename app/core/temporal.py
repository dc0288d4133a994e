"""``valid_at`` (what was true on a date) and ``known_at`` (what our sources had said by a
date), as one dependency and one SQL condition shared by every fact table."""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, and_, or_


@dataclass(frozen=True)
class AsOf:
    valid_at: dt.date | None = None
    known_at: dt.date | None = None


def as_of_params(
    valid_at: Annotated[
        dt.date | None,
        Query(
            description="Only facts that held on this date (YYYY-MM-DD).", examples=["2025-03-01"]
        ),
    ] = None,
    known_at: Annotated[
        dt.date | None,
        Query(
            description="Only what our sources had said by this date (YYYY-MM-DD); "
            "default: what they say now.",
            examples=["2025-11-14"],
        ),
    ] = None,
) -> AsOf:
    return AsOf(valid_at=valid_at, known_at=known_at)


AsOfDep = Annotated[AsOf, Depends(as_of_params)]


def as_of_condition(model: Any, as_of: AsOf) -> ColumnElement[bool]:
    """The rows of a FactBase table that answer ``as_of``.

    Without ``known_at`` only current knowledge counts: a superseded or retracted row
    (``known_to`` set) stays in the table for history but is not served.
    """
    if as_of.known_at is None:
        conditions = [model.known_to.is_(None)]
    else:
        conditions = [
            model.known_from <= as_of.known_at,
            or_(model.known_to.is_(None), model.known_to > as_of.known_at),
        ]
    if as_of.valid_at is not None:
        conditions += [
            or_(model.valid_from.is_(None), model.valid_from <= as_of.valid_at),
            or_(model.valid_to.is_(None), model.valid_to > as_of.valid_at),
        ]
    return and_(*conditions)


def is_current(model: Any) -> ColumnElement[bool]:
    """The rows that are our sources' present word on their own: not retracted, not
    superseded, and not a past period kept beside the row that replaced it."""
    return and_(model.known_to.is_(None), model.version_of.is_(None))
