"""tariff impacts carry a direction; unstated years, metrics and periods may be null

``tariff_impact.direction`` says which way a tariff moves a figure (``decrease`` or
``increase``; null when the source does not say), its amount being the size of the move.
``tariff_impact.fiscal_year``, ``tariff_impact.metric`` and ``financial_result.period``
become nullable: a source that gives an "estimated impact" with no metric or period, or a
loss "earlier this year" with no period, is stored as it says, not completed from a
neighbouring sentence. Existing rows keep their values.

Revision ID: seed_says_what_article_says
Revises: a7c1e5d2b9f4
Create Date: 2026-12-07 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "seed_says_what_article_says"
down_revision: str | None = "a7c1e5d2b9f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    direction = sa.Enum(
        "decrease", "increase", name="direction", native_enum=False, create_constraint=True
    )
    with op.batch_alter_table("tariff_impact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", direction, nullable=True))
        batch_op.alter_column("fiscal_year", existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column("metric", existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table("financial_result", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    # The old schema cannot say "not stated": such rows say so in words rather than being
    # dropped with their citations.
    op.execute("UPDATE financial_result SET period = 'unstated' WHERE period IS NULL")
    for column in ("fiscal_year", "metric"):
        op.execute(f"UPDATE tariff_impact SET {column} = 'unstated' WHERE {column} IS NULL")
    with op.batch_alter_table("financial_result", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table("tariff_impact", schema=None) as batch_op:
        batch_op.alter_column("metric", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("fiscal_year", existing_type=sa.String(length=20), nullable=False)
        # Its CHECK first: SQLite's rebuilt table would keep it, naming a column it lacks.
        batch_op.drop_constraint(op.f("ck_tariff_impact_direction"), type_="check")
        batch_op.drop_column("direction")
