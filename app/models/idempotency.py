import datetime as dt
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class IdempotentRequest(SQLModel, table=True):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed to retries."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("actor", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=100)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64, description="SHA-256 of method, path and body.")
    status_code: int
    body: str = Field(sa_type=Text)
    headers: Any = Field(default=None, sa_type=JSON)
    created_at: dt.datetime
