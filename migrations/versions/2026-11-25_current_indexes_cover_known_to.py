"""Current-row indexes end with known_to, so that SQLite takes them as covering for the
facets and counts of current rows (its planner counts the partial index's own condition
as a column the index must hold).

Revision ID: 7c1f0e9d2a41
Revises: e27eb6cfae7e
Create Date: 2026-11-25 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1f0e9d2a41"
down_revision: str | None = "e27eb6cfae7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, key columns before known_to)
CURRENT_INDEXES = [
    ("company", ["name", "id"]),
    ("company", ["country", "name", "id"]),
    ("company", ["kind", "name", "id"]),
    ("company", ["certainty", "name", "id"]),
    ("executive", ["name", "id"]),
]


def upgrade() -> None:
    _rebuild(with_known_to=True)


def downgrade() -> None:
    _rebuild(with_known_to=False)


def _rebuild(*, with_known_to: bool) -> None:
    current = sa.text("known_to IS NULL")
    for table, columns in CURRENT_INDEXES:
        name = f"ix_{table}_current_{'_'.join(columns)}"
        op.drop_index(name, table_name=table)
        op.create_index(
            name,
            table,
            [*columns, "known_to"] if with_known_to else columns,
            sqlite_where=current,
            postgresql_where=current,
        )
