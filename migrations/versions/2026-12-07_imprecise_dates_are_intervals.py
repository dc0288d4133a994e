"""imprecise dates are intervals: the columns valid_at and its validity label compare

Every fact table (and the flat ``fact`` table mirroring them) gains ``holds_on`` (a day
the fact certainly held: its earliest source's publication date, as that source states it
in the present tense) and three columns that follow from it and the ``valid_*`` columns:
``valid_to_latest`` (the last day an exclusive end may be), ``certain_from`` and
``certain_to`` (the span of days it certainly held), each indexed. Existing rows are
filled here as the app's ``derived_span`` fills new ones; the computation is repeated
rather than imported, as a migration never imports the app (it must run as written).

Revision ID: valid_at_intervals
Revises: 163161db5de9
Create Date: 2026-12-07 03:07:39.560055
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "valid_at_intervals"
down_revision: str | None = "163161db5de9"
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
)
DERIVED = ("valid_to_latest", "certain_from", "certain_to")


def upgrade() -> None:
    for table in (*FACT_TABLES, "fact"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("holds_on", sa.Date(), nullable=True))
            for column in DERIVED:
                batch_op.add_column(sa.Column(column, sa.Date(), nullable=True))
                batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)
    for table in FACT_TABLES:
        _fill_holds_on(table)
        _fill_derived(table)
    for table in FACT_TABLES:
        op.execute(
            f"UPDATE fact SET holds_on = (SELECT holds_on FROM {table} "
            f"WHERE {table}.id = fact.fact_id) WHERE fact.fact_type = '{table}'"
        )
    _fill_derived("fact")


def _fill_holds_on(table: str) -> None:
    earliest = (
        "SELECT min(source.published_on) FROM citation JOIN source ON source.id = "
        f"citation.source_id WHERE citation.fact_type = '{table}' AND citation.fact_id = t.id"
    )
    op.execute(f"UPDATE {table} AS t SET holds_on = ({earliest})")
    if table == "partnership_status":
        # As app.models.partnership.past_statuses: a status that a later one may have
        # followed by its source's date was told of as past, not present.
        op.execute(
            "UPDATE partnership_status AS t SET holds_on = NULL WHERE EXISTS (SELECT 1 FROM "
            "partnership_status later WHERE later.partnership_id = t.partnership_id AND "
            "later.known_to IS NULL AND later.version_of IS NULL AND later.id <> t.id AND "
            "later.valid_from <= t.holds_on AND (t.valid_from IS NULL OR "
            "later.valid_from > t.valid_from OR (later.valid_from = t.valid_from AND "
            "later.id > t.id)))"
        )


def _last_day(day: dt.date, precision: str | None) -> dt.date:
    if precision == "year":
        return dt.date(day.year, 12, 31)
    if precision == "month":
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return day


def _derived(row: sa.Row) -> dict[str, dt.date | None]:
    start = row.valid_from
    latest_end = _last_day(row.valid_to, row.valid_to_precision) if row.valid_to else None
    holds_on = row.holds_on
    if holds_on is not None and not (
        (start is None or start <= holds_on) and (row.valid_to is None or holds_on < row.valid_to)
    ):
        holds_on = None
    after = holds_on + dt.timedelta(days=1) if holds_on else None
    starts = [
        d for d in (_last_day(start, row.valid_from_precision) if start else None, holds_on) if d
    ]
    ends = [d for d in (row.valid_to, after) if d]
    if not starts or not ends or min(starts) >= max(ends):
        return {"valid_to_latest": latest_end, "certain_from": None, "certain_to": None}
    return {"valid_to_latest": latest_end, "certain_from": min(starts), "certain_to": max(ends)}


def _fill_derived(table: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, valid_from, valid_from_precision, valid_to, valid_to_precision, "
            f"holds_on FROM {table}"
        ).columns(valid_from=sa.Date(), valid_to=sa.Date(), holds_on=sa.Date())
    ).all()
    update = sa.text(
        f"UPDATE {table} SET valid_to_latest = :valid_to_latest, certain_from = :certain_from, "
        "certain_to = :certain_to WHERE id = :id"
    ).bindparams(
        sa.bindparam("valid_to_latest", type_=sa.Date()),
        sa.bindparam("certain_from", type_=sa.Date()),
        sa.bindparam("certain_to", type_=sa.Date()),
    )
    values = [{"id": row.id, **_derived(row)} for row in rows]
    if values:
        bind.execute(update, values)


def downgrade() -> None:
    # Not in batch mode: on SQLite that rebuilds the table, dropping the triggers earlier
    # revisions put on it (SQLite drops a column in place since 3.35).
    for table in (*FACT_TABLES, "fact"):
        for column in DERIVED:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
            op.drop_column(table, column)
        op.drop_column(table, "holds_on")
