"""Dates with partial precision: a date plus ``day``/``month``/``year``, rendered as
``2025-04-01``, ``2025-04`` or ``2025``."""

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer


class Precision(StrEnum):
    day = "day"
    month = "month"
    year = "year"


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(text: str) -> tuple[dt.date, Precision]:
    """``"2025-04"`` → (2025-04-01, month). Raises ValueError on anything else."""
    match = _PARTIAL.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    precision = Precision.day if day else Precision.month if month else Precision.year
    return dt.date(int(year), int(month or 1), int(day or 1)), precision


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
    Field(json_schema_extra={"pattern": _PARTIAL.pattern}),
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
    raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_day_text)]
"""A calendar date, ``YYYY-MM-DD`` and nothing else (in a query or a request body)."""
