"""An integer in a URL is written in ASCII digits, a boolean ``true`` or ``false``: every
other spelling a lax ``int`` or ``bool`` would read (padded, signed with ``+``, with ``_``
or a decimal point; ``1``, ``yes``, ``True``) is a 422 naming the parameter, on every
operation the document gives such a parameter."""

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Curator
from tests.helpers import assert_problem

# What pydantic's lax int reads as 7 (or 70), then what it refuses as well.
MISSPELT = (" 7", "7 ", "\t7", "7\n", "+7", "7_0", "7.0", "07.", "7e1", "\u0667")
# What pydantic's lax bool reads as true or false.
MISSPELT_BOOLEANS = ("1", "0", "True", "FALSE", "yes", "no", "on", "off", "t", " true")


Parameter = tuple[str, str, dict[str, Any], str]


def _parameters(client: TestClient, kind: str) -> list[Parameter]:
    """(method, path, parameter, required) for every parameter of the document of type
    ``kind``; ``required`` is the query the operation cannot do without (search's ``q``)."""
    document = client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if kind in types:
                    found.append((method.upper(), path, parameter, _required(operation)))
    return found


def _required(operation: dict[str, Any]) -> str:
    """The operation's required query parameters (search's ``q``), with a plausible value."""
    names = [
        p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["required"]
    ]
    return "&".join(f"{name}=honda" for name in names)


def _url(path: str, parameter: dict[str, Any], value: str, required: str) -> str:
    """``path`` with ``value`` as ``parameter``, a plausible value for every other path
    parameter (a slug, an id: validation comes before any lookup), and ``required``."""
    filled = path
    while "{" in filled:
        start, end = filled.index("{"), filled.index("}")
        name = filled[start + 1 : end]
        given = quote(value, safe="") if name == parameter["name"] else _placeholder(name)
        filled = filled[:start] + given + filled[end + 1 :]
    query = [f"{parameter['name']}={quote(value, safe='')}"] if parameter["in"] == "query" else []
    query += [required] if required else []
    return filled + ("?" + "&".join(query) if query else "")


def _placeholder(name: str) -> str:
    return "1" if name.endswith("_id") else "honda"


def test_the_document_has_integer_parameters_in_paths_and_queries(client: TestClient) -> None:
    places = {parameter["in"] for _, _, parameter, _ in _parameters(client, "integer")}
    assert places == {"path", "query"}


def test_every_misspelt_integer_is_a_422_naming_its_parameter(curator: Curator) -> None:
    before = curator.counts()
    for method, path, parameter, required in _parameters(curator.client, "integer"):
        for value in MISSPELT:
            response = curator.client.request(
                method,
                _url(path, parameter, value, required),
                headers=curator.headers,
                json=None if method in ("GET", "DELETE") else {},
            )
            body = assert_problem(response, 422, field=parameter["name"])
            assert "integer written in ASCII digits" in body["detail"], (method, path, value)
    assert curator.counts() == before


@pytest.mark.parametrize("value", ["7", "0007"])
def test_digits_pass_validation(client: TestClient, value: str) -> None:
    for method, path, parameter, required in _parameters(client, "integer"):
        if method != "GET":
            continue
        response = client.get(_url(path, parameter, value, required))
        assert response.status_code in (200, 404), (path, response.text)


def test_a_negative_integer_is_refused_by_its_minimum(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/companies?limit=-1"), 422, field="limit")
    assert "greater than or equal to 1" in body["detail"]


def test_every_misspelt_boolean_is_a_422_naming_its_parameter(client: TestClient) -> None:
    booleans = _parameters(client, "boolean")
    assert booleans
    for method, path, parameter, required in booleans:
        for value in MISSPELT_BOOLEANS:
            response = client.request(method, _url(path, parameter, value, required))
            body = assert_problem(response, 422, field=parameter["name"])
            assert "must be true or false" in body["detail"], (method, path, value)


def test_true_and_false_are_the_booleans(client: TestClient) -> None:
    assert "total" in client.get("/v1/companies?count=true").json()
    assert "total" not in client.get("/v1/companies?count=false").json()


def _query_parameters(client: TestClient) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path with placeholders filled, query parameter, every other required query
    parameter with a value) for each query parameter of the document."""
    document = client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        filled = path
        while "{" in filled:
            start, end = filled.index("{"), filled.index("}")
            filled = filled[:start] + _placeholder(filled[start + 1 : end]) + filled[end + 1 :]
        for method, operation in item.items():
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            for parameter in query:
                others = "".join(
                    f"&{p['name']}=honda" for p in query if p["required"] and p is not parameter
                )
                found.append((method.upper(), filled, parameter, others))
    return found


def _takes_several(parameter: dict[str, Any]) -> bool:
    schema = parameter["schema"]
    return "array" in {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}


def test_a_single_value_parameter_given_twice_is_a_422_naming_it(curator: Curator) -> None:
    """``country=JP&country=CN`` is ambiguous: rather than the last value winning, every
    query parameter the document does not declare as an array refuses a second value, on
    every operation, whatever the values."""
    before = curator.counts()
    single = [found for found in _query_parameters(curator.client) if not _takes_several(found[2])]
    assert {"limit", "sort", "as_of", "country", "q", "since"} <= {
        p["name"] for _, _, p, _ in single
    }
    for method, path, parameter, others in single:
        name = parameter["name"]
        for values in (("1", "1"), ("1", "2")):
            url = f"{path}?{name}={values[0]}&{name}={values[1]}{others}"
            response = curator.client.request(
                method, url, headers=curator.headers, json=None if method == "GET" else {}
            )
            body = assert_problem(response, 422, field=name)
            assert "more than once" in body["detail"], (method, url)
    assert curator.counts() == before


def test_a_list_parameter_takes_repeats(client: TestClient) -> None:
    several = [found for found in _query_parameters(client) if _takes_several(found[2])]
    assert {p["name"] for _, _, p, _ in several} == {"facet", "include"}
    for method, path, parameter, others in several:
        if method != "GET":
            continue
        schema = parameter["schema"]
        values = (schema["items"]["enum"] * 2)[: min(2, schema["maxItems"])]
        if len(values) < 2:
            continue  # one value at most: a second is refused by the document's maxItems
        name = parameter["name"]
        response = client.get(f"{path}?{name}={values[0]}&{name}={values[1]}{others}")
        assert response.status_code in (200, 404), (path, response.text)


def test_the_last_value_never_wins(client: TestClient) -> None:
    assert_problem(client.get("/v1/companies?country=JP&country=CN"), 422, field="country")
    assert_problem(client.get("/v1/companies?limit=1&limit=3"), 422, field="limit")
    assert client.get("/v1/companies?country=JP&facet=kind&facet=country").status_code == 200
