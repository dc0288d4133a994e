"""Curating sources, executives and roles through the API alone: a second article, an
executive quoting it, corrections that keep history, retractions, and the change log."""

import hashlib
from typing import Any

import pytest

from tests.conftest import Curator
from tests.helpers import (
    assert_problem,
    assert_verbatim,
    get_data,
    just_before,
    last_write_at,
    yesterday,
)

SEED = "2025-11-14-honda-nissan"
ARTICLE = "2025-12-01-honda-coo"
ARTICLE_TEXT = (
    "Honda names a new operations chief\n\n"
    "TOKYO -- Honda Motor has appointed Mika Tanaka as chief operating officer, effective\n"
    "December 2025, the company said on Monday. Tanaka, who ran the automaker's motorcycle\n"
    "business in Southeast Asia, will oversee global production as Honda weighs deeper ties\n"
    "with Nissan.\n"
)
APPOINTED = "appointed Mika Tanaka as chief operating officer"
TANAKA = "Tanaka, who ran the automaker's motorcycle business"


def _article(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": ARTICLE,
        "title": "Honda names a new operations chief",
        "publisher": "Example Wire",
        "url": "https://example.com/honda-coo",
        "published_on": "2025-12-01",
        "reported_by": "Example Wire",
        "text": ARTICLE_TEXT,
    }
    return body | overrides


def _role(**overrides: Any) -> dict[str, Any]:
    body = {
        "company": "honda",
        "title": "COO",
        "started_on": "2025-12",
        "certainty": "confirmed",
        "citations": [{"source": ARTICLE, "quote": APPOINTED}],
    }
    return body | overrides


def _tanaka(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "mika-tanaka",
        "name": "Mika Tanaka",
        "certainty": "confirmed",
        "citations": [{"source": ARTICLE, "quote": TANAKA}],
        "roles": [_role()],
    }
    return body | overrides


def _add_article(curator: Curator) -> dict[str, Any]:
    response = curator.client.post("/v1/sources", json=_article(), headers=curator.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _add_tanaka(curator: Curator) -> dict[str, Any]:
    _add_article(curator)
    response = curator.client.post("/v1/executives", json=_tanaka(), headers=curator.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _role_url(executive: dict[str, Any], index: int = 0) -> str:
    return f"/v1/executives/{executive['slug']}/roles/{executive['roles'][index]['id']}"


# -- a second article, then an executive quoting it ------------------------------------------


def test_a_curator_adds_a_second_article_and_an_executive_quoting_it(curator: Curator) -> None:
    response = curator.client.post("/v1/sources", json=_article(), headers=curator.headers)
    assert response.status_code == 201, response.text
    source = response.json()
    assert response.headers["Location"] == f"/v1/sources/{source['id']}"
    assert source["text"] == ARTICLE_TEXT
    assert source["sha256"] == hashlib.sha256(ARTICLE_TEXT.encode()).hexdigest()
    read = curator.client.get(response.headers["Location"])
    assert read.json() == source == curator.client.get(f"/v1/sources/{ARTICLE}").json()
    assert read.headers["ETag"] == response.headers["ETag"]
    listed = curator.client.get("/v1/sources", params={"sort": "published_on"}).json()["data"]
    assert [s["slug"] for s in listed] == [SEED, ARTICLE]
    hits = curator.client.get("/v1/search", params={"q": "motorcycle", "type": "source"})
    assert [h["key"] for h in hits.json()["data"]] == [ARTICLE]

    response = curator.client.post("/v1/executives", json=_tanaka(), headers=curator.headers)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/v1/executives/mika-tanaka"
    created = response.json()
    assert (created["name"], created["known_from"]) == ("Mika Tanaka", "2025-12-01")
    (role,) = created["roles"]
    assert (role["title"], role["company"]["slug"]) == ("COO", "honda")
    assert (role["started_on"], role["ended_on"]) == ("2025-12", None)
    assert {c["source_id"] for c in created["citations"] + role["citations"]} == {source["id"]}
    assert_verbatim(curator.engine, role["citations"], "Mika Tanaka", "chief operating officer")
    assert_verbatim(curator.engine, created["citations"], "motorcycle")

    read = curator.client.get("/v1/executives/mika-tanaka")
    assert read.json() == created
    assert read.headers["ETag"] == response.headers["ETag"]
    one_role = curator.client.get(_role_url(created))
    assert one_role.status_code == 200, one_role.text
    assert one_role.json() == role | {"executive": {"slug": "mika-tanaka", "name": "Mika Tanaka"}}
    assert "ETag" in one_role.headers
    at_honda = curator.client.get("/v1/companies/honda/executives").json()["data"]
    assert [(e["executive"]["slug"], e["role"]["title"]) for e in at_honda] == [
        ("mika-tanaka", "COO")
    ]
    people = curator.client.get("/v1/search", params={"q": "Tanaka", "type": "executive"})
    assert [h["key"] for h in people.json()["data"]] == ["mika-tanaka"]
    facts = curator.client.get(
        "/v1/facts", params={"company": "honda", "predicate": "holds_role"}
    ).json()["data"]
    assert [f["subject"]["label"] for f in facts] == ["mika-tanaka"]


def test_the_new_facts_answer_valid_at_and_known_at(curator: Curator) -> None:
    _add_tanaka(curator)

    def roles(**params: str) -> list[str]:
        body = curator.client.get("/v1/executives/mika-tanaka", params=params).json()
        return [r["title"] for r in body["roles"]]

    assert roles(valid_at="2025-11-30") == []
    assert roles(valid_at="2025-12-15") == ["COO"]
    # Nothing was known of her before the article was published.
    assert_problem(
        curator.client.get("/v1/executives/mika-tanaka", params={"known_at": "2025-11-30"}), 404
    )
    assert_problem(
        curator.client.get(f"/v1/sources/{ARTICLE}", params={"known_at": "2025-11-30"}), 404
    )
    assert roles(known_at="2025-12-01") == ["COO"]
    assert [
        e["slug"]
        for e in curator.client.get(
            "/v1/executives", params={"company": "honda", "valid_at": "2025-12-15"}
        ).json()["data"]
    ] == ["mika-tanaka"]


# -- refusals change nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        # In the seed article, not in the new one.
        (
            {
                "roles": [
                    _role(citations=[{"source": ARTICLE, "quote": "new Nissan CEO Ivan Espinosa"}])
                ]
            },
            ["body", "roles", 0, "citations", 0, "quote"],
        ),
        (
            {"citations": [{"source": ARTICLE, "quote": "Mika Tanaka, 52"}]},
            ["body", "citations", 0, "quote"],
        ),
        ({"roles": [_role(company="toyota")]}, ["body", "roles", 0, "company"]),
        (
            {"roles": [_role(started_on="2025-12", ended_on="2025-06")]},
            ["body", "roles", 0, "ended_on"],
        ),
        ({"roles": [_role(), _role()]}, ["body", "roles", 1]),
    ],
)
def test_a_wrong_executive_is_refused_by_field_and_writes_nothing(
    curator: Curator, change: dict[str, Any], loc: list[str | int]
) -> None:
    _add_article(curator)
    before = curator.counts()
    response = curator.client.post(
        "/v1/executives", json=_tanaka(**change), headers=curator.headers
    )
    problem = assert_problem(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [loc]
    assert curator.counts() == before


def test_every_fault_of_a_body_is_named_at_once(curator: Curator) -> None:
    _add_article(curator)
    body = _tanaka(
        citations=[{"source": ARTICLE, "quote": "not there"}],
        roles=[_role(company="toyota", citations=[{"source": "nope", "quote": APPOINTED}])],
    )
    problem = assert_problem(
        curator.client.post("/v1/executives", json=body, headers=curator.headers), 422
    )
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "citations", 0, "quote"],
        ["body", "roles", 0, "company"],
        ["body", "roles", 0, "citations", 0, "source"],
    ]


def test_a_role_at_an_unknown_company_is_422_naming_company(curator: Curator) -> None:
    _add_tanaka(curator)
    before = curator.counts()
    response = curator.client.post(
        "/v1/executives/mika-tanaka/roles", json=_role(company="toyota"), headers=curator.headers
    )
    assert_problem(response, 422)
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "company"]]
    assert curator.counts() == before
    assert_problem(
        curator.client.post("/v1/executives/nobody/roles", json=_role(), headers=curator.headers),
        404,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_article(), "slug"),
        (_article(slug="another-slug"), "text"),
        # The same article with Windows line endings is the same text.
        (_article(slug="another-slug", text=ARTICLE_TEXT.replace("\n", "\r\n")), "text"),
    ],
)
def test_a_duplicate_source_is_409(curator: Curator, body: dict[str, Any], field: str) -> None:
    _add_article(curator)
    before = curator.counts()
    problem = assert_problem(
        curator.client.post("/v1/sources", json=body, headers=curator.headers), 409
    )
    assert ("slug" in problem["detail"]) == (field == "slug")
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": None, "text_file": "article.txt"}, "text_file"),
        ({"text": ""}, "text"),
        ({"text": "NUL \x00 here"}, "body"),  # refused for every body, before parsing
        ({"slug": "Not A Slug"}, "slug"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"published_on": "2025-13-01"}, "published_on"),
        ({"published_on": 0}, "published_on"),  # not a Unix time
        ({"published_on": "0"}, "published_on"),
    ],
)
def test_a_bad_source_is_422_by_field(curator: Curator, change: dict[str, Any], field: str) -> None:
    before = curator.counts()
    body = {k: v for k, v in _article(**change).items() if v is not None}
    response = curator.client.post("/v1/sources", json=body, headers=curator.headers)
    assert_problem(response, 422, field=field)
    assert curator.counts() == before


def test_an_existing_executive_or_role_is_409(curator: Curator) -> None:
    _add_tanaka(curator)
    before = curator.counts()
    assert_problem(
        curator.client.post("/v1/executives", json=_tanaka(), headers=curator.headers), 409
    )
    assert_problem(
        curator.client.post(
            "/v1/executives/mika-tanaka/roles", json=_role(), headers=curator.headers
        ),
        409,
    )
    assert curator.counts() == before


def test_writes_need_a_key(curator: Curator) -> None:
    before = curator.counts()
    for method, path, body in [
        ("POST", "/v1/sources", _article()),
        ("PATCH", f"/v1/sources/{SEED}", {"title": "x"}),
        ("DELETE", f"/v1/sources/{SEED}", None),
        ("POST", "/v1/executives", _tanaka()),
        ("PATCH", "/v1/executives/ivan-espinosa", {"name": "x"}),
        ("DELETE", "/v1/executives/ivan-espinosa", None),
        ("POST", "/v1/executives/ivan-espinosa/roles", _role()),
        ("PATCH", "/v1/executives/ivan-espinosa/roles/1", {"title": "x"}),
        ("DELETE", "/v1/executives/ivan-espinosa/roles/1", None),
    ]:
        response = curator.client.request(method, path, json=body)
        assert_problem(response, 401)
    assert curator.counts() == before


# -- idempotency ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/sources", _article()), ("/v1/executives/ivan-espinosa/roles", None)],
)
def test_a_retried_post_creates_nothing_more(
    curator: Curator, path: str, body: dict[str, Any] | None
) -> None:
    if body is None:
        _add_article(curator)
        body = _role(company="nissan", title="Chairman", started_on="2025-12")
    headers = {**curator.headers, "Idempotency-Key": "retry-me"}
    first = curator.client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    after_first = curator.counts()
    again = curator.client.post(path, json=body, headers=headers)
    assert (again.status_code, again.json(), again.headers["Location"]) == (
        201,
        first.json(),
        first.headers["Location"],
    )
    assert curator.counts() == after_first
    other = curator.client.post(path, json=body | {"title": "Other"}, headers=headers)
    assert_problem(other, 422)
    assert curator.counts() == after_first


# -- PATCH and DELETE of sources -----------------------------------------------------------


def test_a_source_s_metadata_is_amended_in_place(curator: Curator) -> None:
    created = curator.client.post("/v1/sources", json=_article(), headers=curator.headers)
    url = created.headers["Location"]
    before = curator.counts()
    stale = curator.client.patch(
        url, json={"title": "New"}, headers={**curator.headers, "If-Match": '"stale"'}
    )
    assert_problem(stale, 412)
    assert curator.counts() == before
    response = curator.client.patch(
        url,
        json={"title": "Honda appoints Mika Tanaka", "publisher": None},
        headers={**curator.headers, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    amended = response.json()
    assert amended == created.json() | {"title": "Honda appoints Mika Tanaka", "publisher": None}
    assert response.headers["ETag"] != created.headers["ETag"]
    read = curator.client.get(url)
    assert read.json() == amended and read.headers["ETag"] == response.headers["ETag"]
    # In place: a source is a document, not a fact, and has no versions. Its search
    # document keeps its former state for as_of.
    assert curator.counts() == before | {
        "change": before["change"] + 1,
        "search_document": before["search_document"] + 1,
    }
    was = {"q": "motorcycle", "type": "source", "as_of": just_before(last_write_at(curator.client))}
    assert [h["title"] for h in get_data(curator.client, "/v1/search", **was)] == [
        created.json()["title"]
    ]
    hits = curator.client.get("/v1/search", params={"q": "appoints", "type": "source"}).json()
    assert [h["key"] for h in hits["data"]] == [ARTICLE]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Another text"}, "text"),
        ({"published_on": "2025-12-02"}, "published_on"),
        ({"slug": "renamed"}, "slug"),
        ({"sha256": "0" * 64}, "sha256"),
        ({"title": None}, None),
        ({"url": "not a url"}, "url"),
    ],
)
def test_a_source_s_text_and_date_never_change(
    curator: Curator, body: dict[str, Any], field: str | None
) -> None:
    before = curator.counts()
    response = curator.client.patch(f"/v1/sources/{SEED}", json=body, headers=curator.headers)
    assert_problem(response, 422, field=field)
    assert curator.counts() == before


def test_an_uncited_source_is_deleted_a_cited_one_is_409(curator: Curator) -> None:
    before = curator.counts()
    assert_problem(curator.client.delete(f"/v1/sources/{SEED}", headers=curator.headers), 409)
    assert curator.counts() == before

    created = curator.client.post("/v1/sources", json=_article(), headers=curator.headers)
    url = created.headers["Location"]
    assert_problem(
        curator.client.delete(url, headers={**curator.headers, "If-Match": '"stale"'}), 412
    )
    response = curator.client.delete(
        url, headers={**curator.headers, "If-Match": created.headers["ETag"]}
    )
    assert response.status_code == 204 and response.content == b""
    assert_problem(curator.client.get(url), 404)
    hits = curator.client.get("/v1/search", params={"q": "motorcycle", "type": "source"}).json()
    assert hits["data"] == []
    # Gone, but for the search document it had, closed, which as_of still finds.
    assert {k: v for k, v in curator.counts().items() if k != "change"} == {
        k: v for k, v in before.items() if k != "change"
    } | {"search_document": before["search_document"] + 1}
    deleted = just_before(last_write_at(curator.client))
    assert get_data(curator.client, "/v1/search", q="motorcycle", type="source", as_of=deleted)
    # The slug and the text are free again.
    assert (
        curator.client.post("/v1/sources", json=_article(), headers=curator.headers).status_code
        == 201
    )


def test_a_source_cited_only_in_history_stays(curator: Curator) -> None:
    executive = _add_tanaka(curator)
    role_url = _role_url(executive)
    curator.client.delete(role_url, headers=curator.headers)
    curator.client.delete("/v1/executives/mika-tanaka", headers=curator.headers)
    # Nothing current quotes the article, but what was said stays answerable with known_at.
    assert_problem(curator.client.delete(f"/v1/sources/{ARTICLE}", headers=curator.headers), 409)


# -- corrections and retractions -------------------------------------------------------------


def test_a_stale_if_match_is_412_and_changes_nothing(curator: Curator) -> None:
    executive = _add_tanaka(curator)
    before = curator.counts()
    stale = {**curator.headers, "If-Match": '"stale"'}
    for path, body in [
        ("/v1/executives/mika-tanaka", {"name": "M. Tanaka"}),
        (_role_url(executive), {"title": "Chief Operating Officer"}),
    ]:
        assert_problem(curator.client.patch(path, json=body, headers=stale), 412)
        assert_problem(curator.client.delete(path, headers=stale), 412)
    assert curator.counts() == before


def test_an_executive_correction_keeps_the_old_name(curator: Curator) -> None:
    old = curator.client.get("/v1/executives/ivan-espinosa")
    response = curator.client.patch(
        "/v1/executives/ivan-espinosa",
        json={"name": "Ivan Espinosa Jr."},
        headers={**curator.headers, "If-Match": old.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Ivan Espinosa Jr."
    assert response.json()["roles"] == old.json()["roles"]
    assert curator.client.get("/v1/executives/ivan-espinosa").json() == response.json()
    corrected = response.json()["recorded_from"]
    before_it = {"as_of": just_before(corrected)}
    past = curator.client.get("/v1/executives/ivan-espinosa", params=before_it)
    assert past.json() == old.json()
    at_nissan = curator.client.get("/v1/companies/nissan/executives", params=before_it).json()
    assert [e["executive"]["name"] for e in at_nissan["data"]] == ["Ivan Espinosa"]
    listed = curator.client.get(
        "/v1/executives", params={**before_it, "company": "nissan", "include": "roles"}
    ).json()["data"]
    assert [(e["name"], len(e["roles"])) for e in listed] == [("Ivan Espinosa", 1)]


@pytest.mark.parametrize(
    "body",
    [{"slug": "someone-else"}, {"name": None}, {"citations": []}, {"roles": []}],
)
def test_an_executive_patch_is_limited_to_its_fields(
    curator: Curator, body: dict[str, Any]
) -> None:
    before = curator.counts()
    response = curator.client.patch(
        "/v1/executives/ivan-espinosa", json=body, headers=curator.headers
    )
    assert_problem(response, 422)
    assert curator.counts() == before


def test_a_role_correction_keeps_the_old_title_answerable(curator: Curator) -> None:
    executive = _add_tanaka(curator)
    url = _role_url(executive)
    old = curator.client.get(url)
    response = curator.client.patch(
        url,
        json={"title": "Chief Operating Officer", "started_on": "2025-12-01"},
        headers={**curator.headers, "If-Match": old.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert (corrected["id"], corrected["title"]) == (old.json()["id"], "Chief Operating Officer")
    # Still reported when its source was: a correction is not dated by the day it is made.
    assert (corrected["started_on"], corrected["known_from"]) == (
        "2025-12-01",
        old.json()["known_from"],
    )
    assert corrected["citations"] == old.json()["citations"]
    assert curator.client.get(url).json() == corrected

    def titles(**params: str) -> list[str]:
        body = curator.client.get("/v1/executives/mika-tanaka", params=params).json()
        return [r["title"] for r in body["roles"]]

    assert titles() == ["Chief Operating Officer"]
    before_it = just_before(corrected["recorded_from"])
    assert titles(as_of=before_it) == ["COO"]
    assert titles(known_at=yesterday()) == ["Chief Operating Officer"]
    past = curator.client.get(url, params={"as_of": before_it})
    assert past.json() == old.json()
    facts = curator.client.get("/v1/facts", params={"as_of": before_it}).json()["data"]
    assert "COO" in str([f["value"] for f in facts if f["predicate"] == "holds_role"])
    # The search document follows the current title.
    hits = curator.client.get("/v1/search", params={"q": "Chief Operating", "type": "executive"})
    assert [h["key"] for h in hits.json()["data"]] == ["mika-tanaka"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"citations": [{"source": ARTICLE, "quote": "CEO since April"}]}, "quote"),
        ({"company": "nissan"}, "company"),
        ({"title": None}, None),
        ({"started_on": "April"}, "started_on"),
    ],
)
def test_a_wrong_role_correction_is_422(
    curator: Curator, body: dict[str, Any], field: str | None
) -> None:
    executive = _add_tanaka(curator)
    before = curator.counts()
    response = curator.client.patch(_role_url(executive), json=body, headers=curator.headers)
    assert_problem(response, 422, field=field)
    assert curator.counts() == before


def test_a_role_ending_before_its_stored_start_is_409(curator: Curator) -> None:
    """Valid alone, the end does not fit the start the role keeps: a conflict with what is
    stored, naming the field."""
    executive = _add_tanaka(curator)
    before = curator.counts()
    response = curator.client.patch(
        _role_url(executive), json={"ended_on": "2025-06"}, headers=curator.headers
    )
    assert_problem(response, 409, field="ended_on")
    assert curator.counts() == before


def test_a_role_ends_and_valid_at_follows(curator: Curator) -> None:
    url = _role_url(curator.client.get("/v1/executives/ivan-espinosa").json())
    response = curator.client.patch(url, json={"ended_on": "2026-10"}, headers=curator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["ended_on"] == "2026-10"

    def titles(valid_at: str) -> list[tuple[str, str]]:
        body = curator.client.get("/v1/executives/ivan-espinosa", params={"valid_at": valid_at})
        return [(r["title"], r["validity"]) for r in body.json()["roles"]]

    # Ended some day of October 2026: certainly CEO until then, possibly during it.
    assert titles("2026-09-30") == [("CEO", "certain")]
    assert titles("2026-10-01") == [("CEO", "possible")]
    assert titles("2026-10-31") == []
    reopened = curator.client.patch(url, json={"ended_on": None}, headers=curator.headers)
    assert reopened.json()["ended_on"] is None
    assert titles("2026-10-31") == [("CEO", "possible")]


def test_retracting_a_role_keeps_it_in_history(curator: Curator) -> None:
    executive = _add_tanaka(curator)
    url = _role_url(executive)
    before = curator.counts()
    assert_problem(
        curator.client.delete("/v1/executives/mika-tanaka", headers=curator.headers), 409
    )
    assert curator.counts() == before
    etag = curator.client.get(url).headers["ETag"]
    response = curator.client.delete(url, headers={**curator.headers, "If-Match": etag})
    assert response.status_code == 204 and response.content == b""
    assert_problem(curator.client.get(url), 404)
    assert_problem(curator.client.delete(url, headers=curator.headers), 404)
    assert curator.client.get("/v1/executives/mika-tanaka").json()["roles"] == []
    assert curator.client.get("/v1/companies/honda/executives").json()["data"] == []
    # Recorded with its executive, in one write: one instant.
    then = {"as_of": executive["recorded_from"]}
    assert curator.client.get(url, params=then).status_code == 200
    assert_problem(curator.client.get(url, params={"known_at": yesterday()}), 404)
    past = curator.client.get("/v1/executives/mika-tanaka", params=then)
    assert [r["title"] for r in past.json()["roles"]] == ["COO"]
    # With no current role left, the executive can be retracted too, and history stays.
    response = curator.client.delete("/v1/executives/mika-tanaka", headers=curator.headers)
    assert response.status_code == 204
    assert_problem(curator.client.get("/v1/executives/mika-tanaka"), 404)
    hits = curator.client.get("/v1/search", params={"q": "Tanaka", "type": "executive"})
    assert hits.json()["data"] == []
    assert curator.client.get("/v1/executives/mika-tanaka", params=then).status_code == 200
    # The slug is free again.
    again = curator.client.post("/v1/executives", json=_tanaka(), headers=curator.headers)
    assert again.status_code == 201, again.text


# -- the change log ----------------------------------------------------------------------------


def test_every_write_is_in_the_change_log_in_order(curator: Curator) -> None:
    cursor = curator.client.get("/v1/changes").json()["next_cursor"]
    source = _add_article(curator)
    executive = curator.client.post(
        "/v1/executives", json=_tanaka(), headers=curator.headers
    ).json()
    first_role = executive["roles"][0]["id"]
    second = curator.client.post(
        "/v1/executives/mika-tanaka/roles",
        json=_role(company="nissan", title="Board member", started_on="2026"),
        headers=curator.headers,
    ).json()
    curator.client.patch(
        _role_url(executive), json={"title": "Chief Operating Officer"}, headers=curator.headers
    )
    curator.client.patch(
        "/v1/executives/mika-tanaka", json={"name": "Mika Tanaka-Sato"}, headers=curator.headers
    )
    curator.client.patch(
        f"/v1/sources/{ARTICLE}", json={"reported_by": "Example Wire"}, headers=curator.headers
    )  # no change: nothing to record
    curator.client.patch(
        f"/v1/sources/{ARTICLE}", json={"publisher": "Example Press"}, headers=curator.headers
    )
    curator.client.delete(
        f"/v1/executives/mika-tanaka/roles/{second['id']}", headers=curator.headers
    )
    # Refused writes leave nothing behind.
    curator.client.post("/v1/sources", json=_article(), headers=curator.headers)
    curator.client.delete(f"/v1/sources/{ARTICLE}", headers=curator.headers)
    curator.client.delete("/v1/executives/mika-tanaka", headers=curator.headers)

    page = curator.client.get("/v1/changes", params={"since": cursor}).json()
    seen = [(c["operation"], c["resource"], c["resource_id"]) for c in page["data"]]
    assert seen == [
        ("create", "sources", str(source["id"])),
        ("create", "executives", "mika-tanaka"),
        ("create", "executive-roles", str(first_role)),
        ("create", "executive-roles", str(second["id"])),
        ("update", "executive-roles", str(first_role)),
        ("update", "executives", "mika-tanaka"),
        ("update", "sources", str(source["id"])),
        ("delete", "executive-roles", str(second["id"])),
    ]
    assert all(c["actor"] == "curator" for c in page["data"])
    by_step = page["data"]
    assert by_step[0]["before"] is None and by_step[0]["after"]["text"] == ARTICLE_TEXT
    assert by_step[2]["after"]["executive"] == {"slug": "mika-tanaka", "name": "Mika Tanaka"}
    assert (by_step[4]["before"]["title"], by_step[4]["after"]["title"]) == (
        "COO",
        "Chief Operating Officer",
    )
    assert (by_step[6]["before"]["publisher"], by_step[6]["after"]["publisher"]) == (
        "Example Wire",
        "Example Press",
    )
    assert by_step[7]["after"] is None and by_step[7]["before"]["title"] == "Board member"
    # The last change's after is what the API serves now.
    assert by_step[5]["after"]["name"] == "Mika Tanaka-Sato"
    assert by_step[6]["after"] == curator.client.get(f"/v1/sources/{ARTICLE}").json()
