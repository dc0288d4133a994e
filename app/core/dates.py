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
    raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_day_text)]
"""A calendar date, ``YYYY-MM-DD`` and nothing else (in a query or a request body)."""
