"""Validated value types shared by the facts file and the API's request bodies, and the
one spelling of an integer or a boolean in a URL.

Lengths and digits follow the columns, so PostgreSQL never truncates what SQLite kept.
"""

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)


def _pattern(pattern: str, what: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _documented(pattern: str) -> Any:
    # The check above words its own error; this shows the pattern in the OpenAPI, so that
    # clients (and the fuzzer) know what a valid value looks like.
    return Field(json_schema_extra={"pattern": f"^{pattern}$"})


# An http(s) address: no whitespace and no control character (NUL included, which ``\S``
# alone would let through and PostgreSQL cannot store). ``\s`` is not the same set
# everywhere the pattern is read: pydantic's and Python's take NEL (U+0085) for a space,
# ECMA-262's (a client's, the fuzzer's) takes U+FEFF; both are named, so all agree.
WEB_URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f\x85\ufeff]+$"

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
Slug = Annotated[
    str, _pattern(_SLUG, "a slug (lower-case words joined by hyphens)"), _documented(_SLUG)
]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
# Free prose (a company's description, a partnership's notes), declared once for the body
# that creates a row and the patch that corrects it: what a client created, it can send
# back unchanged. The column is TEXT; the bound is the API's own.
LongText = Annotated[str, StringConstraints(max_length=10_000)]
CountryCode = Annotated[
    str, _pattern(r"[A-Z]{2}", "an ISO 3166-1 alpha-2 code, such as JP"), _documented(r"[A-Z]{2}")
]
CurrencyCode = Annotated[
    str, _pattern(r"[A-Z]{3}", "an ISO 4217 code, such as JPY"), _documented(r"[A-Z]{3}")
]
# An integer in a URL (a path segment, a query value), as clients write one: ASCII digits,
# a minus sign at most. A lax ``int`` also reads " 7", "+7", "7_000" and "7.0", spellings
# no client means, each of them a URL of its own to caches for one answer. After the
# ``Path``/``Query`` in ``Annotated``, so that the document keeps its minimum and maximum.
_URL_INTEGER = re.compile(r"-?[0-9]+")


def _url_integer(value: Any) -> Any:
    if isinstance(value, str) and not _URL_INTEGER.fullmatch(value):
        # Not echoed: a value may be long, and the problem names the parameter.
        raise ValueError("must be an integer written in ASCII digits, such as 17")
    return value


UrlInteger = BeforeValidator(_url_integer)


def _url_boolean(value: Any) -> Any:
    # A lax ``bool`` also reads "1", "yes", "on", "True" and more: one spelling, as the
    # document's boolean is written in a query.
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value


# A boolean in a query: ``true`` or ``false``, as for ``UrlInteger``.
UrlBoolean = BeforeValidator(_url_boolean)

# Row ids are INTEGER columns: 32-bit on PostgreSQL, which refuses to compare one with a
# larger number (a 5xx, unless the number is refused first).
MAX_ROW_ID = 2**31 - 1


def _decimal_text(whole: int, places: int, *, signed: bool) -> tuple[str, BeforeValidator]:
    r"""A decimal string of at most ``whole`` digits before the point and ``places`` after,
    as the column holds it: the pattern the document shows, and the check that applies it.

    ``[0-9]``, never ``\d``: Python's ``\d`` takes any Unicode digit (Arabic-Indic, fullwidth),
    which ``Decimal`` would then read and store as ASCII. ``fullmatch``, never ``$``, which in
    Python matches before a final newline.
    """
    pattern = rf"{'-?' if signed else ''}[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?"
    compiled = re.compile(pattern)
    example = "-2.5" if signed else "2.5"

    def check(value: Any) -> Decimal:
        # A YAML number is a float (or an int standing in for one): refuse it rather than
        # let 0.1 + 0.2 into a money column.
        if not isinstance(value, str):
            raise ValueError('must be a decimal in quotes, such as "2.5", not a YAML number')
        if not compiled.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a plain decimal such as {example} (ASCII digits, at most "
                f"{whole} before the point and {places} after)"
            )
        return Decimal(value)

    return f"^{pattern}$", BeforeValidator(check)


# Digits as the columns hold them: Numeric(24, 4) for money, Numeric(7, 3) for percents.
# Requests take them as strings only (pydantic would document a number too).
_MONEY_PATTERN, _money_check = _decimal_text(20, 4, signed=True)
_PERCENT_PATTERN, _percent_check = _decimal_text(4, 3, signed=False)
MoneyAmount = Annotated[
    Decimal,
    _money_check,
    Field(max_digits=24, decimal_places=4),
    WithJsonSchema(
        {"type": "string", "pattern": _MONEY_PATTERN, "examples": ["275000000000"]},
        mode="validation",
    ),
]
Percent = Annotated[
    Decimal,
    _percent_check,
    Field(ge=0, max_digits=7, decimal_places=3),
    WithJsonSchema(
        {"type": "string", "pattern": _PERCENT_PATTERN, "examples": ["2.5"]},
        mode="validation",
    ),
]


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema counts one: ``124.0`` is one (the number has no fraction),
    ``"124"`` and ``true`` are not, which a lax ``int`` would take."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer, such as 17")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        return int(value)
    return value


# The bounds before the validator, so that the document shows them as minimum and maximum.
Count = Annotated[int, Field(ge=0, le=MAX_ROW_ID), BeforeValidator(_json_integer)]  # INTEGER
Year = Annotated[int, Field(ge=1000, le=9999), BeforeValidator(_json_integer)]
