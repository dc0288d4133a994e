"""Synthetic data at scale, for benchmarks and growth measurements: ``autofacts gen-dataset``.

Deterministic (same sizes and seed, same rows), clearly marked synthetic (sources published
by "Autofacts synthetic data" at https://synthetic.invalid/, titles starting "[synthetic]"),
and never mixed with the seed or anything else: it loads only into an empty database.

It takes the fast path, which the write path cannot: the rows are built in Python with
their ids, in chunks (memory stays flat whatever the size), and written in bulk (Core
``executemany`` on SQLite, ``COPY`` on PostgreSQL). The derived tables are written directly
too: the ``fact`` projection (as ``app.services.facts`` would write it) and the search
documents (as ``app.services.search_index`` would); tests/test_gen_dataset.py checks both
against those services, and every row against what the importer writes of the same facts
(exported, then imported into an empty database). What keeps an index or a full-text index
up to date row by row is set aside during the load and rebuilt once after it, from the
definitions the migrations left in the database itself, so that nothing can drift from them.

The whole load is one transaction: a run that fails, or is killed, leaves the database as
it found it (empty, every index in place).

Every fact row cites one sentence of a synthetic source, verbatim at its offsets: each
source's text is the sentences its facts cite, in order.
"""

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from app.core.dates import derived_span
from app.core.db import lift_statement_timeout
from app.core.money import Money, decimal_to_str
from app.models import (
    FACT_MODELS,
    Citation,
    Company,
    Fact,
    SearchDocument,
    Source,
)
from app.models.search import DocumentType
from app.services.companies import refill_company_tally
from app.services.search_index import _join

PUBLISHER = "Autofacts synthetic data"
COUNTRIES = ("JP", "US", "DE", "FR", "KR", "CN", "IT", "GB", "IN", "MX")
WORDS = ("Battery", "Hybrid", "Motor", "Axle", "Electric", "Drive", "Mobility", "Engine")
FIRST = ("Aiko", "Ben", "Carla", "Dev", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas")
LAST = ("Abe", "Baker", "Costa", "Dubois", "Endo", "Fischer", "Garcia", "Hayashi", "Ito")
TITLES = ("CEO", "CFO", "COO", "CTO", "Chair")
METRICS = ("revenue", "operating_profit", "net_profit")
AREAS = ("battery supply", "hybrid systems", "software", "plants in North America")
# About 50 sentences (some 6 kB), the length of a real article: search snippets are made
# from whole documents, so unrealistically long sources would make search look slow.
SENTENCES_PER_SOURCE = 50
# Fact rows built before they are written (with their citations, projections and search
# documents): large enough for bulk writes to pay, small enough to keep memory flat.
CHUNK = 20_000
FIRST_DAY = dt.date(2024, 1, 1)
# Each company has 1-3 executives, each with one role: five facts per company on average.
FACTS_PER_COMPANY = 5
# The external-content FTS5 index over the current search documents (SQLite), kept in
# step by the triggers of the search-history migration; services/search.py queries it by
# this name. Every loaded document is current: the index of closed ones stays empty.
SQLITE_FTS = "search_fts"
# Memory for sorting while the indexes are built after the load.
SQLITE_CACHE_KIB = 256 * 1024
POSTGRES_MAINTENANCE_WORK_MEM = "512MB"


class DatasetRefused(Exception):
    """The database is not empty, or the sizes cannot be met."""


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# The tables the load writes, parents before children (foreign keys are checked as rows
# arrive).
_LOADED: tuple[type[SQLModel], ...] = (Source, *FACT_MODELS, Citation, Fact, SearchDocument)
_TABLES: tuple[Table, ...] = tuple(model.__table__ for model in _LOADED)  # type: ignore[attr-defined]


def generate(
    engine: Engine, *, companies: int, facts: int, seed: int, progress: Callable[[str], None]
) -> Report:
    """Load ``companies`` companies and ``facts`` fact rows in all into the empty database
    behind ``engine`` (migrated to head), in one transaction."""
    if companies < 1 or facts < companies * FACTS_PER_COMPANY:
        raise DatasetRefused(
            f"--facts must be at least {FACTS_PER_COMPANY} per company "
            f"({companies * FACTS_PER_COMPANY} for {companies} companies)"
        )
    started = time.monotonic()
    report = Report(rows={table.name: 0 for table in _TABLES})

    def say(line: str) -> None:
        progress(f"{time.monotonic() - started:6.1f} s  {line}")

    with engine.connect() as connection, _bulk_settings(connection), connection.begin():
        if connection.dialect.name == "sqlite":
            # pysqlite would begin the transaction only at the first INSERT, so the DROPs
            # below would be committed on their own: begin it now, and take the write lock.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql(
                f"SET LOCAL maintenance_work_mem = '{POSTGRES_MAINTENANCE_WORK_MEM}'"
            )
            lift_statement_timeout(connection)
        _refuse_unless_empty(connection)
        deferred = _deferred_ddl(connection)
        say(f"set aside {len(deferred.drops)} secondary indexes and triggers")
        for statement in deferred.drops:
            connection.exec_driver_sql(statement)
        write = _copy if connection.dialect.name == "postgresql" else _executemany
        done, tenths = 0, 0
        for chunk in _Builder(random.Random(seed), companies, facts).chunks():
            for table in _TABLES:
                rows = chunk[table.name]
                if rows:
                    write(connection, table, rows)
                    report.rows[table.name] += len(rows)
            done += len(chunk["fact"])
            if done * 10 // facts > tenths:
                tenths = done * 10 // facts
                say(f"{done:,} of {facts:,} facts written")
        if deferred.rebuilds:
            for statement in deferred.rebuilds:
                connection.exec_driver_sql(statement)
            say("triggers restored (and the full-text index rebuilt)")
        refill_company_tally(connection)
        for statement in deferred.creates:
            connection.exec_driver_sql(statement)
        say(f"{len(deferred.creates)} indexes built")
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection)
        # Statistics for the planner (SQLite has none until asked): without them it takes
        # "known_to IS NULL" for a selective condition.
        connection.exec_driver_sql("ANALYZE")
        say("statistics gathered, committing")
    if engine.dialect.name == "postgresql":
        _vacuum(engine)
        say("vacuumed")
    report.seconds = time.monotonic() - started
    return report


@contextmanager
def _bulk_settings(connection: Connection) -> Iterator[None]:
    """On SQLite, for the load only: a rollback journal (see ``_journal_mode``), no fsync
    (the load is one transaction: a killed run still rolls back whole) and a large page
    cache (index builds sort in it). Restored after, as the connection goes back to the
    pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    pragma = connection.exec_driver_sql
    journal_mode = pragma("PRAGMA journal_mode").scalar_one()
    synchronous = pragma("PRAGMA synchronous").scalar_one()
    cache_size = pragma("PRAGMA cache_size").scalar_one()
    _journal_mode(connection, "delete")
    pragma("PRAGMA synchronous=OFF")
    pragma(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    connection.commit()
    try:
        yield
    finally:
        _journal_mode(connection, journal_mode)
        pragma(f"PRAGMA synchronous={int(synchronous)}")
        pragma(f"PRAGMA cache_size={int(cache_size)}")
        connection.commit()


def _journal_mode(connection: Connection, mode: str) -> None:
    """Switch SQLite's journal mode, if no other connection has the file open (leaving
    WAL needs the file to itself); otherwise carry on in the current mode.

    The load runs with a rollback journal: WAL would write every page twice (to the log,
    then to the file) and leave a log as large as the database behind, while a rollback
    journal keeps only the few pages that existed before the load, which is what a failed
    load rolls back to. The app's connections switch to WAL again as they open."""
    try:
        connection.exec_driver_sql(f"PRAGMA journal_mode={mode}")
        connection.commit()
    except OperationalError:
        connection.rollback()


def _refuse_unless_empty(connection: Connection) -> None:
    """Ids are the generator's own, so any row already there would collide or mix in."""
    for table in (Company.__table__, *_TABLES):  # type: ignore[attr-defined]
        if connection.execute(table.select().limit(1)).first() is not None:
            raise DatasetRefused(
                f"the database already holds {table.name} rows: gen-dataset loads only "
                "into an empty database"
            )


class _Deferred(NamedTuple):
    drops: list[str]
    rebuilds: list[str]
    creates: list[str]


def _deferred_ddl(connection: Connection) -> _Deferred:
    """What to drop before the load and run after it: every non-unique index of the loaded
    tables (a bulk build is far cheaper than growing an index row by row), and their
    triggers: on SQLite those that feed the FTS5 index one row at a time (one 'rebuild'
    replaces them), on both the company tally's (refilled in one pass after the load).

    The definitions are read from the database, as the migrations made them (the GIN index
    and the triggers exist only in the migrations, not in the models), and run back
    verbatim, so the rebuilt schema cannot drift from a normally migrated one."""
    names = [table.name for table in _TABLES]
    if connection.dialect.name == "sqlite":
        indexes = [
            (name, definition)
            for table in names
            for name, definition in connection.execute(
                text(
                    "SELECT m.name, m.sql FROM sqlite_master AS m "
                    "JOIN pragma_index_list(m.tbl_name) AS i ON i.name = m.name "
                    "WHERE m.type = 'index' AND m.tbl_name = :table AND NOT i.\"unique\" "
                    "ORDER BY m.name"
                ),
                {"table": table},
            )
        ]
        triggers = [
            (name, definition)
            for table in names
            for name, definition in connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = :table ORDER BY name"
                ),
                {"table": table},
            )
        ]
        quote = connection.dialect.identifier_preparer.quote
        return _Deferred(
            drops=[f"DROP INDEX {quote(name)}" for name, _ in indexes]
            + [f"DROP TRIGGER {quote(name)}" for name, _ in triggers],
            # The content table is complete: index it in one pass, then let the triggers
            # keep the index in step with later writes again.
            rebuilds=[f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}) VALUES ('rebuild')"]
            + [definition for _, definition in triggers],
            creates=[definition for _, definition in indexes],
        )
    indexes = list(
        connection.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index AS x "
                "JOIN pg_class AS c ON c.oid = x.indexrelid "
                "JOIN pg_class AS t ON t.oid = x.indrelid "
                "WHERE t.relnamespace = current_schema()::regnamespace "
                "AND t.relname = ANY(:tables) AND NOT x.indisunique ORDER BY c.relname"
            ),
            {"tables": names},
        ).all()
    )
    triggered = connection.execute(
        text(
            "SELECT DISTINCT t.relname FROM pg_trigger AS g "
            "JOIN pg_class AS t ON t.oid = g.tgrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(:tables) AND NOT g.tgisinternal ORDER BY t.relname"
        ),
        {"tables": names},
    ).scalars()
    quote = connection.dialect.identifier_preparer.quote
    tables = [quote(name) for name in triggered]
    return _Deferred(
        drops=[f"DROP INDEX {quote(name)}" for name, _ in indexes]
        + [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in tables],
        # The tsvector is a stored generated column, computed as each row is copied in.
        rebuilds=[f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in tables],
        creates=[definition for _, definition in indexes],
    )


def _values(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> list[list[Any]]:
    """Each row's values in column order, through SQLAlchemy's own bind processors (dates
    and decimals on SQLite, JSON everywhere), as a Core insert would pass them to the
    driver: the stored values are the write path's. Done here, once per column, rather than
    by Core's per-row parameter building, which cost more than the insert itself."""
    dialect = connection.dialect
    names = [column.name for column in table.columns]
    processors = [
        (index, processor)
        for index, column in enumerate(table.columns)
        if (processor := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    values = []
    for row in rows:
        # A column the generator gives no value (an optional field added since) is NULL, as
        # an omitted optional field is through the API; a required one fails the insert.
        line = [row.get(name) for name in names]
        for index, processor in processors:
            line[index] = processor(line[index])
        values.append(line)
    return values


def _executemany(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """SQLite's bulk path: one prepared INSERT run over the whole batch (the driver's
    ``executemany``, through the transaction's Core connection)."""
    marks = ", ".join("?" for _ in table.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {_columns(connection, table)} VALUES ({marks})",
        [tuple(line) for line in _values(connection, table, rows)],
    )


def _copy(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's bulk path: ``COPY … FROM STDIN`` on the transaction's own connection,
    the values adapted by psycopg as they would be as parameters."""
    import psycopg

    dbapi = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    statement = f"COPY {_columns(connection, table)} FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for line in _values(connection, table, rows):
            copy.write_row(line)


def _columns(connection: Connection, table: Table) -> str:
    """``table (column, …)``, every column, quoted where the database needs it."""
    quote = connection.dialect.identifier_preparer.quote
    return f"{quote(table.name)} ({', '.join(quote(column.name) for column in table.columns)})"


def _advance_sequences(connection: Connection) -> None:
    """Ids were given, not drawn: move each sequence past them, for the writes to come."""
    for table in _TABLES:
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
            ),
            {"table": table.name},
        )


def _vacuum(engine: Engine) -> None:
    """Mark the new pages all-visible (VACUUM cannot run in a transaction, so after the
    commit): counts and facets are then index-only scans from the first request, not
    once autovacuum comes by."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        quote = connection.dialect.identifier_preparer.quote
        # No transaction to SET LOCAL in: lifted for the session, then back to the
        # connection's own setting.
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.exec_driver_sql(f"VACUUM {', '.join(quote(t.name) for t in _TABLES)}")
        connection.exec_driver_sql("RESET statement_timeout")


class _CompanyRef(NamedTuple):
    """What other rows need of a company: kept for all of them, unlike their rows."""

    id: int
    slug: str
    name: str


class _Builder:
    """The rows of every table, built in one deterministic pass and handed out in chunks.

    A chunk holds whole facts (row, citation, projection, search document) and the sources
    their citations point to; citations of the source still being written wait for the
    next chunk, as their source row is not finished yet."""

    def __init__(self, rng: random.Random, companies: int, facts: int) -> None:
        self.rng = rng
        # Every generated row is recorded at the load, as an import's rows are.
        self.recorded_from = dt.datetime.now(dt.UTC)
        self.n_companies = companies
        self.n_facts = facts
        self.rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in _TABLES}
        self.last_id: dict[str, int] = {table.name: 0 for table in _TABLES}
        self.sentences: list[str] = []  # of the source being written
        self.offset = 0
        self.source_id = 1
        self.impacted: dict[int, list[str]] = {}  # tariff id: names of the companies it hits
        # The natural keys stated so far of the rows that have a year in theirs.
        self.stated: set[tuple[Any, ...]] = set()

    def chunks(self) -> Iterator[dict[str, list[dict[str, Any]]]]:
        for _ in self._items():
            if len(self.rows["fact"]) >= CHUNK:
                yield self._take()
        self._close_source()
        yield self._take()

    def _take(self) -> dict[str, list[dict[str, Any]]]:
        chunk = self.rows
        waiting = len(self.sentences)
        citations = chunk["citation"]
        self.rows = {table.name: [] for table in _TABLES}
        if waiting:
            chunk["citation"], self.rows["citation"] = citations[:-waiting], citations[-waiting:]
        return chunk

    def _next_id(self, table: str) -> int:
        self.last_id[table] += 1
        return self.last_id[table]

    # -- facts ------------------------------------------------------------------------------

    def _items(self) -> Iterator[None]:
        """Build the rows, one item (a company, an executive, a partnership…) at a time."""
        companies = []
        for i in range(1, self.n_companies + 1):
            companies.append(self._company(i))
            yield
        executives = 0
        for company in companies:
            for _ in range(1 + company.id % 3):
                executives += 1
                self._executive(executives, company)
                yield
        remainder = self.n_facts - len(companies) - 2 * executives
        partnerships = remainder // 10 // 5
        tariffs = min(50, max(1, remainder // 200)) if remainder >= 20 else 0
        impacts = max(0, remainder // 10 - tariffs)
        plans = remainder // 20
        plants = remainder // 4
        results = remainder - partnerships * 5 - tariffs - impacts - plans - plants
        for k in range(1, partnerships + 1):
            self._partnership(k, companies)
            yield
        tariff_rows = [self._tariff(k) for k in range(1, tariffs + 1)]
        hits = [(self.rng.choice(tariff_rows), self.rng.choice(companies)) for _ in range(impacts)]
        # Numbered tariff by tariff, as a facts file nests them and the importer numbers
        # them: the data set exported and imported again keeps its ids.
        hits.sort(key=lambda hit: hit[0]["id"])
        for k, (tariff, company) in enumerate(hits, start=1):
            self._impact(k, tariff, company)
            yield
        for tariff in tariff_rows:
            title = (
                f"{tariff['imposing_country']} tariff on {tariff['product']} "
                f"from {tariff['target_country']}"
            )
            rate = f"{decimal_to_str(tariff['rate_pct'])} percent"
            body = _join(title, rate, "tariffs", *self.impacted[tariff["id"]])
            self._document(
                DocumentType.tariff,
                tariff["id"],
                str(tariff["id"]),
                title,
                body,
                tariff["known_from"],
            )
        for k in range(1, plans + 1):
            self._plan(k, self.rng.choice(companies))
            yield
        for k in range(1, plants + 1):
            self._plant(k, self.rng.choice(companies))
            yield
        for k in range(1, results + 1):
            self._result(k, self.rng.choice(companies))
            yield

    def _fact(self, table: str, row: dict[str, Any], sentence: str) -> dict[str, Any]:
        """``row`` as a current fact citing ``sentence``; returns it, stored."""
        published_on = self._published_on(self.source_id)
        row.update(
            valid_from=None,
            valid_from_precision=None,
            valid_to=None,
            valid_to_precision=None,
            certainty="reported",
            known_from=published_on,
            known_to=None,
            recorded_from=self.recorded_from,
            recorded_to=None,
            version_of=None,
            holds_on=published_on,  # stated in the present tense, as add_fact reads it
            ended_by=None,
            **derived_span(None, None, published_on)._asdict(),
        )
        self.rows[table].append(row)
        start = self.offset
        self.sentences.append(sentence)
        self.offset += len(sentence) + 1  # sentences are joined by a space
        self.rows["citation"].append(
            {
                "id": self._next_id("citation"),
                "fact_type": table,
                "fact_id": row["id"],
                "source_id": self.source_id,
                "quote": sentence,
                "start_offset": start,
                "end_offset": start + len(sentence),
            }
        )
        if len(self.sentences) == SENTENCES_PER_SOURCE:
            self._close_source()
        return row

    def _project(
        self,
        row: dict[str, Any],
        fact_type: str,
        subject: tuple[str, int, str],
        predicate: str,
        value: Any,
        company_id: int | None,
    ) -> None:
        """The ``fact`` row mirroring ``row`` (see app.services.facts._statement)."""
        subject_type, subject_id, label = subject
        mirrored = {
            name: row[name]
            for name in (
                "valid_from",
                "valid_from_precision",
                "valid_to",
                "valid_to_precision",
                "certainty",
                "known_from",
                "known_to",
                "holds_on",
                "ended_by",
                "valid_to_latest",
                "certain_from",
                "certain_to",
                "recorded_from",
                "recorded_to",
            )
        }
        self.rows["fact"].append(
            {
                "id": self._next_id("fact"),
                "fact_type": fact_type,
                "fact_id": row["id"],
                "subject_type": subject_type,
                "subject_id": subject_id,
                "subject": label,
                "company_id": company_id,
                "predicate": predicate,
                "value": value,
                "version_of": None,
                **mirrored,
            }
        )

    def _document(
        self,
        doc_type: DocumentType,
        doc_id: int,
        key: str,
        title: str,
        body: str,
        known_from: dt.date,
    ) -> None:
        """A current document, recorded at the load and reported from its resource's day."""
        self.rows["search_document"].append(
            {
                "id": self._next_id("search_document"),
                "doc_type": doc_type.value,
                "doc_id": doc_id,
                "key": key,
                "title": title,
                "body": body,
                "known_from": known_from,
                "recorded_from": self.recorded_from,
                "recorded_to": None,
            }
        )

    # -- one kind of row each ---------------------------------------------------------------

    def _company(self, i: int) -> _CompanyRef:
        word = self.rng.choice(WORDS)
        name = f"Synthetic {word} {i:06d}"
        kind = "automaker" if i % 4 == 0 else "supplier"
        country = COUNTRIES[i % len(COUNTRIES)]
        slug = f"synthetic-{i:06d}"
        row: dict[str, Any] = {
            "id": i,
            "slug": slug,
            "name": name,
            "country": country,
            "kind": kind,
            "description": None,
        }
        self._fact("company", row, f"{name} is a {word.lower()} {kind} based in {country}.")
        value = {"name": name, "country": country, "kind": kind}
        self._project(row, "company", ("company", i, slug), "company", value, i)
        body = _join(name, kind, country)
        self._document(DocumentType.company, i, slug, name, body, row["known_from"])
        return _CompanyRef(i, slug, name)

    def _executive(self, k: int, company: _CompanyRef) -> None:
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {k:06d}"
        slug = f"synthetic-exec-{k:06d}"
        executive = {"id": k, "slug": slug, "name": name}
        self._fact("executive", executive, f"{name} is an executive at {company.name}.")
        self._project(
            executive, "executive", ("executive", k, slug), "person", {"name": name}, None
        )
        title = TITLES[k % len(TITLES)]
        role = {"id": k, "executive_id": k, "company_id": company.id, "title": title}
        self._fact("executive_role", role, f"{name} serves as {title} of {company.name}.")
        value = {"title": title, "company": company.slug}
        self._project(
            role, "executive_role", ("executive", k, slug), "holds_role", value, company.id
        )
        body = _join(name, f"{title}, {company.name}")
        self._document(
            DocumentType.executive, k, slug, name, body, cast(dt.date, executive["known_from"])
        )

    def _partnership(self, k: int, companies: list[_CompanyRef]) -> None:
        first, second = self.rng.sample(companies, 2)
        title = f"{first.name} and {second.name} battery partnership"
        slug = f"synthetic-partnership-{k:06d}"
        partnership = {"id": k, "slug": slug, "title": title, "status": "in_talks", "notes": None}
        self._fact("partnership", partnership, f"{title} talks are under way.")
        subject = ("partnership", k, slug)
        self._project(partnership, "partnership", subject, "partnership", {"title": title}, None)
        for company in (first, second):
            member = {
                "id": self._next_id("partnership_member"),
                "partnership_id": k,
                "company_id": company.id,
            }
            self._fact("partnership_member", member, f"{company.name} is part of {title}.")
            self._project(
                member,
                "partnership_member",
                ("company", company.id, company.slug),
                "member_of",
                {"partnership": k, "title": title},
                company.id,
            )
        status = {"id": k, "partnership_id": k, "status": "in_talks"}
        self._fact("partnership_status", status, f"The {title} is in talks.")
        self._project(status, "partnership_status", subject, "status", "in_talks", None)
        area = AREAS[k % len(AREAS)]
        scope = {"id": k, "partnership_id": k, "area": area}
        self._fact("partnership_scope", scope, f"The {title} covers {area}.")
        self._project(scope, "partnership_scope", subject, "scope", area, None)
        members = " and ".join((first.name, second.name))
        body = _join(title, members, "in_talks", area)
        self._document(
            DocumentType.partnership,
            k,
            str(k),
            title,
            body,
            cast(dt.date, partnership["known_from"]),
        )

    def _tariff(self, k: int) -> dict[str, Any]:
        imposing, target = COUNTRIES[k % 3], COUNTRIES[3 + k % 7]
        product = f"synthetic {self.rng.choice(WORDS).lower()} parts {k}"
        rate = Decimal(self.rng.randrange(5, 50))
        tariff = {
            "id": k,
            "imposing_country": imposing,
            "target_country": target,
            "product": product,
            "rate_pct": rate,
            "previous_rate_pct": None,
            "baseline_rate_pct": None,
        }
        subject = f"{imposing} tariff on {product} from {target}"
        self._fact("tariff", tariff, f"{imposing} set a {rate} percent tariff on {product}.")
        value = {
            "imposing_country": imposing,
            "target_country": target,
            "product": product,
            "rate_pct": decimal_to_str(rate),
            "previous_rate_pct": None,
            "baseline_rate_pct": None,
        }
        self._project(tariff, "tariff", ("tariff", k, subject), "tariff", value, None)
        self.impacted[k] = []
        return tariff

    def _impact(self, k: int, tariff: dict[str, Any], company: _CompanyRef) -> None:
        amount = Decimal(self.rng.randrange(1, 900)) * 1_000_000
        year = self._free_year(("impact", tariff["id"], company.id), 2025 + k % 2)
        impact = {
            "id": k,
            "tariff_id": tariff["id"],
            "company_id": company.id,
            "fiscal_year": f"FY{year}",
            "metric": "operating_profit",
            # Its sentence says the tariff "costs" the company: a fall in the metric.
            "direction": "decrease",
            "kind": "hit",
            "amount": amount,
            "currency": "USD",
            "usd": amount,
        }
        self._fact(
            "tariff_impact",
            impact,
            f"The tariff costs {company.name} {decimal_to_str(amount)} US dollars.",
        )
        value = {
            "tariff": tariff["id"],
            "fiscal_year": impact["fiscal_year"],
            "metric": "operating_profit",
            "direction": "decrease",
            "kind": "hit",
            "amount": _money(amount, "USD", amount),
        }
        self._project(
            impact,
            "tariff_impact",
            ("company", company.id, company.slug),
            "tariff_impact",
            value,
            company.id,
        )
        self.impacted[tariff["id"]].append(company.name)

    def _plan(self, k: int, company: _CompanyRef) -> None:
        cuts, before = self.rng.randrange(100, 20_000), self.rng.randrange(5, 30)
        after, year = before - self.rng.randrange(1, 5), 2026 + k % 4
        name = f"Synthetic plan {k:06d}"
        plan = {
            "id": k,
            "company_id": company.id,
            "name": name,
            "job_cuts": cuts,
            "plants_before": before,
            "plants_after": after,
            "target_year": year,
        }
        self._fact("restructuring_plan", plan, f"{company.name} plans to cut {cuts} jobs.")
        value = {
            "name": name,
            "job_cuts": cuts,
            "plants_before": before,
            "plants_after": after,
            "target_year": year,
        }
        self._project(
            plan,
            "restructuring_plan",
            ("company", company.id, company.slug),
            "restructuring_plan",
            value,
            company.id,
        )
        body = _join(
            company.name, name, f"{cuts} jobs cut", f"plants from {before} to {after}", year
        )
        self._document(
            DocumentType.restructuring_plan,
            k,
            str(k),
            name,
            body,
            cast(dt.date, plan["known_from"]),
        )

    def _plant(self, k: int, company: _CompanyRef) -> None:
        name = f"Synthetic {self.rng.choice(WORDS)} plant {k:06d}"
        country = COUNTRIES[k % len(COUNTRIES)]
        plant = {
            "id": k,
            "company_id": company.id,
            "name": name,
            "city": None,
            "region": None,
            "country": country,
        }
        self._fact("plant", plant, f"{company.name} builds cars at {name} in {country}.")
        value = {"name": name, "city": None, "region": None, "country": country}
        self._project(
            plant, "plant", ("company", company.id, company.slug), "plant", value, company.id
        )
        body = _join(company.name, name, country)
        self._document(
            DocumentType.plant, k, company.slug, name, body, cast(dt.date, plant["known_from"])
        )

    def _result(self, k: int, company: _CompanyRef) -> None:
        metric = METRICS[k % len(METRICS)]
        amount = Decimal(self.rng.randrange(1, 10_000)) * 1_000_000
        period = f"FY{self._free_year(('result', company.id, metric), 2020 + k % 6)}"
        result = {
            "id": k,
            "company_id": company.id,
            "period": period,
            "metric": metric,
            "amount": amount,
            "currency": "JPY",
            "usd": None,
        }
        sentence = (
            f"{company.name} reported {metric.replace('_', ' ')} of "
            f"{decimal_to_str(amount)} yen for {period}."
        )
        self._fact("financial_result", result, sentence)
        value = {"period": period, "amount": _money(amount, "JPY", None)}
        self._project(
            result,
            "financial_result",
            ("company", company.id, company.slug),
            metric,
            value,
            company.id,
        )

    def _free_year(self, key: tuple[Any, ...], year: int) -> int:
        """The first year from ``year`` on not yet stated for ``key``: the write path refuses
        a row that states again what another states (same natural key), so none is made."""
        while (*key, year) in self.stated:
            year += 1
        self.stated.add((*key, year))
        return year

    # -- sources ----------------------------------------------------------------------------

    def _published_on(self, source_id: int) -> dt.date:
        return FIRST_DAY + dt.timedelta(days=source_id % 600)

    def _close_source(self) -> None:
        if not self.sentences:
            return
        body = " ".join(self.sentences)
        source_id = self.source_id
        slug = f"synthetic-{source_id:06d}"
        title = f"[synthetic] Automotive industry digest {source_id}"
        self.rows["source"].append(
            {
                "id": source_id,
                "slug": slug,
                "title": title,
                "publisher": PUBLISHER,
                "url": f"https://synthetic.invalid/{slug}",
                "published_on": self._published_on(source_id),
                "reported_by": PUBLISHER,
                "text": body,
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
            }
        )
        published_on = self._published_on(source_id)
        self._document(DocumentType.source, source_id, slug, title, body, published_on)
        self.sentences, self.offset = [], 0
        self.source_id += 1


@cache
def _money(amount: Decimal, currency: str, usd: Decimal | None) -> dict[str, Any]:
    """Money as the write path renders it. Cached: amounts repeat, and rendering through
    the model costs more than everything else a row needs (the dict is only read)."""
    return Money(amount=amount, currency=currency, usd=usd).model_dump(mode="json")
