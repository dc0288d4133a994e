"""Every request body in the OpenAPI document has one example, and it is real: Swagger UI's
"Try it out" pre-fills it, with the path parameters' examples, and sending that to the
seeded API is accepted, or refused only as a duplicate (409) or a stale tag (412), never as
a bad request (400, 422). (app/core/examples.py)"""

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from app.main import ROUTERS
from tests.conftest import Curator

# The operations that take a body, from the routers (the document is checked against them).
WRITES = sorted(
    (method.lower(), route.path)
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute) and route.body_field is not None
    for method in route.methods
)


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _example(spec: dict[str, Any], method: str, path: str) -> tuple[dict[str, Any], Any]:
    """The operation's body schema and its one example."""
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    examples = body.get("examples", {})
    assert len(examples) == 1, f"{method.upper()} {path}: {len(examples)} examples"
    (example,) = examples.values()
    assert example.get("summary"), f"{method.upper()} {path}: an example without a summary"
    return body["schema"], example["value"]


def _url(spec: dict[str, Any], method: str, path: str) -> str:
    """The path as Swagger UI fills it in: each path parameter's example."""
    for parameter in spec["paths"][path][method].get("parameters", []):
        if parameter["in"] == "path":
            examples = parameter["schema"].get("examples")
            assert examples, f"{method.upper()} {path}: no example for {parameter['name']}"
            path = path.replace("{" + parameter["name"] + "}", str(examples[0]))
    return path


def test_every_body_of_the_document_is_one_the_tests_send(spec: dict[str, Any]) -> None:
    documented = sorted(
        (method, path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    )
    assert documented == WRITES


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_the_example_is_valid_under_the_documented_schema(
    spec: dict[str, Any], method: str, path: str
) -> None:
    schema, example = _example(spec, method, path)
    # The body's schema, its references resolved in the document's components.
    validator = Draft202012Validator(
        {**schema, "components": spec["components"]}, format_checker=FormatChecker()
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
    assert errors == [], f"{method.upper()} {path}"


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_the_example_sent_to_the_seed_is_not_refused_as_bad(
    spec: dict[str, Any], curator: Curator, method: str, path: str
) -> None:
    _, example = _example(spec, method, path)
    answer = curator.client.request(
        method.upper(), _url(spec, method, path), json=example, headers=curator.headers
    )
    assert answer.is_success or answer.status_code in (409, 412), (
        f"{method.upper()} {path}: {answer.status_code} {answer.text}"
    )
