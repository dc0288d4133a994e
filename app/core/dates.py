"""Dates with partial precision: a date plus ``day``/``month``/``year``, rendered as
``2025-04-01``, ``2025-04`` or ``2025``."""

import datetime as dt
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)

from app.core.errors import BodyConflicts, BodyInvalid, echo


class Precision(StrEnum):
    day = "day"
    month = "month"
    year = "year"


# Only dates that exist, so that the document's pattern is exactly what is accepted (a
# client, or a fuzzer, drawing from it never meets a refusal): years 0001-9999 as Python's
# dates hold them, months 01-12, each month's days, and 29 February in leap years only.
# ASCII `[0-9]`, never `\d` (Unicode-aware in Python); matched with `fullmatch`, never `$`
# (which in Python also matches before a final newline).
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DAY_PATTERN = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
"""Exactly the calendar days that exist, as YYYY-MM-DD."""
_PARTIAL = re.compile(rf"{_YEAR}(?:-{_MONTH})?|{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29")
PARTIAL_DATE_PATTERN = f"^(?:{_PARTIAL.pattern})$"
"""The pattern as the OpenAPI document shows it (ECMA-262, where `$` is the very end)."""


def parse_partial_date(text: str) -> tuple[dt.date, Precision]:
    """``"2025-04"`` → (2025-04-01, month). Raises ValueError on anything else."""
    if not _PARTIAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(part) for part in text.split("-")]
    precision = (Precision.year, Precision.month, Precision.day)[len(parts) - 1]
    year, month, day = [*parts, 1, 1][:3]
    return dt.date(year, month, day), precision


def format_partial_date(value: dt.date | None, precision: str | None) -> str | None:
    if value is None:
        return None
    if precision == Precision.year:
        return f"{value.year:04d}"
    if precision == Precision.month:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _check_partial(text: str) -> str:
    parse_partial_date(text)
    return text


PartialDate = Annotated[
    str,
    AfterValidator(_check_partial),
    Field(json_schema_extra={"pattern": PARTIAL_DATE_PATTERN}),
]
"""A date as precise as its source: ``2025``, ``2025-04`` or ``2025-04-01``."""

IsoDate = Annotated[dt.date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day_text(value: object) -> object:
    # pydantic would also read a number as a Unix time (0 is 1970-01-01) and take a
    # datetime at midnight; the API promises YYYY-MM-DD, so anything else is a 422.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # from Python, or a YAML facts file
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError(f"{echo(repr(value))} is not a date of the form YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_day_text)]
"""A calendar date, ``YYYY-MM-DD`` and nothing else (in a query or a request body)."""


# -- partial dates as intervals ----------------------------------------------------------------
# A partial date is some day of its year or month: compared honestly, one is before another
# only when every day it may be is, so "2025-04" to "2025" ends no earlier than it begins.

PartialDay = tuple[dt.date, Precision]
"""A partial date as stored: its first day and its precision."""


def stored_day(day: dt.date | None, precision: Precision | str | None) -> PartialDay | None:
    """A fact row's bound from its two columns; None where the source gives none."""
    return None if day is None else (day, Precision(precision or Precision.day))


def stored_span(row: Any) -> tuple[PartialDay | None, PartialDay | None]:
    """A fact row's ``valid_*`` columns as its two bounds."""
    return (
        stored_day(row.valid_from, row.valid_from_precision),
        stored_day(row.valid_to, row.valid_to_precision),
    )


def last_day(day: dt.date, precision: Precision | str) -> dt.date:
    """The last day a partial date may be: 2025-04 → 2025-04-30."""
    if precision == Precision.year:
        return dt.date(day.year, 12, 31)
    if precision == Precision.month:
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return day


def ends_by_start(start: PartialDay | None, end: PartialDay | None) -> bool:
    """Whether an exclusive ``end`` (the first day a fact no longer held) certainly falls on
    or before ``start``, so that the fact held on no day. An unknown bound is never
    certain."""
    if start is None or end is None:
        return False
    return last_day(*end) <= start[0]


END_DESCRIPTION = (
    "Exclusive: the first day it no longer held, as precise as the source. Refused when it "
    "is certainly on or before the start (its last possible day is no later than the "
    "start's first): 2025-04 to 2025 is taken, 2025-04 to 2025-04-01 is not."
)


def range_order_error(start_field: str, start: str) -> str:
    """Why an end is refused, in one wording for the API and the facts file."""
    return (
        f"is certainly on or before {start_field} ({start}): as the first day it no longer "
        "held, it must be able to fall after it"
    )


def ordered_range(start_field: str, end_field: str) -> Any:
    """A pydantic validator of ``end_field`` refusing an end that ``ends_by_start`` its
    ``start_field`` (declared before it, so that it is validated first)."""

    def check(cls: type, end: str | None, info: ValidationInfo) -> str | None:
        start = info.data.get(start_field)
        if (
            end is not None
            and start is not None
            and ends_by_start(parse_partial_date(start), parse_partial_date(end))
        ):
            raise ValueError(range_order_error(start_field, start))
        return end

    return field_validator(end_field)(check)


def patched_range_error(
    row: Any, changes: Mapping[str, Any], start_field: str, end_field: str
) -> tuple[str, str] | None:
    """``ordered_range``'s rule for a patch of a fact row: on the range the row would hold
    with ``changes`` (its ``valid_*`` columns) applied, each bound a patch leaves out read
    from the row. The field to blame (the end, unless the patch moved the start alone) and
    why, or None."""

    def bound(column: str) -> PartialDay | None:
        day = changes.get(column, getattr(row, column))
        return stored_day(
            day, changes.get(f"{column}_precision", getattr(row, f"{column}_precision"))
        )

    start, end = bound("valid_from"), bound("valid_to")
    if start is None or end is None or not ends_by_start(start, end):
        return None
    if "valid_to" in changes:
        return end_field, range_order_error(start_field, format_partial_date(*start) or "")
    ends = format_partial_date(*end)
    return (
        start_field,
        f"is certainly on or after {end_field} ({ends}), the first day it no longer held",
    )


def refuse_patched_range(
    row: Any, changes: Mapping[str, Any], start_field: str, end_field: str
) -> None:
    """``patched_range_error`` as the answer to the patch: a 422 when the patch's own two
    bounds are out of order, a 409 when one of them is out of order with the bound the row
    keeps."""
    refused = patched_range_error(row, changes, start_field, end_field)
    if refused is None:
        return
    error = BodyInvalid if {"valid_from", "valid_to"} <= changes.keys() else BodyConflicts
    raise error([([refused[0]], refused[1])])


def partial_day(text: str | None) -> PartialDay | None:
    """A bound as a body or file gives it; None where it gives none."""
    return None if text is None else parse_partial_date(text)


def _after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1) if day < dt.date.max else day


def latest_start_earliest_end(
    start: PartialDay | None, end: PartialDay | None
) -> tuple[dt.date, dt.date]:
    """The latest day a fact held from ``start`` until ``end`` (exclusive) may have begun,
    and the earliest day it may have ended, however its bounds read: it began by the
    start's last day and before its end, and ended on or after the end's first day and
    after it began. An unknown bound may be any day."""
    latest_start = min(
        last_day(*start) if start else dt.date.max,
        last_day(*end) - dt.timedelta(days=1) if end else dt.date.max,
    )
    earliest_end = max(end[0] if end else dt.date.min, _after(start[0]) if start else dt.date.min)
    return latest_start, earliest_end


def certainly_overlap(
    one: tuple[PartialDay | None, PartialDay | None],
    other: tuple[PartialDay | None, PartialDay | None],
) -> bool:
    """Whether two ranges (start, exclusive end) share a day however their bounds read:
    each certainly began before the other certainly ended."""
    one_start, one_end = latest_start_earliest_end(*one)
    other_start, other_end = latest_start_earliest_end(*other)
    return one_start < other_end and other_start < one_end


# -- when a fact certainly and possibly held ---------------------------------------------------
# valid_at=D keeps a fact that possibly held on D (D may fall inside its imprecise or unknown
# bounds) and says whether it certainly did. Both are plain comparisons of stored columns:
# possibly when ``valid_from <= D < valid_to_latest`` (a null bound is unknown, so never
# excludes), certainly when ``certain_from <= D < certain_to`` (null: on no day).


class DerivedSpan(NamedTuple):
    valid_to_latest: dt.date | None
    certain_from: dt.date | None
    certain_to: dt.date | None


def derived_span(
    start: PartialDay | None,
    end: PartialDay | None,
    holds_on: dt.date | None,
    ended_by: dt.date | None = None,
) -> DerivedSpan:
    """The columns ``valid_at`` compares, from a fact's bounds and ``holds_on`` (the
    publication date of a source stating it in the present tense).

    ``valid_to_latest`` is the last day the exclusive end may be: the fact possibly held
    until the day before. A fact certainly held on a day its bounds certainly enclose (from
    the start's last possible day to the end's first, exclusive), and on ``holds_on`` where
    its start may be by then and its end is unknown or certainly later; as one unbroken
    span, it then certainly held on every day between those. Where neither a bound nor
    ``holds_on`` closes a side, it is certain on no day: an unknown end may be the day
    after it began.

    ``ended_by`` is the publication date of a source telling of the fact as past: it had
    certainly ended by then, so its end is no later than that day (it is left out of
    ``valid_at`` from that date on), and that source anchors no certain day."""
    latest_end = last_day(*end) if end else None
    if ended_by is not None:
        holds_on = None
        latest_end = ended_by if latest_end is None else min(latest_end, ended_by)
    # A source that gives an end on or before its own date, or a start after it, tells of
    # the past or the future, not the present.
    if holds_on is not None and not (
        (start is None or start[0] <= holds_on) and (end is None or holds_on < end[0])
    ):
        holds_on = None
    starts = [day for day in (last_day(*start) if start else None, holds_on) if day]
    ends = [day for day in (end[0] if end else None, _after(holds_on) if holds_on else None) if day]
    if not starts or not ends or min(starts) >= max(ends):
        return DerivedSpan(latest_end, None, None)
    certain_to = max(ends) if ended_by is None else min(max(ends), ended_by)
    if min(starts) >= certain_to:
        return DerivedSpan(latest_end, None, None)
    return DerivedSpan(latest_end, min(starts), certain_to)
