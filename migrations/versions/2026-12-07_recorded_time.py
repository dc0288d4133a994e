"""recorded time: ``recorded_from``/``recorded_to`` on every fact table

Every fact row gets the instant its state became ours and the instant a correction or a
retraction ended it (UTC, to the microsecond), what ``as_of`` answers from; ``known_from``
stays the day the fact was *reported* and ``known_to`` the day its record closed.

The old schema kept a closing *day* (``known_to``) and no write instant, so existing rows
are given the most that can be recovered without inventing any:

- The load instant L, for rows no logged write created (the seed, imports): the earliest
  of the first change-log entry, the first ``known_to`` day (00:00 UTC) and this
  migration's own instant. A database nobody wrote to through the API is recorded from
  the migration: nothing is backdated to before what is known.
- A row created through the API is recorded from its logged ``create`` (found by the
  resource and its id, or by slug, the n-th create of a slug being its n-th row); a
  partnership's members, statuses and scope from their partnership's.
- A version ends at the first logged update or delete of its resource on its ``known_to``
  day that follows its start, else at 00:00 UTC that day; the next version (the next copy
  by id, the row itself last) starts where it ended. Two corrections on one day without
  their log entries leave the middle state empty, as the old schema had lost it.
- A tariff's past rate (a version still current) starts with the copy its rate change
  made; the ``fact`` table takes the recorded time of the row it mirrors.

On SQLite ``recorded_from`` is added NOT NULL with L as its default (SQLite adds a NOT
NULL column only with one; every write gives its own value); PostgreSQL adds it, fills
it and then sets it NOT NULL.

Revision ID: a7c1e5d2b9f4
Revises: valid_at_intervals
Create Date: 2026-12-07 03:30:00.000000
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7c1e5d2b9f4"
down_revision: str | None = "valid_at_intervals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each fact table: the change-log resource its rows are written as, and the column that
# names one there (a slug, or the id), or the parent whose changes write them.
RESOURCES = {
    "company": ("companies", "slug"),
    "executive": ("executives", "slug"),
    "executive_role": ("executive-roles", "id"),
    "partnership": ("partnerships", "id"),
    "tariff": ("tariffs", "id"),
    "tariff_impact": ("tariff-impacts", "id"),
    "restructuring_plan": ("restructuring-plans", "id"),
    "financial_result": ("financial-results", "id"),
    "plant": ("plants", "id"),
    "statement": ("statements", "id"),
}
CHILDREN = {
    "partnership_member": "partnership_id",
    "partnership_status": "partnership_id",
    "partnership_scope": "partnership_id",
}
TABLES = [*RESOURCES, *CHILDREN]

Instant = dt.datetime


def upgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    load = _load_instant(connection)
    for table in [*TABLES, "fact"]:
        default = sa.text(f"'{load.strftime('%Y-%m-%d %H:%M:%S.%f')}'") if sqlite else None
        op.add_column(
            table,
            sa.Column(
                "recorded_from",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=not sqlite,
                server_default=default,
            ),
        )
        op.add_column(
            table, sa.Column("recorded_to", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    changes = _changes(connection)
    creates: dict[tuple[str, str], list[Instant]] = {}
    for table in TABLES:
        _fill(connection, table, load, changes, creates)
    _fill_facts(connection, load)
    if not sqlite:
        for table in [*TABLES, "fact"]:
            op.alter_column(table, "recorded_from", nullable=False)


def downgrade() -> None:
    for table in ["fact", *reversed(TABLES)]:
        op.drop_column(table, "recorded_to")
        op.drop_column(table, "recorded_from")


def _utc(value: Any) -> Instant:
    if isinstance(value, str):  # SQLite, read without the column's type
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _midnight(day: dt.date) -> Instant:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _load_instant(connection: sa.Connection) -> Instant:
    candidates = [dt.datetime.now(dt.UTC)]
    first = connection.execute(sa.text("SELECT min(occurred_at) FROM change")).scalar()
    if first is not None:
        candidates.append(_utc(first))
    for table in TABLES:
        day = connection.execute(sa.text(f"SELECT min(known_to) FROM {table}")).scalar()
        if day is not None:
            candidates.append(_midnight(_day(day)))
    return min(candidates)


def _changes(connection: sa.Connection) -> dict[tuple[str, str], list[tuple[str, Instant]]]:
    """Each resource's logged writes, oldest first: (operation, instant)."""
    found: dict[tuple[str, str], list[tuple[str, Instant]]] = defaultdict(list)
    rows = connection.execute(
        sa.text("SELECT resource, resource_id, operation, occurred_at FROM change ORDER BY id")
    )
    for resource, resource_id, operation, occurred_at in rows:
        found[(resource, resource_id)].append((operation, _utc(occurred_at)))
    return found


def _fill(
    connection: sa.Connection,
    table: str,
    load: Instant,
    changes: dict[tuple[str, str], list[tuple[str, Instant]]],
    creates: dict[tuple[str, str], list[Instant]],
) -> None:
    if table in RESOURCES:
        resource, key = RESOURCES[table]
        parent = None
    else:
        resource, key = RESOURCES["partnership"]
        parent = CHILDREN[table]
    named = parent or key
    rows = connection.execute(
        sa.text(f"SELECT id, version_of, known_to, {named} FROM {table} ORDER BY id")
    ).all()
    entities: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        entities[row.version_of or row.id].append(row)
    # The n-th row created under a slug is the n-th create logged for it.
    slug_rows: dict[str, int] = defaultdict(int)
    values: list[dict[str, Any]] = []
    for entity_id in sorted(entities):
        versions = entities[entity_id]
        head = next((r for r in versions if r.id == entity_id), None)
        if parent is None:
            name = str(getattr(head, key)) if head is not None else str(entity_id)
        else:
            name = str(getattr(versions[0], parent))
        logged = changes.get((resource, name), [])
        created = [at for operation, at in logged if operation == "create"]
        if key == "slug" and parent is None:
            index = slug_rows[name]
            slug_rows[name] += 1
            start = created[index] if index < len(created) else load
        else:
            # A child's own create is not logged: its partnership's is the earliest it can be.
            start = created[0] if created else load
        ends = [at for operation, at in logged if operation in ("update", "delete")]
        copies = sorted(
            (r for r in versions if r.id != entity_id and r.known_to is not None),
            key=lambda r: r.id,
        )
        chain = [*copies, *([head] if head is not None else [])]
        previous = start
        for row in chain:
            begins = previous
            closes = None
            if row.known_to is not None:
                day = _day(row.known_to)
                closes = next(
                    (at for at in ends if at > begins and at.date() == day),
                    max(_midnight(day), begins),
                )
                previous = closes
            values.append({"id": row.id, "recorded_from": begins, "recorded_to": closes})
        for row in versions:
            if row.id != entity_id and row.known_to is None:
                # A past rate: made by the write that made the next copy after it.
                made_with = next((c for c in copies if c.id > row.id), None)
                begins = start
                if made_with is not None:
                    begins = next(v["recorded_to"] for v in values if v["id"] == made_with.id)
                values.append({"id": row.id, "recorded_from": begins, "recorded_to": None})
    statement = sa.table(
        table,
        sa.column("id", sa.Integer()),
        sa.column("recorded_from", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("recorded_to", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    update = (
        sa.update(statement)
        .where(statement.c.id == sa.bindparam("row_id"))
        .values(
            recorded_from=sa.bindparam("recorded_from"), recorded_to=sa.bindparam("recorded_to")
        )
    )
    if values:
        connection.execute(
            update,
            [{"row_id": v.pop("id"), **v} for v in values],
        )


def _fill_facts(connection: sa.Connection, load: Instant) -> None:
    """Each fact as the row it mirrors; one whose row is gone (an orphan a downgrade left)
    as the load."""
    load_param = sa.bindparam("load", load, type_=sqlmodel.sql.sqltypes.UTCDateTime())
    for table in TABLES:
        for column in ("recorded_from", "recorded_to"):
            mirrored = f"(SELECT t.{column} FROM {table} AS t WHERE t.id = fact.fact_id)"
            if column == "recorded_from":
                statement = sa.text(
                    f"UPDATE fact SET {column} = coalesce({mirrored}, :load) "
                    "WHERE fact.fact_type = :table"
                ).bindparams(load_param)
            else:
                statement = sa.text(
                    f"UPDATE fact SET {column} = {mirrored} WHERE fact.fact_type = :table"
                )
            connection.execute(statement, {"table": table})
