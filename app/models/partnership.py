from enum import StrEnum

from pydantic import computed_field
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from app.models.base import FactBase, FactPublic, current_unique, enum_column
from app.models.company import CompanyRef


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
    __table_args__ = (current_unique("partnership", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, description="Natural key for imports.")
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


class PartnershipScopePublic(FactPublic):
    """An area the partnership covers, or (certainty ``excluded``) rules out."""

    area: str = Field(schema_extra={"examples": ["joint development of vehicles and powertrains"]})


class PartnershipStatusPublic(FactPublic):
    """One dated status: it held from ``valid_from`` until ``valid_to`` (exclusive)."""

    status: PartnershipStatus


class PartnershipPublic(FactPublic):
    """A partnership; ``announced_on``/``ended_on`` are its ``valid_from``/``valid_to``."""

    id: int
    slug: str = Field(schema_extra={"examples": ["honda-nissan-us-collaboration"]})
    title: str = Field(schema_extra={"examples": ["Honda-Nissan U.S. collaboration talks"]})
    status: PartnershipStatus | None = Field(
        description="The status on `valid_at` (default: the current one); null if no status "
        "row held then.",
        schema_extra={"examples": ["in_talks"]},
    )
    notes: str | None
    members: list[CompanyRef] | None = Field(
        default=None, description="The member companies (on lists with include=members)."
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="When it was announced, as precise as the source (same as `valid_from`).",
        examples=["2024"],
    )
    @property
    def announced_on(self) -> str | None:
        return self.valid_from

    @computed_field(  # type: ignore[prop-decorator]
        description="When it ended (exclusive; same as `valid_to`); null if it has not.",
    )
    @property
    def ended_on(self) -> str | None:
        return self.valid_to


class PartnershipDetail(PartnershipPublic):
    """A partnership with everything a reader needs: members, scope, exclusions, history."""

    members: list[CompanyRef]
    scope: list[PartnershipScopePublic] = Field(
        description="What it covers, each area with its certainty (`unconfirmed` included)."
    )
    excluded: list[PartnershipScopePublic] = Field(
        description="What the partners ruled out (scope rows of certainty `excluded`)."
    )
    status_history: list[PartnershipStatusPublic] = Field(
        description="Its dated status rows that answer `valid_at`/`known_at`, oldest first."
    )
