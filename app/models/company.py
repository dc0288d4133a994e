from sqlalchemy import Text
from sqlmodel import Field

from app.models.base import FactBase


class Company(FactBase, table=True):
    __tablename__ = "company"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    kind: str = Field(max_length=40, index=True)
    description: str | None = Field(default=None, sa_type=Text)
