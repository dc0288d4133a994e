"""search history: search documents keep their recorded time, as fact rows do

``search_document`` gains ``known_from`` (the day its resource was first reported: a
source's publication date, another resource's ``known_from``), ``recorded_from`` and
``recorded_to`` (the instants its state was recorded and ended). A write that changes a
document closes the current one and adds the new one; a retraction closes it. So
``as_of`` and ``known_at`` answer search as they answer every list.

Only one *current* document per resource is unique now (a partial index over
``recorded_to IS NULL``), in place of the unique ``(doc_type, doc_id)``.

Existing documents are all current. Each is given its resource's row's ``known_from``
and ``recorded_from``; a source's is recorded from its latest logged write, else from
the earliest recorded fact row (the load that brought it), else from this migration.

SQLite: ``search_fts`` now indexes the current documents only, so that the present
search reads no other; the closed ones are in ``search_fts_past`` (both external-content
FTS5 tables over ``search_document``, kept by the triggers below; an FTS 'rebuild' of
``search_fts`` is only right while every document is current, as after gen-dataset's
load). The table is rebuilt under its new constraints, its rows keeping their ids.
PostgreSQL keeps its one GIN index over every document; present search filters on
``recorded_to IS NULL``.

Revision ID: search_history
Revises: told_as_past
Create Date: 2026-12-07 04:40:00.000000
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "search_history"
down_revision: str | None = "told_as_past"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOC_TYPES = [
    "company",
    "executive",
    "partnership",
    "tariff",
    "restructuring_plan",
    "plant",
    "source",
    "statement",
]
# The document types that are fact tables of the same name.
FACT_TYPES = [t for t in DOC_TYPES if t != "source"]
CURRENT = sa.text("recorded_to IS NULL")
UNIQUE_CURRENT = "uq_search_document_doc_type_doc_id_current"


def _filled(column: str) -> str:
    """The value of ``column`` for each existing document (``d``), from its resource."""
    cases = " ".join(
        f"WHEN '{t}' THEN (SELECT r.{column} FROM {t} AS r WHERE r.id = d.doc_id)"
        for t in FACT_TYPES
    )
    if column == "known_from":
        source = "(SELECT s.published_on FROM source AS s WHERE s.id = d.doc_id)"
        fallback = ":today"
    else:
        source = (
            "coalesce((SELECT max(c.occurred_at) FROM change AS c WHERE c.resource = 'sources' "
            "AND c.resource_id = CAST(d.doc_id AS VARCHAR(40))), "
            "(SELECT min(f.recorded_from) FROM fact AS f))"
        )
        fallback = ":now"
    return f"coalesce(CASE d.doc_type {cases} WHEN 'source' THEN {source} END, {fallback})"


def _fill_params() -> list[sa.BindParameter[object]]:
    now = dt.datetime.now(dt.UTC)
    return [
        sa.bindparam("now", now, type_=sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.bindparam("today", now.date(), type_=sa.Date()),
    ]


def _unique_current() -> None:
    op.create_index(
        op.f(UNIQUE_CURRENT),
        "search_document",
        ["doc_type", "doc_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
        return
    op.add_column("search_document", sa.Column("known_from", sa.Date(), nullable=True))
    op.add_column(
        "search_document",
        sa.Column("recorded_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "search_document",
        sa.Column("recorded_to", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.execute(
        sa.text(
            f"UPDATE search_document AS d SET known_from = {_filled('known_from')}, "
            f"recorded_from = {_filled('recorded_from')}"
        ).bindparams(*_fill_params())
    )
    op.alter_column("search_document", "known_from", nullable=False)
    op.alter_column("search_document", "recorded_from", nullable=False)
    op.drop_constraint(
        op.f("uq_search_document_doc_type_doc_id"), "search_document", type_="unique"
    )
    _unique_current()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
        return
    op.execute("DELETE FROM search_document WHERE recorded_to IS NOT NULL")
    op.drop_index(op.f(UNIQUE_CURRENT), table_name="search_document", postgresql_where=CURRENT)
    op.create_unique_constraint(
        op.f("uq_search_document_doc_type_doc_id"), "search_document", ["doc_type", "doc_id"]
    )
    op.drop_column("search_document", "recorded_to")
    op.drop_column("search_document", "recorded_from")
    op.drop_column("search_document", "known_from")


# -- SQLite ----------------------------------------------------------------------------------

_CHECK = "CONSTRAINT ck_search_document_doc_type CHECK (doc_type IN ({}))".format(
    ", ".join(f"'{t}'" for t in DOC_TYPES)
)
_COLUMNS = (
    "id INTEGER NOT NULL, doc_type VARCHAR(18) NOT NULL, doc_id INTEGER NOT NULL, "
    '"key" VARCHAR(200) NOT NULL, title VARCHAR(300) NOT NULL, body TEXT NOT NULL'
)
_OLD_TRIGGERS = [
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]


def _index(row: str, *, add: bool) -> str:
    """Add ``row`` (new) to, or take it (old) from, the FTS table of its state."""
    statements = ""
    for fts, state in (("search_fts", "IS NULL"), ("search_fts_past", "IS NOT NULL")):
        # FTS5 takes a row out by the 'delete' command, given the values it indexed.
        column, command = ("", "") if add else (f"{fts}, ", "'delete', ")
        statements += (
            f"INSERT INTO {fts}({column}rowid, title, body) "
            f"SELECT {command}{row}.id, {row}.title, {row}.body "
            f"WHERE {row}.recorded_to {state}; "
        )
    return statements


# Each document in the index of its state: current in search_fts, closed in
# search_fts_past.
_TRIGGERS = [
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    f"{_index('new', add=True)}END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    f"{_index('old', add=False)}END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    f"{_index('old', add=False)}{_index('new', add=True)}END",
]


def _drop_triggers() -> None:
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER search_document_{trigger}")


def _upgrade_sqlite() -> None:
    # The rows keep their ids, so the external-content search_fts still indexes them.
    _drop_triggers()
    op.execute(
        "CREATE TABLE search_document_new ("
        f"{_COLUMNS}, known_from DATE NOT NULL, recorded_from DATETIME NOT NULL, "
        "recorded_to DATETIME, "
        f"CONSTRAINT pk_search_document PRIMARY KEY (id), {_CHECK})"
    )
    op.execute(
        sa.text(
            "INSERT INTO search_document_new "
            'SELECT d.id, d.doc_type, d.doc_id, d."key", d.title, d.body, '
            f"{_filled('known_from')}, {_filled('recorded_from')}, NULL "
            "FROM search_document AS d"
        ).bindparams(*_fill_params())
    )
    op.execute("DROP TABLE search_document")
    op.execute("ALTER TABLE search_document_new RENAME TO search_document")
    _unique_current()
    op.execute(
        "CREATE VIRTUAL TABLE search_fts_past USING fts5(title, body, "
        "content='search_document', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    for statement in _TRIGGERS:
        op.execute(statement)


def _downgrade_sqlite() -> None:
    _drop_triggers()
    # Closed documents are only in search_fts_past, which goes with them.
    op.execute("DELETE FROM search_document WHERE recorded_to IS NOT NULL")
    op.execute("DROP TABLE search_fts_past")
    op.execute(
        "CREATE TABLE search_document_new ("
        f"{_COLUMNS}, CONSTRAINT pk_search_document PRIMARY KEY (id), "
        "CONSTRAINT uq_search_document_doc_type_doc_id UNIQUE (doc_type, doc_id), "
        f"{_CHECK})"
    )
    op.execute(
        'INSERT INTO search_document_new SELECT id, doc_type, doc_id, "key", title, body '
        "FROM search_document"
    )
    op.execute("DROP TABLE search_document")
    op.execute("ALTER TABLE search_document_new RENAME TO search_document")
    for statement in _OLD_TRIGGERS:
        op.execute(statement)
