"""Writes: keys, verified quotes, history instead of erasure, the change feed, conditional
requests and idempotency. Each test writes to a seeded database of its own."""

import json
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.services import api_keys, changes
from tests.conftest import Curator
from tests.helpers import SEED_DAY, assert_problem, changes_since, feed_end, just_before

SOURCE = "2025-11-14-honda-nissan"
BYD_QUOTE = "Chinese manufacturers like BYD are gaining ground with aggressive pricing"


def _toyota(**overrides: Any) -> dict[str, Any]:
    # The article never names Toyota: a curator citing it anyway must be refused, so the
    # tests that need a new company quote a sentence that is there.
    body = {
        "slug": "chinese-manufacturers",
        "name": "Chinese manufacturers",
        "country": "CN",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [{"source": SOURCE, "quote": BYD_QUOTE}],
    }
    return body | overrides


# -- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nope", "Basic abc", "Bearer af_123_456", "Bearer "]
)
def test_writes_need_a_live_key(curator: Curator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    before = curator.counts()
    response = curator.client.post("/v1/companies", json=_toyota(), headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert curator.counts() == before


def test_a_revoked_key_stops_working(curator: Curator) -> None:
    with Session(curator.engine) as session:
        api_keys.revoke_api_key(session=session, name="curator")
    assert_problem(
        curator.client.post("/v1/companies", json=_toyota(), headers=curator.headers), 401
    )


def test_reads_stay_public(curator: Curator) -> None:
    assert curator.client.get("/v1/companies/honda").status_code == 200


# -- create --------------------------------------------------------------------------------


def test_create_returns_201_location_etag_and_is_readable_everywhere(curator: Curator) -> None:
    response = curator.client.post("/v1/companies", json=_toyota(), headers=curator.headers)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/v1/companies/chinese-manufacturers"
    created = response.json()
    assert created["name"] == "Chinese manufacturers" and created["certainty"] == "reported"
    [citation] = created["citations"]
    assert citation["quote"] == BYD_QUOTE
    read = curator.client.get(response.headers["Location"])
    assert read.json() == created
    assert read.headers["ETag"] == response.headers["ETag"]
    facts = curator.client.get("/v1/facts", params={"company": "chinese-manufacturers"}).json()
    assert [f["predicate"] for f in facts["data"]] == ["company"]
    hits = curator.client.get(
        "/v1/search", params={"q": "Chinese manufacturers", "type": "company"}
    )
    assert [h["key"] for h in hits.json()["data"]] == ["chinese-manufacturers"]


def test_a_duplicate_slug_is_409_and_changes_nothing(curator: Curator) -> None:
    before = curator.counts()
    response = curator.client.post(
        "/v1/companies", json=_toyota(slug="honda"), headers=curator.headers
    )
    assert_problem(response, 409)
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("citation", "field"),
    [
        ({"source": SOURCE, "quote": "Toyota leads the market"}, "quote"),
        ({"source": SOURCE, "quote": BYD_QUOTE.replace("BYD", "byd")}, "quote"),
        ({"source": "no-such-article", "quote": BYD_QUOTE}, "source"),
    ],
)
def test_a_quote_not_in_its_source_is_refused_by_name(
    curator: Curator, citation: dict[str, str], field: str
) -> None:
    before = curator.counts()
    body = _toyota(citations=[{"source": SOURCE, "quote": BYD_QUOTE}, citation])
    problem = assert_problem(
        curator.client.post("/v1/companies", json=body, headers=curator.headers), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "citations", 1, field]
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("quote", "why"),
    [(",", "no letter"), ("e", "cuts a word"), ("nda and Nis", "cuts a word")],
)
def test_a_quote_that_is_not_whole_words_is_refused_by_name(
    curator: Curator, quote: str, why: str
) -> None:
    """Every fact traces to the sentence it came from: a comma, a letter or a piece of
    two names is in the source, and traces to nothing."""
    before = curator.counts()
    body = {
        "company": "honda",
        "name": "Phantom plant",
        "city": "Nowhere",
        "country": "FR",
        "certainty": "confirmed",
        "citations": [{"source": SOURCE, "quote": BYD_QUOTE}, {"source": SOURCE, "quote": quote}],
    }
    response = curator.client.post("/v1/companies/honda/plants", json=body, headers=curator.headers)
    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert error["loc"] == ["body", "citations", 1, "quote"] and why in error["msg"]
    assert curator.counts() == before


@pytest.mark.parametrize(
    "body",
    [
        {"slug": "Not A Slug"},
        {"country": "China"},
        {"citations": []},
        {"certainty": "sure"},
        {"unknown": 1},
        {"name": "x" * 201},
    ],
)
def test_bad_values_are_field_errors(curator: Curator, body: dict[str, Any]) -> None:
    before = curator.counts()
    response = curator.client.post("/v1/companies", json=_toyota(**body), headers=curator.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"][0] == "body"
    assert curator.counts() == before


def test_a_body_that_is_not_json_is_a_400_naming_where_it_breaks(curator: Curator) -> None:
    """Not a value to correct (a 422) but a request that cannot be read: the 400 the
    document declares for it."""
    before = curator.counts()
    response = curator.client.post(
        "/v1/companies",
        content=b'{"slug": ',
        headers={**curator.headers, "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 400)
    assert [error["type"] for error in problem["errors"]] == ["json_invalid"]
    assert problem["errors"][0]["loc"][0] == "body"
    assert curator.counts() == before


# -- idempotency ---------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_response(curator: Curator) -> None:
    headers = {**curator.headers, "Idempotency-Key": "create-cm-1"}
    first = curator.client.post("/v1/companies", json=_toyota(), headers=headers)
    after_first = curator.counts()
    again = curator.client.post("/v1/companies", json=_toyota(), headers=headers)
    assert (again.status_code, again.json(), again.headers["Location"]) == (
        first.status_code,
        first.json(),
        first.headers["Location"],
    )
    assert curator.counts() == after_first


def test_the_same_key_with_another_body_is_422(curator: Curator) -> None:
    headers = {**curator.headers, "Idempotency-Key": "create-cm-2"}
    assert curator.client.post("/v1/companies", json=_toyota(), headers=headers).status_code == 201
    before = curator.counts()
    response = curator.client.post("/v1/companies", json=_toyota(name="Other"), headers=headers)
    assert_problem(response, 422)
    assert curator.counts() == before


# -- corrections keep history ---------------------------------------------------------------


def test_a_correction_keeps_the_old_state_answerable(curator: Curator) -> None:
    old = curator.client.get("/v1/companies/byd")
    response = curator.client.patch(
        "/v1/companies/byd",
        json={"description": None, "certainty": "reported"},
        headers={**curator.headers, "If-Match": old.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["description"] is None
    assert response.headers["ETag"] != old.headers["ETag"]
    assert curator.client.get("/v1/companies/byd").json() == response.json()
    corrected = response.json()["recorded_from"]
    before_it = {"as_of": just_before(corrected)}
    past = curator.client.get("/v1/companies/byd", params=before_it).json()
    # The old state, exactly as it was served before the correction.
    assert past == old.json()
    listed = curator.client.get("/v1/companies", params=before_it).json()["data"]
    assert [c for c in listed if c["slug"] == "byd"] == [
        {k: v for k, v in past.items() if k != "citations"}
    ]
    history = curator.client.get("/v1/facts", params={"company": "byd", **before_it}).json()
    assert [f["value"]["name"] for f in history["data"] if f["predicate"] == "company"] == ["BYD"]
    # known_at is what was reported by a day, as recorded now: the corrected state, still
    # reported when the article was.
    reported = curator.client.get("/v1/companies/byd", params={"known_at": SEED_DAY}).json()
    assert reported == response.json()


def test_a_stale_if_match_is_412_and_changes_nothing(curator: Curator) -> None:
    before = curator.counts()
    response = curator.client.patch(
        "/v1/companies/byd",
        json={"name": "BYD Auto"},
        headers={**curator.headers, "If-Match": '"stale"'},
    )
    assert_problem(response, 412)
    assert curator.counts() == before


def test_null_for_a_required_field_is_422(curator: Curator) -> None:
    assert_problem(
        curator.client.patch("/v1/companies/byd", json={"name": None}, headers=curator.headers),
        422,
    )


def test_two_concurrent_patches_with_one_etag_exactly_one_wins(curator: Curator) -> None:
    etag = curator.client.get("/v1/companies/byd").headers["ETag"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def patch(name: str) -> None:
        barrier.wait()
        response = curator.client.patch(
            "/v1/companies/byd",
            json={"name": name},
            headers={**curator.headers, "If-Match": etag},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=patch, args=(n,)) for n in ("BYD One", "BYD Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    assert curator.client.get("/v1/companies/byd").json()["name"] in ("BYD One", "BYD Two")


def test_delete_retracts_and_keeps_history(curator: Curator) -> None:
    created = curator.client.post("/v1/companies", json=_toyota(), headers=curator.headers)
    response = curator.client.delete(
        "/v1/companies/chinese-manufacturers",
        headers={**curator.headers, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 204 and response.content == b""
    assert_problem(curator.client.get("/v1/companies/chinese-manufacturers"), 404)
    past = curator.client.get(
        "/v1/companies/chinese-manufacturers",
        params={"as_of": created.json()["recorded_from"]},
    )
    assert past.status_code == 200
    assert past.json() == created.json()
    # The slug is free again for a new company.
    again = curator.client.post("/v1/companies", json=_toyota(), headers=curator.headers)
    assert again.status_code == 201


def test_a_company_with_current_facts_cannot_be_retracted(curator: Curator) -> None:
    before = curator.counts()
    assert_problem(curator.client.delete("/v1/companies/nissan", headers=curator.headers), 409)
    assert curator.counts() == before


# -- what the list counts follows every write ---------------------------------------------------

COMPANY_FACETS = ["country", "kind", "certainty"]


def _assert_counts_follow(curator: Curator) -> dict[str, Any]:
    """The list's total and facets, unfiltered and filtered, are the current companies'
    (its tally, kept by triggers, against a count of the companies themselves)."""
    with curator.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT country, kind, certainty FROM company WHERE known_to IS NULL")
        ).all()
    for filters in ({}, {"kind": "automaker"}, {"country": "CN"}):
        params = {"facet": COMPANY_FACETS, "count": "true", "limit": 1, **filters}
        body = curator.client.get("/v1/companies", params=params).json()
        matching = [
            dict(zip(COMPANY_FACETS, row, strict=True))
            for row in rows
            if all(dict(zip(COMPANY_FACETS, row, strict=True))[k] == v for k, v in filters.items())
        ]
        assert body["total"] == len(matching), filters
        for name in COMPANY_FACETS:
            listed = {facet["value"]: facet["count"] for facet in body["facets"][name]}
            assert listed == Counter(row[name] for row in matching), (filters, name)
    return body


def test_the_list_s_total_and_facets_follow_every_write(curator: Curator) -> None:
    _assert_counts_follow(curator)
    # Two first companies of a combination not tallied yet, sent at once (the writes take
    # their turn: the second finds the row the first made).
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def create(slug: str) -> None:
        barrier.wait()
        body = _toyota(slug=slug, country="KR", kind="startup")
        statuses.append(
            curator.client.post("/v1/companies", json=body, headers=curator.headers).status_code
        )

    threads = [threading.Thread(target=create, args=(s,)) for s in ("kr-one", "kr-two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201, 201]
    _assert_counts_follow(curator)
    # A correction moves one to another country and kind; a retraction takes the other.
    etag = curator.client.get("/v1/companies/kr-one").headers["ETag"]
    moved = curator.client.patch(
        "/v1/companies/kr-one",
        json={"country": "CN", "kind": "automaker"},
        headers={**curator.headers, "If-Match": etag},
    )
    assert moved.status_code == 200, moved.text
    etag = curator.client.get("/v1/companies/kr-two").headers["ETag"]
    retracted = curator.client.delete(
        "/v1/companies/kr-two", headers={**curator.headers, "If-Match": etag}
    )
    assert retracted.status_code == 204
    body = _assert_counts_follow(curator)
    # No current company is of Korea any longer: the value is not listed at zero.
    unfiltered = curator.client.get("/v1/companies", params={"facet": "country"}).json()
    assert "KR" not in {facet["value"] for facet in unfiltered["facets"]["country"]}
    assert body["total"] >= 1


# -- the change feed -------------------------------------------------------------------------


def test_the_feed_records_every_write_in_order_and_mirrors_the_api(curator: Curator) -> None:
    # The feed starts with the seed's import; the curator's writes follow it.
    assert {c["actor"] for c in changes_since(curator.client)} == {"import"}
    cursor = feed_end(curator.client)
    etag = curator.client.get("/v1/companies/byd").headers["ETag"]
    curator.client.post("/v1/companies", json=_toyota(), headers=curator.headers)
    curator.client.patch(
        "/v1/companies/byd",
        json={"name": "BYD Auto"},
        headers={**curator.headers, "If-Match": etag},
    )
    curator.client.delete("/v1/companies/chinese-manufacturers", headers=curator.headers)
    # A refused write leaves no change behind.
    curator.client.post("/v1/companies", json=_toyota(slug="honda"), headers=curator.headers)

    mirror: dict[str, Any] = {}
    seen: list[tuple[str, str]] = []
    for _ in range(10):
        page = curator.client.get("/v1/changes", params={"since": cursor, "limit": 1}).json()
        for change in page["data"]:
            seen.append((change["operation"], change["resource_id"]))
            assert change["actor"] == "curator"
            if change["after"] is None:
                mirror.pop(change["resource_id"], None)
            else:
                mirror[change["resource_id"]] = change["after"]
        cursor = page["next_cursor"]
        if not page["has_more"] and not page["data"]:
            break
    assert seen == [
        ("create", "chinese-manufacturers"),
        ("update", "byd"),
        ("delete", "chinese-manufacturers"),
    ]
    assert mirror == {"byd": curator.client.get("/v1/companies/byd").json()}
    # Polling again from the end gives nothing new, and the cursor holds.
    tail = curator.client.get("/v1/changes", params={"since": cursor}).json()
    assert tail["data"] == [] and tail["next_cursor"] == cursor
    assert_problem(curator.client.get("/v1/changes", params={"since": "junk"}), 422, field="since")


def test_the_feed_links_to_its_next_page_while_it_has_more(curator: Curator) -> None:
    """Like every list, the feed sends ``Link: <…>; rel="next"`` (its cursor is ``since``)
    exactly when there is a next page, ``has_more``; at the end ``next_cursor`` is still
    given, to poll with, but there is no next page to link to."""
    since = feed_end(curator.client)  # after the seed's import
    for slug in ("toyota", "mazda"):
        created = curator.client.post(
            "/v1/companies", json=_toyota(slug=slug), headers=curator.headers
        )
        assert created.status_code == 201, created.text
    url: str | None = "/v1/changes?" + urlencode({"limit": 1, "since": since})
    seen = []
    while url is not None:
        response = curator.client.get(url)
        page = response.json()
        seen += [change["resource_id"] for change in page["data"]]
        link = response.headers.get("Link")
        if not page["has_more"]:
            assert link is None
            break
        assert link is not None and link.endswith('>; rel="next"'), link
        url = link[1 : link.index(">")]
        assert parse_qs(urlsplit(url).query) == {"limit": ["1"], "since": [page["next_cursor"]]}
    assert seen == ["toyota", "mazda"]


def test_a_write_failing_half_way_leaves_no_trace(
    curator: Curator, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = curator.counts()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # The company, its citation and fact row are written before the change log fails.
    monkeypatch.setattr("app.services.writing.record_change", broken)
    headers = {**curator.headers, "Idempotency-Key": "half-way"}
    response = curator.client.post("/v1/companies", json=_toyota(), headers=headers)
    assert_problem(response, 500)
    assert curator.counts() == before
    monkeypatch.setattr("app.services.writing.record_change", changes.record_change)
    assert curator.client.post("/v1/companies", json=_toyota(), headers=headers).status_code == 201


@pytest.mark.parametrize("name", ["nul\u0000here", "nul\\u0000escaped"])
def test_nul_in_a_body_is_422_not_500(curator: Curator, name: str) -> None:
    before = curator.counts()
    response = curator.client.post(
        "/v1/companies", json=_toyota(name=name), headers=curator.headers
    )
    if "\\" in name:  # a literal backslash-u sequence in the text is fine
        assert response.status_code == 201
    else:
        assert_problem(response, 422)
        assert curator.counts() == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("lone \ud800 high half", 422),
        ("lone \udfff low half", 422),
        ("halves \udc00\ud800 in the wrong order", 422),
        ("a pair \U0001f697 is one character", 201),
        ("a literal \\ud800 is text", 201),
    ],
)
def test_a_lone_surrogate_in_a_body_is_422_not_500(
    curator: Curator, name: str, status: int
) -> None:
    """JSON can spell a lone UTF-16 surrogate (\\ud800), which is not text either database
    stores; a pair is how ASCII-only JSON spells a character beyond U+FFFF."""
    before = curator.counts()
    response = curator.client.post(
        "/v1/companies",
        content=json.dumps(_toyota(name=name)),  # ASCII-only: every surrogate escaped
        headers={**curator.headers, "Content-Type": "application/json"},
    )
    if status == 201:
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
    else:
        assert_problem(response, 422, field="body")
        assert curator.counts() == before
