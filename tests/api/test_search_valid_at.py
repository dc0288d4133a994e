"""Search under ``valid_at``: a hit is kept when its resource's own list shows it on the
date, and says the ``validity`` that list gives it."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_curation_tariffs import RATE, cite, curator_with_article
from tests.conftest import Curator
from tests.helpers import SEED_DAY, assert_problem, get_data, just_before, walk_pages

__all__ = ["curator_with_article"]  # the fixture, used by name

WORDS = ["Nissan", "Honda", "Espinosa", "tariff", "plants", "talks", "merger", "discussing"]
DAYS = ["2015-01-01", "2023-06-01", "2024-06-01", "2025-01-01", "2025-05-01", SEED_DAY]
LISTS = {
    "company": "/v1/companies",
    "executive": "/v1/executives",
    "partnership": "/v1/partnerships",
    "tariff": "/v1/tariffs",
    "restructuring_plan": "/v1/restructuring-plans",
    "statement": "/v1/statements",
}
SLUGGED = {"company", "executive"}
# An item by its type and the key of its URL: a company's or an executive's slug, the id
# of anything else (a plant's hit links to its company's plants: the plant's own id).
Item = tuple[str, str]


def _listed(client: TestClient, time: dict[str, str]) -> dict[Item, str]:
    """What the lists show under ``time``, each item with its validity (a tariff listed
    in several rows: the most certain of them)."""
    listed: dict[Item, str] = {}
    for doc_type, path in LISTS.items():
        for row in walk_pages(client, path, time, limit=200):
            item = (doc_type, row["slug"] if doc_type in SLUGGED else str(row["id"]))
            if listed.get(item) != "certain":
                listed[item] = row["validity"]
    # A plant is listed under its company, which need only possibly hold.
    possibly = {name: value for name, value in time.items() if name != "validity"}
    for company in walk_pages(client, "/v1/companies", possibly, limit=200):
        plants = f"/v1/companies/{company['slug']}/plants"
        for row in walk_pages(client, plants, time, limit=200):
            listed[("plant", str(row["id"]))] = row["validity"]
    return listed


def _hits(client: TestClient, q: str, **params: str) -> dict[Item, str | None]:
    """The hits for ``q``, each with its validity (None where it has none)."""
    hits = get_data(client, "/v1/search", q=q, **params)
    return {_item(hit): hit.get("validity") for hit in hits}


def _item(hit: dict[str, Any]) -> Item:
    return (hit["type"], str(hit["id"] if hit["type"] == "plant" else hit["key"]))


def assert_hits_are_the_lists(client: TestClient, words: list[str], time: dict[str, str]) -> None:
    """For each word, the hits under ``time`` are the hits without valid_at whose
    resources the lists show under ``time``, with the validity the lists give them."""
    listed = _listed(client, time)
    recorded = {name: value for name, value in time.items() if name in ("known_at", "as_of")}
    for q in words:
        every = _hits(client, q, **recorded)
        assert all(label is None for label in every.values())
        expected = {item: listed[item] for item in every if item in listed}
        assert _hits(client, q, **time) == expected, (q, time)


@pytest.mark.parametrize("validity", [None, "certain"])
@pytest.mark.parametrize("day", DAYS)
def test_hits_are_what_the_lists_show_on_the_date(
    client: TestClient, day: str, validity: str | None
) -> None:
    time = {"valid_at": day, **({"validity": validity} if validity else {})}
    assert all(_hits(client, q) for q in WORDS)
    assert_hits_are_the_lists(client, WORDS, time)


def test_the_seed_at_its_dates(client: TestClient) -> None:
    # The partnerships on 2025-01-01 (docs/api.md): the merger and the U.S. talks possibly,
    # the 2024 agreement certainly; on 2023-06-01 none.
    words, partnership = "Honda Nissan", {"type": "partnership"}
    found = _hits(client, words, valid_at="2025-01-01", **partnership)
    assert sorted(found.values()) == ["certain", "possible", "possible"]
    certain = _hits(client, words, valid_at="2025-01-01", validity="certain", **partnership)
    assert certain == {item: label for item, label in found.items() if label == "certain"}
    assert _hits(client, words, valid_at="2023-06-01", **partnership) == {}
    # Espinosa, CEO of Nissan since April 2025, and what he said on the article's day.
    espinosa = ("executive", "ivan-espinosa")
    assert _hits(client, "Espinosa", valid_at=SEED_DAY)[espinosa] == "certain"
    said = _hits(client, "Espinosa", type="statement", valid_at=SEED_DAY)
    assert said and set(said.values()) == {"certain"}
    # Without valid_at a hit has no validity field, and validity alone changes nothing.
    assert all("validity" not in hit for hit in get_data(client, "/v1/search", q="Nissan"))
    assert _hits(client, "Nissan", validity="certain") == _hits(client, "Nissan")
    # A source holds no valid time: a hit without valid_at, none under it.
    assert ("source", "2025-11-14-honda-nissan") in _hits(client, "Espinosa")
    assert not any(kind == "source" for kind, _ in _hits(client, "Espinosa", valid_at=SEED_DAY))
    assert _hits(client, "Espinosa", type="source", valid_at=SEED_DAY) == {}


def test_pages_walk_under_valid_at(client: TestClient) -> None:
    params = {"q": "Nissan", "valid_at": "2025-01-01"}
    whole = get_data(client, "/v1/search", **params)
    assert len(whole) > 3
    assert len(whole) < len(get_data(client, "/v1/search", q="Nissan"))
    # Every page full, the cursor walking on from where the last one ended.
    assert walk_pages(client, "/v1/search", params, limit=2) == whole
    response = client.get("/v1/search", params={**params, "limit": 1})
    assert "valid_at=2025-01-01" in response.headers["Link"]


@pytest.mark.parametrize("value", ["2025-13-01", "2025-02-30", "yesterday", "20250101"])
def test_a_bad_valid_at_is_a_422(client: TestClient, value: str) -> None:
    response = client.get("/v1/search", params={"q": "Nissan", "valid_at": value})
    assert_problem(response, 422, field="valid_at")


def test_a_bad_validity_is_a_422(client: TestClient) -> None:
    params = {"q": "Nissan", "valid_at": SEED_DAY, "validity": "sure"}
    assert_problem(client.get("/v1/search", params=params), 422, field="validity")


def test_valid_at_with_known_at_and_as_of(curator_with_article: Curator) -> None:
    """A rate change keeps the old rate as a version of the tariff, valid until the new
    one took effect: search finds the tariff on each side of it, as the list does, and at
    an instant before the change, what was recorded then."""
    client, curator = curator_with_article.client, curator_with_article
    [tariff] = [t for t in get_data(client, "/v1/tariffs") if t["rate_pct"] == "15"]
    path = f"/v1/tariffs/{tariff['id']}"
    headers = {**curator.headers, "If-Match": client.get(path).headers["ETag"]}
    body = {"rate_pct": "10", "effective_on": "2026-01-01", "citations": cite(RATE)}
    response = client.patch(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    before = just_before(response.json()["recorded_from"])
    words = ["tariff", "Nissan"]
    for day in ("2025-11-13", "2025-12-01", "2026-02-01"):
        for more in ({}, {"known_at": "2026-01-09"}, {"as_of": before}, {"validity": "certain"}):
            assert_hits_are_the_lists(client, words, {"valid_at": day, **more})
    item = ("tariff", str(tariff["id"]))
    assert item in _hits(client, "tariff", valid_at="2025-12-01")
    assert item in _hits(client, "tariff", valid_at="2026-02-01")
    assert item in _hits(client, "tariff", valid_at="2026-02-01", as_of=before)
    assert _hits(client, "Nissan", valid_at=SEED_DAY, as_of="2000-01-01") == {}
