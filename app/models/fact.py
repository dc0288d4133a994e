from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from app.models.base import Certainty, FactBase, FactPublic, PublicModel


class Fact(FactBase, table=True):
    """The flat list of every fact: one row per fact row of the domain tables.

    A read model written in the same transaction as the row it mirrors, so that
    ``/v1/facts`` is one indexed table however many kinds of fact there are.
    ``(fact_type, fact_id)`` names the mirrored row and finds its citations.
    """

    __tablename__ = "fact"
    __table_args__ = (
        UniqueConstraint("fact_type", "fact_id"),
        Index("ix_fact_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fact_type: str = Field(max_length=40, index=True)
    fact_id: int
    subject_type: str = Field(max_length=40)
    subject_id: int
    subject: str = Field(max_length=300, description="The subject's slug, or its title.")
    company_id: int | None = Field(
        default=None, foreign_key="company.id", index=True, ondelete="CASCADE"
    )
    predicate: str = Field(max_length=60, index=True)
    value: Any = Field(sa_type=JSON)


class FactSubject(PublicModel):
    """What a fact is about."""

    type: str = Field(
        description="The subject's kind: `company`, `executive`, `partnership`, `tariff`, …",
        schema_extra={"examples": ["company"]},
    )
    id: int = Field(description="The subject's row id.", schema_extra={"examples": [2]})
    label: str = Field(
        description="The subject's slug, or its title.", schema_extra={"examples": ["nissan"]}
    )


class FactRecord(PublicModel):
    """The row that states the fact, to find the underlying resource."""

    type: str = Field(
        description="The fact's table: `company`, `executive_role`, `partnership_status`, "
        "`tariff_impact`, …",
        schema_extra={"examples": ["tariff_impact"]},
    )
    id: int = Field(schema_extra={"examples": [1]})


class FactItemPublic(FactPublic):
    """One fact in the flat, uniform list: subject, predicate, value."""

    id: int
    subject: FactSubject
    predicate: str = Field(schema_extra={"examples": ["tariff_impact"]})
    value: Any = Field(
        description="The fact's value: a string, a number, or an object for structured facts.",
        schema_extra={"examples": [{"amount": "275000000000", "currency": "JPY"}]},
    )
    record: FactRecord


@dataclass(frozen=True)
class FactFilters:
    company: str | None = None
    subject_type: str | None = None
    predicate: str | None = None
    certainty: Certainty | None = None
    source: int | None = None
