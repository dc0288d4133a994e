"""``valid_at`` (what was true on a date) and ``known_at`` (what our sources had said by a
date), as one dependency and one SQL condition shared by every fact table."""

import datetime as dt
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Date, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import aliased

from app.core.dates import Day


class Validity(StrEnum):
    """Whether a fact held on ``valid_at``: certainly, or possibly (the date falls inside
    one of its imprecise or unknown bounds)."""

    certain = "certain"
    possible = "possible"


def validity_on(
    valid_at: dt.date, certain_from: dt.date | None, certain_to: dt.date | None
) -> Validity:
    """The label of a fact that answers ``valid_at`` (see ``valid_at_condition``)."""
    if certain_from is None or certain_to is None:
        return Validity.possible
    if certain_from <= valid_at < certain_to:
        return Validity.certain
    return Validity.possible


@dataclass(frozen=True)
class AsOf:
    valid_at: dt.date | None = None
    known_at: dt.date | None = None
    # Only with valid_at: whether facts that only possibly held are left out.
    certain_only: bool = False


async def as_of_params(
    valid_at: Annotated[
        Day | None,
        Query(
            description="Only facts that held, certainly or possibly, on this date "
            "(YYYY-MM-DD): each says which in `validity`. A partial bound is some day of its "
            "year or month, an unknown bound is unknown.",
            examples=["2025-03-01"],
        ),
    ] = None,
    known_at: Annotated[
        Day | None,
        Query(
            description="Only what our sources had said by this date (YYYY-MM-DD); "
            "default: what they say now.",
            examples=["2025-11-14"],
        ),
    ] = None,
    validity: Annotated[
        Validity | None,
        Query(
            description="With `valid_at`: `certain` keeps only the facts that certainly held "
            "on it; `possible` (the default) also those that possibly did. Without "
            "`valid_at` it changes nothing.",
            examples=["certain"],
        ),
    ] = None,
) -> AsOf:
    # Without valid_at, validity has no date to be told on and is ignored rather than
    # refused: the OpenAPI document cannot say that one parameter needs another, and every
    # request it describes as valid is accepted.
    certain_only = valid_at is not None and validity == Validity.certain
    return AsOf(valid_at=valid_at, known_at=known_at, certain_only=certain_only)


AsOfDep = Annotated[AsOf, Depends(as_of_params)]


# The columns as-of conditions (and a superseded copy's link to its row) test: any other
# column a list's rows are tested on is one of its filters.
AS_OF_COLUMNS = frozenset({"known_from", "known_to", "valid_from", "valid_to", "version_of"})


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
        conditions.append(valid_at_condition(model, as_of.valid_at))
    return and_(*conditions)


def valid_at_condition(model: Any, valid_at: Any) -> ColumnElement[bool]:
    """The rows that possibly held on ``valid_at``: a partial bound is some day of its
    period and an unknown one may be any day, so only a start certainly after the date or
    an end certainly on or before it leaves a row out. Reads the columns
    ``FactBase.derive_span`` keeps."""
    return and_(
        or_(model.valid_from.is_(None), model.valid_from <= valid_at),
        or_(model.valid_to_latest.is_(None), model.valid_to_latest > valid_at),
    )


def certainly(model: Any, as_of: "AsOf | AsOfShape") -> list[ColumnElement[bool]]:
    """With ``validity=certain``, the condition that leaves out the rows of a list that
    only possibly held on ``valid_at`` (none otherwise; ``:valid_at`` a parameter when
    given a shape). Only a list's own items are held to it: the company a per-company list
    is under, or a role's executive, need only possibly have held, as a company the
    article only speaks of in the present tense would otherwise hide every fact of it."""
    if isinstance(as_of, tuple):
        if not as_of[2]:
            return []
        valid_at: Any = bindparam("valid_at", type_=Date)
    else:
        if not as_of.certain_only:
            return []
        valid_at = as_of.valid_at
    return [model.certain_from <= valid_at, model.certain_to > valid_at]


def entity_id(model: Any, as_of: "AsOf | AsOfShape") -> Any:
    """The id other rows refer to ``model``'s rows (or table columns) by: a superseded copy
    stands for the row it is a version of. Copies only answer ``known_at``, so without it
    the plain (indexed) id is the entity id, and a condition on it can use the key."""
    has_known_at = as_of[1] if isinstance(as_of, tuple) else as_of.known_at is not None
    if not has_known_at:
        return model.id
    return func.coalesce(model.version_of, model.id)


def entity_in(model: Any, as_of: AsOf, ids: Any) -> ColumnElement[bool]:
    """The rows of ``model`` whose entity id (see ``entity_id``) is one of ``ids`` (a
    subquery), found by key: a condition on ``coalesce(version_of, id)`` has no index, so
    each row of the table would be tested in turn."""
    if as_of.known_at is None:
        return model.id.in_(ids)  # type: ignore[no-any-return]
    # The rows themselves and their superseded copies, each by an index, as one set of
    # keys: an OR of the two conditions let SQLite's planner walk the table in page order.
    rows, copies = aliased(model), aliased(model)
    keys = union_all(
        select(rows.id).where(rows.id.in_(ids), rows.version_of.is_(None)),
        select(copies.id).where(copies.version_of.in_(ids)),
    )
    return model.id.in_(keys)  # type: ignore[no-any-return]


def is_current(model: Any) -> ColumnElement[bool]:
    """The rows that are our sources' present word on their own: not retracted, not
    superseded, and not a past period kept beside the row that replaced it."""
    return and_(model.known_to.is_(None), model.version_of.is_(None))


# Hot reads build their statements once per "shape" of the request (which of valid_at and
# known_at it sets) with the dates as bound parameters: building a select costs several times
# more than running an indexed one.
AsOfShape = tuple[bool, bool, bool]


def as_of_shape(as_of: AsOf) -> AsOfShape:
    return (as_of.valid_at is not None, as_of.known_at is not None, as_of.certain_only)


def as_of_bindings(as_of: AsOf) -> dict[str, dt.date]:
    """The values of the parameters ``bound_as_of_condition`` names."""
    values = {}
    if as_of.valid_at is not None:
        values["valid_at"] = as_of.valid_at
    if as_of.known_at is not None:
        values["known_at"] = as_of.known_at
    return values


def prepared_filters(filters: Any, as_of: AsOf) -> tuple[frozenset[str], AsOfShape, dict[str, Any]]:
    """What a list built once per shape takes from a request: the names of the filters it
    gives (``filters`` a dataclass of optional values), its as_of shape, and the values to
    bind."""
    # Each field read as is: dataclasses.asdict deep-copies every value, on every request.
    values = ((f.name, getattr(filters, f.name)) for f in fields(filters))
    given = {name: value for name, value in values if value is not None}
    return frozenset(given), as_of_shape(as_of), {**given, **as_of_bindings(as_of)}


def bound_as_of_condition(model: Any, shape: AsOfShape) -> ColumnElement[bool]:
    """``as_of_condition`` with ``:valid_at`` and ``:known_at`` left as parameters, for a
    statement built once and run with ``as_of_bindings``."""
    has_valid_at, has_known_at, _ = shape
    return as_of_condition(
        model,
        AsOf(
            valid_at=bindparam("valid_at", type_=Date) if has_valid_at else None,  # type: ignore[arg-type]
            known_at=bindparam("known_at", type_=Date) if has_known_at else None,  # type: ignore[arg-type]
        ),
    )
