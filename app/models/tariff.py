from decimal import Decimal

from sqlmodel import Field, SQLModel

from app.core.money import DecimalString, Money
from app.models.base import FactBase, FactPublic, money_column, percent_column
from app.models.company import CompanyRef


class Tariff(FactBase, table=True):
    """A tariff; ``valid_from`` is when its current rate took effect."""

    __tablename__ = "tariff"

    id: int | None = Field(default=None, primary_key=True)
    imposing_country: str = Field(max_length=2, index=True)
    target_country: str = Field(max_length=2, index=True)
    product: str = Field(max_length=200, index=True)
    rate_pct: Decimal | None = percent_column()
    previous_rate_pct: Decimal | None = percent_column()
    baseline_rate_pct: Decimal | None = percent_column()


class TariffImpact(FactBase, table=True):
    __tablename__ = "tariff_impact"

    id: int | None = Field(default=None, primary_key=True)
    tariff_id: int = Field(foreign_key="tariff.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    fiscal_year: str = Field(max_length=20, index=True)
    metric: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=20)
    amount: Decimal = money_column()
    currency: str = Field(max_length=3)
    usd: Decimal | None = money_column(nullable=True)


class TariffRef(SQLModel):
    """The tariff an impact belongs to, as a per-company list names it."""

    id: int = Field(schema_extra={"examples": [1]})
    imposing_country: str = Field(schema_extra={"examples": ["US"]})
    target_country: str = Field(schema_extra={"examples": ["JP"]})
    product: str = Field(schema_extra={"examples": ["vehicles"]})


class TariffImpactPublic(FactPublic):
    id: int
    company: CompanyRef
    fiscal_year: str = Field(
        description="The fiscal year as the source names it.", schema_extra={"examples": ["2025"]}
    )
    metric: str = Field(
        description="What the tariff hits, in the source's own word.",
        schema_extra={"examples": ["profit"]},
    )
    kind: str = Field(
        description="`estimate`, `actual`, …", schema_extra={"examples": ["estimate"]}
    )
    amount: Money


class TariffImpactPublicWithTariff(TariffImpactPublic):
    tariff: TariffRef


class TariffPublic(FactPublic):
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
        description="The current rate, in percent.", schema_extra={"examples": ["15"]}
    )
    previous_rate_pct: DecimalString | None = Field(
        description="The rate before the current one, if the source gives it."
    )
    baseline_rate_pct: DecimalString | None = Field(
        description="The rate before the trade war.", schema_extra={"examples": ["2.5"]}
    )
    effective_on: str | None = Field(
        description="When the current rate took effect, as precise as the source.",
        schema_extra={"examples": ["2025-09"]},
    )
    impacts: list[TariffImpactPublic] | None = Field(
        default=None,
        description="What the tariff costs companies (always on one tariff; on lists with "
        "include=impacts).",
    )
