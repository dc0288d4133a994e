"""facts told of as past: ``ended_by``, the day their source says they were over by

Every fact table (and the flat ``fact`` table mirroring them) gains ``ended_by``: on a fact
its earliest source tells of in the past tense ("were recently lowered", "before the trade
war"), that source's publication date, in place of ``holds_on``. The fact had certainly
ended by then, so ``valid_to_latest`` is at most that day. Existing rows were all stated in
the present tense: the column is null on each, and their derived columns stand.

Revision ID: told_as_past
Revises: seed_says_what_article_says
Create Date: 2026-12-07 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "told_as_past"
down_revision: str | None = "seed_says_what_article_says"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = (
    "company",
    "executive",
    "executive_role",
    "financial_result",
    "partnership",
    "partnership_member",
    "partnership_scope",
    "partnership_status",
    "plant",
    "restructuring_plan",
    "statement",
    "tariff",
    "tariff_impact",
    "fact",
)


def upgrade() -> None:
    for table in FACT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("ended_by", sa.Date(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: on SQLite that rebuilds the table, dropping the triggers earlier
    # revisions put on it (SQLite drops a column in place since 3.35).
    for table in FACT_TABLES:
        op.drop_column(table, "ended_by")
