"""An index of each company facet column over the current rows: a facet is counted from
about 90 pages of its own index rather than the table or a list index eight times wider.

Revision ID: 5e0c2b7f3a19
Revises: 7c1f0e9d2a41
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c2b7f3a19"
down_revision: str | None = "7c1f0e9d2a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACETS = ["country", "kind", "certainty"]


def upgrade() -> None:
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
    # Statistics for the new indexes at once: without them SQLite's planner takes each for a
    # selective one, and a filtered list (country=JP, by name) sorted 10,000 rows found
    # through it rather than walking its own index in order.
    op.execute("ANALYZE company")


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        for column in reversed(FACETS):
            batch_op.drop_index(f"ix_company_facet_{column}")
