"""Schemathesis over the whole OpenAPI document (SPEC §6): for every operation, generated
requests (valid and invalid, with and without an API key) never get a 5xx, and every
response matches what the document declares for it (status, content type, headers, body).

Runs against the real app on a seeded database of its own, on SQLite and PostgreSQL.
Examples per operation are bounded and derandomised, so CI runs the same cases each time.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import get_session
from app.importer import import_facts, load_file
from app.main import create_app
from app.services.api_keys import create_api_key
from tests.helpers import scratch_engine

APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with scratch_engine(tmp_path_factory.mktemp("fuzz"), "fuzz") as engine:
        yield engine


@pytest.fixture(scope="module")
def api_key(fuzz_engine: Engine) -> Iterator[str]:
    """Bind the app to a seeded database of this module's own (writes change it)."""
    with Session(fuzz_engine) as session:
        import_facts(session, load_file(get_settings().seed_file))
        key = create_api_key(session=session, name="fuzzer")

    def session_override() -> Iterator[Session]:
        with Session(fuzz_engine) as session:
            yield session

    APP.dependency_overrides[get_session] = session_override
    yield key
    APP.dependency_overrides.clear()


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, api_key: str) -> None:
    # Writes carry a live key, so that what lies behind authentication (validation, quote
    # checks, the writes themselves) is what gets fuzzed; the 401s are tested elsewhere.
    headers = {"Authorization": f"Bearer {api_key}"} if case.method != "GET" else {}
    case.call_and_validate(headers=headers, checks=CHECKS)


HOSTILE_TEXT = [
    "' OR 1=1 --",
    '"; DROP TABLE company; --',
    '"',
    "*",
    "NEAR(",
    "-nissan",
    "title:honda",
    "^honda",
    "honda OR",
    "((honda",
    "honda)",
    "%_\\",
    "x" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=lambda t: t[:12])
@pytest.mark.parametrize(
    "path, param",
    [
        ("/v1/search", "q"),
        ("/v1/companies", "kind"),
        ("/v1/companies", "cursor"),
        ("/v1/executives", "title"),
        ("/v1/facts", "company"),
        ("/v1/sources", "reported_by"),
        ("/v1/changes", "since"),
    ],
)
def test_hostile_query_text_never_gets_a_server_error(
    path: str, param: str, text: str, api_key: str
) -> None:
    """SQL and full-text-search metacharacters and 10 kB strings are plain text (or a 422),
    never a 5xx."""
    with TestClient(APP) as client:
        response = client.get(path, params={param: text})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[]", "application/json"),
        (b'{"slug": "x"}', "text/plain"),
        (b'{"slug": ' + b'"' + b"y" * 10_000 + b'"}', "application/json"),
    ],
    ids=["truncated", "binary", "array", "wrong-type", "10kB-field"],
)
def test_bad_bodies_get_a_problem_never_a_server_error(
    body: bytes, content_type: str, api_key: str
) -> None:
    with TestClient(APP) as client:
        response = client.post(
            "/v1/companies",
            content=body,
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": content_type},
        )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_document_covers_every_route() -> None:
    """The fuzzing above reaches every route the app serves (none is hidden from it)."""
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in SCHEMA.get_all_operations()
    }
    with TestClient(APP) as client:
        paths = client.get("/openapi.json").json()["paths"]
    documented = {(m.upper(), p) for p, item in paths.items() for m in item}
    assert operations == documented
    assert len(operations) > 50
