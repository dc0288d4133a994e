"""Dates with partial precision: a date plus ``day``/``month``/``year``, rendered as
``2025-04-01``, ``2025-04`` or ``2025``."""

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


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


PartialDate = Annotated[str, AfterValidator(_check_partial)]
"""A date as precise as its source: ``2025``, ``2025-04`` or ``2025-04-01``."""

IsoDate = Annotated[dt.date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
