"""Restructuring plans, financial results and plants, read back from the seed."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.models import Company, Plant
from tests.helpers import (
    SEED_DAY,
    assert_problem,
    assert_verbatim,
    client_for,
    count_queries,
    recorded,
)


@pytest.fixture(scope="module")
def plan(client: TestClient) -> dict[str, Any]:
    [only] = client.get("/v1/restructuring-plans").json()["data"]
    return only


def test_the_seed_plan_reads_back(plan: dict[str, Any]) -> None:
    assert plan["company"] == "nissan"
    assert plan["name"] == "recovery plan"
    assert plan["job_cuts"] == 20000
    assert plan["plants_before"] == 17
    assert plan["plants_after"] == 10
    assert plan["target_year"] == 2028
    assert plan["certainty"] == "confirmed"
    assert plan["known_from"] == SEED_DAY
    assert plan["valid_from"] is None
    assert "citations" not in plan


def test_one_plan_with_its_citations(
    client: TestClient, seeded_engine: Engine, plan: dict[str, Any]
) -> None:
    body = client.get(f"/v1/restructuring-plans/{plan['id']}").json()
    assert {k: v for k, v in body.items() if k != "citations"} == plan
    assert_verbatim(seeded_engine, body["citations"], "20,000 jobs", "from 17 to 10 by 2028")
    [listed] = client.get("/v1/restructuring-plans", params={"include": "citations"}).json()["data"]
    assert listed == body


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"company": "nissan"}, 1),
        ({"company": "honda"}, 0),
        ({"company": "tesla"}, 0),  # a filter matching nothing, not a 404
        ({"target_year": 2028}, 1),
        ({"target_year": 2030}, 0),
        ({"company": "nissan", "target_year": 2028}, 1),
        ({"sort": "id"}, 1),
        ({"sort": "-id"}, 1),
        ({"known_at": "2025-11-13"}, 0),
        ({"known_at": "2025-11-14"}, 1),
        ({"valid_at": "2024-01-01"}, 1),  # the plan states no dates: it always holds
    ],
)
def test_plan_filters(client: TestClient, params: dict[str, Any], count: int) -> None:
    response = client.get("/v1/restructuring-plans", params=params)
    assert response.status_code == 200
    assert len(response.json()["data"]) == count


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"company": "Nissan"}, "company"),
        ({"company": "x" * 101}, "company"),
        ({"target_year": "soon"}, "target_year"),
        ({"target_year": 0}, "target_year"),
        ({"target_year": 10000}, "target_year"),
        ({"sort": "job_cuts"}, "sort"),
        ({"include": "company"}, "include"),
    ],
)
def test_plan_bad_parameters(client: TestClient, params: dict[str, Any], field: str) -> None:
    assert_problem(client.get("/v1/restructuring-plans", params=params), 422, field=field)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/restructuring-plans/999999", 404),
        ("/v1/restructuring-plans/0", 422),
        ("/v1/restructuring-plans/nissan", 422),
        ("/v1/restructuring-plans/99999999999999999999", 422),
    ],
)
def test_plan_unknown_and_malformed_ids(client: TestClient, path: str, status: int) -> None:
    assert_problem(client.get(path), status)


def test_plan_detail_as_of(client: TestClient, plan: dict[str, Any]) -> None:
    path = f"/v1/restructuring-plans/{plan['id']}"
    assert_problem(client.get(path, params={"known_at": "2025-11-13"}), 404)
    assert client.get(path, params={"known_at": "2025-11-14"}).status_code == 200


def test_a_companys_plans(client: TestClient, seeded_engine: Engine, plan: dict[str, Any]) -> None:
    [listed] = client.get("/v1/companies/nissan/restructuring-plans").json()["data"]
    assert listed == plan
    [cited] = client.get(
        "/v1/companies/nissan/restructuring-plans", params={"include": "citations"}
    ).json()["data"]
    assert_verbatim(seeded_engine, cited["citations"], "recovery plan")
    assert client.get("/v1/companies/honda/restructuring-plans").json()["data"] == []
    path = "/v1/companies/nissan/restructuring-plans"
    assert client.get(path, params={"target_year": 2027}).json()["data"] == []
    assert_problem(client.get("/v1/companies/tesla/restructuring-plans"), 404)
    assert_problem(client.get(path, params={"sort": "name"}), 422, field="sort")
    assert_problem(client.get(path, params={"target_year": "x"}), 422, field="target_year")


# -- financial results ------------------------------------------------------------------------


def test_the_seed_loss_reads_back(client: TestClient, seeded_engine: Engine) -> None:
    [result] = client.get(
        "/v1/companies/nissan/financial-results", params={"include": "citations"}
    ).json()["data"]
    assert result["company"] == "nissan"
    assert result["metric"] == "loss"
    assert result["period"] is None  # "earlier this year": when reported, not the period
    assert result["amount"] == {"amount": "221900000000", "currency": "JPY", "usd": "1500000000"}
    assert result["certainty"] == "confirmed"
    assert result["known_from"] == SEED_DAY
    assert_verbatim(seeded_engine, result["citations"], "221.9 billion yen ($1.5B USD)")
    [plain] = client.get("/v1/companies/nissan/financial-results").json()["data"]
    assert "citations" not in plain
    assert client.get("/v1/companies/honda/financial-results").json()["data"] == []


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"metric": "loss"}, 1),
        ({"metric": "revenue"}, 0),
        ({"period": "2025"}, 0),  # the seed's loss states no period
        ({"period": "2024"}, 0),
        ({"metric": "loss", "period": "2025"}, 0),
        ({"sort": "period"}, 1),
        ({"sort": "-period"}, 1),
        ({"sort": "-id"}, 1),
        ({"known_at": "2025-11-14"}, 1),
        ({"valid_at": "2025-01-01"}, 1),
    ],
)
def test_financial_result_filters(client: TestClient, params: dict[str, str], count: int) -> None:
    response = client.get("/v1/companies/nissan/financial-results", params=params)
    assert response.status_code == 200
    assert len(response.json()["data"]) == count


def test_financial_result_errors(client: TestClient) -> None:
    path = "/v1/companies/nissan/financial-results"
    assert_problem(client.get("/v1/companies/tesla/financial-results"), 404)
    assert_problem(client.get(path, params={"known_at": "2025-11-13"}), 404)
    assert_problem(client.get(path, params={"sort": "amount"}), 422, field="sort")
    assert_problem(client.get(path, params={"metric": "x" * 41}), 422, field="metric")
    assert_problem(client.get(path, params={"period": "x" * 41}), 422, field="period")
    assert_problem(client.get(path, params={"include": "company"}), 422, field="include")


# -- plants -----------------------------------------------------------------------------------


def test_the_seed_plant_reads_back(client: TestClient, seeded_engine: Engine) -> None:
    [plant] = client.get("/v1/companies/honda/plants", params={"include": "citations"}).json()[
        "data"
    ]
    assert plant["company"] == "honda"
    assert plant["name"] == "Honda plant in Marysville"
    assert plant["city"] == "Marysville"
    assert plant["region"] == "Ohio"
    assert plant["country"] == "US"
    assert plant["certainty"] == "confirmed"
    assert plant["known_from"] == SEED_DAY
    assert_verbatim(seeded_engine, plant["citations"], "Marysville, Ohio")
    assert client.get("/v1/companies/nissan/plants").json()["data"] == []
    for sort in ("name", "-name", "id", "-id"):
        data = client.get("/v1/companies/honda/plants", params={"sort": sort}).json()["data"]
        assert data == [{k: v for k, v in plant.items() if k != "citations"}]


def test_plant_errors(client: TestClient) -> None:
    assert_problem(client.get("/v1/companies/tesla/plants"), 404)
    assert_problem(client.get("/v1/companies/honda/plants", params={"sort": "city"}), 422)
    assert_problem(client.get("/v1/companies/honda/plants", params={"limit": 0}), 422)


def test_plants_as_of_and_paging(empty_db_engine: Engine) -> None:
    """A closed plant is history for valid_at; a page of plants costs a fixed few queries."""
    day = dt.date(2024, 1, 1)
    with Session(empty_db_engine) as session:
        company = Company(slug="acme", name="Acme", kind="automaker", **recorded(day))
        session.add(company)
        session.flush()
        session.add(
            Plant(
                company_id=company.id,
                name="Old works",
                valid_to=dt.date(2025, 3, 1),
                valid_to_precision="month",
                **recorded(day),
            )
        )
        for i in range(5):
            session.add(Plant(company_id=company.id, name=f"Plant {i}", **recorded(day)))
        session.commit()
    client = client_for(empty_db_engine, cache=False)
    path = "/v1/companies/acme/plants"
    names = [p["name"] for p in client.get(path, params={"sort": "-name"}).json()["data"]]
    assert names == ["Plant 4", "Plant 3", "Plant 2", "Plant 1", "Plant 0", "Old works"]
    # Closed in March 2025, some day of it: possibly open still on its first day, certainly
    # closed on its last.
    at = client.get(path, params={"valid_at": "2025-03-01"}).json()["data"]
    assert [p["validity"] for p in at if p["name"] == "Old works"] == ["possible"]
    at = client.get(path, params={"valid_at": "2025-03-31"}).json()["data"]
    assert "Old works" not in [p["name"] for p in at]
    old = client.get(path, params={"valid_at": "2025-02-28"}).json()["data"][0]
    assert old["name"] == "Old works"
    assert old["valid_to"] == "2025-03"
    with count_queries(empty_db_engine) as statements:
        assert len(client.get(path, params={"include": "citations"}).json()["data"]) == 6
    # The company, the page, the citations: whatever the page size.
    assert len(statements) <= 3, statements
