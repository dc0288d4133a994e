"""The current companies tallied by country, kind and certainty, kept by triggers: the
company list's total and facets are summed from it rather than counted from every company.
It replaces the facet indexes, which nothing reads any longer.

Revision ID: 7197e46e9fed
Revises: 5e0c2b7f3a19
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7197e46e9fed"
down_revision: str | None = "5e0c2b7f3a19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACETS = ["country", "kind", "certainty"]


def upgrade() -> None:
    op.create_table(
        "company_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "certainty",
            sa.Enum(
                "confirmed",
                "reported",
                "unconfirmed",
                "excluded",
                name="certainty",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("companies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_tally")),
    )
    op.create_index(
        "uq_company_tally_country_kind_certainty",
        "company_tally",
        ["country", "kind", "certainty"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    # The triggers first: on PostgreSQL creating one locks out writers to company until
    # the migration commits, so none can land between the count and the triggers.
    statements = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_TRIGGER
    for statement in statements:
        op.execute(statement)
    op.execute(FILL)
    with op.batch_alter_table("company", schema=None) as batch_op:
        for column in FACETS:
            batch_op.drop_index(f"ix_company_facet_{column}")


def downgrade() -> None:
    current = sa.text("known_to IS NULL")
    with op.batch_alter_table("company", schema=None) as batch_op:
        for column in FACETS:
            batch_op.create_index(
                f"ix_company_facet_{column}",
                [column, "known_to"],
                unique=False,
                sqlite_where=current,
                postgresql_where=current,
            )
    # As the revision that made them: SQLite takes an index without statistics for a
    # selective one.
    op.execute("ANALYZE company")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER company_tally_{trigger}")
    else:
        op.execute("DROP TRIGGER company_tally ON company")
        op.execute("DROP FUNCTION company_tally_count()")
    op.drop_index("uq_company_tally_country_kind_certainty", table_name="company_tally")
    op.drop_table("company_tally")


# The tally of the companies already there (gen-dataset refills it the same way after a
# load: app.services.companies.refill_company_tally).
FILL = (
    "INSERT INTO company_tally (country, kind, certainty, companies) "
    "SELECT country, kind, certainty, count(*) FROM company WHERE known_to IS NULL "
    "GROUP BY country, kind, certainty"
)

# One company joins its combination's count when it becomes current (inserted, or an
# update reopens it) and leaves it when it stops being current (retracted, superseded,
# deleted), or moves when a current company's country, kind or certainty changes.
_SAME_OLD = "country IS old.country AND kind = old.kind AND certainty = old.certainty"
_SAME_NEW = "country IS new.country AND kind = new.kind AND certainty = new.certainty"


# Each statement guarded by its own condition, so that an update both leaves (if the
# company was current) and joins (if it is).
_LEAVE = (
    "UPDATE company_tally SET companies = companies - 1 "
    f"WHERE old.known_to IS NULL AND {_SAME_OLD};"
)
# SQLite's unique index holds NULLs apart, so no ON CONFLICT for a company of no country:
# the count is raised where its row exists and the row made where it does not. One writer
# at a time, so nothing comes between the two.
_JOIN = (
    "UPDATE company_tally SET companies = companies + 1 "
    f"WHERE new.known_to IS NULL AND {_SAME_NEW}; "
    "INSERT INTO company_tally (country, kind, certainty, companies) "
    "SELECT new.country, new.kind, new.certainty, 1 WHERE new.known_to IS NULL "
    f"AND NOT EXISTS (SELECT 1 FROM company_tally WHERE {_SAME_NEW});"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER company_tally_ai AFTER INSERT ON company BEGIN {_JOIN} END",
    f"CREATE TRIGGER company_tally_ad AFTER DELETE ON company BEGIN {_LEAVE} END",
    "CREATE TRIGGER company_tally_au AFTER UPDATE OF country, kind, certainty, known_to "
    f"ON company BEGIN {_LEAVE} {_JOIN} END",
]
# PostgreSQL: a new combination is made by ON CONFLICT on the NULLS NOT DISTINCT index.
# Writers take their turn (app.core.db.begin_write, the API's and the importer's), so a
# write never waits for a tally row another holds while holding one it needs.
POSTGRESQL_TRIGGER = [
    """CREATE FUNCTION company_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.known_to IS NULL THEN
        UPDATE company_tally SET companies = companies - 1
        WHERE country IS NOT DISTINCT FROM OLD.country
            AND kind = OLD.kind AND certainty = OLD.certainty;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.known_to IS NULL THEN
        INSERT INTO company_tally (country, kind, certainty, companies)
        VALUES (NEW.country, NEW.kind, NEW.certainty, 1)
        ON CONFLICT (country, kind, certainty)
        DO UPDATE SET companies = company_tally.companies + 1;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER company_tally AFTER INSERT OR DELETE "
    "OR UPDATE OF country, kind, certainty, known_to ON company "
    "FOR EACH ROW EXECUTE FUNCTION company_tally_count()",
]
