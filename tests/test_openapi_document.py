"""The OpenAPI document is valid and exact (SPEC §5): clients are generated from it, and a
fuzzer draws requests from it, so every `$ref` must resolve, errors are declared once,
and each parameter and pattern says exactly what the server accepts."""

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from app.core.dates import PARTIAL_DATE_PATTERN, parse_partial_date
from app.core.limits import BODY_TEXT_PATTERN, QUERY_TEXT_PATTERN
from tests.conftest import Curator
from tests.helpers import assert_problem, concrete_path

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
# Unicode digits that Python's `\d` (and `Decimal`, `int`) read as ASCII ones.
FULLWIDTH_2025 = "".join(chr(0xFF10 + int(digit)) for digit in "2025")
FULLWIDTH_MONTH = FULLWIDTH_2025 + "-" + "".join(chr(0xFF10 + int(d)) for d in "04")
NOT_ASCII_DIGITS = ["\N{ARABIC-INDIC DIGIT THREE}", FULLWIDTH_2025, "\N{FULLWIDTH DIGIT ONE}"]


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _walk(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, node) of the document."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on the first error


def test_every_ref_resolves_and_no_defs_are_left(spec: dict[str, Any]) -> None:
    refs = 0
    for pointer, node in _walk(spec):
        if isinstance(node, dict):
            assert "$defs" not in node, f"{pointer} nests schemas no $ref of the document reaches"
            if "$ref" in node:
                refs += 1
                assert _resolve(spec, node["$ref"]) is not None, pointer
    assert refs > 100
    field_error = spec["components"]["schemas"]["FieldError"]
    assert set(field_error["required"]) == {"loc", "msg", "type"}


def test_every_operation_has_a_summary_an_id_and_referenced_problems(
    spec: dict[str, Any],
) -> None:
    ids = [operation.get("operationId") for _, _, operation in _operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), "operationIds missing or repeated"
    declared = spec["components"]["responses"]
    used = set()
    for path, method, operation in _operations(spec):
        name = f"{method.upper()} {path}"
        assert operation.get("summary"), name
        assert any(code < "400" for code in operation["responses"]), f"{name}: no success"
        assert "security" in operation, f"{name}: public or not, it should say"
        for code, response in operation["responses"].items():
            if code < "400":
                continue
            # A reference and nothing beside it: the target says everything, once.
            assert set(response) == {"$ref"}, (name, code, response)
            component = response["$ref"].removeprefix("#/components/responses/")
            assert component in declared, (name, code)
            used.add(component)
    assert used == set(declared), "declared error responses no operation uses"
    for name, response in declared.items():
        assert response["description"], name
        assert set(response["content"]) == {"application/problem+json"}, name
        media = response["content"]["application/problem+json"]
        assert media["schema"] == PROBLEM_SCHEMA, name
        assert set(media["example"]) >= {"type", "title", "status", "detail", "instance"}, name
    assert declared["ValidationError"]["content"]["application/problem+json"]["example"]["errors"]
    assert "WWW-Authenticate" in declared["Unauthorized"]["headers"]


def test_reads_are_declared_public_and_writes_keyed(spec: dict[str, Any]) -> None:
    for path, method, operation in _operations(spec):
        expected = [] if method == "get" else [{"ApiKey": []}]
        assert operation["security"] == expected, (method, path)


def _include_names(operation: dict[str, Any]) -> list[str] | None:
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "include":
            schema = parameter["schema"]
            assert schema["type"] == "array", schema
            names: list[str] = schema["items"]["enum"]
            return names
    return None


def test_each_include_lists_exactly_the_names_its_route_takes(
    spec: dict[str, Any], client: TestClient
) -> None:
    takes = {
        path: names
        for path, item in spec["paths"].items()
        if "get" in item and (names := _include_names(item["get"])) is not None
    }
    assert len(takes) >= 12
    every_name = {name for names in takes.values() for name in names}
    assert every_name == {"citations", "members", "roles", "impacts"}
    for path, names in takes.items():
        concrete = concrete_path(path)
        for name in names:
            response = client.get(concrete, params={"include": name, "limit": 1})
            assert response.status_code == 200, (path, name, response.text)
        both = {"include": [names[0], names[-1]], "limit": 1}
        assert client.get(concrete, params=both).status_code == 200, path
        joined = {"include": ",".join(names), "limit": 1}
        assert client.get(concrete, params=joined).status_code == 200, path
        for name in sorted(every_name - set(names)):
            response = client.get(concrete, params={"include": name})
            assert_problem(response, 422, field="include")
        # What the enum does not hold is refused, as the document says: blanks included.
        for value in ["", " citations", f"{names[0]},", "Citations"]:
            assert_problem(client.get(concrete, params={"include": value}), 422, field="include")


def test_no_pattern_reads_unicode_digits_or_leaves_its_end_open(spec: dict[str, Any]) -> None:
    """Patterns are ECMA-262 (what clients and fuzzers read): `[0-9]`, never `\\d` (Unicode
    in the server's Python and Rust engines); anchored at both ends or at neither."""
    patterns = {
        node["pattern"]
        for _, node in _walk(spec)
        if isinstance(node, dict) and isinstance(node.get("pattern"), str)
    }
    assert len(patterns) >= 5
    for pattern in patterns:
        assert "\\d" not in pattern, pattern
        assert "\\Z" not in pattern and "\\z" not in pattern, pattern  # not ECMA-262
        assert pattern.startswith("^") == pattern.endswith("$"), pattern
        re.compile(pattern)


def test_the_partial_date_pattern_holds_exactly_the_dates_that_exist() -> None:
    # As a fuzzer reads the document: ECMA-262, where `$` is the end and `\d` is ASCII.
    documented = re.compile(PARTIAL_DATE_PATTERN.removesuffix("$") + r"\Z")

    def exists(text: str) -> bool:
        try:
            parse = [int(part) for part in text.split("-")]
            dt.date(*parse, *[1] * (3 - len(parse)))
        except ValueError:
            return False
        return True

    for year in range(10000):
        texts = [f"{year:04d}", f"{year:04d}-02-29", f"{year:04d}-00", f"{year:04d}-13"]
        if year in (1, 4, 100, 400, 1900, 2000, 2024, 2025, 9999):
            texts += [f"{year:04d}-{m:02d}-{d:02d}" for m in range(13) for d in range(33)]
        for text in texts:
            valid = exists(text)
            assert bool(documented.match(text)) == valid, text
            if valid:
                parse_partial_date(text)
            else:
                with pytest.raises(ValueError):
                    parse_partial_date(text)


def _seed_tariff(curator: Curator) -> tuple[str, str]:
    """The paths of the seed's tariff (its current period, the first) and of one of its
    impacts."""
    tariff = curator.client.get("/v1/tariffs", params={"include": "impacts"}).json()["data"][0]
    path = f"/v1/tariffs/{tariff['id']}"
    return path, f"{path}/impacts/{tariff['impacts'][0]['id']}"


@pytest.mark.parametrize(
    "value",
    [*NOT_ASCII_DIGITS, "2025\n", "2025-04\n", FULLWIDTH_MONTH, "2025-02-29", "2025-13", "0000"],
)
def test_a_partial_date_is_ascii_and_exists(curator: Curator, value: str) -> None:
    tariff, _ = _seed_tariff(curator)
    response = curator.client.patch(tariff, json={"effective_on": value}, headers=curator.headers)
    assert_problem(response, 422, field="effective_on")


@pytest.mark.parametrize("value", ["2025", "2025-04", "2025-04-03", "2024-02-29"])
def test_an_ascii_partial_date_is_taken(curator: Curator, value: str) -> None:
    tariff, _ = _seed_tariff(curator)
    response = curator.client.patch(tariff, json={"effective_on": value}, headers=curator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["effective_on"] == value


@pytest.mark.parametrize(
    "value",
    [*NOT_ASCII_DIGITS, "12\n", "12.5\n", "1.12345", "123456789012345678901", "+1", "1e3", ""],
)
def test_a_money_amount_is_ascii_and_fits_its_column(curator: Curator, value: str) -> None:
    _, impact = _seed_tariff(curator)
    body = {"amount": {"amount": value, "currency": "JPY"}}
    response = curator.client.patch(impact, json=body, headers=curator.headers)
    assert_problem(response, 422, field="amount")


@pytest.mark.parametrize("value", ["12", "-12.5", "99999999999999999999.9999", "0.0001"])
def test_an_ascii_money_amount_is_taken(curator: Curator, value: str) -> None:
    _, impact = _seed_tariff(curator)
    body = {"amount": {"amount": value, "currency": "JPY"}}
    response = curator.client.patch(impact, json=body, headers=curator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["amount"]["amount"] == value


@pytest.mark.parametrize("value", ["٣", "2.5\n", "-2.5", "12345", "2.1234"])
def test_a_percent_is_ascii_and_fits_its_column(curator: Curator, value: str) -> None:
    tariff, _ = _seed_tariff(curator)
    response = curator.client.patch(
        tariff, json={"baseline_rate_pct": value}, headers=curator.headers
    )
    assert_problem(response, 422, field="baseline_rate_pct")


def test_the_documented_patterns_are_the_servers(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    money = schemas["MoneyIn"]["properties"]["amount"]["pattern"]
    percent = schemas["TariffIn"]["properties"]["rate_pct"]["anyOf"][0]["pattern"]
    date = schemas["TariffIn"]["properties"]["effective_on"]["anyOf"][0]["pattern"]
    assert money == r"^-?[0-9]{1,20}(?:\.[0-9]{1,4})?$"
    assert percent == r"^[0-9]{1,4}(?:\.[0-9]{1,3})?$"
    assert date == PARTIAL_DATE_PATTERN


def test_free_text_says_what_the_server_refuses(client: TestClient) -> None:
    """Query text without control characters, body text without NUL: the patterns the
    document gives every string that has no pattern, enum or format of its own."""
    document = client.get("/openapi.json").json()
    search_q = next(
        p for p in document["paths"]["/v1/search"]["get"]["parameters"] if p["name"] == "q"
    )
    assert search_q["schema"]["pattern"] == QUERY_TEXT_PATTERN
    source = document["components"]["schemas"]["SourceCreate"]["properties"]
    assert source["text"]["pattern"] == BODY_TEXT_PATTERN
    assert re.fullmatch(BODY_TEXT_PATTERN[1:-1], "ñandú\n日本")
    assert not re.fullmatch(BODY_TEXT_PATTERN[1:-1], "a\x00b")
    assert client.get("/v1/search", params={"q": "a\x01b"}).status_code == 422


def test_created_resources_link_to_their_operations(client: TestClient) -> None:
    """A 201 names the operations that act on what it created, with the response values
    they take, so that a client (or schemathesis' stateful phase) can follow them."""
    document = client.get("/openapi.json").json()
    links = document["paths"]["/v1/companies"]["post"]["responses"]["201"]["links"]
    assert {link["operationRef"] for link in links.values()} == {
        f"#/paths/~1v1~1companies~1%7Bslug%7D/{method}" for method in ("get", "patch", "delete")
    }
    assert all(link["parameters"] == {"slug": "$response.body#/slug"} for link in links.values())
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    path, method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
                    target = unquote(path).replace("~1", "/").replace("~0", "~")
                    assert method in document["paths"][target], link
                    declared = {
                        p["name"]
                        for p in document["paths"][target][method].get("parameters", [])
                        if p["in"] == "path"
                    }
                    assert set(link["parameters"]) == declared, link


def test_no_link_takes_a_fixed_item_of_a_response_array(client: TestClient) -> None:
    """A link's value names the row the answer is about. An item of an array at a fixed
    index (`$response.body#/scope/0/id`) is whichever row happens to come first there, not
    the one just created, so a client following it would change another row."""
    document = client.get("/openapi.json").json()
    values = [
        value
        for item in document["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
        for value in link["parameters"].values()
    ]
    assert "$request.body#/company" in values
    assert not [value for value in values if re.search(r"/\d+(/|$)", value)]


def test_a_request_body_s_defaults_are_told_not_declared(client: TestClient) -> None:
    """openapi-typescript makes a property with a `default` required, so in a request body
    the default is said in words: the smallest body the API takes must type-check. What a
    response declares is untouched (a response always carries those fields)."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    inputs = [name for name in schemas if name.endswith("In")]
    assert {"CompanyIn", "ExecutiveIn", "PartnershipIn", "ExclusionIn"} <= set(inputs)
    for name in inputs:
        for prop in schemas[name].get("properties", {}).values():
            assert "default" not in prop, name
    told_as = schemas["CompanyIn"]["properties"]["told_as"]
    assert told_as["description"].endswith("Left out, it is `present`.")
    assert schemas["PartnershipIn"]["properties"]["scope"]["description"] == "Left out, it is `[]`."
    assert schemas["CompanyPublic"]["properties"]["told_as"]["default"] == "present"


def test_the_url_pattern_means_the_same_to_every_regex_engine(client: TestClient) -> None:
    r"""``\s`` takes NEL (U+0085) for a space in Python and pydantic, not in ECMA-262 (a
    client's, schemathesis'), which takes U+FEFF instead: a URL holding either was valid
    to one and refused by the other. The pattern names both, so every reading refuses
    them."""
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SourceCreate"]
    url = next(s for s in schema["properties"]["url"]["anyOf"] if "pattern" in s)
    pattern = url["pattern"]
    assert "\\x85" in pattern and "\\ufeff" in pattern
    for space in ("\x85", "\ufeff", "\u00a0", " "):
        assert not re.fullmatch(pattern[1:-1], f"https://a{space}b")
    assert re.fullmatch(pattern[1:-1], "https://asia.nikkei.com/a?b=c#d")
