import datetime as dt

from sqlmodel import Field, SQLModel


class ApiKey(SQLModel, table=True):
    """A curator's key for writes. Only its SHA-256 is stored; ``prefix`` (the key's
    public first part) finds the row, and the hashes are compared in constant time."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=20, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
