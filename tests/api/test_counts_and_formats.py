"""Counts, facets, and every list streamed as NDJSON or CSV with the same filters."""

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core import formats
from app.core.config import get_settings
from app.core.db import make_engine
from app.importer import import_facts, load_file
from app.models import Company, Fact
from app.tools.dataset import generate
from tests.conftest import Curator
from tests.helpers import (
    SEED_DAY,
    assert_problem,
    client_for,
    concrete_path,
    just_before,
    last_write_at,
    migrate,
    plan_of,
    record_queries,
    scratch_engine,
    today,
    walk_pages,
)

LISTS = [
    "/v1/companies",
    "/v1/executives",
    "/v1/partnerships",
    "/v1/tariffs",
    "/v1/restructuring-plans",
    "/v1/sources",
    "/v1/facts",
    "/v1/companies/nissan/executives",
    "/v1/companies/honda/partnerships",
    "/v1/companies/nissan/tariff-impacts",
    "/v1/companies/nissan/restructuring-plans",
    "/v1/companies/nissan/financial-results",
    "/v1/companies/honda/plants",
]


def _all(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    body = client.get(path, params={"limit": 200, **params}).json()
    assert body["next_cursor"] is None
    return body["data"]


def test_count_is_absent_unless_asked_and_exact_when_asked(client: TestClient) -> None:
    plain = client.get("/v1/companies").json()
    assert "total" not in plain and "facets" not in plain
    counted = client.get("/v1/companies", params={"count": "true", "limit": 1}).json()
    assert counted["total"] == 4
    assert len(counted["data"]) == 1
    filtered = client.get("/v1/companies", params={"count": "true", "country": "JP"}).json()
    assert filtered["total"] == 2


def test_facets_match_a_hand_count(client: TestClient, seeded_engine: Engine) -> None:
    body = client.get("/v1/companies", params={"facet": "country,kind"}).json()
    with Session(seeded_engine) as session:
        companies = session.exec(select(Company)).all()
    by_country = Counter(c.country for c in companies)
    assert {f["value"]: f["count"] for f in body["facets"]["country"]} == by_country
    assert body["facets"]["country"][0] == {"value": "JP", "count": 2}
    assert body["facets"]["country"][-1] == {"value": None, "count": 1}
    assert {f["value"]: f["count"] for f in body["facets"]["kind"]} == {"automaker": 3, "media": 1}


def test_facets_follow_the_filters(client: TestClient, seeded_engine: Engine) -> None:
    body = client.get(
        "/v1/facts", params={"facet": ["predicate", "certainty"], "company": "nissan"}
    ).json()
    with Session(seeded_engine) as session:
        nissan = session.exec(select(Company).where(Company.slug == "nissan")).one()
        facts = session.exec(
            select(Fact).where(Fact.company_id == nissan.id, Fact.known_to.is_(None))  # type: ignore[union-attr]
        ).all()
    assert {f["value"]: f["count"] for f in body["facets"]["predicate"]} == Counter(
        f.predicate for f in facts
    )
    assert sum(f["count"] for f in body["facets"]["certainty"]) == len(facts)


def test_every_list_leaves_out_what_was_not_asked_for(client: TestClient) -> None:
    """``total`` and ``facets`` are opt-in: absent, not null, unless asked for."""
    lists = _facet_lists(client)
    assert {path for path, _, _ in lists} >= {"/v1/sources", "/v1/companies"}
    for path, names, _ in lists:
        assert set(client.get(path).json()) == {"data", "next_cursor"}, path
        counted = client.get(path, params={"count": "true"}).json()
        assert set(counted) == {"data", "next_cursor", "total"}, path
        asked = client.get(path, params={"count": "true", "facet": names}).json()
        assert set(asked) == {"data", "next_cursor", "total", "facets"}, path


def test_a_source_row_keeps_its_null_fields(client: TestClient) -> None:
    (source,) = client.get("/v1/sources").json()["data"]
    assert source["url"] is None


@pytest.mark.parametrize("path", LISTS)
def test_every_list_counts_and_refuses_unknown_facets(client: TestClient, path: str) -> None:
    rows = _all(client, path)
    assert client.get(path, params={"count": "true"}).json()["total"] == len(rows)
    assert_problem(client.get(path, params={"facet": "no_such_column"}), 422, field="facet")
    assert_problem(client.get(path, params={"count": "maybe"}), 422, field="count")


TALKS_QUOTE = "Honda and Nissan already signed an agreement in 2024"


def _cited(**fields: Any) -> dict[str, Any]:
    citations = [{"source": "2025-11-14-honda-nissan", "quote": TALKS_QUOTE}]
    return {"certainty": "reported", "citations": citations, **fields}


def _facet_lists(client: TestClient) -> list[tuple[str, list[str], set[str]]]:
    """(path on seed rows, facet names, time parameters taken) of every list the OpenAPI
    document gives a ``facet``."""
    document = client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        parameters = {p["name"]: p for p in item.get("get", {}).get("parameters", [])}
        if "facet" in parameters:
            names = parameters["facet"]["schema"]["items"]["enum"]
            times = {"valid_at", "known_at", "as_of"} & set(parameters)
            found.append((concrete_path(path), names, times))
    return found


# Facets whose value a row shows nested: a fact's subject and record, a company's
# executive's role (an item of a company's executives is an executive and one role).
SHOWN_AT = {"subject_type": ("subject", "type"), "fact_type": ("record", "type")}


def _shown(row: dict[str, Any], name: str) -> Any:
    keys = SHOWN_AT.get(name) or ((name,) if name in row else ("role", name))
    for key in keys:
        row = row[key]
    return row


def test_every_facet_counts_the_rows_the_list_shows_at_any_time(curator: Curator) -> None:
    """A facet counts the values the list's rows show under the same filters and time
    parameters: a partnership's status on ``valid_at``, ``known_at`` or ``as_of`` is the one
    its history gives then, not its current one."""
    client, headers = curator.client, curator.headers
    statuses = [
        _cited(status="proposed", valid_from="2024-01-01", valid_to="2025-06-01"),
        _cited(status="signed", valid_from="2025-06-01"),
    ]
    body = _cited(slug="facet-test", title="Facet test", members=["honda"], statuses=statuses)
    created = client.post("/v1/partnerships", json=body, headers=headers)
    assert created.status_code == 201, created.text
    changed = client.post(
        f"/v1/partnerships/{created.json()['id']}/statuses",
        json=_cited(status="active", valid_from="2025-09-01"),
        headers=headers,
    )
    assert changed.status_code == 201, changed.text
    before_change = just_before(last_write_at(client))
    times = [
        {},
        {"valid_at": "2025-01-01"},
        {"valid_at": "2025-07-01"},
        {"valid_at": SEED_DAY},
        {"known_at": SEED_DAY},
        {"known_at": today().isoformat()},
        {"as_of": before_change},
        {"as_of": before_change, "valid_at": "2025-01-01"},
    ]
    lists = _facet_lists(client)
    assert any(path == "/v1/partnerships" for path, _, _ in lists)
    for path, names, takes in lists:
        for time in times:
            if not set(time) <= takes:
                continue
            for status in [None, "proposed"] if "status" in names else [None]:
                params = {**time, **({"status": status} if status else {})}
                rows = walk_pages(client, path, params, limit=200)
                page = client.get(path, params={**params, "facet": names, "limit": 1})
                facets = page.json()["facets"]
                for name in names:
                    counted = {f["value"]: f["count"] for f in facets[name]}
                    shown = Counter(_shown(row, name) for row in rows)
                    assert counted == shown, (path, params, name)
    # The partnership's history is what the check above walked through.
    on = {"facet": "status", "status": "proposed", "valid_at": "2025-01-01"}
    proposed = client.get("/v1/partnerships", params=on).json()
    assert [row["slug"] for row in proposed["data"]] == ["facet-test"]
    assert proposed["facets"]["status"] == [{"value": "proposed", "count": 1}]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_streams_as_ndjson(client: TestClient, path: str) -> None:
    rows = _all(client, path, include="citations") if "sources" not in path else _all(client, path)
    params = {"format": "ndjson"} | ({"include": "citations"} if "sources" not in path else {})
    response = client.get(path, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    streamed = [json.loads(line) for line in response.text.splitlines()]
    assert streamed == rows


@pytest.mark.parametrize("path", LISTS)
def test_every_list_streams_as_csv(client: TestClient, path: str) -> None:
    rows = _all(client, path)
    response = client.get(path, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == len(rows)
    for row, item in zip(table, rows, strict=True):
        assert list(row) == list(item)
        for key, value in item.items():
            expected = (
                ""
                if value is None
                else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                if isinstance(value, dict | list)
                else str(value)
            )
            assert row[key] == expected


def test_streams_keep_the_filters_and_refuse_bad_ones(client: TestClient) -> None:
    response = client.get("/v1/companies", params={"format": "ndjson", "country": "JP"})
    assert [json.loads(line)["slug"] for line in response.text.splitlines()] == ["honda", "nissan"]
    assert_problem(client.get("/v1/companies", params={"format": "xml"}), 422, field="format")
    assert_problem(
        client.get("/v1/companies", params={"format": "csv", "cursor": "junk"}), 422, field="cursor"
    )


def test_an_empty_list_streams_a_header_only_csv(client: TestClient) -> None:
    response = client.get("/v1/companies", params={"format": "csv", "country": "FR"})
    assert response.text.splitlines() == [
        "certainty,valid_from,valid_to,known_from,known_to,recorded_from,recorded_to,told_as,"
        "slug,name,country,kind,description"
    ]


def test_a_long_list_streams_in_batches(
    empty_db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many batches, each one keyset page: the stream never holds the whole list."""
    with Session(empty_db_engine) as session:
        import_facts(session, load_file(get_settings().seed_file))
    monkeypatch.setattr(formats, "EXPORT_BATCH", 2)
    batches: list[int] = []
    real_rows = formats._rows

    def counting_rows(first: Any, fetch: Any, batch: Any) -> Any:
        def fetch_and_count(params: Any) -> Any:
            page = fetch(params)
            batches.append(len(page.data))
            return page

        batches.append(len(first.data))
        return real_rows(first, fetch_and_count, batch)

    monkeypatch.setattr(formats, "_rows", counting_rows)
    with client_for(empty_db_engine) as test_client:
        whole = _all(test_client, "/v1/facts")
        response = test_client.get("/v1/facts", params={"format": "ndjson"})
    assert [json.loads(line) for line in response.text.splitlines()] == whole
    assert max(batches) == 2 and sum(batches) == len(whole) and len(batches) > 10


# Lists with more than one facet (PostgreSQL counts several in one pass; see
# app/core/pagination.py), with filters, over a generated data set: many values, ties,
# NULLs, more distinct values than a facet lists.
SEVERAL_FACETS = [
    ("/v1/companies", ["country", "kind", "certainty"], {}),
    ("/v1/companies", ["country", "kind"], {"kind": "supplier"}),
    ("/v1/facts", ["predicate", "subject_type", "fact_type", "certainty"], {}),
    ("/v1/tariffs", ["imposing_country", "target_country", "product"], {}),
    ("/v1/sources", ["reported_by", "published_on"], {}),
]


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with scratch_engine(tmp_path_factory.mktemp("facets"), "facets") as engine:
        generate(engine, companies=400, facts=4000, seed=3, progress=lambda _: None)
        with client_for(engine, cache=False) as test_client:  # tests count its statements
            yield test_client


@pytest.mark.parametrize(("path", "facets", "filters"), SEVERAL_FACETS)
def test_several_facets_at_once_count_what_each_counts_alone(
    generated_client: TestClient, path: str, facets: list[str], filters: dict[str, str]
) -> None:
    together = generated_client.get(path, params={"facet": facets, **filters}).json()["facets"]
    assert list(together) == facets
    for name in facets:
        alone = generated_client.get(path, params={"facet": name, **filters}).json()["facets"]
        assert together[name] == alone[name], name
    assert any(len(counts) > 1 for counts in together.values())


# SQLite's statistics for the companies of the bench's data set (100k companies, gen-dataset
# then ANALYZE): its sqlite_stat1 rows.
BENCH_COMPANY_STATISTICS = {
    "ix_company_certainty": "100000 100000",
    "ix_company_country": "100000 10000",
    "ix_company_current_certainty_name_id": "100000 100000 1 1 1",
    "ix_company_current_country_kind_id": "100000 10000 6667 1 1",
    "ix_company_current_country_kind_name_id": "100000 10000 6667 1 1 1",
    "ix_company_current_country_kind_slug_id": "100000 10000 6667 1 1 1",
    "ix_company_current_country_name_id": "100000 10000 1 1 1",
    "ix_company_current_kind_name_id": "100000 50000 1 1 1",
    "ix_company_current_name_id": "100000 1 1 1",
    "ix_company_kind": "100000 50000",
    "ix_company_known_from": "100000 167",
    "ix_company_known_to": "100000 100000",
    "ix_company_name": "100000 1",
    "ix_company_slug": "100000 1",
    "ix_company_valid_from": "100000 100000",
    "ix_company_valid_to": "100000 100000",
    "ix_company_version_of": "100000 100000",
    "uq_company_slug_current": "100000 1",
}


@pytest.mark.parametrize(
    ("filters", "facet"), [({"country": "JP"}, "kind"), ({"kind": "automaker"}, "country")]
)
def test_a_facet_of_filtered_rows_does_not_walk_the_facet_s_index_on_sqlite(
    sqlite_with_bench_statistics: tuple[Engine, TestClient], filters: dict[str, str], facet: str
) -> None:
    """At the bench's scale, SQLite's planner walked an index of the facet column in order
    (no sort to group) and looked every row up in the table to test the filter: 30 and
    62 ms at 100k companies, against 8 and 18 for grouping the rows the filter's index finds
    (or reading the table once, as fast when the filter keeps half of it). Asked as of a
    date, as current companies are counted from their tally. A SQLite file in every run
    (sqlite_with_bench_statistics)."""
    engine, test_client = sqlite_with_bench_statistics
    params = {**filters, "facet": facet, "known_at": dt.date.today().isoformat()}
    with record_queries(engine) as queries:
        response = test_client.get("/v1/companies", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["facets"][facet]
    [grouping] = [query for query in queries if "GROUP BY" in query[0]]
    assert "FROM company " in grouping[0]
    plan = plan_of(engine, *grouping)
    assert not re.search(rf"INDEX ix_company_(current_)?{facet}\b", plan), plan


def _use_bench_statistics(engine: Engine) -> None:
    """Give a SQLite database of a few rows the bench's statistics for its companies."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'company'")
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('company', ?, ?)",
            list(BENCH_COMPANY_STATISTICS.items()),
        )
    engine.dispose()  # connections read the statistics when they open


@pytest.fixture(scope="module")
def sqlite_with_bench_statistics(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, TestClient]]:
    """A SQLite file of a few generated companies with the bench's statistics, in every
    run: the planner choices these tests pin are SQLite's, made from its statistics."""
    url = f"sqlite:///{tmp_path_factory.mktemp('statistics') / 'statistics.db'}"
    migrate(url)
    engine = make_engine(url)
    generate(engine, companies=40, facts=200, seed=1, progress=lambda _: None)
    _use_bench_statistics(engine)
    with client_for(engine, cache=False) as test_client:  # tests read its statements
        yield engine, test_client
    engine.dispose()


COMPANY_FACETS = ["country", "kind", "certainty"]


@pytest.mark.parametrize("filters", [{}, {"kind": "supplier"}, {"country": "JP"}])
def test_company_totals_and_facets_are_summed_from_the_tally(
    generated_client: TestClient, filters: dict[str, str]
) -> None:
    """The current companies' total and facets come from company_tally, not a count of the
    companies, and say what counting the companies says (asked as of today, which counts
    them row by row, as the tally does not answer an as-of question)."""
    engine = generated_client.app.state.engine  # type: ignore[attr-defined]
    params = {"facet": COMPANY_FACETS, "count": "true", "limit": 1, **filters}
    with record_queries(engine) as queries:
        tallied = generated_client.get("/v1/companies", params=params).json()
    statements = [statement for statement, _ in queries]
    assert sum("FROM company_tally" in statement for statement in statements) == 4, statements
    assert not any("count(" in statement.lower() for statement in statements), statements
    today = dt.date.today().isoformat()
    counted = generated_client.get("/v1/companies", params={**params, "known_at": today}).json()
    assert tallied["total"] == counted["total"] > 0
    assert tallied["facets"] == counted["facets"]
    assert any(len(counts) > 1 for counts in tallied["facets"].values())


@pytest.mark.parametrize("filters", [{"country": "JP"}, {"kind": "automaker"}])
def test_a_filtered_page_walks_its_list_index_on_sqlite(
    sqlite_with_bench_statistics: tuple[Engine, TestClient], filters: dict[str, str]
) -> None:
    """A filtered page by name walks the list index of its filter in order: when a
    narrower index of the column had no statistics, SQLite took it as selective and sorted
    the 10,000 companies of a country for each page."""
    engine, test_client = sqlite_with_bench_statistics
    with record_queries(engine) as queries:
        response = test_client.get("/v1/companies", params={**filters, "limit": 2})
    assert response.status_code == 200, response.text
    [page] = [query for query in queries if "ORDER BY" in query[0]]
    plan = plan_of(engine, *page)
    assert f"ix_company_current_{next(iter(filters))}_name_id" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("sort", ["name", "-name", "slug", "-slug", "id", "-id"])
def test_a_page_filtered_by_country_and_kind_walks_their_index_on_sqlite(
    sqlite_with_bench_statistics: tuple[Engine, TestClient], sort: str
) -> None:
    """Filtered by both, a page walks the index of both filters and its sort key: through
    one filter's index, SQLite read every company of the country to test its kind, all
    10,000 of them when none was of that kind (25 ms at the bench's scale, against 1)."""
    engine, test_client = sqlite_with_bench_statistics
    params = {"country": "GB", "kind": "automaker", "sort": sort, "limit": 2}
    with record_queries(engine) as queries:
        response = test_client.get("/v1/companies", params=params)
    assert response.status_code == 200, response.text
    [page] = [query for query in queries if "ORDER BY" in query[0]]
    plan = plan_of(engine, *page)
    key = "" if sort.lstrip("-") == "id" else f"{sort.lstrip('-')}_"
    assert f"ix_company_current_country_kind_{key}id" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
