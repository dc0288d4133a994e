"""Curating tariffs and their impacts, restructuring plans, financial results and plants:
corrections that keep history (``as_of``), a dated rate change (``valid_at``),
retractions, refused writes that change nothing, idempotent creates and the change log."""

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from app.importer import import_facts, parse_facts
from tests.conftest import Curator
from tests.helpers import (
    assert_problem,
    assert_verbatim,
    changes_since,
    feed_end,
    just_before,
    last_write_at,
    walk_pages,
    yesterday,
)

SEED = "2025-11-14-honda-nissan"
ARTICLE = "2026-01-10-us-tariff-cut"
ARTICLE_TEXT = (
    "Washington cuts its tariff on Japanese cars\n\n"
    "The United States lowered its tariff on vehicles from Japan to 10 percent on January 1,\n"
    "2026. Nissan now expects the tariffs to cut its profits by 120 billion yen ($0.8B USD)\n"
    "in fiscal 2026. Canada set a 6.1 percent tariff on vehicles from Japan, which Honda\n"
    "expects to cost it 20 billion yen this fiscal year. Honda will build hybrids at a new\n"
    "plant in Greensburg, Indiana. Nissan widened its recovery plan to 25,000 job cuts, and\n"
    "posted a net loss of 90 billion yen ($0.6B USD) for the first half.\n"
)
RATE = "lowered its tariff on vehicles from Japan to 10 percent"
SEED_RATE = "lowered to 15 percent"
IMPACT_2026 = "Nissan now expects the tariffs to cut its profits by 120 billion yen ($0.8B USD)"
CANADA = "Canada set a 6.1 percent tariff on vehicles from Japan"
CANADA_HONDA = "Honda expects to cost it 20 billion yen this fiscal year"
PLANT = "a new plant in Greensburg, Indiana"
PLAN = "Nissan widened its recovery plan to 25,000 job cuts"
RESULT = "net loss of 90 billion yen ($0.6B USD) for the first half"


def recorded_before(curator: Curator, path: str, write: Any) -> Any:
    """What ``path`` answered just before ``write`` (a write's response) was recorded."""
    return curator.client.get(path, params={"as_of": just_before(_at(write))}).json()


def _at(write: Any) -> str:
    return write if isinstance(write, str) else write.json()["recorded_from"]


@pytest.fixture
def curator_with_article(curator: Curator) -> Curator:
    """The curator's database with a second article to quote (added by the importer, so
    these tests do not depend on the sources API)."""
    facts = {
        "format": "autofacts/v1",
        "sources": [
            {
                "slug": ARTICLE,
                "title": "Washington cuts its tariff on Japanese cars",
                "published_on": "2026-01-10",
                "text": ARTICLE_TEXT,
            }
        ],
    }
    with Session(curator.engine) as session:
        import_facts(session, parse_facts(facts))
    return curator


def cite(quote: str, source: str = ARTICLE) -> list[dict[str, str]]:
    return [{"source": source, "quote": quote}]


def _tariff_id(curator: Curator) -> int:
    """The seed tariff's current period (15 %), the one with the impacts; its two earlier
    periods (a raised rate not given, 2.5 %) are rows of their own."""
    tariffs = curator.client.get("/v1/tariffs").json()["data"]
    [current] = [t for t in tariffs if t["rate_pct"] == "15"]
    return int(current["id"])


def _if_match(curator: Curator, path: str) -> dict[str, str]:
    return {**curator.headers, "If-Match": curator.client.get(path).headers["ETag"]}


def _impact(**overrides: Any) -> dict[str, Any]:
    body = {
        "company": "nissan",
        "fiscal_year": "FY2026",
        "metric": "profit",
        "kind": "estimate",
        "amount": {"amount": "120000000000", "currency": "JPY", "usd": "800000000"},
        "certainty": "reported",
        "citations": cite(IMPACT_2026),
    }
    return body | overrides


def _canada(**overrides: Any) -> dict[str, Any]:
    body = {
        "imposing_country": "CA",
        "target_country": "JP",
        "product": "vehicles",
        "rate_pct": "6.1",
        "certainty": "confirmed",
        "citations": cite(CANADA),
        "impacts": [
            _impact(
                company="honda",
                fiscal_year="FY2025",
                amount={"amount": "20000000000", "currency": "JPY"},
                citations=cite(CANADA_HONDA),
            )
        ],
    }
    return body | overrides


def _plan(**overrides: Any) -> dict[str, Any]:
    body = {
        "company": "nissan",
        "name": "Extended recovery plan",
        "job_cuts": 25000,
        "certainty": "reported",
        "citations": cite(PLAN),
    }
    return body | overrides


def _result(**overrides: Any) -> dict[str, Any]:
    body = {
        "company": "nissan",
        "period": "2026-H1",
        "metric": "net_loss",
        "amount": {"amount": "90000000000", "currency": "JPY", "usd": "600000000"},
        "certainty": "confirmed",
        "citations": cite(RESULT),
    }
    return body | overrides


def _plant(**overrides: Any) -> dict[str, Any]:
    body = {
        "company": "honda",
        "name": "Greensburg plant",
        "city": "Greensburg",
        "region": "Indiana",
        "country": "US",
        "certainty": "confirmed",
        "citations": cite(PLANT),
    }
    return body | overrides


# -- tariffs: a corrected rate, a dated rate change --------------------------------------------


def test_a_corrected_rate_keeps_the_old_one_under_as_of(curator_with_article: Curator) -> None:
    curator = curator_with_article
    path = f"/v1/tariffs/{_tariff_id(curator)}"
    old = curator.client.get(path)
    response = curator.client.patch(
        path,
        json={"rate_pct": "10", "citations": cite(RATE)},
        headers={**curator.headers, "If-Match": old.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["rate_pct"] == "10"
    assert corrected["previous_rate_pct"] is None  # a correction, not a change of rate
    # Reported when the correction's source was published, not on the day it was made.
    assert corrected["known_from"] == "2026-01-10"
    assert [c["quote"] for c in corrected["citations"]] == [RATE]
    assert len(corrected["impacts"]) == 2
    assert response.headers["ETag"] != old.headers["ETag"]

    now = curator.client.get(path)
    assert now.json() == corrected
    assert now.headers["ETag"] == response.headers["ETag"]
    past = recorded_before(curator, path, response)
    assert past == old.json()
    assert past["rate_pct"] == "15"
    assert_verbatim(curator.engine, past["citations"], SEED_RATE)
    rates = [t["rate_pct"] for t in curator.client.get("/v1/tariffs").json()["data"]]
    assert rates == ["10", None, "2.5"]
    before_it = {"as_of": just_before(_at(response))}
    listed = curator.client.get("/v1/tariffs", params=before_it).json()["data"]
    # The superseded copy of the corrected row lists in its own row's id order: last.
    assert [t["rate_pct"] for t in listed] == [None, "2.5", "15"]
    # Reported by then, as recorded now: the correction's source came out on 2026-01-10.
    for day, rates in (("2026-01-09", [None, "2.5"]), ("2026-01-10", ["10", None, "2.5"])):
        listed = curator.client.get("/v1/tariffs", params={"known_at": day}).json()["data"]
        assert [t["rate_pct"] for t in listed] == rates
    facts = curator.client.get("/v1/facts", params={"predicate": "tariff"}).json()["data"]
    assert [f["value"]["rate_pct"] for f in facts] == ["10", None, "2.5"]


def test_a_dated_rate_change_keeps_the_old_rate_under_valid_at(
    curator_with_article: Curator,
) -> None:
    curator = curator_with_article
    tariff_id = _tariff_id(curator)
    path = f"/v1/tariffs/{tariff_id}"
    old = curator.client.get(path).json()
    response = curator.client.patch(
        path,
        json={"rate_pct": "10", "effective_on": "2026-01-01", "citations": cite(RATE)},
        headers=_if_match(curator, path),
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["rate_pct"], changed["previous_rate_pct"]) == ("10", "15")
    assert changed["effective_on"] == changed["valid_from"] == "2026-01-01"

    before_the_change = curator.client.get(path, params={"valid_at": "2025-12-01"}).json()
    assert before_the_change["id"] == tariff_id
    assert before_the_change["rate_pct"] == "15"
    assert before_the_change["valid_to"] == "2026-01-01"
    assert_verbatim(curator.engine, before_the_change["citations"], SEED_RATE)
    assert len(before_the_change["impacts"]) == 2
    answer = curator.client.get(path, params={"valid_at": "2026-02-01"}).json()
    # Each fact says how it answers the date: the new rate, stated from 2026-01-01 with no
    # end, only possibly holds on; the impacts, stated of 2025-11-14, only possibly still.
    assert answer.pop("validity") == "possible"
    assert [impact.pop("validity") for impact in answer["impacts"]] == ["possible"] * 2
    assert answer == changed
    assert curator.client.get(path).json() == changed
    # What we had recorded before the change: 15 %, with no end.
    assert recorded_before(curator, path, response) == old

    def rates(**params: str) -> list[str]:
        return [
            t["rate_pct"] for t in curator.client.get("/v1/tariffs", params=params).json()["data"]
        ]

    # One row per tariff; the seed's undated earlier periods are tariffs of their own, told
    # of as over by the article's date, so answering no later day.
    assert rates() == ["10", None, "2.5"]
    assert rates(valid_at="2025-12-01") == ["15"]
    assert rates(valid_at="2026-01-01") == ["10"]
    assert sorted(map(str, rates(valid_at="2025-11-13"))) == ["15", "2.5", "None"]
    facts = curator.client.get("/v1/facts", params={"predicate": "tariff"}).json()["data"]
    assert {(f["value"]["rate_pct"], f["valid_to"]) for f in facts} == {
        ("10", None),
        ("15", "2026-01-01"),
        (None, None),
        ("2.5", None),
    }

    # Retracting the tariff withdraws the past rate too; history still answers.
    assert curator.client.delete(path, headers=curator.headers).status_code == 204
    assert_problem(curator.client.get(path, params={"valid_at": "2025-12-01"}), 404)
    assert recorded_before(curator, path, response) == old


def test_a_patch_that_changes_nothing_records_nothing(curator_with_article: Curator) -> None:
    curator = curator_with_article
    path = f"/v1/tariffs/{_tariff_id(curator)}"
    old = curator.client.get(path)
    cursor = feed_end(curator.client)
    response = curator.client.patch(path, json={}, headers=_if_match(curator, path))
    assert response.status_code == 200
    assert response.headers["ETag"] == old.headers["ETag"]
    assert changes_since(curator.client, cursor) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate_pct": 10}, "rate_pct"),  # a JSON number, not a decimal string
        ({"rate_pct": "-1"}, "rate_pct"),
        ({"effective_on": "January 2026"}, "effective_on"),
        ({"certainty": None}, "body"),
        ({"citations": cite("Washington doubled the tariff")}, "quote"),
        ({"product": "trucks"}, "product"),  # not correctable: it is what the tariff is
    ],
)
def test_bad_tariff_patches_are_422_and_change_nothing(
    curator_with_article: Curator, body: dict[str, Any], field: str
) -> None:
    curator = curator_with_article
    path = f"/v1/tariffs/{_tariff_id(curator)}"
    before = curator.counts()
    problem = assert_problem(curator.client.patch(path, json=body, headers=curator.headers), 422)
    assert problem["errors"][0]["loc"][0] == "body"
    assert field in problem["errors"][0]["loc"]
    assert curator.counts() == before


def test_a_stale_if_match_is_412_and_changes_nothing(curator_with_article: Curator) -> None:
    curator = curator_with_article
    tariff_id = _tariff_id(curator)
    impact_id = curator.client.get(f"/v1/tariffs/{tariff_id}").json()["impacts"][0]["id"]
    stale = {**curator.headers, "If-Match": '"stale"'}
    before = curator.counts()
    for method, path, body in [
        ("PATCH", f"/v1/tariffs/{tariff_id}", {"rate_pct": "10"}),
        ("DELETE", f"/v1/tariffs/{tariff_id}", None),
        ("PATCH", f"/v1/tariffs/{tariff_id}/impacts/{impact_id}", {"kind": "actual"}),
        ("DELETE", f"/v1/tariffs/{tariff_id}/impacts/{impact_id}", None),
        ("PATCH", "/v1/restructuring-plans/1", {"job_cuts": 25000}),
        ("DELETE", "/v1/companies/honda/plants/1", None),
    ]:
        response = curator.client.request(method, path, json=body, headers=stale)
        assert_problem(response, 412)
    assert curator.counts() == before


# -- creating and retracting tariffs -----------------------------------------------------------


def test_a_tariff_is_created_with_its_impacts_and_retracted_with_them(
    curator_with_article: Curator,
) -> None:
    curator = curator_with_article
    response = curator.client.post("/v1/tariffs", json=_canada(), headers=curator.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/tariffs/{created['id']}"
    assert created["rate_pct"] == "6.1" and created["effective_on"] is None
    [impact] = created["impacts"]
    assert impact["company"] == {"slug": "honda", "name": "Honda"}
    assert impact["amount"] == {"amount": "20000000000", "currency": "JPY", "usd": None}
    read = curator.client.get(response.headers["Location"])
    assert read.json() == created and read.headers["ETag"] == response.headers["ETag"]
    honda = curator.client.get("/v1/companies/honda/tariff-impacts").json()["data"]
    assert sorted(i["tariff"]["imposing_country"] for i in honda) == ["CA", "US"]
    # The seed's Honda impact states no fiscal year: it sorts first, and a page ends on it.
    path = "/v1/companies/honda/tariff-impacts"
    years = [i["fiscal_year"] for i in walk_pages(curator.client, path, {"sort": "fiscal_year"})]
    assert years == [None, "FY2025"]
    backwards = walk_pages(curator.client, path, {"sort": "-fiscal_year"})
    assert [i["fiscal_year"] for i in backwards] == ["FY2025", None]
    hits = curator.client.get("/v1/search", params={"q": "CA tariff", "type": "tariff"}).json()
    assert str(created["id"]) in [h["key"] for h in hits["data"]]

    path = response.headers["Location"]
    deleted = curator.client.delete(
        path, headers={**curator.headers, "If-Match": read.headers["ETag"]}
    )
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(curator.client.get(path), 404)
    assert_problem(curator.client.get(f"{path}/impacts/{impact['id']}"), 404)
    honda = curator.client.get("/v1/companies/honda/tariff-impacts").json()["data"]
    assert [i["tariff"]["imposing_country"] for i in honda] == ["US"]
    hits = curator.client.get("/v1/search", params={"q": "CA tariff", "type": "tariff"}).json()
    assert str(created["id"]) not in [h["key"] for h in hits["data"]]
    # Withdrawn by the retraction: what was recorded before it still answers.
    deleted_at = last_write_at(curator.client)
    assert recorded_before(curator, path, deleted_at) == created
    assert_problem(curator.client.get(path, params={"known_at": yesterday()}), 404)
    # The key is free again.
    again = curator.client.post("/v1/tariffs", json=_canada(), headers=curator.headers)
    assert again.status_code == 201


def test_a_current_tariff_of_the_same_key_is_409(curator_with_article: Curator) -> None:
    curator = curator_with_article
    before = curator.counts()
    body = _canada(imposing_country="US", rate_pct="10", citations=cite(RATE), impacts=[])
    problem = assert_problem(
        curator.client.post("/v1/tariffs", json=body, headers=curator.headers), 409
    )
    assert "correct it instead" in problem["detail"]
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"rate_pct": 6.1}, ["body", "rate_pct"]),
        ({"impacts": [_impact(company="tesla")]}, ["body", "impacts", 0, "company"]),
        (
            {"impacts": [_impact(amount={"amount": 1.2e11, "currency": "JPY"})]},
            ["body", "impacts", 0, "amount", "amount"],
        ),
        ({"impacts": [_impact(), _impact()]}, ["body", "impacts", 1]),
        (
            {"impacts": [_impact(citations=cite("Tesla cut prices"))]},
            ["body", "impacts", 0, "citations", 0, "quote"],
        ),
    ],
)
def test_bad_tariff_bodies_are_422_by_field_and_change_nothing(
    curator_with_article: Curator, change: dict[str, Any], loc: list[str | int]
) -> None:
    curator = curator_with_article
    before = curator.counts()
    response = curator.client.post("/v1/tariffs", json=_canada(**change), headers=curator.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == loc
    assert curator.counts() == before


def test_a_retried_post_returns_the_first_response(curator_with_article: Curator) -> None:
    curator = curator_with_article
    headers = {**curator.headers, "Idempotency-Key": "canada-1"}
    first = curator.client.post("/v1/tariffs", json=_canada(), headers=headers)
    assert first.status_code == 201
    after_first = curator.counts()
    again = curator.client.post("/v1/tariffs", json=_canada(), headers=headers)
    assert (again.status_code, again.json(), again.headers["Location"]) == (
        201,
        first.json(),
        first.headers["Location"],
    )
    assert curator.counts() == after_first
    other = curator.client.post("/v1/tariffs", json=_canada(rate_pct="7"), headers=headers)
    assert_problem(other, 422)
    assert curator.counts() == after_first


def test_a_tariff_told_as_past_is_over_by_its_source_date(curator_with_article: Curator) -> None:
    curator = curator_with_article
    response = curator.client.post(
        "/v1/tariffs", json=_canada(told_as="past"), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["told_as"], created["impacts"][0]["told_as"]) == ("past", "present")
    published = dt.date.fromisoformat(created["known_from"])

    def canada(valid_at: dt.date, **params: str) -> list[str]:
        answer = curator.client.get(
            "/v1/tariffs", params={"imposing_country": "CA", "valid_at": str(valid_at), **params}
        )
        assert answer.status_code == 200, answer.text
        return [t["validity"] for t in answer.json()["data"]]

    # Possible before the source's date, over on it, never certain.
    assert canada(published - dt.timedelta(days=1)) == ["possible"]
    assert canada(published) == canada(published, validity="certain") == []


# -- impacts -----------------------------------------------------------------------------------


def test_an_impact_for_a_new_fiscal_year_round_trip(curator_with_article: Curator) -> None:
    curator = curator_with_article
    tariff_id = _tariff_id(curator)
    response = curator.client.post(
        f"/v1/tariffs/{tariff_id}/impacts", json=_impact(), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    location = f"/v1/tariffs/{tariff_id}/impacts/{created['id']}"
    assert response.headers["Location"] == location
    assert created["tariff"]["id"] == tariff_id
    assert created["fiscal_year"] == "FY2026" and created["certainty"] == "reported"
    assert created["amount"] == {"amount": "120000000000", "currency": "JPY", "usd": "800000000"}
    assert curator.client.get(location).json() == created
    tariff = curator.client.get(f"/v1/tariffs/{tariff_id}").json()
    # Nissan's, Honda's (no year stated) and the new one.
    assert [i["fiscal_year"] for i in tariff["impacts"]] == ["FY2025", None, "FY2026"]
    nissan = curator.client.get(
        "/v1/companies/nissan/tariff-impacts", params={"fiscal_year": "FY2026"}
    ).json()["data"]
    assert [i["id"] for i in nissan] == [created["id"]]

    # The amount is replaced whole: a figure without usd has none.
    patched = curator.client.patch(
        location,
        json={"amount": {"amount": "125000000000", "currency": "JPY"}, "kind": "forecast"},
        headers=_if_match(curator, location),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["amount"] == {"amount": "125000000000", "currency": "JPY", "usd": None}
    assert patched.json()["kind"] == "forecast"
    assert recorded_before(curator, location, patched) == created

    deleted = curator.client.delete(location, headers=_if_match(curator, location))
    assert deleted.status_code == 204
    assert_problem(curator.client.get(location), 404)
    assert len(curator.client.get(f"/v1/tariffs/{tariff_id}").json()["impacts"]) == 2
    assert recorded_before(curator, location, patched) == created


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        (_impact(company="tesla"), 422, ["body", "company"]),
        (_impact(amount={"amount": 120000000000, "currency": "JPY"}), 422, None),
        (_impact(amount={"amount": "1.5e11", "currency": "JPY"}), 422, None),
        (_impact(citations=cite("profits to rise")), 422, ["body", "citations", 0, "quote"]),
        (_impact(fiscal_year="FY2025", citations=cite(IMPACT_2026)), 409, None),
    ],
)
def test_refused_impacts_change_nothing(
    curator_with_article: Curator, body: dict[str, Any], status: int, loc: list[Any] | None
) -> None:
    curator = curator_with_article
    tariff_id = _tariff_id(curator)
    before = curator.counts()
    response = curator.client.post(
        f"/v1/tariffs/{tariff_id}/impacts", json=body, headers=curator.headers
    )
    problem = assert_problem(response, status)
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc
    elif status == 422:
        assert problem["errors"][0]["loc"][:3] == ["body", "amount", "amount"]
    assert curator.counts() == before


def test_impact_writes_on_unknown_ids_or_onto_another_key_are_refused(
    curator_with_article: Curator,
) -> None:
    curator = curator_with_article
    h = curator.headers
    tariff_id = _tariff_id(curator)
    impacts = f"/v1/tariffs/{tariff_id}/impacts"
    created = curator.client.post(impacts, json=_impact(), headers=h).json()
    location = f"{impacts}/{created['id']}"
    before = curator.counts()
    assert_problem(curator.client.post("/v1/tariffs/999/impacts", json=_impact(), headers=h), 404)
    assert_problem(
        curator.client.patch(f"/v1/tariffs/999/impacts/{created['id']}", json={}, headers=h), 404
    )
    assert_problem(curator.client.delete(f"{impacts}/999", headers=h), 404)
    # Nissan already has a FY2025 profit impact of this tariff.
    assert_problem(curator.client.patch(location, json={"fiscal_year": "FY2025"}, headers=h), 409)
    assert_problem(curator.client.patch(location, json={"amount": None}, headers=h), 422)
    assert_problem(curator.client.patch(location, json={"company": "honda"}, headers=h), 422)
    assert curator.counts() == before


# -- restructuring plans -----------------------------------------------------------------------


def test_a_plan_round_trip(curator_with_article: Curator) -> None:
    curator = curator_with_article
    response = curator.client.post("/v1/restructuring-plans", json=_plan(), headers=curator.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    location = f"/v1/restructuring-plans/{created['id']}"
    assert response.headers["Location"] == location
    assert created["company"] == "nissan" and created["job_cuts"] == 25000
    read = curator.client.get(location)
    assert read.json() == created and read.headers["ETag"] == response.headers["ETag"]
    listed = curator.client.get("/v1/companies/nissan/restructuring-plans").json()["data"]
    assert sorted(p["name"] for p in listed) == ["Extended recovery plan", "recovery plan"]
    hits = curator.client.get(
        "/v1/search", params={"q": "Extended", "type": "restructuring_plan"}
    ).json()["data"]
    assert [h["key"] for h in hits] == [str(created["id"])]

    patched = curator.client.patch(
        location,
        json={
            "plants_before": 17,
            "plants_after": 10,
            "target_year": 2028,
            "certainty": "confirmed",
        },
        headers={**curator.headers, "If-Match": read.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["plants_after"], patched.json()["target_year"]) == (10, 2028)
    assert recorded_before(curator, location, patched) == created

    assert curator.client.delete(location, headers=curator.headers).status_code == 204
    assert_problem(curator.client.get(location), 404)
    hits = curator.client.get(
        "/v1/search", params={"q": "Extended", "type": "restructuring_plan"}
    ).json()["data"]
    assert hits == []


def test_correcting_the_seed_plan_keeps_its_old_figures(curator_with_article: Curator) -> None:
    curator = curator_with_article
    [plan] = curator.client.get("/v1/restructuring-plans").json()["data"]
    location = f"/v1/restructuring-plans/{plan['id']}"
    old = curator.client.get(location).json()
    response = curator.client.patch(
        location, json={"job_cuts": 25000, "citations": cite(PLAN)}, headers=curator.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["job_cuts"] == 25000
    assert recorded_before(curator, location, response) == old


@pytest.mark.parametrize(
    ("method", "body", "status", "loc"),
    [
        ("POST", _plan(name="recovery plan"), 409, None),
        ("POST", _plan(company="tesla"), 422, ["body", "company"]),
        ("POST", _plan(job_cuts="25000"), 422, ["body", "job_cuts"]),
        ("POST", _plan(job_cuts=-1), 422, ["body", "job_cuts"]),
        # INTEGER columns: past 2**31 - 1 PostgreSQL refuses it, past 2**63 SQLite does too.
        ("POST", _plan(job_cuts=2**31), 422, ["body", "job_cuts"]),
        ("POST", _plan(plants_before=2**63), 422, ["body", "plants_before"]),
        ("PATCH", {"plants_after": 2**31}, 422, ["body", "plants_after"]),
        ("PATCH", {"name": None}, 422, None),
        ("PATCH", {"company": "honda"}, 422, ["body", "company"]),
    ],
)
def test_refused_plans_change_nothing(
    curator_with_article: Curator,
    method: str,
    body: dict[str, Any],
    status: int,
    loc: list[Any] | None,
) -> None:
    curator = curator_with_article
    [plan] = curator.client.get("/v1/restructuring-plans").json()["data"]
    path = "/v1/restructuring-plans" + (f"/{plan['id']}" if method == "PATCH" else "")
    before = curator.counts()
    problem = assert_problem(
        curator.client.request(method, path, json=body, headers=curator.headers), status
    )
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc
    assert curator.counts() == before


# -- financial results -------------------------------------------------------------------------


def test_a_financial_result_round_trip(curator_with_article: Curator) -> None:
    curator = curator_with_article
    response = curator.client.post(
        "/v1/companies/nissan/financial-results", json=_result(), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    location = f"/v1/companies/nissan/financial-results/{created['id']}"
    assert response.headers["Location"] == location
    assert created["amount"] == {"amount": "90000000000", "currency": "JPY", "usd": "600000000"}
    read = curator.client.get(location)
    assert read.json() == created and read.headers["ETag"] == response.headers["ETag"]
    assert_problem(
        curator.client.get(f"/v1/companies/honda/financial-results/{created['id']}"), 404
    )
    results = curator.client.get("/v1/companies/nissan/financial-results").json()["data"]
    assert [r["period"] for r in results] == [None, "2026-H1"]  # the seed's loss has none

    patched = curator.client.patch(
        location,
        json={"amount": {"amount": "90500000000", "currency": "JPY", "usd": "600000000"}},
        headers={**curator.headers, "If-Match": read.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["amount"]["amount"] == "90500000000"
    assert recorded_before(curator, location, patched) == created

    assert curator.client.delete(location, headers=curator.headers).status_code == 204
    assert_problem(curator.client.get(location), 404)
    results = curator.client.get("/v1/companies/nissan/financial-results").json()["data"]
    assert [r["period"] for r in results] == [None]
    assert recorded_before(curator, location, patched) == created


@pytest.mark.parametrize(
    ("slug", "body", "status", "loc"),
    [
        ("nissan", _result(period=None, metric="loss"), 409, None),
        ("honda", _result(), 422, ["body", "company"]),  # the body's company is the URL's
        ("nissan", _result(company=None), 422, ["body", "company"]),
        ("tesla", _result(company="tesla"), 404, None),
        (
            "nissan",
            _result(amount={"amount": 9.0e10, "currency": "JPY", "usd": "600000000"}),
            422,
            ["body", "amount", "amount"],
        ),
        (
            "nissan",
            _result(amount={"amount": "90000000000", "currency": "yen"}),
            422,
            ["body", "amount", "currency"],
        ),
    ],
)
def test_refused_results_change_nothing(
    curator_with_article: Curator,
    slug: str,
    body: dict[str, Any],
    status: int,
    loc: list[Any] | None,
) -> None:
    curator = curator_with_article
    before = curator.counts()
    response = curator.client.post(
        f"/v1/companies/{slug}/financial-results", json=body, headers=curator.headers
    )
    problem = assert_problem(response, status)
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc
    assert curator.counts() == before


def test_a_result_patch_onto_another_results_key_is_409(curator_with_article: Curator) -> None:
    curator = curator_with_article
    created = curator.client.post(
        "/v1/companies/nissan/financial-results", json=_result(), headers=curator.headers
    ).json()
    before = curator.counts()
    response = curator.client.patch(
        f"/v1/companies/nissan/financial-results/{created['id']}",
        json={"period": None, "metric": "loss"},
        headers=curator.headers,
    )
    assert_problem(response, 409)
    assert curator.counts() == before


# -- plants ------------------------------------------------------------------------------------


def test_a_plant_round_trip(curator_with_article: Curator) -> None:
    curator = curator_with_article

    def search(q: str) -> list[str]:
        hits = curator.client.get("/v1/search", params={"q": q, "type": "plant"}).json()
        return [h["title"] for h in hits["data"]]

    response = curator.client.post(
        "/v1/companies/honda/plants", json=_plant(), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    location = f"/v1/companies/honda/plants/{created['id']}"
    assert response.headers["Location"] == location
    assert curator.client.get(location).json() == created
    assert search("Greensburg") == ["Greensburg plant"]
    plants = curator.client.get("/v1/companies/honda/plants").json()["data"]
    assert sorted(p["name"] for p in plants) == ["Greensburg plant", "Honda plant in Marysville"]

    patched = curator.client.patch(
        location,
        json={"name": "Indiana Auto Plant", "city": None},
        headers=_if_match(curator, location),
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["city"]) == ("Indiana Auto Plant", None)
    assert search("Indiana") == ["Indiana Auto Plant"]
    assert recorded_before(curator, location, patched) == created

    assert curator.client.delete(location, headers=_if_match(curator, location)).status_code == 204
    assert_problem(curator.client.get(location), 404)
    assert search("Indiana") == []
    # Retracted, its name is free again.
    again = curator.client.post(
        "/v1/companies/honda/plants", json=_plant(), headers=curator.headers
    )
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        (_plant(name="Honda plant in Marysville"), 409, None),
        (_plant(company="nissan"), 422, ["body", "company"]),
        (_plant(country="USA"), 422, ["body", "country"]),
        (_plant(citations=[]), 422, ["body", "citations"]),
    ],
)
def test_refused_plants_change_nothing(
    curator_with_article: Curator, body: dict[str, Any], status: int, loc: list[Any] | None
) -> None:
    curator = curator_with_article
    before = curator.counts()
    response = curator.client.post("/v1/companies/honda/plants", json=body, headers=curator.headers)
    problem = assert_problem(response, status)
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc
    assert curator.counts() == before


def test_writes_need_a_key(curator_with_article: Curator) -> None:
    curator = curator_with_article
    before = curator.counts()
    for method, path, body in [
        ("POST", "/v1/tariffs", _canada()),
        ("POST", f"/v1/tariffs/{_tariff_id(curator)}/impacts", _impact()),
        ("POST", "/v1/restructuring-plans", _plan()),
        ("POST", "/v1/companies/nissan/financial-results", _result()),
        ("POST", "/v1/companies/honda/plants", _plant()),
        ("DELETE", "/v1/companies/honda/plants/1", None),
    ]:
        assert_problem(curator.client.request(method, path, json=body), 401)
    assert curator.counts() == before


# -- the change log ----------------------------------------------------------------------------


def test_every_write_is_in_the_change_log_in_order(curator_with_article: Curator) -> None:
    curator = curator_with_article
    client, headers = curator.client, curator.headers
    tariff_id = _tariff_id(curator)
    cursor = feed_end(client)
    client.patch(f"/v1/tariffs/{tariff_id}", json={"rate_pct": "10"}, headers=headers)
    impact = client.post(f"/v1/tariffs/{tariff_id}/impacts", json=_impact(), headers=headers)
    impact_path = impact.headers["Location"]
    client.patch(impact_path, json={"kind": "forecast"}, headers=headers)
    client.delete(impact_path, headers=headers)
    plan = client.post("/v1/restructuring-plans", json=_plan(), headers=headers).json()
    result = client.post(
        "/v1/companies/nissan/financial-results", json=_result(), headers=headers
    ).json()
    plant = client.post("/v1/companies/honda/plants", json=_plant(), headers=headers).json()
    canada = client.post("/v1/tariffs", json=_canada(), headers=headers).json()
    # Refused writes leave nothing behind.
    client.post("/v1/companies/honda/plants", json=_plant(), headers=headers)
    client.post("/v1/restructuring-plans", json=_plan(company="tesla"), headers=headers)

    changes = changes_since(client, cursor)
    impact_id = impact.json()["id"]
    assert [(c["operation"], c["resource"], c["resource_id"]) for c in changes] == [
        ("update", "tariffs", str(tariff_id)),
        ("create", "tariff-impacts", str(impact_id)),
        ("update", "tariff-impacts", str(impact_id)),
        ("delete", "tariff-impacts", str(impact_id)),
        ("create", "restructuring-plans", str(plan["id"])),
        ("create", "financial-results", str(result["id"])),
        ("create", "plants", str(plant["id"])),
        ("create", "tariffs", str(canada["id"])),
        ("create", "tariff-impacts", str(canada["impacts"][0]["id"])),
    ]
    assert all(c["actor"] == "curator" for c in changes)
    rate = changes[0]
    assert (rate["before"]["rate_pct"], rate["after"]["rate_pct"]) == ("15", "10")
    assert changes[3]["after"] is None and changes[3]["before"]["kind"] == "forecast"
    assert changes[6]["after"] == client.get(f"/v1/companies/honda/plants/{plant['id']}").json()
    assert changes[7]["after"] == client.get(f"/v1/tariffs/{canada['id']}").json()


@pytest.mark.parametrize(("job_cuts", "stored"), [(25000, 25000), (25000.0, 25000)])
def test_a_count_is_any_json_integer(
    curator_with_article: Curator, job_cuts: float, stored: int
) -> None:
    """JSON Schema's `integer` takes 25000.0 (a number without a fraction), as the document
    says `job_cuts` is an integer; a string or a fraction is not one."""
    curator = curator_with_article
    response = curator.client.post(
        "/v1/restructuring-plans", json=_plan(job_cuts=job_cuts), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["job_cuts"] == stored


@pytest.mark.parametrize("job_cuts", ["25000", 2.5, True, -1])
def test_a_count_that_is_not_an_integer_is_a_422(
    curator_with_article: Curator, job_cuts: object
) -> None:
    curator = curator_with_article
    response = curator.client.post(
        "/v1/restructuring-plans", json=_plan(job_cuts=job_cuts), headers=curator.headers
    )
    assert_problem(response, 422, field="job_cuts")
