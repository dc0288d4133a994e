from typing import ClassVar

from sqlalchemy import Text
from sqlmodel import Field

from app.core.citations import CitationIn
from app.core.fields import CountryCode, NonEmpty
from app.core.patch import MergePatch
from app.models.base import (
    Certainty,
    FactBase,
    FactPublic,
    PublicModel,
    current_index,
    current_unique,
    facet_index,
)


class Company(FactBase, table=True):
    __tablename__ = "company"
    __table_args__ = (
        current_unique("company", "slug"),
        # The list's default sort, and each filter (and facet) ahead of it.
        current_index("company", "name", "id"),
        current_index("company", "country", "name", "id"),
        current_index("company", "kind", "name", "id"),
        current_index("company", "certainty", "name", "id"),
        # Each facet counted from an index of its own (see COMPANY_LIST's facets_indexed).
        facet_index("company", "country"),
        facet_index("company", "kind"),
        facet_index("company", "certainty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, index=True)
    name: str = Field(max_length=200, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    kind: str = Field(max_length=40, index=True)
    description: str | None = Field(default=None, sa_type=Text)


class CompanyPublic(FactPublic):
    fact_table: ClassVar[str] = "company"
    slug: str = Field(schema_extra={"examples": ["nissan"]})
    name: str = Field(schema_extra={"examples": ["Nissan"]})
    country: str | None = Field(
        description="ISO 3166-1 alpha-2.", schema_extra={"examples": ["JP"]}
    )
    kind: str = Field(schema_extra={"examples": ["automaker"]})
    description: str | None


class CompanyRef(PublicModel):
    """A company named inside another resource: enough to show it and link to it."""

    slug: str = Field(schema_extra={"examples": ["nissan"]})
    name: str = Field(schema_extra={"examples": ["Nissan"]})


class CompanyUpdate(MergePatch):
    """A correction: the old values stay answerable through ``known_at``."""

    not_null: ClassVar[frozenset[str]] = frozenset({"name", "kind", "certainty", "citations"})

    name: NonEmpty | None = Field(default=None, max_length=200)
    country: CountryCode | None = None
    kind: NonEmpty | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=10_000)
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the company."
    )
