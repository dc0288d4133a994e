"""Indexes for a company list filtered by both country and kind, one per sort key.

A list filtered by country and kind found its rows through one filter's index and read
each row to check the other: a country's every company when none of them is of that kind,
before LIMIT could stop anything. Such lists cost up to twenty times a list with one
filter; with both filters ahead of the sort key, each is a walk of its own rows in order.

Revision ID: bb0efb023e9a
Revises: search_history
Create Date: 2026-12-07 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bb0efb023e9a"
down_revision: str | None = "search_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each as app/models/base.py's current_index names it: filters, sort key, id, known_to.
INDEXES = {
    "ix_company_current_country_kind_name_id": ["country", "kind", "name", "id"],
    "ix_company_current_country_kind_slug_id": ["country", "kind", "slug", "id"],
    "ix_company_current_country_kind_id": ["country", "kind", "id"],
}


def upgrade() -> None:
    current = sa.text("known_to IS NULL")
    with op.batch_alter_table("company", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(
                name,
                [*columns, "known_to"],
                unique=False,
                sqlite_where=current,
                postgresql_where=current,
            )
    # Statistics for the new indexes at once, as for the facet indexes: without them
    # SQLite's planner misjudges how selective each is.
    op.execute("ANALYZE company")


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
