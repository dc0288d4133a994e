"""Search finds what people type, ranks sensibly, and never chokes on hostile input."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.core.pagination import PageParams
from app.models.search import TITLE_LENGTH
from app.services import search
from tests.conftest import Curator
from tests.helpers import (
    POSTGRES_URL,
    SEED_DAY,
    assert_problem,
    get_data,
    just_before,
    last_write_at,
    today,
    walk_pages,
    yesterday,
)


def _search(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    return get_data(client, "/v1/search", **params)


def test_espinosa_finds_the_executive_with_a_highlighted_snippet(client: TestClient) -> None:
    hits = _search(client, q="Espinosa")
    assert hits[0]["type"] == "executive"
    assert hits[0]["key"] == "ivan-espinosa"
    assert hits[0]["url"] == "/v1/executives/ivan-espinosa"
    assert "<mark>Espinosa</mark>" in hits[0]["snippet"]
    assert client.get(hits[0]["url"]).status_code == 200
    # The article mentions him too, with the sentence around the match.
    source_hits = [h for h in hits if h["type"] == "source"]
    assert source_hits and "<mark>Espinosa</mark>" in source_hits[0]["snippet"]


@pytest.mark.parametrize(
    ("q", "doc_type", "key"),
    [
        ("Marysville", "plant", "honda"),
        ("tariff", "tariff", None),
        ("recovery plan", "restructuring_plan", None),
        ("BYD", "company", "byd"),
        ("cross-shareholding", "partnership", None),
    ],
)
def test_common_queries_find_their_resource(
    client: TestClient, q: str, doc_type: str, key: str | None
) -> None:
    hits = _search(client, q=q)
    matching = [h for h in hits if h["type"] == doc_type]
    assert matching, hits
    if key is not None:
        assert matching[0]["key"] == key
    for hit in hits:
        assert client.get(hit["url"]).status_code == 200, hit["url"]


def test_a_name_in_the_title_outranks_a_mention_in_passing(client: TestClient) -> None:
    hits = _search(client, q="Nissan")
    assert hits[0]["type"] == "company" and hits[0]["key"] == "nissan"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_the_last_word_matches_as_a_prefix(client: TestClient) -> None:
    assert any(h["key"] == "ivan-espinosa" for h in _search(client, q="Espin"))


def test_type_filter(client: TestClient) -> None:
    hits = _search(client, q="Nissan", type="executive")
    assert hits and {h["type"] for h in hits} == {"executive"}
    assert_problem(client.get("/v1/search", params={"q": "x", "type": "boat"}), 422, field="type")


def test_all_words_must_match(client: TestClient) -> None:
    assert _search(client, q="Marysville", type="plant")
    assert _search(client, q="Marysville Espinosa", type="plant") == []


def test_search_pages_like_every_list(client: TestClient) -> None:
    whole = _search(client, q="Nissan")
    assert len(whole) > 2
    walked = walk_pages(client, "/v1/search", {"q": "Nissan"}, max_pages=len(whole) + 1)
    assert walked == whole
    other_cursor = client.get("/v1/companies", params={"limit": 1}).json()["next_cursor"]
    response = client.get("/v1/search", params={"q": "Nissan", "cursor": other_cursor})
    assert_problem(response, 422, field="cursor")


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        "honda%",
        "hon_da",
        '"unbalanced',
        "NEAR(honda nissan)",
        "title:honda",
        "honda AND NOT nissan",
        "honda OR",
        "*",
        "^honda",
        "honda & !nissan | (",
        "'; DROP TABLE company; --",
        "\\",
        "ñandú 日本",
        "x" * 999,
    ],
)
def test_hostile_queries_never_fail(client: TestClient, q: str) -> None:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_problem(response, 422, field="q")
    assert client.get("/v1/companies/honda").status_code == 200


def test_query_operators_are_plain_words(client: TestClient) -> None:
    # "OR" is a word here, not an operator: nothing holds both "honda" and "or" and "byd".
    assert not any(h["key"] == "byd" for h in _search(client, q="honda OR byd"))


@pytest.mark.parametrize("q", ["", "x" * 10_000])
def test_empty_or_too_long_queries_are_422(client: TestClient, q: str) -> None:
    assert_problem(client.get("/v1/search", params={"q": q}), 422, field="q")


@pytest.mark.parametrize("q", ["%", "  ", "!!!", "\U0010f621"])
def test_queries_without_words_find_nothing(client: TestClient, q: str) -> None:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "next_cursor": None}


def test_missing_q_is_422(client: TestClient) -> None:
    assert_problem(client.get("/v1/search"), 422, field="q")


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's snippets (SQLite's come from FTS5)")
@pytest.mark.parametrize(
    "q",
    [
        "Espinosa",
        "tariffs",
        "powertrains",
        "Nissan Honda",
        "plants",
        "Espin",
        "pricing",
        "strategy",
    ],
)
def test_postgresql_snippets_read_only_the_text_around_a_match_and_lose_nothing(
    client: TestClient, seeded_engine: Engine, q: str
) -> None:
    """Each snippet is the one ts_headline picks from the document's whole text."""
    hits = _search(client, q=q)
    assert hits
    query = search.search_terms(q)
    with Session(seeded_engine) as session:
        match = search._match_expression(session, query)
        for hit in hits:
            whole = session.execute(
                text(
                    "SELECT ts_headline('english', body, to_tsquery('english', :match), "
                    "'StartSel=' || :open || ', StopSel=' || :close || ', MaxWords=30, "
                    "MinWords=10, MaxFragments=1') FROM search_document "
                    "WHERE doc_type = :type AND doc_id = :id"
                ),
                {"match": match, "open": search._OPEN, "close": search._CLOSE, **hit},
            ).scalar_one()
            assert hit["snippet"] == search._highlight(whole), hit


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's plans of prepared statements")
def test_postgresql_plans_each_search_for_its_words(seeded_engine: Engine) -> None:
    """A prepared ranking statement would keep one plan for every word, however common
    (see ``_planned_for_its_words``): it is never prepared, and the connection prepares
    other statements as before."""
    with Session(seeded_engine) as session:
        connection = session.connection()
        for q in ["Espinosa", "tariff", "Nissan"] * 4:
            assert search.search(session=session, q=q, doc_type=None, page=PageParams()).data
        prepared = connection.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements"
        ).scalars()
        assert not [s for s in prepared if "ts_rank_cd" in s]
        assert connection.connection.driver_connection.prepare_threshold == 5  # type: ignore[union-attr]


@pytest.mark.parametrize("recent_rows", [0, 3, 8, 10_000])
def test_the_ranked_window_is_the_newest_matches_wherever_they_lie(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, recent_rows: int
) -> None:
    """Whether the newest matches lie among the newest documents or far back (PostgreSQL
    looks among ``RECENT_ROWS`` newest documents first), the hits, all pages of them, are
    the ``RANK_WINDOW`` newest matching documents, best first."""
    monkeypatch.setattr(search, "RANK_WINDOW", 5)
    monkeypatch.setattr(search, "RECENT_ROWS", recent_rows)
    with Session(seeded_engine) as session:
        terms = search.search_terms("Nissan")
        match = search._match_expression(session, terms)
        if seeded_engine.dialect.name == "sqlite":
            matching = "SELECT rowid FROM search_fts WHERE search_fts MATCH :match"
        else:
            matching = "SELECT id FROM search_document WHERE tsv @@ to_tsquery('english', :match)"
        every = session.execute(text(matching), {"match": match}).scalars().all()
        assert len(every) > 5
        newest = sorted(every, reverse=True)[:5]
        documents = dict(
            session.execute(text("SELECT id, doc_type || ':' || doc_id FROM search_document")).all()
        )
        found, cursor = [], None
        while True:
            page = search.search(
                session=session, q="Nissan", doc_type=None, page=PageParams(limit=2, cursor=cursor)
            )
            found += page.data
            cursor = page.next_cursor
            if cursor is None:
                break
    assert sorted(f"{hit.type.value}:{hit.id}" for hit in found) == sorted(
        documents[id_] for id_ in newest
    )
    scores = [hit.score for hit in found]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(("window", "found"), [(2, 2), (5, 4)])
def test_on_sqlite_a_last_word_that_fills_the_window_as_typed_is_no_prefix(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, window: int, found: int
) -> None:
    """FTS5 merges all of a prefix's matches before ranking the newest: a last word whose
    own matches fill the ranked window is searched as typed (the seed has "plan" in two
    documents); a word that does not fill it stays a prefix ("plant", "planned": four)."""
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads a prefix's matches as it reads a word's")
    monkeypatch.setattr(search, "RANK_WINDOW", window)
    with Session(seeded_engine) as session:
        hits = search.search(session=session, q="plan", doc_type=None, page=PageParams()).data
    assert len(hits) == min(window, found)
    assert all("<mark>" in hit.snippet for hit in hits)
    if found == 2:
        marked = re.findall(r"<mark>([^<]*)</mark>", " ".join(hit.snippet for hit in hits))
        assert {word.lower() for word in marked} <= {"plan", "plans"}


def test_a_title_longer_than_a_hit_holds_is_cut_to_fit(curator: Curator) -> None:
    """A source's title may hold 500 characters, a search document's 300 (PostgreSQL
    refused the longer one: a 500 on PATCH)."""
    title = "Longtitle " + "x" * 489
    response = curator.client.patch(
        "/v1/sources/2025-11-14-honda-nissan", json={"title": title}, headers=curator.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == title
    [hit] = _search(curator.client, q="Longtitle", type="source")
    assert hit["title"] == title[:TITLE_LENGTH]


def test_search_answers_as_of_and_known_at(curator: Curator) -> None:
    """Search keeps the history fact rows keep: each state of a resource is found at the
    instants it was recorded for, and only once its source had been published."""
    client, path = curator.client, "/v1/companies/quillfeather"

    def keys(q: str, **params: str) -> list[str]:
        return [h["key"] for h in _search(client, q=q, type="company", **params)]

    body = {
        "slug": "quillfeather",
        "name": "Quillfeather Motors",
        "country": "CN",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [
            {
                "source": SEED_DAY + "-honda-nissan",
                "quote": "Chinese manufacturers like BYD are gaining ground with aggressive "
                "pricing",
            }
        ],
    }
    created = client.post("/v1/companies", json=body, headers=curator.headers)
    assert created.status_code == 201, created.text
    made = created.json()["recorded_from"]
    for found in ({}, {"as_of": made}, {"as_of": today().isoformat()}, {"known_at": SEED_DAY}):
        assert keys("Quillfeather", **found) == ["quillfeather"], found
    for missed in (
        {"as_of": yesterday()},
        {"as_of": just_before(made)},
        {"known_at": "2025-11-13"},
    ):
        assert keys("Quillfeather", **missed) == [], missed
    # Before anything was recorded: an empty page, not an error.
    assert _search(client, q="Nissan", as_of="2000-01-01") == []
    # A company stated with no dates possibly held on any day, so valid_at finds it too
    # (tests/api/test_search_valid_at.py holds search to the lists under valid_at).
    assert keys("Quillfeather", valid_at=SEED_DAY) == ["quillfeather"]

    patched = client.patch(path, json={"name": "Brightwater Motors"}, headers=curator.headers)
    assert patched.status_code == 200, patched.text
    renamed = patched.json()["recorded_from"]
    assert keys("Quillfeather", as_of=just_before(renamed)) == ["quillfeather"]
    assert keys("Brightwater", as_of=just_before(renamed)) == []
    for now in ({}, {"as_of": renamed}, {"known_at": SEED_DAY}):
        assert keys("Brightwater", **now) == ["quillfeather"], now
        assert keys("Quillfeather", **now) == [], now
    # Pages walk the same under as_of (the Link header keeps it).
    params = {"q": "Nissan", "as_of": just_before(renamed)}
    whole = _search(client, **params)
    assert len(whole) > 2
    assert walk_pages(client, "/v1/search", params, max_pages=len(whole) + 1) == whole

    assert client.delete(path, headers=curator.headers).status_code == 204
    deleted = last_write_at(client)
    assert keys("Brightwater", as_of=just_before(deleted)) == ["quillfeather"]
    assert keys("Brightwater") == keys("Brightwater", as_of=deleted) == []
    assert keys("Quillfeather", as_of=made) == ["quillfeather"]
