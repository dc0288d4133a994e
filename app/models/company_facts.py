"""Facts about one company: restructuring plans, financial results, plants; the shapes
they are written and read in."""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from sqlmodel import Field

from app.core.examples import BodyExample, cited
from app.core.fields import Count, CountryCode, NonEmpty, Slug, Year
from app.core.money import Money
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import Certainty, FactBase, FactIn, FactPublic, MoneyIn, money_column
from app.models.tariff import MoneyUpdate


class RestructuringPlan(FactBase, table=True):
    __tablename__ = "restructuring_plan"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    job_cuts: int | None = None
    plants_before: int | None = None
    plants_after: int | None = None
    target_year: int | None = Field(default=None, index=True)


class FinancialResult(FactBase, table=True):
    __tablename__ = "financial_result"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    # Null when the source does not say which period the figure covers.
    period: str | None = Field(default=None, max_length=40, index=True)
    metric: str = Field(max_length=40, index=True)
    amount: Decimal = money_column()
    currency: str = Field(max_length=3)
    usd: Decimal | None = money_column(nullable=True)


class Plant(FactBase, table=True):
    __tablename__ = "plant"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2, index=True)


class RestructuringPlanPublic(FactPublic):
    fact_table: ClassVar[str] = "restructuring_plan"
    id: int
    company: str = Field(description="The company's slug.", schema_extra={"examples": ["nissan"]})
    name: str = Field(
        description="The plan's name, or the source's own words for it when it gives none.",
        schema_extra={"examples": ["recovery plan"]},
    )
    job_cuts: int | None = Field(
        description="Jobs the plan eliminates.", schema_extra={"examples": [20000]}
    )
    plants_before: int | None = Field(
        description="Plants before the plan.", schema_extra={"examples": [17]}
    )
    plants_after: int | None = Field(
        description="Plants once the plan is done.", schema_extra={"examples": [10]}
    )
    target_year: int | None = Field(
        description='The year by which the plants are to number `plants_after` ("from 17 '
        'to 10 by 2028"). It dates the plant reduction only: the job cuts carry no year '
        "unless the source gives them one.",
        schema_extra={"examples": [2028]},
    )


class FinancialResultPublic(FactPublic):
    fact_table: ClassVar[str] = "financial_result"
    id: int
    company: str = Field(description="The company's slug.", schema_extra={"examples": ["nissan"]})
    period: str | None = Field(
        description="The reporting period as the source names it; null when it does not "
        "say (when a result was reported is not the period it covers).",
        schema_extra={"examples": ["FY2024"]},
    )
    metric: str = Field(schema_extra={"examples": ["loss"]})
    amount: Money


class PlantPublic(FactPublic):
    fact_table: ClassVar[str] = "plant"
    id: int
    company: str = Field(description="The company's slug.", schema_extra={"examples": ["honda"]})
    name: str = Field(schema_extra={"examples": ["Marysville"]})
    city: str | None = Field(schema_extra={"examples": ["Marysville"]})
    region: str | None = Field(schema_extra={"examples": ["Ohio"]})
    country: str | None = Field(
        description="ISO 3166-1 alpha-2.", schema_extra={"examples": ["US"]}
    )


# The company a fact is about is what the fact is: a plan, result or plant of another
# company is another fact, so no update below can move one.


_RECOVERY_PLAN = cited(
    "Nissan is continuing its recovery plan, which includes eliminating 20,000 jobs and "
    "reducing its number of global plants from 17 to 10 by 2028."
)


class PlanIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "Nissan's recovery plan (the seed holds it: a 409 there)",
        {
            "company": "nissan",
            "name": "recovery plan",
            "job_cuts": 20000,
            "plants_before": 17,
            "plants_after": 10,
            "target_year": 2028,
            "certainty": "confirmed",
            "citations": _RECOVERY_PLAN,
        },
    )

    company: Slug
    name: NonEmpty = Field(max_length=200)
    job_cuts: Count | None = None
    plants_before: Count | None = None
    plants_after: Count | None = None
    target_year: Year | None = Field(
        default=None, description="The year the plant reduction is to be done by."
    )


class ResultIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "Nissan's loss of earlier this year (the seed holds it: a 409 there)",
        {
            "company": "nissan",
            "metric": "loss",
            "amount": {"amount": "221900000000", "currency": "JPY", "usd": "1500000000"},
            "certainty": "confirmed",
            "told_as": "past",
            "citations": cited("Despite a loss of 221.9 billion yen ($1.5B USD) earlier this year"),
        },
    )

    company: Slug
    period: NonEmpty | None = Field(
        default=None, max_length=40, description="As the source names it; null if it does not."
    )
    metric: NonEmpty = Field(max_length=40, description="The source's own word: loss, …")
    amount: MoneyIn


class PlantIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "Honda's plant in Marysville, Ohio (the seed holds it: a 409 there)",
        {
            "company": "honda",
            "name": "Honda plant in Marysville",
            "city": "Marysville",
            "region": "Ohio",
            "country": "US",
            "certainty": "confirmed",
            "citations": cited("Honda plant in Marysville, Ohio"),
        },
    )

    company: Slug
    name: NonEmpty = Field(max_length=200)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    country: CountryCode | None = None


class RestructuringPlanUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Restate the plan's figures, with the sentence that gives them",
        {
            "job_cuts": 20000,
            "plants_before": 17,
            "plants_after": 10,
            "target_year": 2028,
            "citations": _RECOVERY_PLAN,
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"name", "certainty", "citations"})

    name: NonEmpty | None = Field(default=None, max_length=200)
    job_cuts: Count | None = None
    plants_before: Count | None = None
    plants_after: Count | None = None
    target_year: Year | None = None
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the plan."
    )


class FinancialResultUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Say the loss's period is not given",
        {"period": None, "metric": "loss"},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"metric", "amount", "certainty", "citations"})

    period: NonEmpty | None = Field(default=None, max_length=40)
    metric: NonEmpty | None = Field(default=None, max_length=40)
    amount: MoneyUpdate | None = Field(default=None, description="Replaced whole.")
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the result."
    )


class PlantUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Restate where the Marysville plant is",
        {"city": "Marysville", "region": "Ohio", "country": "US"},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"name", "certainty", "citations"})

    name: NonEmpty | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    country: CountryCode | None = None
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the plant."
    )


@dataclass(frozen=True)
class PlanFilters:
    company: str | None = None
    target_year: int | None = None


@dataclass(frozen=True)
class ResultFilters:
    metric: str | None = None
    period: str | None = None
