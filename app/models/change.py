import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.models.base import PublicModel


class Change(SQLModel, table=True):
    """One write, recorded in the write's own transaction: the feed consumers sync from.

    ``id`` orders the feed. Writes are serialised (see ``core.db.begin_write``), so ids
    become visible in order and a consumer reading ``id > cursor`` never skips one.
    """

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_resource", "resource", "resource_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: dt.datetime
    actor: str = Field(max_length=100, description="The API key's name.")
    operation: str = Field(max_length=10, description="create, update or delete.")
    resource: str = Field(max_length=40, description="The resource type, e.g. companies.")
    resource_id: str = Field(max_length=200, description="Its slug or id.")
    before: Any = Field(default=None, sa_type=JSON)
    after: Any = Field(default=None, sa_type=JSON)


class ChangePublic(PublicModel):
    id: int
    occurred_at: dt.datetime
    actor: str
    operation: str = Field(schema_extra={"examples": ["update"]})
    resource: str = Field(schema_extra={"examples": ["companies"]})
    resource_id: str = Field(schema_extra={"examples": ["nissan"]})
    before: Any = Field(description="The resource as it was (null on create).")
    after: Any = Field(description="The resource as it is now (null on delete).")


class ChangePage(PublicModel):
    data: list[ChangePublic]
    next_cursor: str = Field(
        description="Pass as `since` to get the changes after these; poll with it when "
        "`has_more` is false."
    )
    has_more: bool
