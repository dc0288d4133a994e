"""Sources: the seed article read back whole, the list without texts, filters, sorts, known_at."""

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import ROOT
from tests.helpers import (
    assert_problem,
    assert_slugs_in_order,
    client_for_facts,
    get_data,
    get_slugs,
)

SLUG = "2025-11-14-honda-nissan"
ARTICLE = ROOT / "seed" / "article-2025-11-14-honda-nissan.txt"


def _slugs(client: TestClient, **params: Any) -> list[str]:
    return get_slugs(client, "/v1/sources", **params)


# -- the seed ---------------------------------------------------------------------------------


def test_list_shows_the_article_without_its_text(client: TestClient) -> None:
    (row,) = get_data(client, "/v1/sources")
    assert row["slug"] == SLUG
    assert row["published_on"] == "2025-11-14"
    assert row["reported_by"] == "Nikkei Asia"
    assert row["title"].startswith("Honda and Nissan, longtime potential dance partners")
    assert row["publisher"] is None and row["url"] is None
    assert "text" not in row
    assert row["sha256"] == hashlib.sha256(ARTICLE.read_text(encoding="utf-8").encode()).hexdigest()


def test_detail_by_id_and_by_slug_carries_the_full_text(client: TestClient) -> None:
    (row,) = get_data(client, "/v1/sources")
    by_slug = client.get(f"/v1/sources/{SLUG}")
    by_id = client.get(f"/v1/sources/{row['id']}")
    assert by_slug.status_code == by_id.status_code == 200
    body = by_slug.json()
    assert body == by_id.json()
    assert body["text"] == ARTICLE.read_text(encoding="utf-8")
    assert hashlib.sha256(body["text"].encode()).hexdigest() == body["sha256"]
    assert {k: v for k, v in body.items() if k != "text"} == row


def test_every_citation_points_into_the_text(client: TestClient) -> None:
    text = client.get(f"/v1/sources/{SLUG}").json()["text"]
    roles = client.get("/v1/executives/ivan-espinosa").json()["roles"]
    for citation in roles[0]["citations"]:
        span = text[citation["start_offset"] : citation["end_offset"]]
        assert span.split() == citation["quote"].split()


def test_filters_and_known_at(client: TestClient) -> None:
    assert _slugs(client, reported_by="Nikkei Asia") == [SLUG]
    assert _slugs(client, reported_by="nikkei asia") == []
    assert _slugs(client, known_at="2025-11-14") == [SLUG]
    assert _slugs(client, known_at="2025-11-13") == []
    assert_problem(client.get(f"/v1/sources/{SLUG}", params={"known_at": "2025-11-13"}), 404)
    assert client.get(f"/v1/sources/{SLUG}", params={"known_at": "2025-11-14"}).status_code == 200


def test_errors(client: TestClient) -> None:
    assert_problem(client.get("/v1/sources/no-such-article"), 404)
    assert_problem(client.get("/v1/sources/999999"), 404)
    assert_problem(client.get("/v1/sources/99999999999999999999999999"), 404)
    assert_problem(client.get("/v1/sources/Not_A_Slug"), 422)
    assert_problem(client.get("/v1/sources", params={"sort": "title"}), 422, field="sort")
    assert_problem(client.get("/v1/sources", params={"include": "text"}), 422, field="include")
    assert_problem(client.get("/v1/sources", params={"known_at": "soon"}), 422, field="known_at")
    assert_problem(client.get("/v1/sources", params={"known_at": "0"}), 422, field="known_at")
    assert_problem(
        client.get("/v1/sources", params={"reported_by": "Nikkei\x00"}), 422, field="reported_by"
    )
    assert_problem(client.get("/v1/sources", params={"reported_by": "x" * 201}), 422)


# -- several sources: sorts and pages ---------------------------------------------------------


def _source(slug: str, published_on: str, reported_by: str | None) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": f"Article {slug}",
        "published_on": published_on,
        "reported_by": reported_by,
        "text": f"The text of {slug}.",
    }


# Ids, slugs and publication dates sort three different ways.
FACTS = {
    "format": "autofacts/v1",
    "sources": [
        _source("b-wire", "2025-01-10", "Wire"),
        _source("a-paper", "2024-06-01", "Paper"),
        _source("c-old", "2023-01-01", None),
        _source("d-paper", "2024-06-01", "Paper"),
    ],
}


@pytest.fixture(scope="module")
def several(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_for_facts(tmp_path_factory, "sources", FACTS) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Equal dates fall back to the id.
        (None, ["c-old", "a-paper", "d-paper", "b-wire"]),
        ("-published_on", ["b-wire", "d-paper", "a-paper", "c-old"]),
        ("slug", ["a-paper", "b-wire", "c-old", "d-paper"]),
        ("-slug", ["d-paper", "c-old", "b-wire", "a-paper"]),
        ("id", ["b-wire", "a-paper", "c-old", "d-paper"]),
        ("-id", ["d-paper", "c-old", "a-paper", "b-wire"]),
    ],
)
def test_sorts_page_one_row_at_a_time(
    several: TestClient, sort: str | None, expected: list[str]
) -> None:
    params = {"sort": sort} if sort else {}
    assert_slugs_in_order(several, "/v1/sources", expected, **params)


def test_several_filtered(several: TestClient) -> None:
    assert _slugs(several, reported_by="Paper") == ["a-paper", "d-paper"]
    assert _slugs(several, known_at="2024-06-01") == ["c-old", "a-paper", "d-paper"]
    assert _slugs(several, known_at="2024-05-31", sort="-published_on") == ["c-old"]
    assert _slugs(several, reported_by="Wire", known_at="2024-12-31") == []
    assert several.get("/v1/sources/b-wire").json()["text"] == "The text of b-wire."
