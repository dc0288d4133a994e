"""Facts about one company: restructuring plans, financial results, plants."""

from decimal import Decimal

from sqlmodel import Field

from app.models.base import FactBase, money_column


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
    period: str = Field(max_length=40, index=True)
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
