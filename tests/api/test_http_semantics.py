"""HTTP semantics: HEAD wherever GET is, OPTIONS and a 405's ``Allow`` naming every method
of the path, one ``Host``, unknown query parameters refused, ``Accept`` with q-values."""

import asyncio
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from app.core.errors import ECHO_LIMIT
from app.core.http_semantics import MAX_UNKNOWN_NAMED, HttpSemanticsMiddleware
from app.core.response_cache import LOOKUPS
from tests.helpers import assert_problem

# Headers that differ between two answers to the same request for reasons of their own.
_PER_REQUEST = {"date", "x-request-id"}
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _get_paths(client: TestClient) -> list[str]:
    """Every GET path of the document, its parameters filled with ones the seed holds."""
    values = {
        "slug": client.get("/v1/companies", params={"limit": 1}).json()["data"][0]["slug"],
        "company_slug": "honda",
    }
    paths = []
    for template, item in client.get("/openapi.json").json()["paths"].items():
        if "get" in item:
            paths.append(
                re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], 1)), template)  # ids: 1
            )
    return paths


def _comparable(headers: Any) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name not in _PER_REQUEST and not name.startswith("ratelimit")
    }


def _expected_allow(item: dict[str, Any]) -> str:
    methods = {method.upper() for method in item} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(m for m in _ORDER if m in methods)


# -- HEAD --------------------------------------------------------------------------------------


def test_head_answers_every_get_route_as_get_does_without_a_body(client: TestClient) -> None:
    paths = [
        *_get_paths(client),
        "/v1/companies?format=csv",
        "/v1/companies?format=ndjson",
        "/docs",
        "/openapi.json",
        "/metrics",
        "/static-offline-docs/swagger-ui.css",
    ]
    assert "/health/live" in paths and "/health/ready" in paths
    answered = 0
    for path in paths:
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        expected = _comparable(get.headers)
        if path.startswith("/metrics"):  # its body (counters) changes from one scrape to the next
            expected.pop("content-length")
        assert _comparable(head.headers).items() >= expected.items(), path
        answered += get.status_code == 200
    assert answered > len(paths) // 2  # most paths found something with their values


def test_head_of_a_detail_carries_the_gets_content_length_and_etag(client: TestClient) -> None:
    get = client.get("/v1/companies/honda")
    head = client.head("/v1/companies/honda")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["cache-control"] == get.headers["cache-control"]
    revalidated = client.head("/v1/companies/honda", headers={"If-None-Match": get.headers["etag"]})
    assert revalidated.status_code == 304


def test_head_leaves_the_servers_scope_a_head(client: TestClient) -> None:
    """The server reads its own scope's method to send a HEAD answer as one (uvicorn would
    otherwise add a chunked body to a stream); the access log reads the route from it."""
    seen: list[tuple[str, str]] = []
    route = object()

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = route
        await send({"type": "http.response.start", "status": 200, "headers": []})
        seen.append((scope["method"], outer["method"]))
        await send({"type": "http.response.body", "body": b"abc", "more_body": True})
        await send({"type": "http.response.body", "body": b"def"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    outer: dict[str, Any] = {
        "type": "http",
        "method": "HEAD",
        "path": "/health/live",
        "headers": [],
        "app": client.app,
    }
    asyncio.run(HttpSemanticsMiddleware(inner)(outer, receive, send))
    assert seen == [("GET", "HEAD")]
    assert outer["method"] == "HEAD" and outer["route"] is route
    assert [m.get("body", b"") for m in sent] == [b"", b""]
    assert not sent[-1].get("more_body", False)


def test_head_where_the_path_has_no_get_is_a_405(client: TestClient) -> None:
    response = client.head("/v1/partnerships/1/statuses")
    assert response.status_code == 405 and response.content == b""
    assert response.headers["allow"] == "POST, OPTIONS"


def test_head_is_not_an_operation_of_the_document(client: TestClient) -> None:
    for item in client.get("/openapi.json").json()["paths"].values():
        assert "head" not in item and "options" not in item


# -- 405 and OPTIONS -------------------------------------------------------------------------


def test_a_405_allows_every_method_of_the_path(client: TestClient) -> None:
    response = client.put("/v1/companies/honda")
    assert_problem(response, 405)
    # GET, PATCH and DELETE are three routes; the router matched one of them.
    assert response.headers["allow"] == "GET, HEAD, PATCH, DELETE, OPTIONS"
    assert client.delete("/v1/companies").headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert client.post("/health/live").headers["allow"] == "GET, HEAD, OPTIONS"


def test_a_405_of_the_docs_assets_allows_get_and_head(client: TestClient) -> None:
    response = client.delete("/static-offline-docs/swagger-ui.css")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_options_lists_the_methods_of_every_path_of_the_document(client: TestClient) -> None:
    for template, item in client.get("/openapi.json").json()["paths"].items():
        path = re.sub(r"\{\w+\}", "1", template)
        response = client.options(path)
        assert response.status_code == 204, (path, response.text)
        assert response.content == b""
        assert response.headers["allow"] == _expected_allow(item), path


def test_options_on_an_unknown_path_is_a_404(client: TestClient) -> None:
    assert_problem(client.options("/v1/nothing-here"), 404)


def test_a_cors_preflight_is_still_corss(client: TestClient) -> None:
    response = client.options(
        "/v1/companies",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "allow" not in response.headers
    simple = client.get("/v1/companies", headers={"Origin": "http://localhost:3000"})
    assert simple.headers["access-control-allow-origin"] == "http://localhost:3000"
    head = client.head("/v1/companies", headers={"Origin": "http://localhost:3000"})
    assert head.headers["access-control-allow-origin"] == "http://localhost:3000"


# -- Host --------------------------------------------------------------------------------------


def test_two_host_headers_are_a_400(client: TestClient) -> None:
    response = client.get("/v1/companies", headers=[("Host", "a.example"), ("Host", "b.example")])
    body = assert_problem(response, 400)
    assert "Host" in body["detail"]
    assert client.get("/v1/companies", headers={"Host": "a.example"}).status_code == 200


# -- unknown query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/companies?countrry=ZZ", "countrry"),
        ("/v1/changes?cursor=x", "cursor"),  # the feed reads `since`
        ("/v1/companies/honda?includ=citations", "includ"),
        ("/v1/search?q=nissan&limt=1", "limt"),
        ("/health/live?verbose=1", "verbose"),
    ],
)
def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: TestClient, path: str, name: str
) -> None:
    body = assert_problem(client.get(path), 422, field=name)
    assert body["errors"][0]["loc"] == ["query", name]
    assert body["errors"][0]["type"] == "extra_forbidden"
    assert name in body["detail"]


def test_every_unknown_name_is_reported_and_known_ones_still_work(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/companies?a=1&country=JP&b=2"), 422)
    assert [e["loc"] for e in body["errors"]] == [["query", "a"], ["query", "b"]]
    assert client.get("/v1/companies?country=JP&facet=kind&facet=country").status_code == 200
    assert client.get("/v1/changes?limit=5").status_code == 200
    head = client.head("/v1/companies?countrry=ZZ")
    assert head.status_code == 422 and head.content == b""


def test_a_problem_cuts_what_it_repeats_of_the_request_short(client: TestClient) -> None:
    """Names of unknown parameters come back cut to ``ECHO_LIMIT`` characters, and only
    the first ``MAX_UNKNOWN_NAMED`` of them: a 2 kB query made a 119 kB answer."""
    many = "&".join(f"x{i}=1" for i in range(300))
    response = client.get(f"/v1/companies?{many}")
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [
        ["query", f"x{i}"] for i in range(MAX_UNKNOWN_NAMED)
    ]
    assert len(response.content) < 10_000
    long_name = "b" * 20_000
    response = client.get(f"/v1/companies?{long_name}=1")
    body = assert_problem(response, 422)
    name = body["errors"][0]["loc"][1]
    assert name == "b" * (ECHO_LIMIT - 1) + "\u2026"
    assert len(response.content) < 2_000
    # A value a message quotes is cut alike.
    body = assert_problem(client.get("/v1/companies", params={"valid_at": "9" * 5000}), 422)
    assert len(body["detail"]) < 400


def test_a_malformed_as_of_is_told_in_words(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/companies?as_of=2026-12-07T15:04Z"), 422, field="as_of")
    message = "as_of must be an RFC 3339 timestamp (2026-12-07T03:14:15Z) or a date (YYYY-MM-DD)"
    assert body["errors"][0]["msg"] == message
    assert len(body["detail"]) < 200
    # The document still gives the exact pattern.
    parameters = client.get("/openapi.json").json()["paths"]["/v1/companies"]["get"]["parameters"]
    as_of = next(p for p in parameters if p["name"] == "as_of")
    assert as_of["schema"]["anyOf"][0]["pattern"].startswith("^(?:")


def test_an_unknown_query_parameter_on_a_write_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/companies?dry_run=1", json={})
    assert response.status_code in (401, 422)  # whichever the write checks first
    if response.status_code == 422:
        assert_problem(response, 422, field="dry_run")


@pytest.mark.parametrize(
    "path", ["/docs?x=1", "/redoc?x=1", "/openapi.json?x=1", "/metrics?name[]=x"]
)
def test_routes_outside_the_document_take_what_they_take(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_the_rule_is_documented(client: TestClient) -> None:
    description = client.get("/openapi.json").json()["info"]["description"]
    assert "does not list is a 422" in description


# -- Accept ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("text/csv;q=0, */*", "application/json"),
        ("text/csv;q=0, application/json", "application/json"),
        ("text/csv;q=0.5, application/x-ndjson;q=0.9", "application/x-ndjson"),
        ("application/json;q=0.4, text/csv;q=0.8", "text/csv"),
        ("text/csv, application/json", "application/json"),  # a tie: JSON
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        ("application/*;q=0.2, text/csv;q=0.1", "application/json"),
    ],
)
def test_accept_with_q_values_chooses_the_format(
    client: TestClient, accept: str | None, media_type: str
) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = client.get("/v1/companies", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("accept", ["text/csv;q=0", "application/xml", "*/*;q=0", "image/png"])
def test_an_accept_that_allows_no_format_is_a_406(client: TestClient, accept: str) -> None:
    response = client.get("/v1/companies", headers={"Accept": accept})
    body = assert_problem(response, 406)
    assert "text/csv" in body["detail"]
    assert "Accept" in response.headers["vary"]


def test_format_wins_over_accept(client: TestClient) -> None:
    response = client.get("/v1/companies?format=csv", headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("fmt", ["json", "csv", "ndjson"])
def test_every_list_answer_varies_on_accept(client: TestClient, fmt: str) -> None:
    for path in ("/v1/companies", "/v1/facts", "/v1/companies/honda/partnerships"):
        response = client.get(path, params={"format": fmt})
        assert response.status_code == 200
        vary = [v.strip() for v in response.headers["vary"].split(",")]
        assert vary.count("Accept") == 1, (path, vary)


def test_list_operations_document_the_406(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/companies", "/v1/facts", "/v1/sources", "/v1/companies/{slug}/plants"):
        assert "406" in paths[path]["get"]["responses"], path


def test_the_response_cache_keeps_each_format_apart(client: TestClient) -> None:
    path = "/v1/companies?country=JP"
    first = client.get(path)
    csv = client.get(path, headers={"Accept": "text/csv"})
    again = client.get(path)
    not_csv = client.get(path, headers={"Accept": "text/csv;q=0, application/json"})
    assert first.headers["content-type"] == "application/json"
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("slug,") or csv.text.split("\n", 1)[0].count(",") > 2
    assert again.headers["content-type"] == "application/json"
    assert again.json() == first.json()
    assert not_csv.headers["content-type"] == "application/json"


# -- Accept on the GETs served in JSON alone ---------------------------------------------------


def _json_only_paths(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    """Every GET of the API the document gives in JSON alone, with its operation, on the
    seed rows its path parameters' examples name."""
    found = []
    for template, item in client.get("/openapi.json").json()["paths"].items():
        operation = item.get("get")
        if not template.startswith("/v1/") or operation is None:
            continue
        if set(operation["responses"]["200"]["content"]) == {"application/json"}:
            path = template
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    example = str(parameter["schema"]["examples"][0])
                    path = path.replace("{" + parameter["name"] + "}", example)
            found.append((path + ("?q=Espinosa" if path == "/v1/search" else ""), operation))
    return found


def test_every_get_served_in_json_alone_refuses_an_accept_without_json(
    client: TestClient,
) -> None:
    paths = _json_only_paths(client)
    # Each resource, search and the change feed: not one of them escapes the rule.
    assert {"/v1/companies/nissan", "/v1/search?q=Espinosa", "/v1/changes"} <= {
        path for path, _ in paths
    }
    assert len(paths) >= 14
    for path, operation in paths:
        assert client.get(path).status_code == 200, path
        assert "406" in operation["responses"], path
        response = client.get(path, headers={"Accept": "text/csv"})
        body = assert_problem(response, 406)
        assert "application/json" in body["detail"], path
        assert "Accept" in response.headers["vary"], path


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/*",
        "*/*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser's
        "text/csv, application/json;q=0.1",
        "not a media range",  # disregarded, as RFC 9110 lets a server: no preference given
    ],
)
def test_an_accept_that_allows_json_gets_json(client: TestClient, accept: str) -> None:
    response = client.get("/v1/companies/nissan", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    "accept",
    ["text/csv", "application/problem+json", "*/*;q=0", "application/json;q=0, */*", "text/*"],
)
def test_an_accept_that_allows_no_json_is_a_406(client: TestClient, accept: str) -> None:
    # `application/problem+json` names what errors come as, not JSON itself; an explicit
    # q=0 on JSON wins over the wildcard, as the most specific range decides.
    assert_problem(client.get("/v1/companies/nissan", headers={"Accept": accept}), 406)
    head = client.head("/v1/companies/nissan", headers={"Accept": accept})
    assert head.status_code == 406
    assert head.headers["content-type"] == "application/problem+json"


def test_several_accept_fields_are_read_as_one_list(client: TestClient) -> None:
    both = [("Accept", "text/csv"), ("Accept", "application/json")]
    assert client.get("/v1/companies/nissan", headers=both).status_code == 200
    neither = [("Accept", "text/csv"), ("Accept", "image/png")]
    assert_problem(client.get("/v1/companies/nissan", headers=neither), 406)


def test_the_response_cache_never_answers_json_to_an_accept_without_it(
    client: TestClient,
) -> None:
    path = "/v1/executives/ivan-espinosa"
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    first, again = client.get(path, headers=browser), client.get(path, headers=browser)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    hits = LOOKUPS.labels("hit")._value.get()
    for _ in range(2):  # the second one too: a 406 is never kept, a JSON answer never given
        assert_problem(client.get(path, headers={"Accept": "text/csv"}), 406)
    assert LOOKUPS.labels("hit")._value.get() == hits
    assert client.get(path, headers=browser).json() == first.json()


def test_the_explorer_pages_do_not_read_accept(client: TestClient) -> None:
    response = client.get("/companies/nissan", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
