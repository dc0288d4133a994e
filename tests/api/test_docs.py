"""The docs work offline and the OpenAPI documents every operation fully."""

import re

from fastapi.testclient import TestClient

from tests.helpers import concrete_path


def test_swagger_ui_uses_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert assets, page.text
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by the app"
        assert client.get(asset).status_code == 200, asset
    assert "cdn" not in page.text.lower()


def test_favicon_is_served(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"


def test_redoc_uses_only_local_assets(client: TestClient) -> None:
    page = client.get("/redoc")
    assert page.status_code == 200
    assert "fonts.googleapis" not in page.text
    for asset in re.findall(r'(?:href|src)="([^"]+)"', page.text):
        assert asset.startswith("/") and client.get(asset).status_code == 200, asset


def test_every_operation_has_summary_description_and_problem_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        name = f"{method.upper()} {path}"
        assert operation.get("summary"), name
        assert operation.get("description"), name
        success = {"get": "200", "post": "201", "patch": "200", "delete": "204"}[method]
        assert success in operation["responses"], name
        errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
        if path.startswith("/v1"):
            assert "422" in errors, f"{name} documents no 422"
        if method != "get":
            assert {"401", "422"} <= set(errors), f"{name} documents no 401"
            assert operation.get("security") or "Authorization" in str(operation), name
        if "{" in path:
            assert "404" in errors, f"{name} documents no 404"
        for code, reference in errors.items():
            # Declared once under components/responses (tests/test_openapi_document.py).
            response = spec["components"]["responses"][reference["$ref"].rsplit("/", 1)[1]]
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (name, code)
            assert "application/json" not in response["content"], (name, code)


def test_path_and_query_parameters_have_descriptions(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (method, path, parameter["name"])


def _allowed(client: TestClient, path: str, param: str) -> list[str]:
    """The values a list accepts for ``param``, as its 422 problem names them."""
    detail = client.get(path, params={param: "no_such_name"}).json()["detail"]
    return [name.strip(" .`") for name in detail.rsplit(": ", 1)[1].split(",")]


def test_each_list_documents_its_sorts_and_facets(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    lists = [
        path
        for path, item in spec["paths"].items()
        if "get" in item and any(p["name"] == "facet" for p in item["get"].get("parameters", []))
    ]
    assert len(lists) >= 13
    for path in lists:
        description = spec["paths"][path]["get"]["description"]
        concrete = concrete_path(path)
        for param in ("sort", "facet"):
            for name in _allowed(client, concrete, param):
                assert f"`{name}`" in description, (path, param, name)


def test_streamed_formats_are_documented_exactly_where_a_list_streams(
    client: TestClient,
) -> None:
    """An operation that takes `format` documents the NDJSON and CSV it streams; one that
    does not, documents only JSON (a detail view never streams)."""
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            takes_format = any(p["name"] == "format" for p in operation.get("parameters", []))
            content = operation["responses"].get("200", {}).get("content", {})
            streamed = {"application/x-ndjson", "text/csv"} & set(content)
            assert streamed == ({"application/x-ndjson", "text/csv"} if takes_format else set()), (
                method,
                path,
            )
    response = client.get("/v1/companies/honda/partnerships", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")


def test_request_bodies_document_the_values_they_accept(client: TestClient) -> None:
    """Slugs, codes and dates show their pattern; money and percents are decimal strings
    (a JSON number is refused, so the document must not offer one)."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    company, money, tariff = schemas["CompanyIn"], schemas["MoneyIn"], schemas["TariffIn"]
    assert company["properties"]["slug"]["pattern"] == "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    assert {"type": "string", "pattern": "^[A-Z]{2}$"} in company["properties"]["country"]["anyOf"]
    assert money["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert money["properties"]["amount"]["type"] == "string"
    assert "pattern" in money["properties"]["amount"]
    rate = tariff["properties"]["rate_pct"]["anyOf"]
    assert [option["type"] for option in rate] == ["string", "null"]
    assert "pattern" in tariff["properties"]["effective_on"]["anyOf"][0]


# What a bundle would load by itself: an image's src, a stylesheet's url(), a fetch.
_LOADS = re.compile(r"""(?:src:|url\(|fetch\()\s*["']?(https?://[^"')\s]+)""")


def test_neither_docs_page_nor_their_bundles_load_anything_from_another_origin(
    client: TestClient,
) -> None:
    """The CSP would block such a load; nothing should try one (SPEC: the docs work offline,
    with no CDN)."""
    bundles = []
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert not _LOADS.findall(page.text), path
        bundles += [a for a in re.findall(r'src="([^"]+\.js)"', page.text)]
        bundles += [a for a in re.findall(r'href="([^"]+\.css)"', page.text)]
    assert len(bundles) == 3, bundles  # Swagger UI script and style, ReDoc script
    for bundle in bundles:
        answer = client.get(bundle)
        assert answer.status_code == 200, bundle
        assert not _LOADS.findall(answer.text), bundle
    # Swagger UI's one default load elsewhere, the validator badge on a host other than
    # localhost, is turned off.
    assert '"validatorUrl": null' in client.get("/docs").text


def test_redoc_starts_with_no_inline_script_and_its_csp_allows_none(client: TestClient) -> None:
    page = client.get("/redoc")
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/redoc/redoc.standalone.js">']
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
