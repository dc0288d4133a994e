"""Tariffs and what they cost companies; the shapes they are written and read in."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import ConfigDict
from sqlmodel import Field

from app.core.dates import END_DESCRIPTION, PartialDate, ordered_range
from app.core.examples import BodyExample, cited
from app.core.fields import CountryCode, MoneyAmount, NonEmpty, Percent, Slug
from app.core.money import DecimalString, Money
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import (
    Certainty,
    FactBase,
    FactIn,
    FactPublic,
    MoneyIn,
    PublicModel,
    enum_column,
    money_column,
    percent_column,
)
from app.models.company import CompanyRef


class Tariff(FactBase, table=True):
    """A tariff over one period of its rate; ``valid_from`` is when that rate took effect.
    A source giving the rate's history without dates gives one row per period, each with
    unknown (null) bounds and, where the source omits it, a null rate."""

    __tablename__ = "tariff"

    id: int | None = Field(default=None, primary_key=True)
    imposing_country: str = Field(max_length=2, index=True)
    target_country: str = Field(max_length=2, index=True)
    product: str = Field(max_length=200, index=True)
    rate_pct: Decimal | None = percent_column()
    previous_rate_pct: Decimal | None = percent_column()
    baseline_rate_pct: Decimal | None = percent_column()


class ImpactDirection(StrEnum):
    """Which way the tariff moves the metric; the amount is its size, never signed."""

    decrease = "decrease"
    increase = "increase"


class TariffImpact(FactBase, table=True):
    """What a tariff does to a company's figures: only what the source says of that
    company, so the fiscal year, metric and direction are null where it does not say."""

    __tablename__ = "tariff_impact"

    id: int | None = Field(default=None, primary_key=True)
    tariff_id: int = Field(foreign_key="tariff.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    fiscal_year: str | None = Field(default=None, max_length=20, index=True)
    metric: str | None = Field(default=None, max_length=40, index=True)
    direction: ImpactDirection | None = enum_column(
        ImpactDirection, column="direction", nullable=True
    )
    kind: str = Field(max_length=20)
    amount: Decimal = money_column()
    currency: str = Field(max_length=3)
    usd: Decimal | None = money_column(nullable=True)


class TariffRef(PublicModel):
    """The tariff an impact belongs to, as a per-company list names it."""

    id: int = Field(schema_extra={"examples": [1]})
    imposing_country: str = Field(schema_extra={"examples": ["US"]})
    target_country: str = Field(schema_extra={"examples": ["JP"]})
    product: str = Field(schema_extra={"examples": ["vehicles"]})


class TariffImpactPublic(FactPublic):
    fact_table: ClassVar[str] = "tariff_impact"
    id: int
    company: CompanyRef
    fiscal_year: str | None = Field(
        description="The fiscal year the source gives it for; null when it does not say.",
        schema_extra={"examples": ["FY2025"]},
    )
    metric: str | None = Field(
        description="What the tariff hits, in the source's own word; null when it does not "
        'say (an unqualified "impact").',
        schema_extra={"examples": ["profit"]},
    )
    direction: ImpactDirection | None = Field(
        description="Whether the tariff makes the metric fall (`decrease`) or rise "
        "(`increase`); `amount` is the size of the change. Null when the source does not say.",
        schema_extra={"examples": ["decrease"]},
    )
    kind: str = Field(
        description="`estimate`, `actual`, …", schema_extra={"examples": ["estimate"]}
    )
    amount: Money


class TariffImpactPublicWithTariff(TariffImpactPublic):
    tariff: TariffRef


class TariffPublic(FactPublic):
    fact_table: ClassVar[str] = "tariff"
    id: int
    imposing_country: str = Field(
        description="ISO 3166-1 alpha-2 of the country levying it.",
        schema_extra={"examples": ["US"]},
    )
    target_country: str = Field(
        description="ISO 3166-1 alpha-2 of the country whose goods it hits.",
        schema_extra={"examples": ["JP"]},
    )
    product: str = Field(schema_extra={"examples": ["vehicles"]})
    rate_pct: DecimalString | None = Field(
        description="The rate over this row's period, in percent; null when the source does "
        'not give it ("raised", to a rate it omits).',
        schema_extra={"examples": ["15"]},
    )
    previous_rate_pct: DecimalString | None = Field(
        description="The rate before the current one, if the source gives it."
    )
    baseline_rate_pct: DecimalString | None = Field(
        description="The rate before the trade war.", schema_extra={"examples": ["2.5"]}
    )
    effective_on: str | None = Field(
        description="When this rate took effect, as precise as the source; null when it "
        "does not say.",
        schema_extra={"examples": ["2025-09"]},
    )
    impacts: list[TariffImpactPublic] | None = Field(
        default=None,
        description="What the tariff costs companies (always on one tariff; on lists with "
        "include=impacts).",
    )


_TARIFF_HISTORY = cited(
    "Washington raised the tariffs imposed on Japanese vehicles. Those were recently lowered "
    "to 15 percent, but they remain well above the pre-trade-war rate of 2.5 percent."
)


class ImpactIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "The impact at Honda (the seed holds it: a 409 there)",
        {
            "company": "honda",
            "kind": "estimate",
            "amount": {"amount": "385000000000", "currency": "JPY", "usd": "2500000000"},
            "certainty": "confirmed",
            "citations": cited(
                "Nissan estimates the tariffs will cause profits to fall by 275 billion yen "
                "($1.8B USD) this fiscal year. At Honda, the estimated impact is 385 billion "
                "yen ($2.5B USD)."
            ),
        },
    )

    company: Slug
    fiscal_year: NonEmpty | None = Field(
        default=None, max_length=20, description="Null when the source does not say."
    )
    metric: NonEmpty | None = Field(
        default=None,
        max_length=40,
        description="The source's own word: profit, …; null when it does not say.",
    )
    direction: ImpactDirection | None = Field(
        default=None,
        description="decrease or increase of the metric; null when the source does not say.",
    )
    kind: NonEmpty = Field(max_length=20, description="estimate, actual, …")
    amount: MoneyIn = Field(description="The size of the change, whatever its direction.")


class TariffIn(FactIn):
    """A tariff over one period of its rate. A write through the API is known by
    (imposing_country, target_country, product): a new rate is a PATCH. A facts file may
    give several undated periods of one tariff, told apart by ``rate_pct`` and
    ``effective_on``."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "The U.S. tariff on vehicles from Japan, now 15 % (the seed holds it: a 409 there)",
        {
            "imposing_country": "US",
            "target_country": "JP",
            "product": "vehicles",
            "rate_pct": "15",
            "baseline_rate_pct": "2.5",
            "certainty": "confirmed",
            "citations": _TARIFF_HISTORY,
        },
    )

    imposing_country: CountryCode
    target_country: CountryCode
    product: NonEmpty = Field(max_length=200)
    rate_pct: Percent | None = None
    previous_rate_pct: Percent | None = None
    baseline_rate_pct: Percent | None = Field(default=None, description="Before the trade war.")
    effective_on: PartialDate | None = Field(default=None, description="Of the current rate.")
    impacts: list[ImpactIn] = Field(default=[])


class PastRateIn(FactIn):
    """A rate the tariff had until ``ended_on``, kept when a later one replaced it (a
    ``PATCH`` giving a new ``rate_pct`` from a later ``effective_on``): ``valid_at`` before
    that day answers it under the tariff's id."""

    rate_pct: Percent | None = None
    previous_rate_pct: Percent | None = None
    baseline_rate_pct: Percent | None = Field(default=None, description="Before the trade war.")
    effective_on: PartialDate | None = None
    ended_on: PartialDate = Field(description=END_DESCRIPTION)

    _ordered = ordered_range("effective_on", "ended_on")


class TariffEntry(TariffIn):
    """A tariff in the facts file: with the past rates a rate change kept. Not a body of
    the API, where a new rate is a PATCH."""

    past_rates: list[PastRateIn] = Field(default=[])


# A component of its own in the API document: it shows an example, where MoneyIn has none.
class MoneyUpdate(MoneyIn):
    """A figure in a PATCH body, replaced whole: decimal strings, never JSON numbers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"amount": "275000000000", "currency": "JPY", "usd": "1800000000"}
        },
    )

    usd: MoneyAmount | None = Field(
        default=None, description="The dollar figure the source gives; absent means none."
    )


class TariffUpdate(MergePatch):
    """A correction, or a new rate. The old values stay answerable through ``as_of``;
    a new ``rate_pct`` with an ``effective_on`` later than the current one is a rate change,
    and ``valid_at`` before that day still answers the old rate."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Restate the pre-trade-war rate, with the passage that gives it",
        {"baseline_rate_pct": "2.5", "citations": _TARIFF_HISTORY},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"certainty", "citations"})

    rate_pct: Percent | None = Field(default=None, description='In percent, as a string: "10".')
    previous_rate_pct: Percent | None = Field(
        default=None,
        description="The rate before the current one; on a rate change it defaults to the "
        "rate being replaced.",
    )
    baseline_rate_pct: Percent | None = Field(default=None, description="Before the trade war.")
    effective_on: PartialDate | None = Field(
        default=None, description="When the rate took effect: YYYY, YYYY-MM or YYYY-MM-DD."
    )
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the tariff."
    )


class TariffImpactUpdate(MergePatch):
    """A correction of an impact: the old values stay answerable through ``as_of``. The
    company is what the impact is about; an impact on another company is another impact."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Restate Nissan's impact as an estimated fall in profit",
        {
            "metric": "profit",
            "direction": "decrease",
            "kind": "estimate",
            "citations": cited(
                "Nissan estimates the tariffs will cause profits to fall by 275 billion yen "
                "($1.8B USD) this fiscal year."
            ),
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"kind", "amount", "certainty", "citations"})

    fiscal_year: NonEmpty | None = Field(default=None, max_length=20)
    metric: NonEmpty | None = Field(default=None, max_length=40)
    direction: ImpactDirection | None = None
    kind: NonEmpty | None = Field(default=None, max_length=20)
    amount: MoneyUpdate | None = Field(default=None, description="Replaced whole.")
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the impact."
    )


@dataclass(frozen=True)
class TariffFilters:
    imposing_country: str | None = None
    target_country: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class ImpactFilters:
    fiscal_year: str | None = None
    metric: str | None = None
