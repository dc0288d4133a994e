from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import FactBase, enum_column


class PartnershipStatus(StrEnum):
    proposed = "proposed"
    in_talks = "in_talks"
    signed = "signed"
    active = "active"
    abandoned = "abandoned"
    ended = "ended"


class Partnership(FactBase, table=True):
    """A partnership between companies; ``valid_from`` is when it was announced.

    ``status`` is the latest status, kept for filtering; the dated history is in
    ``partnership_status``.
    """

    __tablename__ = "partnership"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True, description="Natural key for imports.")
    title: str = Field(max_length=300)
    status: PartnershipStatus = enum_column(PartnershipStatus, column="status", index=True)
    notes: str | None = Field(default=None, sa_type=Text)


class PartnershipMember(FactBase, table=True):
    __tablename__ = "partnership_member"
    __table_args__ = (UniqueConstraint("partnership_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")


class PartnershipStatusChange(FactBase, table=True):
    """One dated status of a partnership: its history, never overwritten."""

    __tablename__ = "partnership_status"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    status: PartnershipStatus = enum_column(PartnershipStatus, column="status", index=True)


class PartnershipScope(FactBase, table=True):
    """An area the partnership covers; certainty ``excluded`` marks what it rules out."""

    __tablename__ = "partnership_scope"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    area: str = Field(max_length=300)
