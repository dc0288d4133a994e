from sqlmodel import Field

from app.models.base import FactBase


class Executive(FactBase, table=True):
    __tablename__ = "executive"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200, index=True)


class ExecutiveRole(FactBase, table=True):
    """An executive's title at a company; ``valid_from``/``valid_to`` are its start and end."""

    __tablename__ = "executive_role"

    id: int | None = Field(default=None, primary_key=True)
    executive_id: int = Field(foreign_key="executive.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200, index=True)
