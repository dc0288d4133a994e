"""Schemathesis over the whole OpenAPI document (SPEC §6): every operation, fed generated
requests (valid and invalid), never answers with a 5xx, and every answer is one the
document declares (status, content type, headers, body). Then hostile input, case by case:
SQL and full-text-search metacharacters, 10 kB strings, bad and forged cursors, bad JSON,
wrong content types and bodies over the size limit are 4xx problems, never a 5xx.

Runs against the real app on a seeded database of this module's own (the fuzzed writes
change it), on SQLite and on PostgreSQL. Examples per operation are bounded and
derandomised, so CI sends the same requests every run.
"""

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import bind_engine, get_engine
from app.importer import import_facts, load_file
from app.main import create_app
from app.services.api_keys import create_api_key
from tests.fuzz.data import CITATION, refer_to_real_rows
from tests.helpers import assert_problem, concrete_path, scratch_engine

pytestmark = pytest.mark.slow

APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The coverage phase (each constraint's boundaries, every invalid value it can name) runs
# with every check in tests/test_schemathesis_cli.py, against a live server on the same
# database: here, in-process, the examples and the fuzzing phase.
SCHEMA.config.phases.coverage.enabled = False
WRITES = ["POST", "PATCH", "DELETE"]
# Without a key every write stops at authentication: the generated bodies and parameters
# matter little there.
KEYLESS_SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP).include(method=WRITES)
KEYLESS_SCHEMA.config.phases.coverage.enabled = False

# What the issue asks: no 5xx, and each response as documented. Besides:
# - ignored_auth: a write that succeeds with the key is replayed without it and with a
#   wrong one, and must then be refused (401); with no key at all, none may succeed;
# - missing_required_header, unsupported_method: a write without its Authorization header
#   is a 401, and a method the document does not list is a 405 with `Allow`;
# - negative_data_rejection: what the document calls invalid is refused (4xx). It found
#   `valid_at=0` read as 1970-01-01; it holds for every operation.
# Not positive_data_acceptance: a body can match the schema and still be refused, rightly,
# for what no schema can say (a quote not in its source, a company that does not exist, a
# duplicate slug, a stale If-Match).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    missing_required_header,
    unsupported_method,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 15
KEYLESS_EXAMPLES_PER_OPERATION = 5
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

API_KEY: list[str] = []  # the live key the module fixture creates


@pytest.fixture(scope="module", autouse=True)
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Bind the app to a seeded database of this module's own, with a live API key."""
    with scratch_engine(tmp_path_factory.mktemp("fuzz"), "fuzz") as engine:
        with Session(engine) as session:
            import_facts(session, load_file(get_settings().seed_file))
            API_KEY[:] = [create_api_key(session=session, name="fuzzer")]
        bind_engine(APP, engine)
        yield engine
        bind_engine(APP, get_engine())


@pytest.fixture(scope="module")
def fuzz_client(fuzz_engine: Engine) -> Iterator[TestClient]:
    with TestClient(APP, raise_server_exceptions=False) as test_client:
        yield test_client


def _key() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY[0]}"}


# -- hostile input, case by case ---------------------------------------------------------------
# These run first, while the seed is whole; the fuzzers below may retract some of it.

HOSTILE_TEXT = [
    "' OR 1=1 --",
    '"; DROP TABLE company; --',
    "1; SELECT pg_sleep(5)",
    '"',
    "'",
    "*",
    "honda*",
    "NEAR(honda nissan",
    "-nissan",
    "title:honda",
    "^honda",
    "honda OR",
    "AND",
    "((honda",
    "honda)",
    "{honda}",
    "%_\\",
    "\\u0000",
    "ñandú 日本 🚗",
    "x" * 10_000,
]
QUERY_PARAMETERS = [
    ("/v1/search", "q"),
    ("/v1/search", "type"),
    ("/v1/companies", "kind"),
    ("/v1/companies", "country"),
    ("/v1/companies", "sort"),
    ("/v1/companies", "facet"),
    ("/v1/companies", "include"),
    ("/v1/companies", "cursor"),
    ("/v1/companies", "valid_at"),
    ("/v1/executives", "title"),
    ("/v1/partnerships", "member"),
    ("/v1/tariffs", "product"),
    ("/v1/facts", "company"),
    ("/v1/facts", "predicate"),
    ("/v1/sources", "reported_by"),
    ("/v1/changes", "since"),
]


def _short(text: str) -> str:
    return text[:12] if len(text) < 100 else f"{len(text)}chars"


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=_short)
@pytest.mark.parametrize(("path", "param"), QUERY_PARAMETERS)
def test_hostile_query_text_is_plain_text_or_a_422(
    fuzz_client: TestClient, path: str, param: str, text: str
) -> None:
    """SQL and FTS metacharacters and 10 kB strings are plain text (or a 422), never a 5xx."""
    response = fuzz_client.get(path, params={param: text})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_problem(response, 422)


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=_short)
@pytest.mark.parametrize(
    "template",
    ["/v1/companies/{}", "/v1/executives/{}/roles/1", "/v1/sources/{}", "/v1/partnerships/{}"],
)
def test_hostile_path_segments_are_a_404_or_a_422(
    fuzz_client: TestClient, template: str, text: str
) -> None:
    response = fuzz_client.get(template.format(quote(text, safe="")))
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _cursor_lists() -> list[tuple[str, str]]:
    """(path, cursor parameter) of every list the document declares that pages by cursor."""
    paths = APP.openapi()["paths"]
    return [
        (concrete_path(path), parameter["name"])
        for path, item in paths.items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["name"] in ("cursor", "since")
    ]


FORGED_CURSORS = [
    '["name","\\u0000",1]',
    '["name","\\ud800",1]',
    '["name","x",2147483648]',
    '["name","x",-1]',
    '["name",{"a":1},1]',
    '["id",[1],1]',
    '["published_on","99999-01-01",1]',
    '["search",1e999,1]',
    '["search",NaN,1]',
    '["search",' + "9" * 400 + ",1]",
    '["changes",null,9223372036854775808]',
    "null",
    "[]",
    '{"sort":"name"}',
]


@pytest.mark.parametrize(("path", "param"), _cursor_lists())
def test_bad_and_forged_cursors_are_a_422_on_every_list(
    fuzz_client: TestClient, path: str, param: str
) -> None:
    params = {"q": "honda"} if path == "/v1/search" else {}
    real = fuzz_client.get("/v1/companies", params={"limit": 1}).json()["next_cursor"]
    bad = [
        real[:-3],  # truncated
        real[:5],
        real + "A",
        real[::-1],
        real.swapcase(),
        "%%%",
        "====",
        "A" * 1000,
        *(_cursor(payload) for payload in FORGED_CURSORS),
    ]
    for cursor in bad:
        response = fuzz_client.get(path, params={**params, param: cursor})
        assert_problem(response, 422, field=param)


def _body_operations() -> list[tuple[str, str, str]]:
    """(method, path template, concrete path on seed rows) of every operation with a body."""
    operations = []
    for path, item in APP.openapi()["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                operations.append((method.upper(), path, concrete_path(path)))
    return operations


BAD_BODIES = {
    "truncated": (b'{"name": "Hon', "application/json"),
    "not-utf8": (b"\xff\xfe\x00garbage", "application/json"),
    "array": (b"[]", "application/json"),
    "string": (b'"honda"', "application/json"),
    "null": (b"null", "application/json"),
    "nested-10k": (b"[" * 10_000 + b"]" * 10_000, "application/json"),
    "nan": (b'{"name": NaN, "job_cuts": 1e999}', "application/json"),
    "text-plain": (b'{"name": "Honda"}', "text/plain"),
    "form": (b"name=Honda&slug=honda", "application/x-www-form-urlencoded"),
    "xml": (b"<company><name>Honda</name></company>", "application/xml"),
    "nul": (b'{"name": "Hon\\u0000da"}', "application/json"),
    "lone-surrogate": (b'{"name": "Hon\\ud800da"}', "application/json"),
    "10kB-everywhere": (None, "application/json"),  # every field the schema names: 10 kB
    "over-the-limit": (b'{"name": "' + b"x" * 1_100_000 + b'"}', "application/json"),
}


def _ten_kb_everywhere(method: str, template: str) -> bytes:
    """Every field the operation's body schema names, each a 10 kB string."""
    spec = APP.openapi()
    body = spec["paths"][template][method.lower()]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[1]
    fields = spec["components"]["schemas"][name]["properties"]
    return json.dumps(dict.fromkeys(fields, "x" * 10_000)).encode()


@pytest.mark.parametrize("kind", BAD_BODIES)
@pytest.mark.parametrize(("method", "template", "path"), _body_operations())
def test_bad_bodies_are_a_4xx_problem(
    fuzz_client: TestClient, method: str, template: str, path: str, kind: str
) -> None:
    body, content_type = BAD_BODIES[kind]
    response = fuzz_client.request(
        method,
        path,
        content=body if body is not None else _ten_kb_everywhere(method, template),
        headers={**_key(), "Content-Type": content_type},
    )
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)
    if kind == "over-the-limit":
        assert response.status_code == 413
    if kind in ("truncated", "not-utf8"):  # unreadable, not a value to correct
        assert response.status_code == 400
    if content_type != "application/json":  # not declared JSON: the media types it takes
        assert response.status_code == 415
        assert response.headers["Accept-" + method.title()].endswith("application/json")


def _valid_bodies(n: int) -> dict[str, dict[str, Any]]:
    """A body each create accepts, with keys of its own (``n``) so that none is a duplicate."""
    common = {"certainty": "reported", "citations": [CITATION]}
    return {
        "/v1/companies": {
            "slug": f"fuzz-company-{n}",
            "name": f"Fuzz company {n}",
            "country": "JP",
            "kind": "automaker",
            "description": "A company.",
            **common,
        },
        "/v1/sources": {
            "slug": f"fuzz-source-{n}",
            "title": f"Fuzz source {n}",
            "publisher": "Example Wire",
            "url": "https://example.com/fuzz",
            "published_on": "2025-11-14",
            "reported_by": "Example Wire",
            "text": f"Article {n}.",
        },
        "/v1/restructuring-plans": {"company": "nissan", "name": f"Fuzz plan {n}", **common},
        "/v1/companies/honda/plants": {
            "company": "honda",
            "name": f"Fuzz plant {n}",
            "city": "Greensburg",
            "region": "Indiana",
            "country": "US",
            **common,
        },
        "/v1/partnerships": {
            "slug": f"fuzz-partnership-{n}",
            "title": f"Fuzz partnership {n}",
            "members": ["honda", "nissan"],
            "notes": "Talks.",
            "statuses": [{"status": "in_talks", **common}],
            **common,
        },
    }


@pytest.mark.parametrize("path", list(_valid_bodies(0)))
def test_ten_kilobyte_strings_in_a_valid_body_are_stored_or_refused(
    fuzz_client: TestClient, path: str
) -> None:
    """Each string field in turn at 10 kB, the rest valid, so that the write gets as far
    as the database: it is stored whole (and reads back), or refused with a 422."""
    fields = [name for name, value in _valid_bodies(0)[path].items() if isinstance(value, str)]
    for n, field in enumerate(fields, start=1):
        body = _valid_bodies(n)[path] | {field: "a" * 10_000}
        response = fuzz_client.post(path, json=body, headers=_key())
        assert response.status_code in (201, 422), (field, response.text)
        if response.status_code == 201:
            read = fuzz_client.get(response.headers["Location"])
            assert read.status_code == 200 and "a" * 10_000 in read.text, field
        else:
            assert_problem(response, 422, field=field)


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": '"' + "x" * 10_000 + '"'},
        {"If-None-Match": "' OR 1=1 --"},
        {"Accept": "application/xml;q=nan, */*;q=-1"},
        {"Accept": "text/csv" * 1_000},
        {"X-Request-ID": "'; DROP TABLE company; --" * 100},
        {"Authorization": "Bearer ' OR 1=1 --"},
    ],
    ids=["etag-10kB", "etag-sql", "accept-odd", "accept-long", "request-id", "auth-sql"],
)
def test_hostile_headers_on_a_read_never_get_a_server_error(
    fuzz_client: TestClient, headers: dict[str, str]
) -> None:
    response = fuzz_client.get("/v1/companies", headers=headers)
    assert response.status_code in (200, 304), response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Match": '"' + "x" * 10_000 + '"'},
        {"If-Match": "' OR 1=1 --"},
        {"Idempotency-Key": "x" * 10_000},
        {"Idempotency-Key": "'; DROP TABLE idempotency_key; --"},
        {"Authorization": "Bearer af_' OR 1=1 --_x"},
        {"Authorization": "Bearer " + "af_" * 3_000},
    ],
    ids=["if-match-10kB", "if-match-sql", "idem-10kB", "idem-sql", "auth-sql", "auth-long"],
)
def test_hostile_headers_on_a_write_are_a_4xx_problem(
    fuzz_client: TestClient, headers: dict[str, str]
) -> None:
    response = fuzz_client.patch(
        "/v1/companies/nissan",
        json={"description": "Japanese automaker."},
        headers={**_key(), **headers},
    )
    assert response.status_code in (200, 401, 412, 422), response.text
    if response.status_code != 200:
        assert_problem(response, response.status_code)


# -- the whole document, fuzzed ----------------------------------------------------------------


def _call_with_key(case: schemathesis.Case) -> None:
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        refer_to_real_rows(case.body)
    # Only writes declare the key; reads are public and go without it.
    headers = _key() if case.method in WRITES else None
    case.call_and_validate(headers=headers, checks=CHECKS)


@SCHEMA.exclude(method="DELETE").parametrize()
@BOUNDED
def test_reads_and_writes_answer_as_documented(case: schemathesis.Case) -> None:
    _call_with_key(case)


@KEYLESS_SCHEMA.parametrize()
@settings(BOUNDED, max_examples=KEYLESS_EXAMPLES_PER_OPERATION)
def test_writes_without_a_live_key_are_refused_as_documented(case: schemathesis.Case) -> None:
    """No key, or the random one schemathesis makes up: never a success (`ignored_auth`),
    and the refusal (401, or the 4xx of a body refused before authentication) is as
    documented."""
    response = case.call_and_validate(checks=CHECKS)
    assert 400 <= response.status_code < 500, response.text


# Last, so that retracting the seed's rows does not leave the other operations only 404s.
@SCHEMA.include(method="DELETE").parametrize()
@BOUNDED
def test_retractions_answer_as_documented(case: schemathesis.Case) -> None:
    _call_with_key(case)


def test_the_fuzzers_reach_every_operation(fuzz_client: TestClient) -> None:
    """The three fuzzers above cover every operation the app serves, none hidden from them."""
    paths = fuzz_client.get("/openapi.json").json()["paths"]
    documented = {(m.upper(), p) for p, item in paths.items() for m in item}
    fuzzed = {
        (result.ok().method.upper(), result.ok().path)
        for schema in (SCHEMA.exclude(method="DELETE"), SCHEMA.include(method="DELETE"))
        for result in schema.get_all_operations()
    }
    assert fuzzed == documented
    assert len(documented) > 60
