"""The OpenAPI document's examples of success responses (SPEC §5: every operation has
examples): each is there, its schema accepts it, and it is what the seed really answers
(app/tools/response_examples.py captured it; capturing again must give the same)."""

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.core.response_examples import EXAMPLES_FILE
from app.tools import response_examples

DOCUMENT_URI = "urn:autofacts:openapi"
# When the seed was loaded: what two captures of the same seed tell apart, and nothing else.
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema``, a schema of ``document`` whose ``$ref``s point into it."""
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, DRAFT202012.create_resource(document)
    )
    rebased = json.loads(
        json.dumps(schema).replace('"#/components/', f'"{DOCUMENT_URI}#/components/')
    )
    return Draft202012Validator(rebased, registry=registry)


def _success_contents(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(method, path, media type, content)`` of every success response with a body."""
    return [
        (method, path, media_type, content)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for code, response in operation.get("responses", {}).items()
        if code.startswith("2")
        for media_type, content in response.get("content", {}).items()
    ]


def test_every_success_response_shows_an_example_its_schema_accepts(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    contents = _success_contents(document)
    assert len(contents) > 80
    for method, path, media_type, content in contents:
        where = f"{method.upper()} {path} {media_type}"
        assert "example" in content, f"{where}: no example"
        example = content["example"]
        errors = list(_validator(document, content["schema"]).iter_errors(example))
        assert not errors, f"{where}: {errors[0].message}"
        if media_type == "application/x-ndjson":
            # Each line is an item of the JSON page the same list answers.
            page = next(
                c for m, p, t, c in contents if (m, p, t) == (method, path, "application/json")
            )
            ref = page["schema"]["$ref"].rsplit("/", 1)[1]
            item = document["components"]["schemas"][ref]["properties"]["data"]["items"]
            lines = example.splitlines()
            for line in lines:
                errors = list(_validator(document, item).iter_errors(json.loads(line)))
                assert not errors, f"{where}: {errors[0].message}"
        if media_type == "text/csv":
            header, *rows = csv.reader(io.StringIO(example))
            assert all(len(row) == len(header) for row in rows), where


def test_a_write_shows_the_resource_as_its_read_does(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    read = document["paths"]["/v1/companies/{slug}"]["get"]["responses"]["200"]
    written = document["paths"]["/v1/companies/{slug}"]["patch"]["responses"]["200"]
    example = read["content"]["application/json"]["example"]
    assert written["content"]["application/json"]["example"] == example
    assert example["slug"] == "nissan"
    assert example["citations"][0]["quote"] == "Honda and Nissan, longtime potential dance partners"


def test_the_examples_are_what_a_fresh_seed_answers(tmp_path: Path) -> None:
    # On SQLite whatever the database under test: the examples are SQLite's answers.
    captured = response_examples.capture_from_seed(tmp_path)
    committed = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))

    def without_instants(examples: dict[str, Any]) -> str:
        return INSTANT.sub("<instant>", json.dumps(examples, indent=1, sort_keys=True))

    assert without_instants(captured) == without_instants(committed), (
        "the examples no longer match what the seed answers: "
        "run `.venv/bin/python -m app.tools.response_examples` and commit the file"
    )


def test_the_problem_examples_are_what_the_api_answers(client: TestClient) -> None:
    """The errors the document shows are real answers too, where a request makes them."""
    document = client.get("/openapi.json").json()
    requests = {
        404: ("GET", "/v1/companies/tesla", {}),
        422: ("GET", "/v1/companies", {"limit": 500}),
    }
    shown = {
        content["example"]["status"]: content["example"]
        for response in document["components"]["responses"].values()
        for content in response["content"].values()
    }
    assert requests.keys() <= shown.keys()
    for status, (method, path, params) in requests.items():
        assert client.request(method, path, params=params).json() == shown[status]
