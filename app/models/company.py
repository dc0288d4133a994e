from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from app.models.base import FactBase, FactPublic, current_unique


class Company(FactBase, table=True):
    __tablename__ = "company"
    __table_args__ = (current_unique("company", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100)
    name: str = Field(max_length=200, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    kind: str = Field(max_length=40, index=True)
    description: str | None = Field(default=None, sa_type=Text)


class CompanyPublic(FactPublic):
    slug: str = Field(schema_extra={"examples": ["nissan"]})
    name: str = Field(schema_extra={"examples": ["Nissan"]})
    country: str | None = Field(
        description="ISO 3166-1 alpha-2.", schema_extra={"examples": ["JP"]}
    )
    kind: str = Field(schema_extra={"examples": ["automaker"]})
    description: str | None


class CompanyRef(SQLModel):
    """A company named inside another resource: enough to show it and link to it."""

    slug: str = Field(schema_extra={"examples": ["nissan"]})
    name: str = Field(schema_extra={"examples": ["Nissan"]})
