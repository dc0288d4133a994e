"""How the explorer's pages are drawn: the Jinja2 environment and its filters, the time
controls, quotes highlighted in their source, timelines drawn as ranges.

Presentation only: every value shown comes from a service, as ``/v1`` returns it; this
module decides how it looks, never what it is.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from app.core.dates import Day, last_day, parse_partial_date
from app.core.errors import InvalidParameter
from app.core.temporal import AS_OF_QUERY, AsOf, Validity, as_of_params

HERE = Path(__file__).parent
# Autoescaped, whatever a template's name: every value is text until a filter says not.
TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

# -- time controls -----------------------------------------------------------------------------

TIME_FIELDS = ("valid_at", "known_at", "as_of")
_DAY: TypeAdapter[dt.date] = TypeAdapter(Day)


@dataclass(frozen=True)
class Moment:
    """The time a page is drawn at: the service's ``AsOf``, and the controls as given (an
    empty form field is no value, as a browser sends every field of a GET form)."""

    as_of: AsOf
    values: Mapping[str, str]

    def query(self, names: Iterable[str] = (*TIME_FIELDS, "validity")) -> dict[str, str]:
        return {name: self.values[name] for name in names if self.values.get(name)}


def _day(name: str, text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return _DAY.validate_python(text)
    except ValidationError:
        raise InvalidParameter(
            f"{name} must be a date that exists, as YYYY-MM-DD.", loc=["query", name]
        ) from None


_DATE_TEXT = Query(max_length=10, description="A date, YYYY-MM-DD; empty for none.")


async def page_moment(
    valid_at: Annotated[str | None, _DATE_TEXT] = None,
    known_at: Annotated[str | None, _DATE_TEXT] = None,
    as_of: Annotated[
        str | None, Query(max_length=40, description=AS_OF_QUERY["description"])
    ] = None,
    validity: Annotated[str | None, Query(max_length=10)] = None,
) -> Moment:
    """``valid_at``, ``known_at``, ``as_of`` and ``validity`` as the API reads them, empty
    form fields left out; a value the API would refuse is the same 422."""
    chosen = None
    if validity:
        try:
            chosen = Validity(validity)
        except ValueError:
            raise InvalidParameter(
                "validity must be certain or possible.", loc=["query", "validity"]
            ) from None
    answer = await as_of_params(
        valid_at=_day("valid_at", valid_at),
        known_at=_day("known_at", known_at),
        validity=chosen,
        as_of=as_of or None,
    )
    given = {"valid_at": valid_at, "known_at": known_at, "as_of": as_of, "validity": validity}
    return Moment(answer, {name: value for name, value in given.items() if value})


MomentDep = Annotated[Moment, Depends(page_moment)]


def url(path: str, params: Mapping[str, object] | None = None) -> str:
    """``path`` with the ``params`` that have a value."""
    # An undefined template value is no value either.
    given = {k: v for k, v in (params or {}).items() if v is not None and str(v) != ""}
    if not given:
        return path
    return path + ("&" if "?" in path else "?") + urlencode(given)


def page(
    request: Request,
    template: str,
    *,
    title: str,
    api: str,
    moment: Moment | None,
    time_fields: Sequence[str] = TIME_FIELDS,
    api_fields: Sequence[str] | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page: ``api`` is the JSON it was built from, asked with the time parameters of
    ``api_fields`` (by default the page's own) the page was asked with."""
    values = {} if moment is None else moment.query(_with_validity(time_fields))
    api_values = values
    if moment is not None and api_fields is not None:
        api_values = moment.query(_with_validity(api_fields))
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "api_url": url(api, api_values),
            "moment": values,
            "time_fields": time_fields,
            **context,
        },
        status_code=status_code,
    )


def _with_validity(fields: Sequence[str]) -> tuple[str, ...]:
    """``validity`` only says something beside ``valid_at``; where there is none, the API
    does not take it."""
    return (*fields, "validity") if "valid_at" in fields else tuple(fields)


# -- filters -----------------------------------------------------------------------------------

_CURRENCY = {"JPY": "¥", "USD": "US$", "EUR": "€", "CNY": "CN¥", "GBP": "£"}


def number(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,}"


def money(value: Mapping[str, Any] | None) -> str:
    if not value:
        return "—"
    currency = value.get("currency") or ""
    text = _CURRENCY.get(currency, currency + " ") + number(value.get("amount"))
    if value.get("usd") is not None and currency != "USD":
        text += f" (US${number(value['usd'])} as the source states)"
    return text


# The counted resources whose singular is not their name less its "s".
_ONE = {"companies": "company"}


def counted(name: str, total: int) -> str:
    """A resource's name in words, as many as ``total``: "1 company", "2 restructuring plans"."""
    words = name.replace("-", " ")
    if total != 1:
        return words
    return _ONE.get(name, words.removesuffix("s"))


def fact_value(value: object) -> str:
    """A fact's value in words: a string as is, an object as its fields."""
    if isinstance(value, Mapping):
        if set(value) >= {"amount", "currency"}:
            return money(value)
        return "; ".join(
            f"{key.replace('_', ' ')}: {fact_value(item)}"
            for key, item in value.items()
            if item is not None
        )
    return "—" if value is None else str(value)


def span(valid_from: str | None, valid_to: str | None) -> str:
    """A valid time at the precision the source gives (``2025-04``: some day in April)."""
    if valid_from is None and valid_to is None:
        return "when: not stated"
    return f"from {valid_from or 'an unstated date'} to {valid_to or 'an unstated end'}"


# Double marks only: a quote may well end on an apostrophe ("the makers'").
_QUOTE_MARKS = '"“”«»„'


def quoted(words: str) -> str:
    """Words in quotation marks, unless they already begin or end with one (a quote may
    take in the source's own marks): never two marks side by side."""
    if words[:1] in _QUOTE_MARKS or words[-1:] in _QUOTE_MARKS:
        return words
    return f"“{words}”"


def marked(snippet: str) -> Markup:
    """A search snippet as the API gives it: escaped text with ``<mark>`` tags."""
    return Markup(snippet)


# Where the explorer shows each subject and record the flat facts name.
_SUBJECT_PAGES = {
    "company": "/companies/{label}",
    "executive": "/executives/{label}",
    "partnership": "/partnerships/{id}",
    "tariff": "/tariffs/{id}",
}
_RECORD_PAGES = {
    "restructuring_plan": "/restructuring-plans/{id}",
    "statement": "/statements/{id}",
}


def subject_url(subject: Mapping[str, Any]) -> str | None:
    pattern = _SUBJECT_PAGES.get(subject["type"])
    return None if pattern is None else pattern.format(**subject)


def record_url(record: Mapping[str, Any]) -> str | None:
    pattern = _RECORD_PAGES.get(record["type"])
    return None if pattern is None else pattern.format(**record)


# The page that shows what each resource of the change log belongs to: the resource's
# own, named by its log id, or the page of the fact it is part of, read from its image.
_CHANGE_PAGES = {
    "companies": "/companies/{}",
    "executives": "/executives/{}",
    "partnerships": "/partnerships/{}",
    "tariffs": "/tariffs/{}",
    "restructuring-plans": "/restructuring-plans/{}",
    "statements": "/statements/{}",
    "sources": "/sources/{}",
}
_PART_PAGES: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "executive-roles": ("/executives/{}", lambda shown: shown["executive"]["slug"]),
    "tariff-impacts": ("/tariffs/{}", lambda shown: shown["tariff"]["id"]),
    "financial-results": ("/companies/{}", lambda shown: shown["company"]),
    "plants": ("/companies/{}", lambda shown: shown["company"]),
}


def change_page(change: Mapping[str, Any]) -> str | None:
    """The explorer page a logged change shows on, if there is one."""
    pattern = _CHANGE_PAGES.get(change["resource"])
    if pattern is not None:
        return pattern.format(change["resource_id"])
    part = _PART_PAGES.get(change["resource"])
    shown = change.get("after") or change.get("before")
    if part is None or not isinstance(shown, Mapping):
        return None
    try:
        return part[0].format(part[1](shown))
    except (KeyError, TypeError):
        return None


def just_before(occurred_at: str) -> str:
    """The ``as_of`` of the instant before a change: ``as_of`` at the change itself shows
    what it wrote, one microsecond earlier what it replaced."""
    instant = dt.datetime.fromisoformat(occurred_at).astimezone(dt.UTC)
    earlier = instant - dt.timedelta(microseconds=1)
    return earlier.isoformat(timespec="microseconds").replace("+00:00", "Z")


def search_url(hit: Mapping[str, Any]) -> str:
    """The page of a search hit: its API address without ``/v1``."""
    return str(hit["url"]).removeprefix("/v1")


def quote_anchor(citation: Mapping[str, Any]) -> str:
    return f"q{citation['start_offset']}-{citation['end_offset']}"


TEMPLATES.env.filters.update(
    money=money,
    number=number,
    fact_value=fact_value,
    marked=marked,
    anchor=quote_anchor,
    quoted=quoted,
    counted=counted,
)
TEMPLATES.env.globals.update(
    span=span,
    url=url,
    subject_url=subject_url,
    record_url=record_url,
    search_url=search_url,
    change_page=change_page,
    just_before=just_before,
)

# -- a source's text with its cited spans ------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of the text: the facts whose quotes cover all of it, and the anchors of
    the quotes that start where it does."""

    text: str
    facts: tuple[int, ...] = ()
    anchors: tuple[str, ...] = ()


def highlighted(text: str, source_id: int, facts: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """``text`` cut where a quote of ``source_id`` begins or ends, each piece with the
    facts that quote it (overlapping quotes give a piece several)."""
    quotes: dict[tuple[int, int], list[int]] = defaultdict(list)
    for fact in facts:
        for citation in fact.get("citations") or ():
            if citation["source_id"] == source_id:
                key = (citation["start_offset"], citation["end_offset"])
                if fact["id"] not in quotes[key]:
                    quotes[key].append(fact["id"])
    bounds = sorted({0, len(text), *(b for key in quotes for b in key)})
    segments = []
    for start, end in pairwise(bounds):
        covering = sorted(
            {f for (s, e), ids in quotes.items() if s <= start and end <= e for f in ids}
        )
        anchors = tuple(f"q{s}-{e}" for (s, e) in sorted(quotes) if s == start)
        segments.append(Segment(text[start:end], tuple(covering), anchors))
    return segments


# -- timelines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One row of a timeline, in percent of its axis: where it may start (``start``,
    ``certain``: the stretch from the latest possible start to the earliest possible end,
    ``end``: where it may end). An unknown bound stretches to the axis' edge."""

    label: str
    text: str
    start: tuple[float, float]
    certain: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class Timeline:
    first: str
    last: str
    bars: list[Bar] = field(default_factory=list)


def _bounds(text: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day a partial date (``2025``, ``2025-04``, a day) may be."""
    if not text:
        return None
    day, precision = parse_partial_date(text)
    return day, last_day(day, precision)


def timeline(rows: Sequence[tuple[str, str | None, str | None]], today: dt.date) -> Timeline:
    """``rows`` of (label, valid from, valid to), partial dates as the API gives them, on
    one axis from a year before the earliest date to a year after the latest (``today``
    included: an open row runs to it)."""
    known = [b for _, start, end in rows for t in (start, end) if (b := _bounds(t)) is not None]
    days = [d for pair in known for d in pair] + [today]
    first = dt.date(min(days).year - 1, 1, 1)
    last = dt.date(max(days).year + 1, 12, 31)
    width = (last - first).days

    def at(day: dt.date) -> float:
        return round(100 * (day - first).days / width, 2)

    bars = []
    for label, start_text, end_text in rows:
        start, end = _bounds(start_text), _bounds(end_text)
        may_start = (0.0, 0.0) if start is None else (at(start[0]), at(start[1]))
        may_end = (at(today), 100.0) if end is None else (at(end[0]), at(end[1]))
        if start is None:
            may_start = (0.0, min(at(today), may_end[0]))
        certain = (may_start[1], max(may_start[1], may_end[0]))
        bars.append(
            Bar(label, f"{label}: {span(start_text, end_text)}", may_start, certain, may_end)
        )
    return Timeline(first.isoformat()[:4], last.isoformat()[:4], bars)
