"""Schemathesis hooks for the CLI run (schemathesis.toml names this module).

The CLI checks, among the rest, that every request the document calls valid is accepted
(`positive_data_acceptance`). A few things make a request valid that no schema can say;
right before a schema-valid case is sent (whatever the phase, and after the stateful
phase has filled in values from earlier responses), this hook supplies them, as a careful
client would:

* a list's `cursor` and the change feed's `since` are opaque tokens the API issues in
  `next_cursor`: no schema tells a token it issued from another string of its shape, so a
  made-up one is rightly a 422 (SPEC §5). A schema-valid case sends only tokens the API
  could have issued; the negative cases (and tests/test_fuzz_openapi.py, which expects a
  422 for each kind of bad cursor) still send made-up ones;
* a body's quotes, companies and members refer to real rows, and a body under
  `/v1/companies/{slug}/…` names the company of its URL (tests/fuzz/data.py);
* a created row's slug is unique, so that creates create (rather than answer 409) and the
  stateful phase can follow the links from what they made;
* an `Idempotency-Key` names one request: the same key with another body is a 422, so each
  case gets a key of its own; an `If-Match` made up by the generator names no version the
  resource ever had (a 412), so it becomes `*` (any current version), as a client that
  read nothing first would send;
* a retracted row is still what the API served at an earlier `as_of` (history is never
  erased, SPEC §3): the stateful phase, which checks that a deleted resource is gone,
  reads the current state, so its reads leave `as_of` out (the other phases send it);
* an `as_of` still to come names nothing recorded yet (a 422): a schema-valid case asks
  for an instant that has passed, so one to come is left out;
* a correction that sets an end date alone may end a fact before it began (a 422 on the
  state the patch would leave, RFC 5789): the end is left out of it; one that sets a start
  may begin the fact after its stored end: the end is cleared with it.
"""

import itertools
from typing import Any

import schemathesis
from schemathesis.generation.meta import StatefulPhaseData

from app.core.errors import InvalidParameter
from app.core.pagination import decode_cursor
from app.core.temporal import recorded_instant
from tests.fuzz.data import DATE_SPANS, refer_to_real_rows

OPAQUE_TOKENS = ("cursor", "since")
COMPANY_PATHS = "/v1/companies/{slug}/"
# Idempotency keys are documented up to 255 characters; a suffix keeps each one unique.
KEY_ROOM = 240
# Slugs are documented up to 100 characters (companies, executives) or 200.
SLUG_ROOM = 80
_keys = itertools.count(1)


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]
) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if case.method == "GET" and isinstance(meta.phase.data, StatefulPhaseData) and case.query:
        case.query.pop("as_of", None)
    if case.query and isinstance(case.query.get("as_of"), str) and _to_come(case.query["as_of"]):
        del case.query["as_of"]
    for name in OPAQUE_TOKENS:
        token = (case.query or {}).get(name)
        if isinstance(token, str) and token and not _issued(token):
            del case.query[name]
    if case.headers and "Idempotency-Key" in case.headers:
        key = case.headers["Idempotency-Key"][:KEY_ROOM]
        case.headers["Idempotency-Key"] = f"{key}-{next(_keys)}"
    if (
        case.method == "POST"
        and isinstance(case.body, dict)
        and isinstance(case.body.get("slug"), str)
    ):
        # A new row's slug is unique (another is a 409): each create makes one, which the
        # stateful phase then follows through the links.
        case.body["slug"] = f"{case.body['slug'][:SLUG_ROOM]}-{next(_keys)}"
    if case.headers and "If-Match" in case.headers:
        case.headers["If-Match"] = "*"
    if case.method == "PATCH" and isinstance(case.body, dict):
        for start, end in DATE_SPANS:
            if end in case.body and start not in case.body:
                del case.body[end]
            elif isinstance(case.body.get(start), str):
                case.body[end] = None
    company = (case.path_parameters or {}).get("slug")
    if not (case.path.startswith(COMPANY_PATHS) and isinstance(company, str)):
        # A new member is one the seed's partnerships do not have already (a 409).
        company = "byd" if case.path.endswith("/members") else "nissan"
    refer_to_real_rows(case.body, company=company)


def _to_come(as_of: str) -> bool:
    try:
        recorded_instant(as_of)
    except InvalidParameter:
        return True  # the pattern let it through: only an instant to come is refused
    return False


def _issued(token: str) -> bool:
    """Whether ``token`` has the form of a token the API issues."""
    try:
        decode_cursor(token)
    except InvalidParameter:
        return False
    return True
