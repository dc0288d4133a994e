import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, Text, text
from sqlmodel import Field, SQLModel

from app.core.temporal import Validity
from app.models.base import PublicModel, enum_column


class DocumentType(StrEnum):
    company = "company"
    executive = "executive"
    partnership = "partnership"
    tariff = "tariff"
    restructuring_plan = "restructuring_plan"
    plant = "plant"
    source = "source"
    statement = "statement"


# A hit's title is the label of its link: a longer one (a source's may hold 500 characters)
# is cut to fit, and matched as far as it is kept.
TITLE_LENGTH = 300


_CURRENT = text("recorded_to IS NULL")


class SearchDocument(SQLModel, table=True):
    """One searchable state of a resource: its title and the text to match, kept in step
    with the resource by the write path. The full-text index over it is per database
    (SQLite FTS5, PostgreSQL tsvector + GIN), created by migrations and hidden behind
    services/search.py.

    Documents keep their history as fact rows keep theirs: a write that changes what a
    resource contributes closes its current document (``recorded_to``, the write's
    instant) and adds the new one (``recorded_from``, the same instant); a retraction
    closes it. The current documents (``recorded_to IS NULL``) are what search answers
    without ``as_of``; ``known_from`` is the resource's, the day it was first reported.
    """

    __tablename__ = "search_document"
    # One current document per resource; it leads with the type, so it serves the type
    # filter too.
    __table_args__ = (
        Index(
            "uq_search_document_doc_type_doc_id_current",
            "doc_type",
            "doc_id",
            unique=True,
            sqlite_where=_CURRENT,
            postgresql_where=_CURRENT,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    doc_type: DocumentType = enum_column(DocumentType, column="doc_type")
    doc_id: int
    key: str = Field(max_length=200, description="The slug or id the resource's URL uses.")
    title: str = Field(max_length=TITLE_LENGTH)
    body: str = Field(sa_type=Text)
    known_from: dt.date
    recorded_from: dt.datetime
    recorded_to: dt.datetime | None = Field(default=None)


class SearchHit(PublicModel):
    type: DocumentType
    id: int
    key: str
    title: str
    snippet: str = Field(
        description="Matching text; matched words are wrapped in <mark>…</mark>, the rest is "
        "HTML-escaped."
    )
    url: str = Field(description="The resource's path in this API.")
    score: float = Field(description="Relevance: higher is better.")
    # Set only under valid_at; left out of an answer without it (the route and the pages
    # serialise what was set).
    validity: Validity | None = Field(
        default=None,
        description="Only with `valid_at`: the `validity` the resource's own list gives it on "
        "that date, `certain` or `possible`.",
        schema_extra={"examples": ["certain"]},
    )
