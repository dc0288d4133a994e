"""``autofacts gen-dataset``: synthetic data written by the fast path must be exactly what
the write path would have written (the rows the importer makes of the same facts, fact
projection, search documents and their full-text index, every index the migrations make,
verbatim quotes), deterministic, served by the API, loaded in one transaction, and only
into an empty database."""

import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, SQLModel

import app.tools.dataset
from app.core.db import make_engine
from app.exporter import export_file, snapshot_session
from app.importer import import_facts, load_file
from app.models import FACT_MODELS, Citation, Company, Source
from app.models.search import DocumentType
from app.services.facts import project_facts
from app.services.search_index import reindex
from app.tools.dataset import DatasetRefused, generate
from tests.helpers import (
    alembic_config,
    assert_tally_counts_companies,
    client_for,
    fresh_database_url,
    get_data,
    recorded,
    scratch_engine,
    walk_pages,
)

pytestmark = pytest.mark.slow

COMPANIES, FACTS = 300, 3_000
# Small chunks, so that a small data set still spans several of them (and a source's
# citations wait for the next chunk): the data must not depend on the chunk size.
SMALL_CHUNK = 333
FACT_TABLES = tuple(model.__tablename__ for model in FACT_MODELS)
# Statements are few per article, not a load the benchmarks need: gen-dataset writes none.
GENERATED_TABLES = tuple(table for table in FACT_TABLES if table != "statement")
# Scratch database names of this module's own (PostgreSQL databases are shared by name).
PREFIX = "gen_dataset"


def _generate(
    engine: Engine, *, companies: int = COMPANIES, facts: int = FACTS, seed: int = 7
) -> dict[str, int]:
    return generate(
        engine, companies=companies, facts=facts, seed=seed, progress=lambda _: None
    ).rows


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, int]]]:
    with scratch_engine(tmp_path_factory.mktemp("gen"), PREFIX) as engine:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(app.tools.dataset, "CHUNK", SMALL_CHUNK)
            rows = _generate(engine)
        yield engine, rows


# -- what is written ---------------------------------------------------------------------------


def test_sizes_are_as_asked_and_reported(generated: tuple[Engine, dict[str, int]]) -> None:
    engine, rows = generated
    assert rows["company"] == COMPANIES
    assert rows["fact"] == FACTS == rows["citation"]
    assert sum(rows[table] for table in GENERATED_TABLES) == FACTS
    assert all(rows[table] > 0 for table in GENERATED_TABLES)
    with engine.connect() as connection:
        for table, count in rows.items():
            stored = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert stored == count, table


def test_the_connection_gets_its_settings_back(generated: tuple[Engine, dict[str, int]]) -> None:
    """SQLite ran the load with its own journal, sync and cache settings: the pooled
    connection the load used serves requests again, with the app's."""
    engine, _ = generated
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
        assert pragma("PRAGMA synchronous").scalar_one() == 1  # NORMAL
        assert pragma("PRAGMA cache_size").scalar_one() == -2000  # SQLite's default


def test_every_company_has_one_to_three_executives(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = generated
    with engine.connect() as connection:
        roles: dict[str, int] = dict(
            connection.execute(
                text(
                    "SELECT c.slug, count(r.id) FROM company AS c "
                    "LEFT JOIN executive_role AS r ON r.company_id = c.id GROUP BY c.slug"
                )
            ).all()
        )
    assert len(roles) == COMPANIES
    assert set(roles.values()) == {1, 2, 3}
    assert sorted(roles)[0] == "synthetic-000001" and sorted(roles)[-1] == "synthetic-000300"


def test_every_quote_is_verbatim_in_a_synthetic_source(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = generated
    with Session(engine) as session:
        sources = {s.id: s for s in session.execute(select(Source)).scalars()}
        citations = session.execute(select(Citation)).scalars().all()
    assert len(citations) == FACTS
    for citation in citations:
        source = sources[citation.source_id]
        assert source.text[citation.start_offset : citation.end_offset] == citation.quote
    for source in sources.values():
        assert source.title.startswith("[synthetic]")
        assert source.publisher == "Autofacts synthetic data"
        assert source.url and source.url.startswith("https://synthetic.invalid/")
        assert source.sha256 == hashlib.sha256(source.text.encode()).hexdigest()


def test_projection_and_search_are_what_the_services_write(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    """Re-projecting every row and re-indexing every document changes nothing."""
    engine, _ = generated
    with Session(engine) as session, session.no_autoflush:
        for table in FACT_TABLES:
            model = _model(table)
            rows = session.execute(select(model)).scalars().all()
            project_facts(session, rows)
        for doc_type in DocumentType:
            model = _model(_DOC_TABLES[doc_type])
            ids = session.execute(select(model.id)).scalars().all()
            reindex(session, doc_type, ids)
        assert not session.new
        changed = [obj for obj in session.dirty if session.is_modified(obj)]
        assert changed == []
        session.rollback()


def test_the_company_tally_counts_the_companies_loaded(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    """Its triggers were set aside for the load and the tally filled after it, in one pass."""
    engine, sizes = generated
    with engine.connect() as connection:
        assert assert_tally_counts_companies(connection) == sizes["company"]


def test_the_full_text_index_matches_the_documents(
    generated: tuple[Engine, dict[str, int]],
) -> None:
    engine, rows = generated
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # FTS5 compares its index with the content table, row by row; raises if they differ.
            connection.exec_driver_sql(
                "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
            )
            indexed = "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'battery'"
        else:
            indexed = (
                "SELECT count(*) FROM search_document WHERE tsv @@ to_tsquery('english', 'battery')"
            )
        matching = connection.exec_driver_sql(indexed).scalar_one()
        containing = connection.execute(
            text(
                "SELECT count(*) FROM search_document "
                "WHERE lower(title) LIKE :word OR lower(body) LIKE :word"
            ),
            {"word": "%battery%"},
        ).scalar_one()
    assert matching == containing > rows["partnership"]


_DOC_TABLES = {
    DocumentType.company: "company",
    DocumentType.executive: "executive",
    DocumentType.partnership: "partnership",
    DocumentType.tariff: "tariff",
    DocumentType.restructuring_plan: "restructuring_plan",
    DocumentType.plant: "plant",
    DocumentType.source: "source",
    DocumentType.statement: "statement",
}


def _model(table: str) -> Any:
    models: tuple[Any, ...] = (*FACT_MODELS, Source)
    return next(model for model in models if model.__table__.name == table)


# The tables whose ids are surrogates nothing outside the table refers to (a citation, a
# projection, a search document, a tally line): each is compared without its id, as the
# importer numbers them in its own order. Every other table is compared ids and all (a
# fact row's id is in its URL, and other rows refer to it).
UNNUMBERED = {"citation", "fact", "search_document", "company_tally"}
# The change log: an import logs every resource it writes, as the API's writes do; the
# generator, a benchmark's bulk load beside the write path, logs nothing.
UNLOGGED = {"change"}


def test_the_rows_are_those_the_importer_writes_for_the_same_facts(
    generated: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    """gen-dataset builds its rows by itself, for speed; the importer builds them with the
    write path's shapes and services. Exported as a facts file and imported into an empty
    database, the same facts must give the same rows: a fact the write path would refuse
    (one that states again what another states, say) or write otherwise fails here."""
    engine, rows = generated
    facts_file = tmp_path / "facts.yaml"
    with snapshot_session(engine) as session:
        export_file(session, facts_file)
    with scratch_engine(tmp_path, f"{PREFIX}_imported") as imported:
        with Session(imported) as session:
            created = import_facts(session, load_file(facts_file)).created
        assert created["fact"] == rows["fact"]
        for table in SQLModel.metadata.sorted_tables:
            if table.name in UNLOGGED:
                continue
            ours, theirs = _rows(engine, table), _rows(imported, table)
            assert len(ours) == len(theirs), table.name
            mismatched = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
            assert not mismatched, (table.name, mismatched[:1])


def _rows(engine: Engine, table: Any) -> list[tuple[Any, ...]]:
    """The rows of ``table``, in id order; without their id and sorted when it is one of
    UNNUMBERED."""
    with engine.connect() as connection:
        found = connection.execute(_data(table)).all()
    if table.name not in UNNUMBERED:
        return [tuple(row) for row in found]
    columns = [c.name for c in table.columns if c.name not in ("id", *RECORDED)]
    return sorted((tuple(row._mapping[c] for c in columns) for row in found), key=repr)


# When a row was recorded is the instant of the load that wrote it, not data of the seed:
# the generator and an import, or two runs of the generator, record theirs.
RECORDED = ("recorded_from", "recorded_to")


def _data(table: Any) -> Any:
    """``table``'s rows in id order, without when they were recorded."""
    columns = [c for c in table.columns if c.name not in RECORDED]
    return table.select().with_only_columns(*columns).order_by(*table.primary_key)


def test_the_server_never_imports_the_generator() -> None:
    """The generator is a tool (app/tools/): the app the server runs does not load it."""
    code = "import sys, app.main; print('app.tools.dataset' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


# -- what the API makes of it ------------------------------------------------------------------


def test_the_api_serves_it(generated: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = generated
    with engine.connect() as connection:
        facts_of_first = set(
            connection.execute(
                text("SELECT fact_type, fact_id FROM fact WHERE company_id = 1")
            ).all()
        )
        roles: dict[int, int] = dict(
            connection.execute(
                text("SELECT company_id, count(*) FROM executive_role GROUP BY company_id")
            ).all()
        )
        battery_companies = connection.execute(
            text("SELECT count(*) FROM company WHERE name LIKE '%Battery%'")
        ).scalar_one()
    with client_for(engine) as client:
        company = client.get("/v1/companies/synthetic-000001")
        assert company.status_code == 200, company.text
        body = company.json()
        assert body["slug"] == "synthetic-000001" and "Synthetic" in body["name"]
        assert body["citations"][0]["quote"].startswith(body["name"])

        for i in (1, 2, 3, *range(10, COMPANIES, 29), COMPANIES):
            executives = get_data(client, f"/v1/companies/synthetic-{i:06d}/executives")
            assert 1 <= len(executives) == roles[i] <= 3

        japanese = client.get("/v1/companies", params={"country": "JP", "count": "true"})
        assert japanese.json()["total"] == COMPANIES // 10
        assert {
            c["country"] for c in walk_pages(client, "/v1/companies", {"country": "JP"}, limit=7)
        } == {"JP"}

        hits = get_data(client, "/v1/search", q="battery")
        assert hits and all("<mark>" in hit["snippet"] for hit in hits)
        assert {"company", "executive", "partnership"} <= {hit["type"] for hit in hits}
        companies = walk_pages(client, "/v1/search", {"q": "battery", "type": "company"}, limit=50)
        assert len(companies) == battery_companies

        facts = get_data(client, "/v1/facts", company="synthetic-000001")
        assert {(f["record"]["type"], f["record"]["id"]) for f in facts} == facts_of_first
        assert {f["predicate"] for f in facts} >= {"company", "holds_role"}


def test_ids_continue_after_the_loaded_ones(generated: tuple[Engine, dict[str, int]]) -> None:
    """Ids were given by the generator: the next row a writer adds gets the next id."""
    engine, rows = generated
    day = dt.date(2025, 1, 1)
    with Session(engine) as session:
        source = Source(slug="x", title="x", published_on=day, text="x", sha256="x")
        company = Company(slug="x", name="x", kind="x", **recorded(day))
        session.add_all([source, company])
        session.flush()
        assert (source.id, company.id) == (rows["source"] + 1, rows["company"] + 1)
        session.rollback()


# -- one transaction, into an empty database, the schema intact --------------------------------


def test_the_same_seed_gives_the_same_data(
    generated: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    """Whatever the chunk size (this one is written in one chunk, the fixture's in several):
    the data set is a function of the sizes and the seed."""
    assert app.tools.dataset.CHUNK > FACTS
    engine, _ = generated
    with scratch_engine(tmp_path, f"{PREFIX}_again") as again:
        _generate(again)
        assert _dump(again) == _dump(engine)
    with scratch_engine(tmp_path, f"{PREFIX}_other") as other:
        _generate(other, seed=8)
        assert _dump(other) != _dump(engine)


def _dump(engine: Engine) -> str:
    """A digest of every row of every table, and of what the full-text index is built from."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(_data(table)):
                digest.update(repr(tuple(row)).encode())
        extra = (
            "SELECT rowid, title, body FROM search_fts ORDER BY rowid"
            if engine.dialect.name == "sqlite"
            else "SELECT id, tsv::text FROM search_document ORDER BY id"
        )
        for row in connection.exec_driver_sql(extra):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_the_schema_is_that_of_a_migrated_database(
    generated: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    """Every index and trigger set aside for the load is back, as the migrations define it."""
    engine, _ = generated
    with scratch_engine(tmp_path, f"{PREFIX}_plain") as plain:
        assert _schema(engine) == _schema(plain)
    # Raises if the models and the database have drifted apart.
    command.check(alembic_config(engine.url.render_as_string(hide_password=False)))


def _schema(engine: Engine) -> set[tuple[str, ...]]:
    """The indexes and triggers, as their definitions read (the tables the load never
    alters: ``alembic check`` covers them)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(
                connection.exec_driver_sql(
                    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                    "WHERE type IN ('index', 'trigger')"
                ).all()
            )
        indexes = connection.exec_driver_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema()"
        ).all()
        triggers = connection.exec_driver_sql(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled::text "
            "FROM pg_trigger WHERE NOT tgisinternal"
        ).all()
        return {*indexes, *triggers}


def test_a_failed_load_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    with scratch_engine(tmp_path, f"{PREFIX}_failed") as engine:
        before = _schema(engine)

        def fail(line: str) -> None:
            if "facts written" in line:
                raise RuntimeError("interrupted")

        with pytest.raises(RuntimeError, match="interrupted"):
            generate(engine, companies=50, facts=500, seed=1, progress=fail)
        assert _schema(engine) == before
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                count = connection.execute(select(func.count()).select_from(table)).scalar_one()
                assert count == 0, table.name
        # Nothing is left behind that would stop the next run.
        assert _generate(engine, companies=50, facts=500)["fact"] == 500


def test_a_database_with_data_is_refused(generated: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = generated
    before = _dump(engine)
    with pytest.raises(DatasetRefused, match="empty database"):
        _generate(engine)
    with pytest.raises(DatasetRefused, match="at least 5"):
        generate(engine, companies=10, facts=10, seed=1, progress=lambda _: None)
    assert _dump(engine) == before


def test_the_command_migrates_loads_and_refuses_a_second_run(tmp_path: Path) -> None:
    """The command as other tools (bench/) run it, on a database nobody has migrated yet."""
    url = fresh_database_url(tmp_path, f"{PREFIX}_cli")
    env = {**os.environ, "AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_LOG_LEVEL": "warning"}
    command_line = [
        str(Path(sys.executable).with_name("autofacts")),
        "gen-dataset",
        "--companies=20",
        "--facts=150",
        "--seed=3",
    ]
    done = subprocess.run(command_line, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "synthetic data set loaded in" in done.stdout
    counts = dict(line.split() for line in done.stdout.splitlines() if line.startswith("  "))
    assert counts["company"] == "20" and counts["fact"] == "150"
    assert "facts written" in done.stderr

    again = subprocess.run(command_line, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert "already holds company rows" in again.stderr
    assert "empty database" in again.stderr
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM fact")).scalar_one() == 150
    finally:
        engine.dispose()
