"""Companies: the table, the tally the list counts from, and the shapes the API and the
facts file write and read them in."""

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.examples import BodyExample, cited
from app.core.fields import CountryCode, LongText, NonEmpty, Slug
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import (
    Certainty,
    FactBase,
    FactIn,
    FactPublic,
    PublicModel,
    current_index,
    current_unique,
    enum_column,
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
        # Both filters at once, for each sort key: one filter's index alone read every row
        # of its value to find the few (or none) of the other.
        current_index("company", "country", "kind", "name", "id"),
        current_index("company", "country", "kind", "slug", "id"),
        current_index("company", "country", "kind", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, index=True)
    name: str = Field(max_length=200, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    kind: str = Field(max_length=40, index=True)
    description: str | None = Field(default=None, sa_type=Text)


class CompanyTally(SQLModel, table=True):
    """How many current companies (``known_to`` open) have each combination of country,
    kind and certainty: the columns the company list filters and counts facets of.

    Triggers (the company-tally migration) keep it in the transaction of every write to
    ``company``, so it is never behind what a list reads; the list's total and facets over
    current companies are then summed from a few hundred rows, not counted from 100k.
    A combination no current company has any longer keeps its row, at zero."""

    __tablename__ = "company_tally"
    __table_args__ = (
        # NULLS NOT DISTINCT: one row for the companies of no country, which PostgreSQL's
        # trigger finds by ON CONFLICT. SQLite has no such index; its trigger looks first.
        Index(
            "uq_company_tally_country_kind_certainty",
            "country",
            "kind",
            "certainty",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    country: str | None = Field(default=None, max_length=2)
    kind: str = Field(max_length=40)
    certainty: Certainty = enum_column(Certainty, column="certainty")
    companies: int


class CompanyIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "BYD, as the article introduces it (the seed holds it: a 409 there)",
        {
            "slug": "byd",
            "name": "BYD",
            "country": "CN",
            "kind": "automaker",
            "description": "Gaining ground with aggressive pricing.",
            "certainty": "confirmed",
            "citations": cited(
                "Chinese manufacturers like BYD are gaining ground with aggressive pricing"
            ),
        },
    )

    slug: Slug = Field(max_length=100)
    name: NonEmpty = Field(max_length=200)
    country: CountryCode | None = None
    kind: NonEmpty = Field(max_length=40, description="automaker, media, supplier, …")
    description: LongText | None = None


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
    """A correction: the old values stay answerable through ``as_of``."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Describe Nissan, citing the sentence that says it beside the quotes it had",
        {
            "description": "Continuing its recovery plan.",
            "citations": cited(
                "Honda and Nissan, longtime potential dance partners",
                "the Japanese automakers are back at the table",
                "Nissan is continuing its recovery plan",
            ),
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"name", "kind", "certainty", "citations"})

    name: NonEmpty | None = Field(default=None, max_length=200)
    country: CountryCode | None = None
    kind: NonEmpty | None = Field(default=None, max_length=40)
    description: LongText | None = None
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the company."
    )


@dataclass(frozen=True)
class CompanyFilters:
    country: str | None = None
    kind: str | None = None
    certainty: Certainty | None = None
