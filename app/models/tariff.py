from decimal import Decimal

from sqlmodel import Field

from app.models.base import FactBase, money_column, percent_column


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
