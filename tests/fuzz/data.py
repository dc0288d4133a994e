"""What no schema can say about a write, supplied to generated requests: a quote must be a
verbatim span of a stored source, a source is not published after today (UTC), a company
must exist, a company named in a body must be the one its URL names, an end date does not
come before its start, a partnership does not end before one of its statuses began, two
statuses do not hold on one day, a tariff's impacts on one
company are not for the same year and metric twice, and an area is stated once in a
partnership's scope and exclusions. Without it almost every generated write would
stop at a rightful 422 and never reach the database. Used by the in-process fuzz tests and
by the schemathesis CLI's hooks."""

import datetime as dt
from typing import Any

SEED_SOURCE = "2025-11-14-honda-nissan"
CITATION = {"source": SEED_SOURCE, "quote": "Honda and Nissan"}
# (start, end) pairs of dates in one body.
DATE_SPANS = (("started_on", "ended_on"), ("announced_on", "ended_on"), ("valid_from", "valid_to"))


def refer_to_real_rows(value: Any, *, company: str = "nissan") -> None:
    """Point a generated body's citations and company references at real rows (in place)."""
    if isinstance(value, list):
        for item in value:
            refer_to_real_rows(item, company=company)
    elif isinstance(value, dict):
        if isinstance(value.get("citations"), list):
            value["citations"] = [dict(CITATION)]
        published_on = value.get("published_on")
        if isinstance(published_on, str) and published_on > _utc_today():
            value["published_on"] = _utc_today()
        if isinstance(value.get("company"), str):
            value["company"] = company
        _statement_of_real_rows(value)
        for start, end in DATE_SPANS:
            if isinstance(value.get(start), str) and isinstance(value.get(end), str):
                del value[end]  # an end is optional wherever it can be given
        if isinstance(value.get("statuses"), list) and isinstance(value.get("ended_on"), str):
            del value["ended_on"]  # a partnership's, which its statuses may not outlast
        _exclude_only_what_is_not_in_scope(value)
        _one_status_a_day(value)
        _one_impact_per_year_and_metric(value)
        members = value.get("members")
        if isinstance(members, list) and all(isinstance(m, str) for m in members):
            value["members"] = ["honda", "nissan"]
        for item in value.values():
            refer_to_real_rows(item, company=company)


def _statement_of_real_rows(body: dict[str, Any]) -> None:
    """A statement's words must be inside its citations: a body with words of its own (a
    `quote` beside no source, unlike a citation) gets the seed citation and words from it.
    It names rows a stateful run cannot retract: Nissan speaking (a company with facts
    stays), about Honda, never about a partnership (one the run may have retracted)."""
    if isinstance(body.get("speaker_executive"), str) or isinstance(
        body.get("speaker_company"), str
    ):
        body["speaker_executive"], body["speaker_company"] = None, "nissan"
    if isinstance(body.get("about_partnership"), str):
        body["about_partnership"] = None
    if isinstance(body.get("about_company"), str):
        body["about_company"] = "honda"
    if isinstance(body.get("quote"), str) and "source" not in body and "source_id" not in body:
        body["quote"] = CITATION["quote"]
        body["citations"] = [dict(CITATION)]


def _utc_today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _one_status_a_day(body: dict[str, Any]) -> None:
    """With their ends left out, two statuses certainly overlap only where both begin on the
    same day: a status that restates another's start is left out."""
    statuses = body.get("statuses")
    if not isinstance(statuses, list):
        return
    starts: set[object] = set()
    kept = []
    for status in statuses:
        start = status.get("valid_from") if isinstance(status, dict) else None
        if start is None or start not in starts:
            kept.append(status)
        starts.add(start)
    body["statuses"] = kept


def _one_impact_per_year_and_metric(body: dict[str, Any]) -> None:
    """Every impact ends up about one company, and one may give no year or metric at all
    (null, as the seed's Honda impact): an impact restating another's year and metric is
    left out."""
    impacts = body.get("impacts")
    if not isinstance(impacts, list):
        return
    seen: set[str] = set()
    kept = []
    for i, impact in enumerate(impacts):
        # As text: a schema-invalid case may give a list, which no set holds.
        key = (
            repr((impact.get("fiscal_year"), impact.get("metric")))
            if isinstance(impact, dict)
            else f"item {i}"
        )
        if key not in seen:
            kept.append(impact)
        seen.add(key)
    body["impacts"] = kept


def _exclude_only_what_is_not_in_scope(body: dict[str, Any]) -> None:
    """An area stated again, in the scope or its exclusions, is left out: the first says it."""
    areas: set[object] = set()
    for name in ("scope", "excluded"):
        items = body.get(name)
        if not isinstance(items, list):
            continue
        kept = []
        for item in items:
            area = item.get("area") if isinstance(item, dict) else None
            if not isinstance(area, str) or area not in areas:
                kept.append(item)
            areas.add(area if isinstance(area, str) else None)
        body[name] = kept
