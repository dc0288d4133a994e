"""Columns shared by every table that states a fact."""

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from typing import Any

from sqlalchemy import Enum, Numeric
from sqlmodel import Field, SQLModel

from app.core.dates import Precision


class Certainty(StrEnum):
    """How sure the source is."""

    confirmed = "confirmed"
    reported = "reported"
    unconfirmed = "unconfirmed"
    excluded = "excluded"


def enum_column(
    enum: type[StrEnum], *, column: str, nullable: bool = False, **kwargs: Any
) -> Any:
    """A VARCHAR with a CHECK constraint (named after ``column``, as constraint names are
    per schema): portable, and a new value needs no ALTER TYPE."""
    sa_type = Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        name=column,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
    )
    kwargs.setdefault("default", None)
    return Field(sa_type=sa_type, nullable=nullable, **kwargs)


class FactBase(SQLModel):
    """When a fact held (``valid_*``), when our sources said so (``known_*``), how sure they are.

    ``valid_to`` and ``known_to`` are exclusive: the first day the fact no longer held, or no
    longer was our sources' word (a correction supersedes a row by closing its ``known_to``).
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


def money_column(*, nullable: bool = False) -> Decimal | None:
    """A decimal column wide enough for yen figures (up to 10^20, four decimals)."""
    return Field(default=None, sa_type=Numeric(24, 4), nullable=nullable)  # type: ignore[no-any-return]


def percent_column() -> Decimal | None:
    return Field(default=None, sa_type=Numeric(7, 3), nullable=True)  # type: ignore[no-any-return]
