"""``valid_at`` (what was true on a date), ``known_at`` (what our sources had reported by a
date) and ``as_of`` (what we had recorded at an instant), as one dependency and one SQL
condition shared by every fact table."""

import datetime as dt
import re
from contextvars import ContextVar
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Query
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Date, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel.sql.sqltypes import UTCDateTime

from app.core.dates import DAY_PATTERN, Day
from app.core.errors import InvalidParameter


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
    as_of: dt.datetime | None = None
    # Only with valid_at: whether facts that only possibly held are left out.
    certain_only: bool = False


# -- as_of: an instant of our record -----------------------------------------------------------
# RFC 3339 (its date-time, with a zone) or a date alone; a date means the end of that UTC day.
# The pattern is exactly what is accepted: days that exist, hours 00-23, no leap second
# (Python's datetime holds none), up to nine fractional digits (read to the microsecond).
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_INSTANT = re.compile(
    rf"(?P<day>{DAY_PATTERN})"
    rf"(?:[Tt](?P<time>{_CLOCK}:[0-5][0-9])(?:\.(?P<fraction>[0-9]{{1,9}}))?"
    rf"(?P<zone>[Zz]|[+-]{_CLOCK}))?"
)
AS_OF_QUERY: dict[str, Any] = {
    "description": "Exactly what the API served at this instant: an RFC 3339 timestamp "
    "(`2026-12-07T03:14:15.926535Z`) or a date (YYYY-MM-DD), meaning the end of that UTC "
    "day (today's date: now). Every correction, retraction and re-creation stays "
    "reachable. Refused when in the future.",
    "examples": ["2026-12-07T03:14:15.926535Z"],
}
_MALFORMED_AS_OF = (
    "as_of must be an RFC 3339 timestamp (2026-12-07T03:14:15Z) or a date (YYYY-MM-DD)"
)


def _instant_text(value: str) -> str:
    # Checked here, not by a `pattern` constraint: pydantic's message for that quotes the
    # whole pattern (some 700 characters) back to the client.
    if _INSTANT.fullmatch(value) is None:
        raise PydanticCustomError("as_of_format", _MALFORMED_AS_OF)
    return value


InstantText = Annotated[
    str,
    AfterValidator(_instant_text),
    # Without the group names, which ECMA-262 and Python spell differently.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^(?:{})$".format(re.sub(r"\?P<[a-z]+>", "?:", _INSTANT.pattern)),
        }
    ),
]
"""An ``as_of`` as a URL writes it; the document gives its exact pattern."""


# The instant a request's as_of names, for the rows' public shapes (app/models/base.py): a
# state closed after it was open then, and is shown so, as the API served it.
_SERVED_AT: ContextVar[dt.datetime | None] = ContextVar("autofacts_served_at", default=None)


def served_at() -> dt.datetime | None:
    """The instant the request being answered asks for with ``as_of``; None for now."""
    return _SERVED_AT.get()


def recorded_instant(text: str | None) -> dt.datetime | None:
    """The UTC instant an ``as_of`` value names; a 422 when malformed or in the future."""
    if text is None:
        return None
    found = _INSTANT.fullmatch(text)
    if found is None:
        raise InvalidParameter(_MALFORMED_AS_OF + ".", loc=["query", "as_of"])
    now = dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(found["day"])
    if found["time"] is None:
        if day > now.date():
            raise _in_the_future(text)
        # The end of the day: its last microsecond, or now on today.
        end = dt.datetime.combine(day, dt.time.max, dt.UTC)
        return min(end, now)
    fraction = (found["fraction"] or "")[:6].ljust(6, "0")
    zone = found["zone"].upper()
    local = dt.datetime.fromisoformat(f"{found['day']}T{found['time']}.{fraction}")
    offset = dt.timedelta() if zone == "Z" else _offset(zone)
    try:
        instant = (local - offset).replace(tzinfo=dt.UTC)
    except OverflowError:
        # Before year 1 or after 9999 in UTC: the first is before any record, the second
        # after now.
        if offset > dt.timedelta():
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        raise _in_the_future(text) from None
    if instant > now:
        raise _in_the_future(text)
    return instant


def _offset(zone: str) -> dt.timedelta:
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    sign = -1 if zone[0] == "-" else 1
    return sign * dt.timedelta(hours=hours, minutes=minutes)


def _in_the_future(text: str) -> InvalidParameter:
    return InvalidParameter(
        f"as_of {text!r} is in the future: only what has been recorded can be asked for.",
        loc=["query", "as_of"],
    )


KNOWN_AT_QUERY: dict[str, Any] = {
    "description": "Only facts our sources had reported by this date (YYYY-MM-DD): "
    "cited by a source published by then, as recorded now.",
    "examples": ["2025-11-14"],
}


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
    known_at: Annotated[Day | None, Query(**KNOWN_AT_QUERY)] = None,
    validity: Annotated[
        Validity | None,
        Query(
            description="With `valid_at`: `certain` keeps only the facts that certainly held "
            "on it; `possible` (the default) also those that possibly did. Without "
            "`valid_at` it changes nothing.",
            examples=["certain"],
        ),
    ] = None,
    as_of: Annotated[InstantText | None, Query(**AS_OF_QUERY)] = None,
) -> AsOf:
    # Without valid_at, validity has no date to be told on and is ignored rather than
    # refused: the OpenAPI document cannot say that one parameter needs another, and every
    # request it describes as valid is accepted.
    certain_only = valid_at is not None and validity == Validity.certain
    instant = recorded_instant(as_of)
    _SERVED_AT.set(instant)
    return AsOf(valid_at=valid_at, known_at=known_at, as_of=instant, certain_only=certain_only)


AsOfDep = Annotated[AsOf, Depends(as_of_params)]


# The columns as-of conditions (and a superseded copy's link to its row) test: any other
# column a list's rows are tested on is one of its filters.
AS_OF_COLUMNS = frozenset({"known_from", "known_to", "valid_from", "valid_to", "version_of"})


def as_of_condition(model: Any, as_of: AsOf) -> ColumnElement[bool]:
    """The rows of a FactBase table that answer ``as_of``: ``recorded_conditions``, and
    with ``valid_at`` those that held on that date."""
    conditions = recorded_conditions(model, as_of)
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
    if not as_of.certain_only:
        return []
    valid_at: Any = (
        bindparam("valid_at", type_=Date) if isinstance(as_of, AsOfShape) else as_of.valid_at
    )
    return [model.certain_from <= valid_at, model.certain_to > valid_at]


def recorded_conditions(model: Any, as_of: AsOf) -> list[ColumnElement[bool]]:
    """The rows that were our word at ``as_of.as_of`` (without it: the current rows, a
    superseded or retracted row staying in the table for history only), and with
    ``known_at`` of those the facts reported by then: cited by a source published by that
    date (``known_from``, the earliest of them)."""
    if as_of.as_of is None:
        conditions = [model.known_to.is_(None)]
    else:
        conditions = [
            model.recorded_from <= as_of.as_of,
            or_(model.recorded_to.is_(None), model.recorded_to > as_of.as_of),
        ]
    if as_of.known_at is not None:
        conditions.append(model.known_from <= as_of.known_at)
    return conditions


def copies_answer(as_of: "AsOf | AsOfShape") -> bool:
    """Whether a superseded copy may answer: only a past instant (``as_of``) reads them."""
    return as_of.as_of if isinstance(as_of, AsOfShape) else as_of.as_of is not None


def entity_id(model: Any, as_of: "AsOf | AsOfShape") -> Any:
    """The id other rows refer to ``model``'s rows (or table columns) by: a superseded copy
    stands for the row it is a version of. Copies only answer ``as_of``, so without it
    the plain (indexed) id is the entity id, and a condition on it can use the key."""
    if not copies_answer(as_of):
        return model.id
    return func.coalesce(model.version_of, model.id)


def entity_in(model: Any, as_of: AsOf, ids: Any) -> ColumnElement[bool]:
    """The rows of ``model`` whose entity id (see ``entity_id``) is one of ``ids`` (a
    subquery), found by key: a condition on ``coalesce(version_of, id)`` has no index, so
    each row of the table would be tested in turn."""
    if not copies_answer(as_of):
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


# Hot reads build their statements once per "shape" of the request (which of valid_at,
# known_at, as_of and validity=certain it sets) with the values as bound parameters:
# building a select costs several times more than running an indexed one.
class AsOfShape(NamedTuple):
    valid_at: bool
    known_at: bool
    as_of: bool
    certain_only: bool


def as_of_shape(as_of: AsOf) -> AsOfShape:
    return AsOfShape(
        valid_at=as_of.valid_at is not None,
        known_at=as_of.known_at is not None,
        as_of=as_of.as_of is not None,
        certain_only=as_of.certain_only,
    )


def as_of_bindings(as_of: AsOf) -> dict[str, dt.date]:
    """The values of the parameters ``bound_as_of_condition`` names."""
    values = {}
    if as_of.valid_at is not None:
        values["valid_at"] = as_of.valid_at
    if as_of.known_at is not None:
        values["known_at"] = as_of.known_at
    if as_of.as_of is not None:
        values["as_of"] = as_of.as_of
    return values


def prepared_filters(filters: Any, as_of: AsOf) -> tuple[frozenset[str], AsOfShape, dict[str, Any]]:
    """What a list built once per shape takes from a request: the names of the filters it
    gives (``filters`` a dataclass of optional values), its as_of shape, and the values to
    bind."""
    # Each field read as is: dataclasses.asdict deep-copies every value, on every request.
    values = ((f.name, getattr(filters, f.name)) for f in fields(filters))
    given = {name: value for name, value in values if value is not None}
    return frozenset(given), as_of_shape(as_of), {**given, **as_of_bindings(as_of)}


def bound_as_of(shape: AsOfShape) -> AsOf:
    """An ``AsOf`` of ``shape`` whose values are the parameters ``:valid_at``,
    ``:known_at`` and ``:as_of``, for a statement built once and run with
    ``as_of_bindings``."""
    has_valid_at, has_known_at, has_as_of, certain_only = shape
    return AsOf(
        valid_at=bindparam("valid_at", type_=Date) if has_valid_at else None,  # type: ignore[arg-type]
        known_at=bindparam("known_at", type_=Date) if has_known_at else None,  # type: ignore[arg-type]
        as_of=bindparam("as_of", type_=UTCDateTime()) if has_as_of else None,  # type: ignore[arg-type]
        certain_only=certain_only,
    )


def bound_as_of_condition(model: Any, shape: AsOfShape) -> ColumnElement[bool]:
    """``as_of_condition`` with ``:valid_at``, ``:known_at`` and ``:as_of`` left as
    parameters, for a statement built once and run with ``as_of_bindings``."""
    return as_of_condition(model, bound_as_of(shape))


def rows_stating(model: Any, entity: Any) -> ColumnElement[bool]:
    """The rows of ``model`` stating the entity ``entity`` (an id, or a column holding
    one): its own row and its versions (superseded copies, a tariff's past rates), never
    a version's own id; each found by an index."""
    return or_(
        and_(model.id == entity, model.version_of.is_(None)),
        model.version_of == entity,
    )
