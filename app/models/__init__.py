"""Table models, one module per domain. Importing this package registers every table."""

from sqlmodel import SQLModel

# Explicit constraint names: Alembic can then drop and alter them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from app.models.api_key import ApiKey  # noqa: E402
from app.models.base import Certainty, FactBase  # noqa: E402
from app.models.change import Change  # noqa: E402
from app.models.company import Company, CompanyTally  # noqa: E402
from app.models.company_facts import FinancialResult, Plant, RestructuringPlan  # noqa: E402
from app.models.executive import Executive, ExecutiveRole  # noqa: E402
from app.models.fact import Fact  # noqa: E402
from app.models.idempotency import IdempotentRequest  # noqa: E402
from app.models.partnership import (  # noqa: E402
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatus,
    PartnershipStatusChange,
)
from app.models.search import SearchDocument  # noqa: E402
from app.models.source import Citation, Source  # noqa: E402
from app.models.statement import Statement  # noqa: E402
from app.models.tariff import Tariff, TariffImpact  # noqa: E402

# Every table that holds facts, parents before children: the order a load inserts them in
# (foreign keys are checked as rows arrive) and an export writes them in.
FACT_MODELS: tuple[type[FactBase], ...] = (
    Company,
    Executive,
    ExecutiveRole,
    Partnership,
    PartnershipMember,
    PartnershipStatusChange,
    PartnershipScope,
    Tariff,
    TariffImpact,
    RestructuringPlan,
    FinancialResult,
    Plant,
    Statement,
)

__all__ = [
    "FACT_MODELS",
    "ApiKey",
    "Certainty",
    "Change",
    "Citation",
    "Company",
    "CompanyTally",
    "Executive",
    "ExecutiveRole",
    "Fact",
    "FactBase",
    "FinancialResult",
    "IdempotentRequest",
    "Partnership",
    "PartnershipMember",
    "PartnershipScope",
    "PartnershipStatus",
    "PartnershipStatusChange",
    "Plant",
    "RestructuringPlan",
    "SearchDocument",
    "Source",
    "Statement",
    "Tariff",
    "TariffImpact",
]
