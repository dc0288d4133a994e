"""Partnership writes: a status change that keeps the old status answerable, creates with
members, statuses and scope, members and scope rows added and retracted, and the change log
of it all. Each test writes to a seeded database of its own."""

from typing import Any

import pytest
from sqlmodel import Session

from app.importer import import_facts, parse_facts
from tests.conftest import Curator
from tests.helpers import (
    assert_problem,
    changes_since,
    feed_end,
    get_data,
    just_before,
    today,
    yesterday,
)

SOURCE = "2025-11-14-honda-nissan"
US_TALKS = "honda-nissan-us-collaboration"

# A second article, published today: what it says is our sources' word from today on.
NEWS = "honda-nissan-sign-us-deal"
SIGNED_QUOTE = "Honda and Nissan signed their U.S. collaboration agreement on October 1, 2026."
SIGNED_ON = "2026-10-01"
DAY_BEFORE = "2026-09-30"

POOLING_QUOTE = "pooling resources becomes a logical, even vital strategy"
AVENUES_QUOTE = "Among the avenues mentioned are co-development of platforms"
NO_TIES_QUOTE = "We are not talking about integration or capital ties."
BYD_QUOTE = "Chinese manufacturers like BYD are gaining ground with aggressive pricing"


def _cite(quote: str, source: str = SOURCE) -> list[dict[str, str]]:
    return [{"source": source, "quote": quote}]


def _add_news(curator: Curator) -> None:
    facts = {
        "format": "autofacts/v1",
        "sources": [
            {
                "slug": NEWS,
                "title": "Honda and Nissan sign their U.S. deal",
                "published_on": today().isoformat(),
                "text": f"{SIGNED_QUOTE} The talks had lasted most of 2025 and 2026.",
            }
        ],
    }
    with Session(curator.engine) as session:
        import_facts(session, parse_facts(facts))


def _signed(**overrides: Any) -> dict[str, Any]:
    body = {
        "status": "signed",
        "valid_from": SIGNED_ON,
        "certainty": "confirmed",
        "citations": _cite(SIGNED_QUOTE, NEWS),
    }
    return body | overrides


def _pooling(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "honda-nissan-pooling",
        "title": "Honda\u2013Nissan resource pooling",
        "members": ["honda", "nissan"],
        "announced_on": "2025-11",
        "notes": "Pooling resources against aggressive pricing.",
        "certainty": "reported",
        "citations": _cite(POOLING_QUOTE),
        "statuses": [
            {
                "status": "proposed",
                "valid_from": "2025-11",
                "certainty": "reported",
                "citations": _cite(POOLING_QUOTE),
            }
        ],
        "scope": [
            {
                "area": "platform co-development",
                "certainty": "reported",
                "citations": _cite(AVENUES_QUOTE),
            }
        ],
        "excluded": [
            {"area": "merger", "certainty": "excluded", "citations": _cite(NO_TIES_QUOTE)}
        ],
    }
    return body | overrides


def _id(curator: Curator, slug: str = US_TALKS) -> int:
    (row,) = [r for r in get_data(curator.client, "/v1/partnerships") if r["slug"] == slug]
    return int(row["id"])


def _detail(curator: Curator, partnership_id: int, **params: Any) -> dict[str, Any]:
    response = curator.client.get(f"/v1/partnerships/{partnership_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _etag(curator: Curator, partnership_id: int) -> str:
    return curator.client.get(f"/v1/partnerships/{partnership_id}").headers["ETag"]


def _ids(curator: Curator, path: str = "/v1/partnerships", **params: Any) -> list[int]:
    return [row["id"] for row in get_data(curator.client, path, **params)]


def _history(body: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(s["status"], s["valid_from"], s["valid_to"]) for s in body["status_history"]]


# -- status changes ---------------------------------------------------------------------------


def test_the_us_talks_are_signed_and_the_talks_stay_answerable(curator: Curator) -> None:
    _add_news(curator)
    talks = _id(curator)
    response = curator.client.post(
        f"/v1/partnerships/{talks}/statuses", json=_signed(), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/partnerships/{talks}"
    body = response.json()
    read = curator.client.get(response.headers["Location"])
    assert read.json() == body and read.headers["ETag"] == response.headers["ETag"]

    assert body["status"] == "signed"
    assert _history(body) == [("in_talks", "2025", SIGNED_ON), ("signed", SIGNED_ON, None)]
    assert body["status_history"][1]["citations"][0]["quote"] == SIGNED_QUOTE
    # The old row keeps its quotes: only its end was added.
    assert "active discussions" in body["status_history"][0]["citations"][0]["quote"]

    # What was true the day before the signing: still in talks.
    before = _detail(curator, talks, valid_at=DAY_BEFORE)
    assert before["status"] == "in_talks"
    assert _history(before) == [("in_talks", "2025", SIGNED_ON)]
    # What we had recorded before the signing: in talks, and no end in sight.
    before_it = just_before(body["status_history"][1]["recorded_from"])
    known = _detail(curator, talks, as_of=before_it)
    assert known["status"] == "in_talks"
    assert _history(known) == [("in_talks", "2025", None)]
    # Reported by yesterday, as recorded now: the signing's source is dated today.
    assert _history(_detail(curator, talks, known_at=yesterday())) == [
        ("in_talks", "2025", SIGNED_ON)
    ]

    # The status filter follows, now and in the past.
    assert talks in _ids(curator, status="signed")
    assert talks not in _ids(curator, status="in_talks")
    assert talks in _ids(curator, "/v1/companies/nissan/partnerships", status="signed")
    assert talks in _ids(curator, status="in_talks", valid_at=DAY_BEFORE)
    assert talks not in _ids(curator, status="signed", valid_at=DAY_BEFORE)
    assert talks in _ids(curator, status="in_talks", as_of=before_it)
    assert talks not in _ids(curator, status="signed", as_of=before_it)
    listed = {r["id"]: r["status"] for r in get_data(curator.client, "/v1/partnerships")}
    assert listed[talks] == "signed"
    # The flat fact list holds both statuses now, and only the talks yesterday.
    statuses = get_data(curator.client, "/v1/facts", subject_type="partnership", predicate="status")
    assert sorted((f["value"], f["valid_to"]) for f in statuses if f["subject"]["id"] == talks) == [
        ("in_talks", SIGNED_ON),
        ("signed", None),
    ]
    search = curator.client.get("/v1/search", params={"q": "signed", "type": "partnership"})
    assert str(talks) in [hit["key"] for hit in search.json()["data"]]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"valid_from": None}, ["body", "valid_from"]),  # a change needs its date
        ({"valid_from": "soon"}, ["body", "valid_from"]),
        ({"valid_to": "2026-09"}, ["body", "valid_to"]),  # ends before it begins
        ({"status": "agreed"}, ["body", "status"]),
        # The second article is not stored in this test: its quote cannot be verified.
        ({}, ["body", "citations", 0, "source"]),
    ],
)
def test_a_wrong_status_change_is_422_and_changes_nothing(
    curator: Curator, overrides: dict[str, Any], loc: list[str | int]
) -> None:
    talks = _id(curator)
    before = curator.counts()
    response = curator.client.post(
        f"/v1/partnerships/{talks}/statuses", json=_signed(**overrides), headers=curator.headers
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"][: len(loc)] == loc, problem
    assert curator.counts() == before


def test_a_status_change_without_valid_from_is_422(curator: Curator) -> None:
    _add_news(curator)
    talks = _id(curator)
    before = curator.counts()
    body = {k: v for k, v in _signed().items() if k != "valid_from"}
    response = curator.client.post(
        f"/v1/partnerships/{talks}/statuses", json=body, headers=curator.headers
    )
    assert_problem(response, 422, field="valid_from")
    assert curator.counts() == before
    # The document says so, as the server does (a file's first status may be undated).
    document = curator.client.get("/openapi.json").json()
    post = document["paths"]["/v1/partnerships/{partnership_id}/statuses"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "valid_from" in body_schema["required"]


def test_a_status_change_dated_before_the_current_status_is_409(curator: Curator) -> None:
    """Well formed, but in conflict with the history: the talks began after 2024."""
    talks = _id(curator)
    before = curator.counts()
    response = curator.client.post(
        f"/v1/partnerships/{talks}/statuses",
        json=_signed(valid_from="2024"),
        headers=curator.headers,
    )
    assert "must be after" in assert_problem(response, 409)["detail"]
    assert curator.counts() == before


def test_the_current_status_again_is_409(curator: Curator) -> None:
    talks = _id(curator)
    before = curator.counts()
    body = _signed(status="in_talks", valid_from="2025-12", citations=_cite(POOLING_QUOTE))
    response = curator.client.post(
        f"/v1/partnerships/{talks}/statuses", json=body, headers=curator.headers
    )
    assert_problem(response, 409)
    assert curator.counts() == before


def test_a_status_change_is_idempotent(curator: Curator) -> None:
    _add_news(curator)
    talks = _id(curator)
    headers = {**curator.headers, "Idempotency-Key": "sign-us-talks"}
    path = f"/v1/partnerships/{talks}/statuses"
    first = curator.client.post(path, json=_signed(), headers=headers)
    assert first.status_code == 201, first.text
    after_first = curator.counts()
    again = curator.client.post(path, json=_signed(), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert curator.counts() == after_first
    # Without the key the same change is refused: the talks are signed already.
    assert_problem(curator.client.post(path, json=_signed(), headers=curator.headers), 409)


def test_writes_need_a_key(curator: Curator) -> None:
    talks = _id(curator)
    before = curator.counts()
    for method, path, body in [
        ("POST", "/v1/partnerships", _pooling()),
        ("POST", f"/v1/partnerships/{talks}/statuses", _signed()),
        ("PATCH", f"/v1/partnerships/{talks}", {"title": "x"}),
        ("DELETE", f"/v1/partnerships/{talks}", None),
        ("DELETE", f"/v1/partnerships/{talks}/members/honda", None),
    ]:
        response = curator.client.request(method, path, json=body)
        assert_problem(response, 401)
    assert curator.counts() == before


# -- create ----------------------------------------------------------------------------------


def test_create_returns_the_partnership_whole(curator: Curator) -> None:
    response = curator.client.post("/v1/partnerships", json=_pooling(), headers=curator.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/partnerships/{created['id']}"
    read = curator.client.get(response.headers["Location"])
    assert read.json() == created and read.headers["ETag"] == response.headers["ETag"]
    assert (created["slug"], created["status"], created["announced_on"]) == (
        "honda-nissan-pooling",
        "proposed",
        "2025-11",
    )
    assert [m["slug"] for m in created["members"]] == ["honda", "nissan"]
    assert [(s["area"], s["certainty"]) for s in created["scope"]] == [
        ("platform co-development", "reported")
    ]
    assert [(s["area"], s["certainty"]) for s in created["excluded"]] == [("merger", "excluded")]
    assert _history(created) == [("proposed", "2025-11", None)]
    assert created["citations"][0]["quote"] == POOLING_QUOTE
    assert created["excluded"][0]["citations"][0]["quote"] == NO_TIES_QUOTE
    assert created["id"] in _ids(curator, "/v1/companies/honda/partnerships", status="proposed")
    assert created["id"] in _ids(curator, member="nissan")
    search = curator.client.get("/v1/search", params={"q": "resource pooling"})
    assert str(created["id"]) in [hit["key"] for hit in search.json()["data"]]
    # The latest status is the current one, whatever the order given.
    statuses = [
        {"status": "in_talks", "valid_from": "2025-11-14", "certainty": "reported",
         "citations": _cite(POOLING_QUOTE)},
        {"status": "proposed", "valid_from": "2025-11", "certainty": "reported",
         "citations": _cite(POOLING_QUOTE)},
    ]  # fmt: skip
    second = curator.client.post(
        "/v1/partnerships",
        json=_pooling(slug="pooling-two", statuses=statuses, scope=[], excluded=[]),
        headers=curator.headers,
    )
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "in_talks"


def test_a_duplicate_slug_is_409_and_changes_nothing(curator: Curator) -> None:
    before = curator.counts()
    response = curator.client.post(
        "/v1/partnerships", json=_pooling(slug=US_TALKS), headers=curator.headers
    )
    assert_problem(response, 409)
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"members": ["honda", "tesla"]}, ["body", "members", 1]),
        ({"members": ["honda", "honda"]}, ["body", "members", 1]),
        ({"members": []}, ["body", "members"]),
        ({"statuses": []}, ["body", "statuses"]),
        (
            {"scope": [{"area": "aircraft", "certainty": "reported",
                        "citations": _cite("jointly develop aircraft")}]},
            ["body", "scope", 0, "citations", 0, "quote"],
        ),
        (
            {"excluded": [{"area": "platform co-development", "certainty": "excluded",
                           "citations": _cite(NO_TIES_QUOTE)}]},
            ["body", "excluded", 0, "area"],
        ),
        ({"excluded": [{"area": "merger", "certainty": "reported",
                        "citations": _cite(NO_TIES_QUOTE)}]},
         ["body", "excluded", 0, "certainty"]),
        ({"announced_on": "November 2025"}, ["body", "announced_on"]),
    ],
)  # fmt: skip
def test_a_wrong_create_is_422_naming_the_field_and_writes_nothing(
    curator: Curator, overrides: dict[str, Any], loc: list[str | int]
) -> None:
    before = curator.counts()
    response = curator.client.post(
        "/v1/partnerships", json=_pooling(**overrides), headers=curator.headers
    )
    problem = assert_problem(response, 422)
    assert loc in [error["loc"] for error in problem["errors"]], problem
    assert curator.counts() == before


def test_every_fault_of_a_create_is_named_at_once(curator: Curator) -> None:
    body = _pooling(members=["tesla", "nissan"], citations=_cite("no such words"))
    problem = assert_problem(
        curator.client.post("/v1/partnerships", json=body, headers=curator.headers), 422
    )
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "members", 0],
        ["body", "citations", 0, "quote"],
    ]


def test_a_create_retried_with_its_key_creates_once(curator: Curator) -> None:
    headers = {**curator.headers, "Idempotency-Key": "pooling-1"}
    first = curator.client.post("/v1/partnerships", json=_pooling(), headers=headers)
    assert first.status_code == 201, first.text
    after_first = curator.counts()
    again = curator.client.post("/v1/partnerships", json=_pooling(), headers=headers)
    assert (again.status_code, again.json(), again.headers["Location"]) == (
        201,
        first.json(),
        first.headers["Location"],
    )
    assert curator.counts() == after_first
    other = curator.client.post("/v1/partnerships", json=_pooling(title="Other"), headers=headers)
    assert_problem(other, 422)
    assert curator.counts() == after_first


# -- corrections and retractions -------------------------------------------------------------


def test_a_correction_keeps_the_old_partnership_answerable(curator: Curator) -> None:
    talks = _id(curator)
    old = _detail(curator, talks)
    response = curator.client.patch(
        f"/v1/partnerships/{talks}",
        json={"title": "Honda\u2013Nissan U.S. talks", "announced_on": "2025-11", "notes": None},
        headers={**curator.headers, "If-Match": _etag(curator, talks)},
    )
    assert response.status_code == 200, response.text
    new = response.json()
    assert (new["title"], new["announced_on"], new["notes"]) == (
        "Honda\u2013Nissan U.S. talks",
        "2025-11",
        None,
    )
    assert new["members"] == old["members"] and new["scope"] == old["scope"]
    assert response.headers["ETag"] == _etag(curator, talks)
    before_it = just_before(new["recorded_from"])
    past = _detail(curator, talks, as_of=before_it)
    assert (past["id"], past["title"], past["notes"]) == (talks, old["title"], old["notes"])
    # The superseded copy still finds its members, scope and statuses.
    assert past["members"] == old["members"]
    assert [s["area"] for s in past["scope"]] == [s["area"] for s in old["scope"]]
    assert _history(past) == _history(old)
    listed = get_data(curator.client, "/v1/partnerships", as_of=before_it, include="members")
    (row,) = [r for r in listed if r["id"] == talks]
    assert (row["title"], row["status"]) == (old["title"], "in_talks")
    assert row["members"] == old["members"]
    assert talks in _ids(curator, member="honda", as_of=before_it)
    assert talks in _ids(curator, "/v1/companies/honda/partnerships", as_of=before_it)


def test_a_corrected_member_company_stays_a_member_in_the_past(curator: Curator) -> None:
    talks = _id(curator)
    response = curator.client.patch(
        "/v1/companies/honda", json={"name": "Honda Motor"}, headers=curator.headers
    )
    assert response.status_code == 200, response.text
    names = [m["name"] for m in _detail(curator, talks)["members"]]
    assert names == ["Honda Motor", "Nissan"]
    before_it = just_before(response.json()["recorded_from"])
    past = [m["name"] for m in _detail(curator, talks, as_of=before_it)["members"]]
    assert past == ["Honda", "Nissan"]
    assert talks in _ids(curator, member="honda", as_of=before_it)
    assert talks in _ids(curator, "/v1/companies/honda/partnerships", as_of=before_it)


def test_a_stale_if_match_is_412_and_changes_nothing(curator: Curator) -> None:
    talks = _id(curator)
    scope_id = _detail(curator, talks)["scope"][0]["id"]
    before = curator.counts()
    stale = {**curator.headers, "If-Match": '"stale"'}
    for method, path, body in [
        ("PATCH", f"/v1/partnerships/{talks}", {"title": "x"}),
        ("DELETE", f"/v1/partnerships/{talks}", None),
        ("DELETE", f"/v1/partnerships/{talks}/members/honda", None),
        ("PATCH", f"/v1/partnerships/{talks}/scope/{scope_id}", {"certainty": "confirmed"}),
        ("DELETE", f"/v1/partnerships/{talks}/scope/{scope_id}", None),
    ]:
        assert_problem(curator.client.request(method, path, json=body, headers=stale), 412)
    assert curator.counts() == before


@pytest.mark.parametrize(
    "body",
    [{"status": "signed"}, {"slug": "renamed"}, {"title": None}, {"announced_on": "soon"}],
)
def test_status_and_slug_are_not_patchable(curator: Curator, body: dict[str, Any]) -> None:
    talks = _id(curator)
    before = curator.counts()
    response = curator.client.patch(f"/v1/partnerships/{talks}", json=body, headers=curator.headers)
    assert_problem(response, 422)
    assert curator.counts() == before


def test_unknown_partnerships_and_rows_are_404(curator: Curator) -> None:
    talks = _id(curator)
    for method, path, body in [
        ("PATCH", "/v1/partnerships/9999", {"title": "x"}),
        ("DELETE", "/v1/partnerships/9999", None),
        ("POST", "/v1/partnerships/9999/statuses", _signed()),
        ("POST", "/v1/partnerships/9999/members", {"company": "byd", "certainty": "reported",
                                                   "citations": _cite(BYD_QUOTE)}),
        ("DELETE", f"/v1/partnerships/{talks}/members/byd", None),
        ("PATCH", f"/v1/partnerships/{talks}/scope/9999", {"certainty": "confirmed"}),
        ("DELETE", f"/v1/partnerships/{talks}/scope/9999", None),
    ]:  # fmt: skip
        response = curator.client.request(method, path, json=body, headers=curator.headers)
        assert_problem(response, 404)


def test_delete_retracts_the_partnership_and_its_rows(curator: Curator) -> None:
    talks = _id(curator)
    loaded = _detail(curator, talks)["recorded_from"]
    response = curator.client.delete(
        f"/v1/partnerships/{talks}",
        headers={**curator.headers, "If-Match": _etag(curator, talks)},
    )
    assert response.status_code == 204 and response.content == b""
    assert_problem(curator.client.get(f"/v1/partnerships/{talks}"), 404)
    assert talks not in _ids(curator)
    assert talks not in _ids(curator, "/v1/companies/honda/partnerships")
    facts = get_data(curator.client, "/v1/facts", subject_type="partnership")
    assert talks not in [f["subject"]["id"] for f in facts]
    search = curator.client.get("/v1/search", params={"q": "collaboration", "type": "partnership"})
    assert str(talks) not in [hit["key"] for hit in search.json()["data"]]
    # History stays: as loaded, it was there, whole.
    assert_problem(
        curator.client.get(f"/v1/partnerships/{talks}", params={"known_at": yesterday()}), 404
    )
    past = _detail(curator, talks, as_of=loaded)
    assert past["status"] == "in_talks" and len(past["members"]) == 2
    assert len(past["scope"]) == 5 and len(past["excluded"]) == 2
    # The slug is free again.
    again = curator.client.post(
        "/v1/partnerships", json=_pooling(slug=US_TALKS), headers=curator.headers
    )
    assert again.status_code == 201, again.text


# -- members and scope -----------------------------------------------------------------------


def _byd(**overrides: Any) -> dict[str, Any]:
    body = {"company": "byd", "certainty": "unconfirmed", "citations": _cite(BYD_QUOTE)}
    return body | overrides


def test_add_and_retract_a_member(curator: Curator) -> None:
    talks = _id(curator)
    path = f"/v1/partnerships/{talks}/members"
    response = curator.client.post(path, json=_byd(), headers=curator.headers)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/partnerships/{talks}"
    assert [m["slug"] for m in response.json()["members"]] == ["honda", "nissan", "byd"]
    assert talks in _ids(curator, member="byd")
    assert talks in _ids(curator, "/v1/companies/byd/partnerships")

    before = curator.counts()
    assert_problem(curator.client.post(path, json=_byd(), headers=curator.headers), 409)
    assert_problem(
        curator.client.post(path, json=_byd(company="tesla"), headers=curator.headers),
        422,
        field="company",
    )
    assert curator.counts() == before

    response = curator.client.delete(
        f"{path}/byd", headers={**curator.headers, "If-Match": _etag(curator, talks)}
    )
    assert response.status_code == 204, response.text
    assert [m["slug"] for m in _detail(curator, talks)["members"]] == ["honda", "nissan"]
    assert talks not in _ids(curator, member="byd")
    assert talks not in _ids(curator, "/v1/companies/byd/partnerships")
    assert_problem(curator.client.delete(f"{path}/byd", headers=curator.headers), 404)
    # A partnership keeps one member at least.
    assert curator.client.delete(f"{path}/honda", headers=curator.headers).status_code == 204
    before = curator.counts()
    assert_problem(curator.client.delete(f"{path}/nissan", headers=curator.headers), 409)
    assert curator.counts() == before


def test_add_correct_and_retract_a_scope_row(curator: Curator) -> None:
    talks = _id(curator)
    path = f"/v1/partnerships/{talks}/scope"
    body = {"area": "pooling resources", "certainty": "reported", "citations": _cite(POOLING_QUOTE)}
    response = curator.client.post(path, json=body, headers=curator.headers)
    assert response.status_code == 201, response.text
    (added,) = [s for s in response.json()["scope"] if s["area"] == "pooling resources"]
    assert added["certainty"] == "reported" and added["citations"][0]["quote"] == POOLING_QUOTE
    search = curator.client.get("/v1/search", params={"q": "pooling", "type": "partnership"})
    assert str(talks) in [hit["key"] for hit in search.json()["data"]]

    before = curator.counts()
    assert_problem(curator.client.post(path, json=body, headers=curator.headers), 409)
    exclusion = {"area": "merger", "certainty": "excluded", "citations": _cite(NO_TIES_QUOTE)}
    assert_problem(curator.client.post(path, json=exclusion, headers=curator.headers), 409)
    assert curator.counts() == before

    # An exclusion is a scope row of certainty `excluded`.
    response = curator.client.patch(
        f"{path}/{added['id']}",
        json={"certainty": "excluded"},
        headers={**curator.headers, "If-Match": _etag(curator, talks)},
    )
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert "pooling resources" not in [s["area"] for s in corrected["scope"]]
    assert [e["id"] for e in corrected["excluded"] if e["area"] == "pooling resources"] == [
        added["id"]
    ]
    assert_problem(
        curator.client.patch(
            f"{path}/{added['id']}", json={"area": "merger"}, headers=curator.headers
        ),
        409,
    )

    response = curator.client.delete(
        f"{path}/{added['id']}", headers={**curator.headers, "If-Match": _etag(curator, talks)}
    )
    assert response.status_code == 204, response.text
    after = _detail(curator, talks)
    assert "pooling resources" not in [s["area"] for s in after["scope"] + after["excluded"]]
    search = curator.client.get("/v1/search", params={"q": "pooling", "type": "partnership"})
    assert str(talks) not in [hit["key"] for hit in search.json()["data"]]


# -- the change log --------------------------------------------------------------------------


def test_the_change_log_lists_each_write_in_order(curator: Curator) -> None:
    _add_news(curator)
    cursor = curator.client.get("/v1/changes").json()["next_cursor"]
    talks = _id(curator)
    created = curator.client.post("/v1/partnerships", json=_pooling(), headers=curator.headers)
    pooling = created.json()["id"]
    writes = [
        ("POST", f"/v1/partnerships/{talks}/statuses", _signed()),
        ("POST", f"/v1/partnerships/{talks}/members", _byd()),
        ("DELETE", f"/v1/partnerships/{talks}/members/byd", None),
        ("PATCH", f"/v1/partnerships/{talks}", {"notes": "Signed in October 2026."}),
        ("POST", f"/v1/partnerships/{pooling}/scope",
         {"area": "sharing of powertrains", "certainty": "reported",
          "citations": _cite(AVENUES_QUOTE)}),
        ("DELETE", f"/v1/partnerships/{pooling}", None),
        # Refused: the talks are signed already. It leaves no change behind.
        ("POST", f"/v1/partnerships/{talks}/statuses", _signed()),
    ]  # fmt: skip
    for method, path, body in writes:
        curator.client.request(method, path, json=body, headers=curator.headers)

    changes = curator.client.get("/v1/changes", params={"since": cursor}).json()["data"]
    assert [(c["operation"], c["resource"], c["resource_id"]) for c in changes] == [
        ("create", "partnerships", str(pooling)),
        ("update", "partnerships", str(talks)),
        ("update", "partnerships", str(talks)),
        ("update", "partnerships", str(talks)),
        ("update", "partnerships", str(talks)),
        ("update", "partnerships", str(pooling)),
        ("delete", "partnerships", str(pooling)),
    ]
    assert all(c["actor"] == "curator" for c in changes)
    create, status, joined, left, patched, scoped, deleted = changes
    assert create["before"] is None and create["after"] == created.json()
    assert (status["before"]["status"], status["after"]["status"]) == ("in_talks", "signed")
    assert len(status["after"]["status_history"]) == 2
    members = [[m["slug"] for m in c["after"]["members"]] for c in (joined, left)]
    assert members == [["honda", "nissan", "byd"], ["honda", "nissan"]]
    assert joined["before"] == status["after"] and left["before"] == joined["after"]
    assert (patched["before"]["notes"], patched["after"]["notes"]) != (None, None)
    assert patched["after"]["notes"] == "Signed in October 2026."
    assert patched["after"] == _detail(curator, talks)
    assert [s["area"] for s in scoped["after"]["scope"]] == [
        "platform co-development",
        "sharing of powertrains",
    ]
    assert deleted["before"] == scoped["after"] and deleted["after"] is None


# -- an end that contradicts the status history ------------------------------------------------


def _talks_from_march(curator: Curator) -> int:
    statuses = [
        {"status": "proposed", "valid_from": "2025-03", "valid_to": "2025-06"},
        {"status": "in_talks", "valid_from": "2025-06"},
    ]
    body = _pooling(
        announced_on="2025-03",
        statuses=[
            s | {"certainty": "reported", "citations": _cite(POOLING_QUOTE)} for s in statuses
        ],
    )
    response = curator.client.post("/v1/partnerships", json=body, headers=curator.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("ended_on", ["2024", "2025-05", "2025-05-31"])
def test_an_end_before_a_stored_status_began_is_409(curator: Curator, ended_on: str) -> None:
    """A partnership over before its current status began would answer that status and
    yet no day on which it held: the patch conflicts with the stored history."""
    partnership = _talks_from_march(curator)
    old = curator.client.get(f"/v1/partnerships/{partnership}")
    before = curator.counts()
    response = curator.client.patch(
        f"/v1/partnerships/{partnership}",
        json={"announced_on": "2024", "ended_on": ended_on},
        headers=curator.headers,
    )
    problem = assert_problem(response, 409, field="ended_on")
    assert "in_talks" in problem["errors"][0]["msg"]
    assert curator.counts() == before
    assert curator.client.get(f"/v1/partnerships/{partnership}").json() == old.json()


@pytest.mark.parametrize("ended_on", ["2025-06", "2025", "2026-01-01"])
def test_an_end_after_every_status_began_is_taken(curator: Curator, ended_on: str) -> None:
    # Ending the month the talks began is possible (the talks may have begun first).
    partnership = _talks_from_march(curator)
    response = curator.client.patch(
        f"/v1/partnerships/{partnership}", json={"ended_on": ended_on}, headers=curator.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["ended_on"] == ended_on


def _signed_from(valid_from: str) -> dict[str, Any]:
    """A status every check but the dates takes: cited from the partnership's own source."""
    return _signed(valid_from=valid_from, certainty="reported", citations=_cite(POOLING_QUOTE))


def _from_march(ended_on: str) -> dict[str, Any]:
    """A body whose talks began in June 2025, after a proposal in March, ending ``ended_on``."""
    statuses = [
        {"status": "proposed", "valid_from": "2025-03", "valid_to": "2025-06"},
        {"status": "in_talks", "valid_from": "2025-06"},
    ]
    return _pooling(
        announced_on="2024",
        ended_on=ended_on,
        statuses=[
            s | {"certainty": "reported", "citations": _cite(POOLING_QUOTE)} for s in statuses
        ],
    )


@pytest.mark.parametrize("ended_on", ["2024", "2025-05", "2025-05-31"])
def test_a_body_ending_before_its_own_status_began_is_422(curator: Curator, ended_on: str) -> None:
    """The rule a patched end meets, within one body: the body contradicts itself, so it
    is a 422 naming the end, and the status it contradicts."""
    since = feed_end(curator.client)
    before = curator.counts()
    response = curator.client.post(
        "/v1/partnerships", json=_from_march(ended_on), headers=curator.headers
    )
    problem = assert_problem(response, 422, field="ended_on")
    [error] = problem["errors"]
    assert error["loc"] == ["body", "ended_on"]
    assert "statuses[1] (in_talks) from 2025-06" in error["msg"]
    # An end in 2024 is before the proposal too; one in May 2025 only before the talks.
    assert ("statuses[0] (proposed)" in error["msg"]) is (ended_on == "2024")
    assert curator.counts() == before
    assert changes_since(curator.client, since) == []


@pytest.mark.parametrize("ended_on", ["2025-06", "2025", "2026-01-01"])
def test_a_body_ending_after_each_of_its_statuses_began_is_taken(
    curator: Curator, ended_on: str
) -> None:
    response = curator.client.post(
        "/v1/partnerships", json=_from_march(ended_on), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["ended_on"] == ended_on


@pytest.mark.parametrize("valid_from", ["2025-10", "2026", "2025-10-01"])
def test_a_status_beginning_after_the_stored_end_is_409(curator: Curator, valid_from: str) -> None:
    """A status posted to a partnership that had ended before it began: the same
    contradiction, against what is stored."""
    partnership = _talks_from_march(curator)
    url = f"/v1/partnerships/{partnership}"
    ended = curator.client.patch(url, json={"ended_on": "2025-09"}, headers=curator.headers)
    assert ended.status_code == 200, ended.text
    old, since, before = curator.client.get(url), feed_end(curator.client), curator.counts()
    response = curator.client.post(
        f"{url}/statuses", json=_signed_from(valid_from), headers=curator.headers
    )
    problem = assert_problem(response, 409, field="valid_from")
    [error] = problem["errors"]
    assert error["loc"] == ["body", "valid_from"]
    assert "2025-09" in error["msg"] and f"(signed) from {valid_from}" in error["msg"]
    assert curator.counts() == before
    assert changes_since(curator.client, since) == []
    assert curator.client.get(url).json() == old.json()


@pytest.mark.parametrize("valid_from", ["2025-09", "2025-09-30", "2025"])
def test_a_status_beginning_before_the_stored_end_is_taken(
    curator: Curator, valid_from: str
) -> None:
    # A status from the month the partnership ended may have begun before it did.
    partnership = _talks_from_march(curator)
    url = f"/v1/partnerships/{partnership}"
    ended = curator.client.patch(url, json={"ended_on": "2025-09"}, headers=curator.headers)
    assert ended.status_code == 200, ended.text
    response = curator.client.post(
        f"{url}/statuses",
        json=_signed_from(valid_from),
        headers=curator.headers,
    )
    assert response.status_code == 201, response.text
