"""Executives and their roles: the seed read back, filters, sorts, valid_at and known_at."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import (
    assert_problem,
    assert_slugs_in_order,
    assert_verbatim,
    cite,
    client_for_facts,
    count_queries,
    get_data,
    get_slugs,
    record_queries,
    tables_read_in_full,
    walk_pages,
)

# -- the seed ---------------------------------------------------------------------------------


def test_list_shows_espinosa_without_roles_or_citations_unless_asked(client: TestClient) -> None:
    rows = get_data(client, "/v1/executives")
    assert [(r["slug"], r["name"]) for r in rows] == [("ivan-espinosa", "Ivan Espinosa")]
    assert "roles" not in rows[0] and "citations" not in rows[0]
    assert rows[0]["certainty"] == "confirmed"


def test_list_embeds_roles_and_citations_on_request(
    client: TestClient, seeded_engine: Engine
) -> None:
    (row,) = get_data(client, "/v1/executives", include="roles,citations")
    assert_verbatim(seeded_engine, row["citations"])
    (role,) = row["roles"]
    assert role["title"] == "CEO"
    assert role["company"] == {"slug": "nissan", "name": "Nissan"}
    assert role["started_on"] == role["valid_from"] == "2025-04"
    assert role["ended_on"] is None
    assert_verbatim(seeded_engine, role["citations"])
    (only_roles,) = get_data(client, "/v1/executives", include="roles")
    assert "citations" not in only_roles and "citations" not in only_roles["roles"][0]


def test_espinosa_is_ceo_of_nissan_since_april_2025(
    client: TestClient, seeded_engine: Engine
) -> None:
    response = client.get("/v1/executives/ivan-espinosa")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Ivan Espinosa"
    assert_verbatim(seeded_engine, body["citations"])
    (role,) = body["roles"]
    assert role["title"] == "CEO"
    assert role["company"] == {"slug": "nissan", "name": "Nissan"}
    assert (role["started_on"], role["ended_on"]) == ("2025-04", None)
    assert role["certainty"] == "confirmed"
    assert isinstance(role["id"], int)
    assert_verbatim(seeded_engine, role["citations"])
    assert any("CEO since April" in c["quote"] for c in role["citations"])


def test_valid_at_filters_roles(client: TestClient) -> None:
    before = client.get("/v1/executives/ivan-espinosa", params={"valid_at": "2025-03-01"}).json()
    assert before["roles"] == []
    during = client.get("/v1/executives/ivan-espinosa", params={"valid_at": "2025-04-15"}).json()
    assert [r["title"] for r in during["roles"]] == ["CEO"]
    assert get_slugs(client, "/v1/executives", company="nissan", valid_at="2025-03-01") == []
    assert get_slugs(client, "/v1/executives", company="nissan", valid_at="2025-11-14") == [
        "ivan-espinosa"
    ]


def test_known_at_before_the_article_knows_nothing(client: TestClient) -> None:
    assert get_data(client, "/v1/executives", known_at="2025-11-13") == []
    assert_problem(
        client.get("/v1/executives/ivan-espinosa", params={"known_at": "2025-11-13"}), 404
    )
    assert get_slugs(client, "/v1/executives", known_at="2025-11-14") == ["ivan-espinosa"]


def test_filters(client: TestClient) -> None:
    assert get_slugs(client, "/v1/executives", company="nissan") == ["ivan-espinosa"]
    assert get_slugs(client, "/v1/executives", company="honda") == []
    assert get_slugs(client, "/v1/executives", company="no-such-company") == []
    assert get_slugs(client, "/v1/executives", title="CEO") == ["ivan-espinosa"]
    assert get_slugs(client, "/v1/executives", title="CFO") == []
    assert get_slugs(client, "/v1/executives", company="nissan", title="CEO") == ["ivan-espinosa"]


def test_company_executives(client: TestClient, seeded_engine: Engine) -> None:
    (item,) = get_data(client, "/v1/companies/nissan/executives")
    assert item["executive"] == {"slug": "ivan-espinosa", "name": "Ivan Espinosa"}
    role = item["role"]
    assert (role["title"], role["started_on"], role["ended_on"]) == ("CEO", "2025-04", None)
    assert role["certainty"] == "confirmed"
    assert "citations" not in role
    (cited,) = get_data(client, "/v1/companies/nissan/executives", include="citations")
    assert_verbatim(seeded_engine, cited["role"]["citations"])
    assert get_data(client, "/v1/companies/nissan/executives", valid_at="2025-03-01") == []
    assert get_data(client, "/v1/companies/honda/executives") == []


def test_a_company_s_executives_are_one_statement(
    uncached_client: TestClient, seeded_engine: Engine
) -> None:
    """The company, its roles and their executives' names come from one statement; only
    an empty page asks again, to tell a company without executives from no company."""
    with count_queries(seeded_engine) as statements:
        assert len(get_data(uncached_client, "/v1/companies/nissan/executives")) == 1
    assert len(statements) == 1, statements
    with count_queries(seeded_engine) as statements:
        assert get_data(uncached_client, "/v1/companies/honda/executives") == []
    assert len(statements) == 2, statements


def test_a_company_s_executives_are_found_by_key(
    uncached_client: TestClient, seeded_engine: Engine
) -> None:
    """Executives filtered by company come from the company's roles by key, now and at a
    known_at (when superseded copies count too): a condition on each executive read all
    200,000 of them at the bench's scale (550 ms; 250 ms with known_at)."""
    with record_queries(seeded_engine) as queries:
        for params in ({}, {"title": "CEO"}, {"known_at": "2025-11-14"}):
            assert get_slugs(uncached_client, "/v1/executives", company="nissan", **params)
    read = set().union(*(tables_read_in_full(seeded_engine, *query) for query in queries))
    assert not read & {"executive", "executive_role", "company"}, read


def test_errors(client: TestClient) -> None:
    assert_problem(client.get("/v1/executives/carlos-ghosn"), 404)
    assert_problem(client.get("/v1/executives/Ivan_Espinosa"), 422)
    assert_problem(client.get("/v1/companies/tesla/executives"), 404)
    assert_problem(client.get("/v1/executives", params={"sort": "title"}), 422, field="sort")
    assert_problem(
        client.get("/v1/executives", params={"include": "members"}), 422, field="include"
    )
    assert_problem(
        client.get("/v1/executives", params={"company": "Nissan!"}), 422, field="company"
    )
    assert_problem(client.get("/v1/executives", params={"title": "CEO\x00"}), 422, field="title")
    assert_problem(
        client.get("/v1/executives", params={"valid_at": "April"}), 422, field="valid_at"
    )
    assert_problem(
        client.get("/v1/companies/nissan/executives", params={"sort": "name"}), 422, field="sort"
    )
    assert_problem(
        client.get("/v1/companies/nissan/executives", params={"include": "roles"}),
        422,
        field="include",
    )


# -- several executives: sorts, pages and history ---------------------------------------------

TEXT = (
    "Carol Cole has been CEO of Acme since 2020. Alice Ames runs Acme's finances: "
    "she became CFO in March 2023 and left in 2024. Bob Burr chairs Beta."
)
LATER = "Bob Burr, Beta's chairman, has also advised Beta since 2024."


FACTS = {
    "format": "autofacts/v1",
    "sources": [
        {"slug": "early", "title": "Early", "published_on": "2024-06-01", "text": TEXT},
        {"slug": "later", "title": "Later", "published_on": "2025-01-10", "text": LATER},
    ],
    "companies": [
        {
            "slug": slug,
            "name": name,
            "kind": "automaker",
            "certainty": "confirmed",
            "citations": cite(name),
        }
        for slug, name in (("acme", "Acme"), ("beta", "Beta"))
    ],
    # Ids, slugs and names sort three different ways.
    "executives": [
        {
            "slug": "b-cole",
            "name": "Carol Cole",
            "certainty": "confirmed",
            "citations": cite("Carol Cole"),
            "roles": [
                {
                    "company": "acme",
                    "title": "CEO",
                    "started_on": "2020",
                    "certainty": "confirmed",
                    "citations": cite("Carol Cole has been CEO of Acme since 2020."),
                }
            ],
        },
        {
            "slug": "c-ames",
            "name": "Alice Ames",
            "certainty": "confirmed",
            "citations": cite("Alice Ames"),
            "roles": [
                {
                    "company": "acme",
                    "title": "CFO",
                    "started_on": "2023-03",
                    "ended_on": "2024",
                    "certainty": "confirmed",
                    "citations": cite("she became CFO in March 2023 and left in 2024"),
                }
            ],
        },
        {
            "slug": "a-burr",
            "name": "Bob Burr",
            "certainty": "confirmed",
            "citations": cite("Bob Burr"),
            "roles": [
                {
                    "company": "beta",
                    "title": "Chair",
                    "certainty": "reported",
                    "citations": cite("Bob Burr chairs Beta."),
                },
                {
                    "company": "beta",
                    "title": "Adviser",
                    "started_on": "2024",
                    "certainty": "confirmed",
                    "citations": cite("has also advised Beta since 2024", "later"),
                },
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def several(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_for_facts(tmp_path_factory, "executives", FACTS) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["c-ames", "a-burr", "b-cole"]),
        ("name", ["c-ames", "a-burr", "b-cole"]),
        ("-name", ["b-cole", "a-burr", "c-ames"]),
        ("slug", ["a-burr", "b-cole", "c-ames"]),
        ("-slug", ["c-ames", "b-cole", "a-burr"]),
        ("id", ["b-cole", "c-ames", "a-burr"]),
        ("-id", ["a-burr", "c-ames", "b-cole"]),
    ],
)
def test_sorts(several: TestClient, sort: str | None, expected: list[str]) -> None:
    params = {"sort": sort} if sort else {}
    assert_slugs_in_order(several, "/v1/executives", expected, **params)


def test_filters_need_one_role_to_match_both(several: TestClient) -> None:
    assert get_slugs(several, "/v1/executives", company="acme") == ["c-ames", "b-cole"]
    assert get_slugs(several, "/v1/executives", company="acme", title="CFO") == ["c-ames"]
    assert get_slugs(several, "/v1/executives", company="beta", title="CFO") == []
    assert get_slugs(several, "/v1/executives", title="Adviser") == ["a-burr"]


def test_roles_answer_valid_at(several: TestClient) -> None:
    assert get_slugs(several, "/v1/executives", company="acme", valid_at="2023-06-01") == [
        "c-ames",
        "b-cole",
    ]
    # The CFO left some day of 2024 (valid_to is exclusive): possibly still there on its
    # first day, certainly gone by its last.
    assert get_slugs(several, "/v1/executives", company="acme", valid_at="2024-12-31") == ["b-cole"]
    ames = several.get("/v1/executives/c-ames").json()
    (role,) = ames["roles"]
    assert (role["started_on"], role["ended_on"]) == ("2023-03", "2024")
    early, late = (
        several.get("/v1/executives/c-ames", params={"valid_at": day}).json()["roles"]
        for day in ("2024-02-01", "2024-12-31")
    )
    assert [r["validity"] for r in early] == ["possible"] and late == []
    titles = [
        item["role"]["title"]
        for item in get_data(several, "/v1/companies/acme/executives", valid_at="2023-06-01")
    ]
    assert titles == ["CEO", "CFO"]


def test_known_at_hides_what_was_said_later(several: TestClient) -> None:
    burr = several.get("/v1/executives/a-burr").json()
    assert [r["title"] for r in burr["roles"]] == ["Chair", "Adviser"]
    assert [r["certainty"] for r in burr["roles"]] == ["reported", "confirmed"]
    early = several.get("/v1/executives/a-burr", params={"known_at": "2024-12-31"}).json()
    assert [r["title"] for r in early["roles"]] == ["Chair"]
    assert get_slugs(several, "/v1/executives", title="Adviser", known_at="2024-12-31") == []
    assert len(get_data(several, "/v1/companies/beta/executives", known_at="2024-12-31")) == 1
    assert_problem(several.get("/v1/executives/a-burr", params={"known_at": "2024-05-31"}), 404)


def test_company_executives_sort_by_role(several: TestClient) -> None:
    def titles(**params: Any) -> list[str]:
        return [
            i["role"]["title"] for i in get_data(several, "/v1/companies/beta/executives", **params)
        ]

    assert titles() == ["Chair", "Adviser"]
    assert titles(sort="-id") == ["Adviser", "Chair"]
    assert titles(sort="title") == ["Adviser", "Chair"]
    assert titles(sort="-title") == ["Chair", "Adviser"]
    items = get_data(several, "/v1/companies/beta/executives")
    assert {i["executive"]["slug"] for i in items} == {"a-burr"}
    # Two rows, one a page: two pages, the second the last.
    walked = walk_pages(several, "/v1/companies/beta/executives", max_pages=2)
    assert [item["role"]["title"] for item in walked] == ["Chair", "Adviser"]
