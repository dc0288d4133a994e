"""``autofacts gen-dataset``: synthetic data written by the fast path must be exactly what
the write path would have written (fact projection, search documents, verbatim quotes),
deterministic, served by the API, and loaded only into an empty database."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import Session, SQLModel

from app.dataset import DatasetRefused, generate
from app.models import Citation, Source
from app.models.search import DocumentType
from app.services.facts import project_facts
from app.services.search_index import reindex
from tests.helpers import client_for, scratch_engine

COMPANIES, FACTS = 200, 2_000
FACT_TABLES = (
    "company",
    "executive",
    "executive_role",
    "partnership",
    "partnership_member",
    "partnership_status",
    "partnership_scope",
    "tariff",
    "tariff_impact",
    "restructuring_plan",
    "financial_result",
    "plant",
)


def _generate(engine: Engine, seed: int = 7) -> dict[str, int]:
    return generate(
        engine, companies=COMPANIES, facts=FACTS, seed=seed, progress=lambda _: None
    ).rows


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, int]]]:
    with scratch_engine(tmp_path_factory.mktemp("gen"), "gen") as engine:
        yield engine, _generate(engine)


def test_sizes_are_as_asked(generated: tuple[Engine, dict[str, int]]) -> None:
    _, rows = generated
    assert rows["company"] == COMPANIES
    assert rows["fact"] == FACTS == rows["citation"]
    assert sum(rows[table] for table in FACT_TABLES) == FACTS
    assert all(rows[table] > 0 for table in FACT_TABLES)


def test_every_quote_is_verbatim_in_a_synthetic_source(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = generated
    with Session(engine) as session:
        sources = {s.id: s for s in session.exec(select(Source)).scalars()}
        citations = session.exec(select(Citation)).scalars().all()
    assert len(citations) == FACTS
    for citation in citations:
        source = sources[citation.source_id]
        assert source.text[citation.start_offset : citation.end_offset] == citation.quote
    for source in sources.values():
        assert source.title.startswith("[synthetic]")
        assert source.url and source.url.startswith("https://synthetic.invalid/")


def test_projection_and_search_are_what_the_services_write(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    """Re-projecting every row and re-indexing every document changes nothing."""
    engine, _ = generated
    with Session(engine) as session, session.no_autoflush:
        for table in FACT_TABLES:
            model = _model(table)
            rows = session.exec(select(model)).scalars().all()
            project_facts(session, rows)
        for doc_type in DocumentType:
            model = _model(_DOC_TABLES[doc_type])
            ids = session.exec(select(model.id)).scalars().all()  # type: ignore[attr-defined]
            reindex(session, doc_type, ids)
        assert not session.new
        changed = [obj for obj in session.dirty if session.is_modified(obj)]
        assert changed == []
        session.rollback()


_DOC_TABLES = {
    DocumentType.company: "company",
    DocumentType.executive: "executive",
    DocumentType.partnership: "partnership",
    DocumentType.tariff: "tariff",
    DocumentType.restructuring_plan: "restructuring_plan",
    DocumentType.plant: "plant",
    DocumentType.source: "source",
}


def _model(table: str) -> Any:
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        if mapper.local_table.name == table:
            return mapper.class_
    raise KeyError(table)


def test_the_api_serves_it(generated: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = generated
    with client_for(engine) as client:
        company = client.get("/v1/companies/synthetic-000001")
        assert company.status_code == 200
        assert company.json()["citations"][0]["quote"].startswith(company.json()["name"])
        executives = client.get("/v1/companies/synthetic-000001/executives").json()["data"]
        assert len(executives) == 2  # 1 + id % 3
        japanese = client.get("/v1/companies", params={"country": "JP", "count": "true"})
        assert japanese.json()["total"] == COMPANIES // 10
        hits = client.get("/v1/search", params={"q": "battery"}).json()["data"]
        assert hits
        facts = client.get("/v1/facts", params={"company": "synthetic-000001"}).json()["data"]
        assert {f["predicate"] for f in facts} >= {"company"}


def test_the_same_seed_gives_the_same_data(
    generated: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    engine, _ = generated
    with scratch_engine(tmp_path, "again") as again:
        _generate(again)
        assert _dump(again) == _dump(engine)
    with scratch_engine(tmp_path, "other") as other:
        _generate(other, seed=8)
        assert _dump(other) != _dump(engine)


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(table.select().order_by("id"))]
            for table in SQLModel.metadata.sorted_tables
            if table.name in (*FACT_TABLES, "source", "citation", "fact", "search_document")
        }


def test_indexes_are_those_of_a_migrated_database(
    generated: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    engine, _ = generated
    with scratch_engine(tmp_path, "plain") as plain:
        assert _indexes(engine) == _indexes(plain)


def _indexes(engine: Engine) -> set[tuple[str, str]]:
    inspector = inspect(engine)
    return {
        (table, str(index["name"]))
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
    }


def test_a_database_with_data_is_refused(generated: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = generated
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM fact")).scalar_one()
    with pytest.raises(DatasetRefused, match="empty database"):
        _generate(engine)
    with pytest.raises(DatasetRefused, match="at least 5"):
        generate(engine, companies=10, facts=10, seed=1, progress=lambda _: None)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM fact")).scalar_one() == before
