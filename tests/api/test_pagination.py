"""Every list pages the same way: walking it one row at a time visits each row once."""

import base64
import json

import pytest
from fastapi.testclient import TestClient

from tests.helpers import assert_problem, walk_pages

LISTS: dict[str, list[str]] = {
    "/v1/companies": ["name", "-name", "slug", "-slug", "id", "-id"],
    "/v1/executives": ["name", "-name", "slug", "id"],
    "/v1/partnerships": ["id", "-id", "title", "-title"],
    "/v1/tariffs": ["id", "-id", "product"],
    "/v1/restructuring-plans": ["id", "-id"],
    "/v1/sources": ["published_on", "-published_on", "slug", "id"],
    "/v1/facts": ["id", "-id"],
    "/v1/companies/nissan/executives": [],
    "/v1/companies/honda/partnerships": [],
    "/v1/companies/nissan/tariff-impacts": [],
    "/v1/companies/nissan/restructuring-plans": [],
    "/v1/companies/nissan/financial-results": [],
    "/v1/companies/honda/plants": [],
}
CASES = [(path, sort) for path, sorts in LISTS.items() for sort in [None, *sorts]]


@pytest.mark.parametrize(("path", "sort"), CASES)
def test_walking_with_limit_1_visits_every_row_once(
    client: TestClient, path: str, sort: str | None
) -> None:
    params = {"sort": sort} if sort else {}
    whole = client.get(path, params={**params, "limit": 200}).json()
    assert whole["next_cursor"] is None
    assert whole["data"], f"{path} is empty in the seed"
    walked = walk_pages(client, path, params)
    as_text = [json.dumps(row, sort_keys=True) for row in walked]
    assert len(set(as_text)) == len(as_text), "a row was visited twice"
    assert walked == whole["data"], "walking gave other rows or another order"


@pytest.mark.parametrize("path", LISTS)
def test_the_same_page_rules_hold_everywhere(client: TestClient, path: str) -> None:
    assert_problem(client.get(path, params={"limit": 0}), 422, field="limit")
    assert_problem(client.get(path, params={"limit": 201}), 422, field="limit")
    assert_problem(client.get(path, params={"limit": "ten"}), 422, field="limit")
    assert_problem(client.get(path, params={"cursor": "garbage!"}), 422, field="cursor")
    assert_problem(client.get(path, params={"cursor": "W10"}), 422, field="cursor")  # "[]"
    assert_problem(client.get(path, params={"cursor": "x" * 5000}), 422, field="cursor")
    assert_problem(client.get(path, params={"sort": "no_such_key"}), 422, field="sort")
    assert_problem(client.get(path, params={"include": "everything"}), 422, field="include")
    assert client.get(path, params={"limit": 200}).status_code == 200


def test_a_cursor_only_serves_the_sort_it_was_made_for(client: TestClient) -> None:
    first = client.get("/v1/companies", params={"limit": 1, "sort": "name"}).json()
    assert first["next_cursor"]
    response = client.get(
        "/v1/companies", params={"limit": 1, "sort": "-name", "cursor": first["next_cursor"]}
    )
    assert_problem(response, 422, field="cursor")


def test_a_forged_cursor_value_of_the_wrong_type_is_refused(client: TestClient) -> None:
    forged = base64.urlsafe_b64encode(b'["name",{"x":1},3]').decode().rstrip("=")
    assert_problem(client.get("/v1/companies", params={"cursor": forged}), 422, field="cursor")


def _forged(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "params", "param", "payload"),
    [
        # PostgreSQL cannot bind a string holding NUL; a lone surrogate is not UTF-8 at all.
        ("/v1/companies", {"sort": "name"}, "cursor", '["name","\\u0000",1]'),
        ("/v1/companies", {"sort": "name"}, "cursor", '["name","\\ud800",1]'),
        ("/v1/executives", {"sort": "slug"}, "cursor", '["slug","a\\u0000",1]'),
        # A search score past float range, or not a number at all.
        ("/v1/search", {"q": "honda"}, "cursor", '["search",' + "9" * 400 + ",1]"),
        ("/v1/search", {"q": "honda"}, "cursor", '["search",1e999,1]'),
        ("/v1/search", {"q": "honda"}, "cursor", '["search",NaN,1]'),
        ("/v1/search", {"q": "honda"}, "cursor", '["search",-Infinity,1]'),
        ("/v1/changes", {}, "since", '["changes",' + "9" * 400 + ",1]"),
        ("/v1/changes", {}, "since", '["changes","\\u0000",1]'),
    ],
)
def test_a_forged_cursor_no_database_could_bind_is_refused(
    client: TestClient, path: str, params: dict[str, str], param: str, payload: str
) -> None:
    response = client.get(path, params={**params, param: _forged(payload)})
    assert_problem(response, 422, field=param)


def test_default_limit_is_50(client: TestClient) -> None:
    # The seed is smaller than a page, so the default shows everything without a cursor.
    body = client.get("/v1/facts").json()
    assert len(body["data"]) <= 50
    if len(body["data"]) == 50:
        assert body["next_cursor"]
