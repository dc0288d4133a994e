"""``/v1/facts``: every fact of the seed, uniform, each leading back to its resource."""

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.models import FACT_MODELS, Citation, Company, Fact, Source
from tests.helpers import (
    SEED_DAY,
    assert_problem,
    assert_verbatim,
    client_for,
    count_queries,
    get_data,
    recorded,
)

# Every table whose rows state a fact, each mirrored in the flat list.
FACT_TABLES = tuple(model.__tablename__ for model in FACT_MODELS)


@pytest.fixture(scope="module")
def facts(client: TestClient) -> list[dict[str, Any]]:
    body = client.get("/v1/facts", params={"limit": 200, "include": "citations"}).json()
    assert body["next_cursor"] is None
    return body["data"]


def _find(facts: list[dict[str, Any]], predicate: str, label: str) -> list[dict[str, Any]]:
    return [f for f in facts if f["predicate"] == predicate and f["subject"]["label"] == label]


def test_every_fact_row_is_listed_once(facts: list[dict[str, Any]], seeded_engine: Engine) -> None:
    listed = Counter((f["record"]["type"], f["record"]["id"]) for f in facts)
    assert all(n == 1 for n in listed.values())
    with seeded_engine.connect() as connection:
        stored = {
            (table, row_id)
            for table in FACT_TABLES
            for (row_id,) in connection.execute(text(f"SELECT id FROM {table}"))
        }
    assert set(listed) == stored
    assert {f["subject"]["type"] for f in facts} == {
        "company",
        "executive",
        "partnership",
        "tariff",
    }


def test_the_seed_facts_read_back(facts: list[dict[str, Any]]) -> None:
    [nissan_impact] = _find(facts, "tariff_impact", "nissan")
    assert nissan_impact["value"]["amount"] == {
        "amount": "275000000000",
        "currency": "JPY",
        "usd": "1800000000",
    }
    assert nissan_impact["value"]["metric"] == "profit"
    assert nissan_impact["value"]["direction"] == "decrease"
    [honda_impact] = _find(facts, "tariff_impact", "honda")
    assert honda_impact["value"]["amount"]["amount"] == "385000000000"
    assert honda_impact["value"]["metric"] is None  # "the estimated impact": no metric
    # One fact per period of the rate: 15 % now, a raised rate not given, 2.5 % before.
    tariffs = [f for f in facts if f["predicate"] == "tariff"]
    assert {f["subject"]["type"] for f in tariffs} == {"tariff"}
    assert [f["value"]["rate_pct"] for f in tariffs] == ["15", None, "2.5"]
    assert {f["value"]["baseline_rate_pct"] for f in tariffs} == {"2.5"}
    [plan] = _find(facts, "restructuring_plan", "nissan")
    assert plan["value"]["job_cuts"] == 20000
    assert (plan["value"]["plants_before"], plan["value"]["plants_after"]) == (17, 10)
    assert plan["value"]["target_year"] == 2028
    [loss] = _find(facts, "loss", "nissan")
    assert loss["value"]["amount"]["amount"] == "221900000000"
    assert loss["record"]["type"] == "financial_result"
    [plant] = _find(facts, "plant", "honda")
    assert plant["value"]["city"] == "Marysville"
    [role] = _find(facts, "holds_role", "ivan-espinosa")
    assert role["value"] == {"title": "CEO", "company": "nissan"}
    assert role["valid_from"] == "2025-04"  # rendered at its precision
    assert role["valid_to"] is None
    statuses = {f["subject"]["label"]: f for f in facts if f["predicate"] == "status"}
    assert statuses["honda-nissan-merger"]["value"] == "abandoned"
    assert statuses["honda-nissan-2024-agreement"]["value"] == "signed"
    assert statuses["honda-nissan-2024-agreement"]["valid_from"] == "2024"
    assert statuses["honda-nissan-us-collaboration"]["value"] == "in_talks"
    excluded = [f for f in facts if f["certainty"] == "excluded"]
    assert sorted(f["value"] for f in excluded) == ["cross-shareholding", "merger"]
    assert {f["predicate"] for f in excluded} == {"excludes"}
    [unconfirmed] = [f for f in facts if f["certainty"] == "unconfirmed"]
    assert "Honda's North American plants" in unconfirmed["value"]
    for fact in facts:
        assert fact["known_from"] == SEED_DAY
        assert fact["known_to"] is None
        assert fact["certainty"] in {"confirmed", "reported", "unconfirmed", "excluded"}


def test_citations_are_verbatim_and_those_of_the_record(
    facts: list[dict[str, Any]], seeded_engine: Engine
) -> None:
    with Session(seeded_engine) as session:
        for fact in facts:
            assert_verbatim(seeded_engine, fact["citations"])
            stored = session.exec(
                select(Citation)
                .where(
                    Citation.fact_type == fact["record"]["type"],
                    Citation.fact_id == fact["record"]["id"],
                )
                .order_by(col(Citation.id))
            ).all()
            assert [c["quote"] for c in fact["citations"]] == [c.quote for c in stored], fact
    [impact] = _find(facts, "tariff_impact", "nissan")
    assert_verbatim(seeded_engine, impact["citations"], "275 billion yen")


def test_a_record_leads_to_its_resource(client: TestClient, facts: list[dict[str, Any]]) -> None:
    [plan] = _find(facts, "restructuring_plan", "nissan")
    resource = client.get(f"/v1/restructuring-plans/{plan['record']['id']}").json()
    assert resource["job_cuts"] == 20000
    assert resource["citations"] == plan["citations"]
    tariff = next(f for f in facts if f["predicate"] == "tariff")
    body = client.get(f"/v1/tariffs/{tariff['record']['id']}").json()
    assert body["citations"] == tariff["citations"]
    impact_ids = {i["company"]["slug"]: i["id"] for i in body["impacts"]}
    for slug in ("nissan", "honda"):
        [fact] = _find(facts, "tariff_impact", slug)
        assert fact["record"] == {"type": "tariff_impact", "id": impact_ids[slug]}
        assert fact["value"]["tariff"] == tariff["record"]["id"]


def test_a_company_reads_with_its_own_citations_in_one_statement(
    uncached_client: TestClient, seeded_engine: Engine
) -> None:
    """A company by slug reads its row and its quotes in one statement; they must be the
    quotes the list loads for it separately, in the same order."""
    listed = uncached_client.get(
        "/v1/companies", params={"limit": 200, "include": "citations"}
    ).json()
    assert listed["next_cursor"] is None
    assert any(len(company["citations"]) > 1 for company in listed["data"])  # order matters
    for company in listed["data"]:
        with count_queries(seeded_engine) as statements:
            detail = uncached_client.get(f"/v1/companies/{company['slug']}").json()
        assert detail == company
        assert len(statements) == 1, statements


def test_citations_only_when_asked(client: TestClient) -> None:
    data = client.get("/v1/facts", params={"limit": 200}).json()["data"]
    assert data
    assert all("citations" not in f for f in data)


def test_a_page_of_many_fact_types_loads_citations_in_one_query(
    uncached_client: TestClient, seeded_engine: Engine
) -> None:
    with count_queries(seeded_engine) as statements:
        data = uncached_client.get(
            "/v1/facts", params={"limit": 200, "include": "citations"}
        ).json()["data"]
    assert len({f["record"]["type"] for f in data}) > 5
    assert len([s for s in statements if "FROM citation" in s]) == 1, statements
    assert len(statements) <= 2, statements


def test_one_fact(client: TestClient, facts: list[dict[str, Any]]) -> None:
    for fact in facts[:3] + facts[-3:]:
        assert client.get(f"/v1/facts/{fact['id']}").json() == fact
    first = facts[0]["id"]
    assert_problem(client.get(f"/v1/facts/{first}", params={"known_at": "2025-11-13"}), 404)
    assert_problem(client.get("/v1/facts/999999"), 404)
    assert_problem(client.get("/v1/facts/0"), 422)
    assert_problem(client.get("/v1/facts/honda"), 422)
    assert_problem(client.get("/v1/facts/99999999999999999999"), 422)


def _ids(client: TestClient, **params: Any) -> list[int]:
    return [f["id"] for f in get_data(client, "/v1/facts", **params)]


def test_filters(client: TestClient, facts: list[dict[str, Any]]) -> None:
    def expected(keep: Any) -> list[int]:
        return [f["id"] for f in facts if keep(f)]

    assert _ids(client, subject_type="partnership") == expected(
        lambda f: f["subject"]["type"] == "partnership"
    )
    assert _ids(client, predicate="member_of") == expected(lambda f: f["predicate"] == "member_of")
    assert len(_ids(client, predicate="member_of")) == 6
    assert _ids(client, certainty="reported") == expected(lambda f: f["certainty"] == "reported")
    assert _ids(client, predicate="excludes", certainty="excluded") == expected(
        lambda f: f["predicate"] == "excludes"
    )
    assert _ids(client, subject_type="nothing") == []
    assert _ids(client, predicate="scope", certainty="excluded") == []


def test_company_filter(client: TestClient, facts: list[dict[str, Any]]) -> None:
    by_id = {f["id"]: f for f in facts}
    nissan = [by_id[i] for i in _ids(client, company="nissan")]
    assert {f["predicate"] for f in nissan} == {
        "company",
        "holds_role",
        "member_of",
        "tariff_impact",
        "restructuring_plan",
        "loss",
    }
    # The CEO's role is about Ivan Espinosa, and tied to Nissan.
    assert {f["subject"]["label"] for f in nissan} == {"nissan", "ivan-espinosa"}
    honda = [by_id[i] for i in _ids(client, company="honda")]
    assert "plant" in {f["predicate"] for f in honda}
    assert [f["predicate"] for f in (by_id[i] for i in _ids(client, company="byd"))] == ["company"]
    assert _ids(client, company="tesla") == []
    assert _ids(client, company="nissan", predicate="tariff_impact") == [
        f["id"] for f in _find(facts, "tariff_impact", "nissan")
    ]


def test_sort_and_as_of(client: TestClient, facts: list[dict[str, Any]]) -> None:
    ids = [f["id"] for f in facts]
    assert ids == sorted(ids)
    assert _ids(client, sort="-id") == ids[::-1]
    assert _ids(client, sort="id") == ids
    assert _ids(client, known_at="2025-11-13") == []
    assert _ids(client, known_at="2025-11-14") == ids
    # Ivan Espinosa became CEO in April 2025: not yet in March.
    march = set(_ids(client, valid_at="2025-03-01"))
    [role] = _find(facts, "holds_role", "ivan-espinosa")
    assert role["id"] not in march
    assert role["id"] in set(_ids(client, valid_at="2025-04-01"))
    # In mid-2023 neither the 2024 agreement's status nor the 2025 ones held yet.
    statuses_2023 = _ids(client, valid_at="2023-06-01", predicate="status")
    assert statuses_2023 == []
    assert len(_ids(client, valid_at="2024-06-01", predicate="status")) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"certainty": "likely"}, "certainty"),
        ({"company": "Nissan"}, "company"),
        ({"company": "x" * 101}, "company"),
        ({"subject_type": "x" * 41}, "subject_type"),
        ({"predicate": "x" * 61}, "predicate"),
        ({"sort": "predicate"}, "sort"),
        ({"sort": "-subject"}, "sort"),
        ({"include": "record"}, "include"),
        ({"valid_at": "2025-02-30"}, "valid_at"),
        ({"known_at": "2025"}, "known_at"),
        # pydantic alone reads these as dates (a Unix time, a datetime at midnight).
        ({"valid_at": "0"}, "valid_at"),
        ({"known_at": "86400"}, "known_at"),
        ({"valid_at": "2025-03-01T00:00:00Z"}, "valid_at"),
    ],
)
def test_bad_parameters(client: TestClient, params: dict[str, str], field: str) -> None:
    assert_problem(client.get("/v1/facts", params=params), 422, field=field)


def test_corrections_and_shared_row_ids(empty_db_engine: Engine) -> None:
    """A superseded fact is history (as_of finds it); facts of two types sharing a row id
    keep their own citations."""
    day, later = dt.date(2025, 1, 10), dt.date(2025, 2, 1)
    with Session(empty_db_engine) as session:
        source = Source(
            slug="s",
            title="S",
            published_on=day,
            text="Acme builds cars. Acme has a plant in Ohio.",
            sha256="0" * 64,
        )
        company = Company(slug="acme", name="Acme", kind="automaker", **recorded(day))
        session.add_all([source, company])
        session.flush()
        common = {"subject_type": "company", "subject_id": company.id, "subject": "acme"}
        session.add_all(
            [
                Fact(
                    fact_type="company",
                    fact_id=1,
                    predicate="company",
                    value={"name": "Acme"},
                    company_id=company.id,
                    **recorded(day),
                    **common,
                ),
                Fact(
                    fact_type="plant",
                    fact_id=1,
                    predicate="plant",
                    value={"region": "Iowa"},
                    company_id=company.id,
                    **recorded(day, later),
                    **common,
                ),
                Fact(
                    fact_type="plant",
                    fact_id=2,
                    predicate="plant",
                    value={"region": "Ohio"},
                    company_id=company.id,
                    **recorded(later),
                    **common,
                ),
                Citation(
                    fact_type="company",
                    fact_id=1,
                    source_id=source.id,
                    quote="Acme builds cars.",
                    start_offset=0,
                    end_offset=17,
                ),
                Citation(
                    fact_type="plant",
                    fact_id=2,
                    source_id=source.id,
                    quote="Acme has a plant in Ohio.",
                    start_offset=18,
                    end_offset=43,
                ),
            ]
        )
        session.commit()
    client = client_for(empty_db_engine)

    def values(**params: str) -> list[Any]:
        data = client.get("/v1/facts", params={"include": "citations", **params}).json()["data"]
        return [(f["value"], [c["quote"] for c in f["citations"]]) for f in data]

    assert values() == [
        ({"name": "Acme"}, ["Acme builds cars."]),
        ({"region": "Ohio"}, ["Acme has a plant in Ohio."]),
    ]
    assert values(as_of="2025-01-20") == [
        ({"name": "Acme"}, ["Acme builds cars."]),
        ({"region": "Iowa"}, []),
    ]
    assert values(as_of="2025-01-09") == []
    # Reported by 2025-01-20, as recorded now: Iowa was corrected to Ohio, reported later.
    assert values(known_at="2025-01-20") == [({"name": "Acme"}, ["Acme builds cars."])]
    with Session(empty_db_engine) as session:
        superseded = session.exec(select(Fact).where(Fact.known_to == later)).one()
    assert_problem(client.get(f"/v1/facts/{superseded.id}"), 404)
    old = client.get(f"/v1/facts/{superseded.id}", params={"as_of": "2025-01-20"}).json()
    assert old["record"] == {"type": "plant", "id": 1}
    # As it was served on 2025-01-20: not yet superseded.
    assert (old["known_to"], old["recorded_to"]) == (None, None)
    assert old["citations"] == []
