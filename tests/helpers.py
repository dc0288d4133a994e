"""What the tests share: scratch databases and clients, the problem+json shape, walking a
list page by page, verbatim citations, counting queries."""

import datetime as dt
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.core.config import ROOT, get_settings
from app.core.db import make_engine
from app.core.errors import PROBLEM_JSON
from app.importer import import_facts, load_file, parse_facts
from app.main import create_app
from app.models import Source

POSTGRES_URL = os.environ.get("AUTOFACTS_TEST_DATABASE_URL")
SEED_DAY = "2025-11-14"


def today() -> dt.date:
    """Read at each use, not at import: a run that crosses midnight compares like with like."""
    return dt.date.today()


def yesterday() -> str:
    return (today() - dt.timedelta(days=1)).isoformat()


def recorded(known_from: dt.date, known_to: dt.date | None = None) -> dict[str, Any]:
    """The time columns of a fact row a test writes itself: reported on ``known_from``,
    and recorded as if written at 00:00 UTC that day, until ``known_to`` if given."""

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), dt.UTC)

    return {
        "known_from": known_from,
        "known_to": known_to,
        "recorded_from": midnight(known_from),
        "recorded_to": None if known_to is None else midnight(known_to),
    }


def last_write_at(client: TestClient) -> str:
    """The instant of the latest logged write: what it recorded its rows at (a retraction
    answers 204, with no body to read it from)."""
    changes = changes_since(client)
    return changes[-1]["occurred_at"] if changes else ""


def changes_since(client: TestClient, since: str | None = None) -> list[dict[str, Any]]:
    """The change feed after ``since`` (from its start without), every page of it."""
    changes: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/changes", params={"since": since} if since else {}).json()
        changes += page["data"]
        if not page["has_more"]:
            return changes
        since = page["next_cursor"]


def feed_end(client: TestClient) -> str:
    """The change feed's cursor after every change logged so far (the seed's import
    included): what a test reads the changes of its own writes from."""
    since: str | None = None
    while True:
        page = client.get("/v1/changes", params={"since": since} if since else {}).json()
        since = page["next_cursor"]
        if not page["has_more"]:
            return since


def just_before(recorded: str) -> str:
    """The instant one microsecond before ``recorded`` (an RFC 3339 instant the API gave):
    ``as_of`` there answers what the write at ``recorded`` replaced."""
    instant = dt.datetime.fromisoformat(recorded) - dt.timedelta(microseconds=1)
    return instant.isoformat().replace("+00:00", "Z")


_scratch_numbers = itertools.count()

# -- databases and clients ---------------------------------------------------------------------
# Migrating and seeding cost far more than copying a database: each worker process migrates
# one template (and seeds a copy of it) the first time a test asks, and every database a test
# gets is a copy of one of them, a file copy on SQLite and CREATE DATABASE … TEMPLATE on
# PostgreSQL. PostgreSQL databases are named after AUTOFACTS_TEST_DATABASE_URL's and the
# pytest-xdist worker, so neither other workers nor runs against other names meet them.

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# PostgreSQL cuts longer names short, silently: two would end up one.
MAX_NAME = 63


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def postgres_database_url(name: str = "") -> str:
    """The URL of this worker's PostgreSQL database ``name`` (its main one without)."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    database = "_".join(part for part in (url.database, WORKER, name) if part)
    assert len(database) <= MAX_NAME, database
    return url.set(database=database).render_as_string(hide_password=False)


@lru_cache
def _postgres_admin() -> Engine:
    """Creates and drops databases, through the server's maintenance database."""
    assert POSTGRES_URL
    maintenance = make_url(POSTGRES_URL).set(database="postgres")
    return create_engine(maintenance, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _drop_postgres_database(name: str) -> None:
    with _postgres_admin().connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class _Drops:
    """PostgreSQL's DROP DATABASE waits for a checkpoint, far longer than a copy takes to
    make: tests hand their databases to threads that drop them meanwhile (drops waiting at
    once share a checkpoint)."""

    def __init__(self) -> None:
        self.pool: ThreadPoolExecutor | None = None
        self.pending: dict[str, Future[None]] = {}
        # Every database this worker made and has not handed over to be dropped: what a
        # test named and kept to itself (a fault test's, a migration test's) goes at the end.
        self.made: set[str] = set()

    def later(self, name: str) -> None:
        self.made.discard(name)
        if self.pool is None:
            self.pool = ThreadPoolExecutor(16, thread_name_prefix="drop-database")
        self.wait(name)
        self.pending[name] = self.pool.submit(_drop_postgres_database, name)

    def wait(self, name: str | None = None) -> None:
        """Until the database ``name`` (every one without) is dropped."""
        for pending in [name] if name else list(self.pending):
            if pending in self.pending:
                self.pending.pop(pending).result()


DROPS = _Drops()


def recreate_postgres_database(url: str, *, template: str | None = None) -> None:
    """Drop and create the database ``url`` names: empty, or a copy of ``template``'s."""
    name = make_url(url).database or ""
    DROPS.wait(name)
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with _postgres_admin().connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        DROPS.made.add(name)
        # A test asks what the database answers, not whether a commit outlives a power cut:
        # its commits return before the log reaches the disk (as SQLite's synchronous=NORMAL
        # does), and each is still atomic, isolated and seen by every later statement.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))


def drop_database(url: str) -> None:
    """PostgreSQL keeps what it is given: a test's database goes with the test, soon after
    it. (A SQLite file goes with pytest's temporary directories.)"""
    if make_url(url).get_backend_name() != "sqlite":
        DROPS.later(make_url(url).database or "")


def fresh_database_url(tmp_path: Path, name: str) -> str:
    """The URL of a new, empty database (not migrated)."""
    if POSTGRES_URL:
        url = postgres_database_url(name)
        recreate_postgres_database(url)
        return url
    return f"sqlite:///{tmp_path / (name + '.db')}"


def _copy_database(template: str, tmp_path: Path, name: str) -> str:
    """The URL of a new database ``name`` holding what ``template`` holds. Nothing may be
    connected to the template (PostgreSQL refuses to copy it; a SQLite copy could miss what
    its write-ahead log still holds)."""
    if POSTGRES_URL:
        url = postgres_database_url(name)
        recreate_postgres_database(url, template=template)
        return url
    source = Path(make_url(template).database or "")
    assert not source.with_name(source.name + "-wal").exists(), f"{source} is still open"
    path = tmp_path / (name + ".db")
    shutil.copyfile(source, path)
    return f"sqlite:///{path}"


class _Templates:
    """This worker's template databases, made on first use: one migrated, and a copy of it
    with the seed loaded."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.directory: Path | None = None

    def _new(self, name: str) -> str:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix=f"autofacts-templates{WORKER}-"))
        return fresh_database_url(self.directory, f"template_{name}")

    def migrated(self) -> str:
        if "migrated" not in self.urls:
            url = self._new("migrated")
            migrate(url)
            self.urls["migrated"] = url
        return self.urls["migrated"]

    def seeded(self) -> str:
        if "seeded" not in self.urls:
            migrated = self.migrated()
            assert self.directory is not None
            url = _copy_database(migrated, self.directory, "template_seeded")
            engine = make_engine(url)
            try:
                with Session(engine) as session:
                    import_facts(session, load_file(get_settings().seed_file))
            finally:
                # Closing the last connection checkpoints SQLite's log into the file.
                engine.dispose()
            self.urls["seeded"] = url
        return self.urls["seeded"]

    def drop(self) -> None:
        """The templates, and every database still to drop, gone."""
        for url in self.urls.values():
            drop_database(url)
        self.urls.clear()
        for name in list(DROPS.made):
            DROPS.later(name)
        DROPS.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        if POSTGRES_URL:
            _postgres_admin().dispose()


TEMPLATES = _Templates()


def migrated_database_url(tmp_path: Path, name: str) -> str:
    """The URL of a new database ``name``, migrated and empty."""
    return _copy_database(TEMPLATES.migrated(), tmp_path, name)


def seeded_database_url(tmp_path: Path, name: str) -> str:
    """The URL of a new database ``name``, migrated and holding the seed."""
    return _copy_database(TEMPLATES.seeded(), tmp_path, name)


@contextmanager
def scratch_engine(
    tmp_path: Path, name: str | None = None, *, seeded: bool = False
) -> Iterator[Engine]:
    """A new database of its own, migrated, empty or (``seeded``) holding the seed, dropped
    on the way out; ``name`` defaults to a new one."""
    new = seeded_database_url if seeded else migrated_database_url
    url = new(tmp_path, name or f"scratch{next(_scratch_numbers)}")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(url)


def concrete_path(template: str) -> str:
    """A path of the OpenAPI document on seed rows: slugs that exist where each is asked
    for (an executive's is a person's), and every integer id 1."""
    values = {"slug": "nissan", "company_slug": "honda", "id_or_slug": "2025-11-14-honda-nissan"}
    concrete = template.replace("/v1/executives/{slug}", "/v1/executives/ivan-espinosa")
    for name, value in values.items():
        concrete = concrete.replace("{" + name + "}", value)
    while "{" in concrete:  # every integer id: 1
        start = concrete.index("{")
        concrete = concrete[:start] + "1" + concrete[concrete.index("}") + 1 :]
    return concrete


def client_for(engine: Engine, *, cache: bool = True) -> TestClient:
    """The app over real HTTP semantics (httpx), bound to ``engine``. Without ``cache``
    every request is answered by its route (no data version, so no answer is kept): what
    tests of the statements a route runs need."""
    app = create_app(engine)
    if not cache:
        app.state.data_version = None
    return TestClient(app, raise_server_exceptions=False)


@asynccontextmanager
async def async_client_for(
    engine: Engine, *, compiled_routing: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The app bound to ``engine``, started, on the running event loop, with every answer
    computed (no response cache): for tests of what requests do to each other. Without
    ``compiled_routing``, FastAPI's own handler answers every request."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOFACTS_COMPILED_ROUTING", str(compiled_routing).lower())
        get_settings.cache_clear()
        app = create_app(engine)
    get_settings.cache_clear()
    app.state.data_version = None
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


@contextmanager
def client_for_facts(
    tmp_path_factory: pytest.TempPathFactory, name: str, facts: Mapping[str, Any]
) -> Iterator[TestClient]:
    """The app over a scratch database ``name`` holding only ``facts``, an inline facts file."""
    with scratch_engine(tmp_path_factory.mktemp(name), name) as engine:
        with Session(engine) as session:
            import_facts(session, parse_facts(facts))
        with client_for(engine) as test_client:
            yield test_client


def cite(quote: str, source: str = "early") -> list[dict[str, str]]:
    """The citations of an inline facts file entry: one ``quote`` from ``source``."""
    return [{"source": source, "quote": quote}]


# -- responses ---------------------------------------------------------------------------------


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None
) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; ``field`` names the query or
    body field a 422 must point at. Returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"] and body["instance"]
    assert "Traceback" not in response.text
    if field is not None:
        assert any(error["loc"][-1] == field for error in body["errors"]), body
    return body


def get_data(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of the list at ``path``, all on one page."""
    response = client.get(path, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def get_slugs(client: TestClient, path: str, **params: Any) -> list[str]:
    return [row["slug"] for row in get_data(client, path, **params)]


def walk_pages(
    client: TestClient,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    limit: int = 1,
    max_pages: int = 1000,
) -> list[dict[str, Any]]:
    """The rows of the list at ``path``, fetched ``limit`` at a time by following
    ``next_cursor``; each page is a 200 with a ``Link: <…>; rel="next"`` header exactly when
    it has a next cursor. Fails past ``max_pages`` requests rather than looping forever."""
    rows: list[dict[str, Any]] = []
    page: dict[str, Any] = {"limit": limit}
    for _ in range(max_pages):
        response = client.get(path, params={**(params or {}), **page})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) <= limit
        rows += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in response.headers
            return rows
        link = response.headers["Link"]
        assert link.startswith("<") and link.endswith('>; rel="next"'), link
        assert "cursor=" in link
        page = {"limit": limit, "cursor": cursor}
    raise AssertionError(f"{path} still had a next page after {max_pages}")


def assert_slugs_in_order(
    client: TestClient, path: str, expected: list[str], **params: Any
) -> None:
    """The list at ``path`` holds the rows with the slugs ``expected``, in that order, read
    whole and walked one row a page."""
    assert get_slugs(client, path, **params) == expected
    assert [row["slug"] for row in walk_pages(client, path, params)] == expected


# -- the database behind the responses ---------------------------------------------------------


def assert_verbatim(engine: Engine, citations: list[dict[str, Any]], *words: str) -> None:
    """Each quote is its source's text between its offsets (modulo whitespace), and the
    quotes together say ``words``."""
    assert citations
    with Session(engine) as session:
        for citation in citations:
            text = session.get(Source, citation["source_id"]).text  # type: ignore[union-attr]
            span = text[citation["start_offset"] : citation["end_offset"]]
            assert citation["quote"].split() == span.split(), citation
    quoted = " ".join(" ".join(c["quote"].split()) for c in citations)
    for word in words:
        assert word in quoted, (word, quoted)


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def record_queries(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements ``engine`` runs inside the block, with their parameters."""
    queries: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        queries.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield queries
    finally:
        event.remove(engine, "before_cursor_execute", record)


def tables_read_in_full(engine: Engine, statement: str, parameters: Any) -> set[str]:
    """The tables the database's plan for ``statement`` reads from end to end rather than
    by a key: SQLite's SCANs (its planner reasons from the schema alone, so a test's few
    rows plan as a million do). On PostgreSQL, whose planner goes by the rows it counted,
    a few rows make any plan as good as the next; with sequential scans priced out, what
    still takes one had no index to use."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details = [row[-1] for row in plan]
            # A subquery's result or a constant row is no table: what the subquery reads
            # has lines of its own.
            scanned = {d.split()[1] for d in details if d.startswith("SCAN ")}
            return {n for n in scanned if n not in ("CONSTANT", "SUBQUERY") and "(" not in n}
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        read: set[str] = set()
        nodes = [plan.scalar_one()[0]["Plan"]]
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            kind, table = node["Node Type"], node.get("Relation Name")
            if kind == "Seq Scan":
                read.add(table)
        return read


def plan_of(engine: Engine, statement: str, parameters: Any) -> str:
    """The database's plan for ``statement`` as text; on PostgreSQL with sequential scans
    priced out, as in ``tables_read_in_full`` (a test's few rows make a scan the cheapest)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in plan)
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in plan)


def assert_tally_counts_companies(connection: Connection) -> int:
    """``company_tally`` says what counting the current companies says (a combination at
    zero is one no company has); the number of current companies."""
    combination = "country, kind, certainty"
    tallied = connection.exec_driver_sql(
        f"SELECT {combination}, companies FROM company_tally WHERE companies > 0 "
        f"ORDER BY {combination}"
    ).all()
    counted = connection.exec_driver_sql(
        f"SELECT {combination}, count(*) FROM company WHERE known_to IS NULL "
        f"GROUP BY {combination} ORDER BY {combination}"
    ).all()
    assert tallied == counted
    return sum(row[3] for row in counted)
