"""statements: what executives and companies said, and their search documents

The table, its indexes over current rows in list order (one per list filter), and
``statement`` among the search document types: the CHECK constraint on
``search_document.doc_type`` names every type. SQLite cannot alter a CHECK constraint, so
there the table is rebuilt under the new one, with the full-text triggers it carries.

Revision ID: 163161db5de9
Revises: 7197e46e9fed
Create Date: 2026-12-07 01:12:16.461498
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "163161db5de9"
down_revision: str | None = "7197e46e9fed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("known_to IS NULL")

DOC_TYPES = ["company", "executive", "partnership", "tariff", "restructuring_plan", "plant"]


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    precision = ("day", "month", "year")
    op.create_table(
        "statement",
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_from_precision", _enum("valid_from_precision", *precision), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("valid_to_precision", _enum("valid_to_precision", *precision), nullable=True),
        sa.Column(
            "certainty",
            _enum("certainty", "confirmed", "reported", "unconfirmed", "excluded"),
            nullable=False,
        ),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.Column("known_to", sa.Date(), nullable=True),
        sa.Column("version_of", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("speaker_executive_id", sa.Integer(), nullable=True),
        sa.Column("speaker_company_id", sa.Integer(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("speech", _enum("speech", "direct", "reported"), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("about_partnership_id", sa.Integer(), nullable=True),
        sa.Column("about_company_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["about_company_id"],
            ["company.id"],
            name=op.f("fk_statement_about_company_id_company"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["about_partnership_id"],
            ["partnership.id"],
            name=op.f("fk_statement_about_partnership_id_partnership"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_statement_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["speaker_company_id"],
            ["company.id"],
            name=op.f("fk_statement_speaker_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_executive_id"],
            ["executive.id"],
            name=op.f("fk_statement_speaker_executive_id_executive"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
    )
    for column in (
        "about_company_id",
        "about_partnership_id",
        "certainty",
        "known_from",
        "known_to",
        "source_id",
        "speaker_company_id",
        "speaker_executive_id",
        "valid_from",
        "valid_to",
        "version_of",
    ):
        op.create_index(f"ix_statement_{column}", "statement", [column])
    for columns in (
        ("id",),
        ("speaker_executive_id", "id"),
        ("speaker_company_id", "id"),
        ("about_partnership_id", "id"),
        ("about_company_id", "id"),
    ):
        op.create_index(
            f"ix_statement_current_{'_'.join(columns)}",
            "statement",
            [*columns, "known_to"],
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        )
    _document_types([*DOC_TYPES, "source", "statement"])


def downgrade() -> None:
    op.execute("DELETE FROM search_document WHERE doc_type = 'statement'")
    _document_types([*DOC_TYPES, "source"])
    op.drop_table("statement")  # its indexes go with it


def _document_types(types: list[str]) -> None:
    listed = ", ".join(f"'{t}'" for t in types)
    check = f"doc_type IN ({listed})"
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_search_document_doc_type"), "search_document", type_="check")
        op.create_check_constraint(op.f("ck_search_document_doc_type"), "search_document", check)
        return
    # The rows keep their ids, so the external-content FTS table still indexes them.
    for statement in (
        *(f"DROP TRIGGER search_document_{trigger}" for trigger in ("ai", "ad", "au")),
        "CREATE TABLE search_document_new ("
        "id INTEGER NOT NULL, doc_type VARCHAR(18) NOT NULL, doc_id INTEGER NOT NULL, "
        '"key" VARCHAR(200) NOT NULL, title VARCHAR(300) NOT NULL, body TEXT NOT NULL, '
        "CONSTRAINT pk_search_document PRIMARY KEY (id), "
        "CONSTRAINT uq_search_document_doc_type_doc_id UNIQUE (doc_type, doc_id), "
        f"CONSTRAINT ck_search_document_doc_type CHECK ({check}))",
        'INSERT INTO search_document_new SELECT id, doc_type, doc_id, "key", title, body '
        "FROM search_document",
        "DROP TABLE search_document",
        "ALTER TABLE search_document_new RENAME TO search_document",
        *_SQLITE_TRIGGERS,
    ):
        op.execute(statement)


# As migration full_text_search created them.
_SQLITE_TRIGGERS = [
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
