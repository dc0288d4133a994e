from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

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


class SearchDocument(SQLModel, table=True):
    """One searchable resource: its title and the text to match, kept in step with the
    resource by the write path. The full-text index over it is per database (SQLite FTS5,
    PostgreSQL tsvector + GIN), created by migrations and hidden behind services/search.py.
    """

    __tablename__ = "search_document"
    __table_args__ = (UniqueConstraint("doc_type", "doc_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # Leads the unique (doc_type, doc_id) index, which serves the type filter too.
    doc_type: DocumentType = enum_column(DocumentType, column="doc_type")
    doc_id: int
    key: str = Field(max_length=200, description="The slug or id the resource's URL uses.")
    title: str = Field(max_length=TITLE_LENGTH)
    body: str = Field(sa_type=Text)


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
