from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from app.models.base import FactBase


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
