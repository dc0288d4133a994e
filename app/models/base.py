"""Columns shared by every table that states a fact."""

import datetime as dt
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic import Field as PydanticField
from sqlalchemy import Dialect, Enum, Index, Numeric, Row, event, text
from sqlmodel import Field, SQLModel

from app.core.dates import Precision, derived_span, format_partial_date, stored_span
from app.core.fields import CurrencyCode, MoneyAmount
from app.core.quotes import CitationIn
from app.core.temporal import Validity, served_at, validity_on


class Certainty(StrEnum):
    """How sure the source is."""

    confirmed = "confirmed"
    reported = "reported"
    unconfirmed = "unconfirmed"
    excluded = "excluded"


class _EnumColumn(Enum):
    """SQLAlchemy's Enum, reading a value back by one dict lookup (in C) rather than two
    Python calls: every row of every page reads several, so the lookup is on the hot path."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # A value outside the enum still fails (KeyError, as a LookupError before), though
        # the column's CHECK constraint keeps any from being stored.
        members: dict[str | None, Any] = {None: None}
        members.update({member.value: member for member in self.enum_class or ()})
        return members.__getitem__


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Alembic's ``render_item``: a column type of ours is written into a migration as the
    SQLAlchemy type it stores, so that migrations never import the app."""
    if type_ == "type" and isinstance(obj, _EnumColumn):
        return f"sa.{obj.adapt(Enum)!r}"  # type: ignore[no-untyped-call]
    return False


def enum_column(enum: type[StrEnum], *, column: str, nullable: bool = False, **kwargs: Any) -> Any:
    """A VARCHAR with a CHECK constraint (named after ``column``, as constraint names are
    per schema): portable, and a new value needs no ALTER TYPE."""
    sa_type = _EnumColumn(
        enum,
        native_enum=False,
        create_constraint=True,
        name=column,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
    )
    kwargs.setdefault("default", None)
    return Field(sa_type=sa_type, nullable=nullable, **kwargs)


class ToldAs(StrEnum):
    """How the source tells of the fact: as holding on its date, or as over by then."""

    present = "present"
    past = "past"


class FactBase(SQLModel):
    """When a fact held (``valid_*``), when our sources said so (``known_from``), when we
    recorded it (``recorded_*``), how sure they are.

    ``known_from`` is the earliest publication date of the sources the row cites: when the
    fact was *reported*, never when we wrote it down. ``recorded_from``/``recorded_to``
    are when this state of the fact was ours (UTC, to the microsecond, the instant of the
    writing transaction; ``recorded_to`` exclusive). A correction keeps the row (and so its
    id and URL) for the new state, recorded from the correction, and copies the old state
    into a new row with ``recorded_to`` closed and ``version_of`` pointing back; a
    retraction closes ``recorded_to`` on the row itself.

    ``known_to`` is the day ``recorded_to`` closed (UTC), kept beside it: "current" is
    ``known_to IS NULL`` in every partial index and list, and stays so.
    """

    valid_from: dt.date | None = Field(default=None, index=True)
    valid_from_precision: Precision | None = enum_column(
        Precision, column="valid_from_precision", nullable=True
    )
    valid_to: dt.date | None = Field(default=None, index=True)
    valid_to_precision: Precision | None = enum_column(
        Precision, column="valid_to_precision", nullable=True
    )
    certainty: Certainty = enum_column(
        Certainty, column="certainty", default=Certainty.confirmed, index=True
    )
    known_from: dt.date = Field(index=True)
    known_to: dt.date | None = Field(default=None, index=True)
    recorded_from: dt.datetime = Field(
        description="When this state was recorded: the writing transaction's instant (UTC)."
    )
    recorded_to: dt.datetime | None = Field(
        default=None, description="When a correction or a retraction ended this state."
    )
    version_of: int | None = Field(
        default=None,
        index=True,
        description="On a superseded copy: the id of the row that now holds the fact.",
    )
    # A day the fact certainly held: the publication date of its earliest source, which
    # states it in the present tense (a status that a later one follows has none). The
    # three columns after it follow from it and the valid_* columns (``derived_span``),
    # set on every insert and update by ``_derive_span``, so that ``valid_at`` and its
    # ``validity`` label are indexed comparisons.
    holds_on: dt.date | None = Field(default=None)
    # Instead of holds_on, on a fact its earliest source tells of as past ("were
    # lowered", "before the trade war"): that source's publication date, by which the
    # fact had certainly ended.
    ended_by: dt.date | None = Field(default=None)
    valid_to_latest: dt.date | None = Field(default=None, index=True)
    certain_from: dt.date | None = Field(default=None, index=True)
    certain_to: dt.date | None = Field(default=None, index=True)

    def derive_span(self) -> None:
        """Set the columns ``valid_at`` compares from the row's bounds and ``holds_on``."""
        span = derived_span(*stored_span(self), self.holds_on, self.ended_by)
        self.valid_to_latest, self.certain_from, self.certain_to = span


@event.listens_for(FactBase, "before_insert", propagate=True)
@event.listens_for(FactBase, "before_update", propagate=True)
def _derive_span(mapper: Any, connection: Any, row: FactBase) -> None:
    # Every ORM write of a fact row (the API, the importer, a correction's copy) passes here.
    row.derive_span()


def current_unique(table: str, *columns: str) -> Index:
    """Unique among the rows that are our sources' current word: superseded copies and
    retracted rows keep their slug without blocking a new row from taking it."""
    current = text("known_to IS NULL")
    return Index(
        f"uq_{table}_{'_'.join(columns)}_current",
        *columns,
        unique=True,
        sqlite_where=current,
        postgresql_where=current,
    )


def current_index(table: str, *columns: str) -> Index:
    """An index over the current rows only (what every read without ``as_of`` asks
    for), in the order a list pages through them: filter column, sort key, then id. The
    keyset condition and ORDER BY then walk it, and a facet or count over current rows is
    read from the index alone.

    ``known_to`` closes the key although it is NULL in every entry: SQLite's planner only
    takes an index as covering when it holds every column the query names, the partial
    index's own condition included. Without it SQLite counted a facet through the plain
    one-column index and the table, an order of magnitude slower on a large table."""
    current = text("known_to IS NULL")
    return Index(
        f"ix_{table}_current_{'_'.join(columns)}",
        *columns,
        "known_to",
        sqlite_where=current,
        postgresql_where=current,
    )


def money_column(*, nullable: bool = False) -> Any:
    """A decimal column wide enough for yen figures (up to 10^20, four decimals)."""
    return Field(default=None, sa_type=Numeric(24, 4), nullable=nullable)


def percent_column() -> Any:
    return Field(default=None, sa_type=Numeric(7, 3), nullable=True)


# -- the shapes a fact is written in (a POST body, an entry of the facts file) ------------------
# Lengths follow the columns, so PostgreSQL never truncates what SQLite kept.


class InputModel(BaseModel):
    """A body or file entry: an unknown key is refused, never silently dropped, so a
    misspelt field cannot pass for an absent one."""

    model_config = ConfigDict(extra="forbid")


class FactIn(InputModel):
    """What every stated fact carries: how sure the source is, and the quotes that say it."""

    certainty: Certainty
    told_as: ToldAs = PydanticField(
        default=ToldAs.present,
        description="`past` where the source tells of the fact as over by its publication "
        "date (it is then certain on no day and left out of `valid_at` from that date on); "
        "`present`, the default, where it states it as holding then.",
    )
    citations: list[CitationIn] = PydanticField(min_length=1)

    @classmethod
    def stated_fields(cls) -> list[str]:
        """The fields the fact itself states, beyond how sure and where from: where a domain
        stores each in a column of the same name, the importer and the exporter copy them by
        these names, so a new field needs no line of theirs."""
        return [name for name in cls.model_fields if name not in FactIn.model_fields]

    def stated(self) -> dict[str, Any]:
        return self.model_dump(include=set(self.stated_fields()))


class MoneyIn(InputModel):
    """``usd`` is the dollar figure the source itself gives, never a conversion of ours."""

    amount: MoneyAmount
    currency: CurrencyCode
    usd: MoneyAmount | None = None

    def columns(self) -> dict[str, Any]:
        """The three columns an amount is stored in."""
        return {"amount": self.amount, "currency": self.currency, "usd": self.usd}


class PublicModel(SQLModel):
    """Base of the models responses are made of. They are never tables, so they skip
    SQLModel's ``__init__`` (which exists for table models): with pydantic's own, building a
    row of a page costs less, and pydantic validates it all the same."""

    __init__ = BaseModel.__init__

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        return object.__new__(cls)


def _is_none(value: object) -> bool:
    return value is None


class FactPublic(PublicModel):
    """What every fact in the API carries beside its own fields."""

    # The table this model presents rows of: what their citations are filed under.
    fact_table: ClassVar[str]

    certainty: Certainty
    valid_from: str | None = Field(
        description="When the fact began to hold, as precise as the source: YYYY, YYYY-MM "
        "or YYYY-MM-DD.",
        schema_extra={"examples": ["2025-04"]},
    )
    valid_to: str | None = Field(description="When it stopped holding (exclusive), if it did.")
    known_from: dt.date = Field(
        description="When it was reported: the earliest publication date of the sources it cites."
    )
    known_to: dt.date | None = Field(
        description="The day (UTC) a correction or retraction ended this state, if one did."
    )
    recorded_from: dt.datetime = Field(
        description="When we recorded this state (RFC 3339, UTC, to the microsecond): what "
        "`as_of` answers from.",
        schema_extra={"examples": ["2026-12-07T03:14:15.926535Z"]},
    )
    recorded_to: dt.datetime | None = Field(
        description="When a correction or retraction ended this state (exclusive), if one did."
    )
    told_as: ToldAs = Field(
        default=ToldAs.present,
        description="`past` where the earliest source tells of the fact as over by its "
        "publication date; `present` where it states it as holding then.",
    )
    # Left out of an answer without valid_at rather than null: it says how the fact
    # answers that date, and there is none.
    validity: Annotated[Validity | None, PydanticField(exclude_if=_is_none)] = Field(
        default=None,
        description="Only with `valid_at`: `certain` if the fact certainly held on that "
        "date, `possible` if the date falls inside one of its imprecise or unknown bounds.",
        schema_extra={"examples": ["certain"]},
    )
    citations: "list[CitationPublic] | None" = Field(
        default=None, description="The verbatim quotes backing the fact (with include=citations)."
    )

    @classmethod
    def from_row(cls, row: Any, *, valid_at: dt.date | None = None, **fields: Any) -> Self:
        """Build from a table row (a model instance or a Core row). ``fields`` holds what
        the row does not carry itself; ``valid_at``, the date its ``validity`` is told for."""
        if isinstance(row, Row):
            columns = dict(zip(row._fields, row, strict=True))
            return cls.from_columns(columns, valid_at=valid_at, **fields)
        # A model instance, whose attributes may still need loading.
        names = cls._copied_fields()
        columns = {name: getattr(row, name) for name in names if hasattr(row, name)}
        for name in _RENDERED_FROM:
            columns[name] = getattr(row, name)
        return cls.from_columns(columns, valid_at=valid_at, **fields)

    @classmethod
    def from_columns(
        cls, columns: dict[str, Any], *, valid_at: dt.date | None = None, **fields: Any
    ) -> Self:
        """Build from a row's columns by name (extra columns are ignored), rendering
        partial dates at their precision. ``columns`` becomes the model's input."""
        return cls.__pydantic_validator__.validate_python(  # type: ignore[no-any-return]
            cls._input(columns, fields, valid_at)
        )

    @classmethod
    def list_from_columns(
        cls,
        rows: list[dict[str, Any]],
        fields: list[dict[str, Any]],
        *,
        valid_at: dt.date | None = None,
    ) -> list[Self]:
        """``from_columns`` for a page of rows and their ``fields``, validated in one call:
        a call per row repeats pydantic's set-up for every row."""
        inputs = [cls._input(row, more, valid_at) for row, more in zip(rows, fields, strict=True)]
        return _list_validator(cls).validate_python(inputs)

    @classmethod
    def _input(
        cls, columns: dict[str, Any], fields: dict[str, Any], valid_at: dt.date | None = None
    ) -> dict[str, Any]:
        if valid_at is not None:
            columns["validity"] = validity_on(
                valid_at, columns["certain_from"], columns["certain_to"]
            )
        columns["told_as"] = ToldAs.present if columns.get("ended_by") is None else ToldAs.past
        if columns["version_of"] is not None and "id" in cls.model_fields:
            columns["id"] = columns["version_of"]  # a superseded copy shows its URL's id
        columns["valid_from"] = format_partial_date(
            columns["valid_from"], columns["valid_from_precision"]
        )
        columns["valid_to"] = format_partial_date(
            columns["valid_to"], columns["valid_to_precision"]
        )
        served = served_at()
        if served is not None and (closed := columns.get("recorded_to")) and closed > served:
            # Asked as of an instant this state was still open: shown as it was served then.
            columns["recorded_to"] = columns["known_to"] = None
        columns.update(fields)
        return columns

    @classmethod
    def _copied_fields(cls) -> tuple[str, ...]:
        # Per class, not per row: the fields a row's own columns fill.
        names = cls.__dict__.get("_copied")
        if names is None:
            names = tuple(name for name in cls.model_fields if name not in _RENDERED)
            setattr(cls, "_copied", names)  # noqa: B010 (a class attribute, not a field)
        return names


_RENDERED = frozenset({"valid_from", "valid_to", "citations", "validity", "told_as"})
# The columns the rendered fields come from.
_RENDERED_FROM = (
    "version_of",
    "valid_from",
    "valid_from_precision",
    "valid_to",
    "valid_to_precision",
    "certain_from",
    "certain_to",
    "ended_by",
)

from app.models.source import CitationPublic  # noqa: E402

FactPublic.model_rebuild()


@cache
def _list_validator(public: type[FactPublic]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[public])  # type: ignore[valid-type]
