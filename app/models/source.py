"""Sources (the articles every fact quotes) and their citations; the shapes they are
written and read in."""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.dates import Day
from app.core.examples import BodyExample
from app.core.fields import WEB_URL_PATTERN, NonEmpty
from app.core.patch import MergePatch
from app.models.base import InputModel, PublicModel

# A slug that cannot be read as an id: lower-case words joined by hyphens, with a letter in
# the first word or more than one word. /v1/sources/{id-or-slug} reads digits as an id, so
# a source named "1" would be shadowed by source 1 (and search would link it there).
_SOURCE_SLUG = re.compile(r"[0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)*|[a-z0-9]+(?:-[a-z0-9]+)+")


def _source_slug(value: str) -> str:
    if not _SOURCE_SLUG.fullmatch(value):
        if value.isascii() and value.isdigit():
            raise ValueError(f"{value!r} reads as a source id: a slug needs a letter or hyphen")
        raise ValueError(f"{value!r} is not a slug (lower-case words joined by hyphens)")
    return value


SourceSlug = Annotated[
    str,
    AfterValidator(_source_slug),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 200,
            "pattern": f"^(?:{_SOURCE_SLUG.pattern})$",
            "description": "Lower-case words joined by hyphens, not digits alone (those are ids).",
            "examples": ["2025-11-14-honda-nissan"],
        },
        mode="validation",
    ),
]


class Source(SQLModel, table=True):
    """A news article (or other document) that facts are quoted from."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True)
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    published_on: dt.date = Field(index=True)
    reported_by: str | None = Field(default=None, max_length=200, index=True)
    text: str = Field(sa_type=Text)
    sha256: str = Field(max_length=64, unique=True)


class Citation(SQLModel, table=True):
    """A verbatim span of a source backing one fact row.

    ``fact_type`` names the fact's table and ``fact_id`` its row: every fact table shares
    this one citation table, so a fact's evidence is found the same way whatever it states.
    """

    __tablename__ = "citation"
    __table_args__ = (Index("ix_citation_fact", "fact_type", "fact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    fact_type: str = Field(max_length=40)
    fact_id: int
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="RESTRICT")
    quote: str = Field(sa_type=Text)
    start_offset: int = Field(description="Character offset of the quote in the source text.")
    end_offset: int


class CitationPublic(PublicModel):
    source_id: int
    quote: str = Field(
        schema_extra={"examples": ["We are discussing how we can collaborate in the United States"]}
    )
    start_offset: int = Field(description="Character offset of the quote in the source's text.")
    end_offset: int = Field(description="End offset (exclusive).")


class SourceSummary(PublicModel):
    id: int
    slug: str
    title: str
    publisher: str | None
    url: str | None
    published_on: dt.date
    reported_by: str | None
    sha256: str


class SourcePublic(SourceSummary):
    text: str


class SourceIn(InputModel):
    """An article. Its text is ``text`` or the file ``text_file`` (relative to the facts file);
    it is stored with its sha256, and never changes once stored."""

    slug: SourceSlug = Field(max_length=200)
    title: NonEmpty = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=WEB_URL_PATTERN)] | None = None
    published_on: Day = Field(
        description="YYYY-MM-DD, no later than today (UTC): what our sources knew when hangs "
        "on it, and a date to come would keep its facts from every `known_at`."
    )
    reported_by: str | None = Field(default=None, max_length=200)
    text_file: NonEmpty | None = None
    text: NonEmpty | None = None

    @field_validator("published_on")
    @classmethod
    def _not_after_today(cls, published_on: dt.date) -> dt.date:
        # The server's UTC date when the body is read: a client ahead of UTC may hold an
        # article dated its own today, and is asked to wait until UTC catches up.
        today = dt.datetime.now(dt.UTC).date()
        if published_on > today:
            raise ValueError(f"is after today ({today.isoformat()}, UTC)")
        return published_on

    @model_validator(mode="after")
    def _read_text_file(self, info: ValidationInfo) -> Self:
        if (self.text is None) == (self.text_file is None):
            raise ValueError("give exactly one of text and text_file")
        if self.text_file is not None:
            base_dir = (info.context or {}).get("base_dir")
            if base_dir is None:
                raise ValueError("text_file needs the facts file's directory: give text instead")
            path = Path(base_dir) / self.text_file
            try:
                # Text mode turns CRLF into LF: the same article hashes the same on every OS.
                self.text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read text_file {str(path)!r}: {exc}") from None
            if not self.text:
                raise ValueError(f"text_file {str(path)!r} is empty")
        return self


class SourceCreate(SourceIn):
    """A new article, its text inline: the API reads no files, so ``text_file`` is refused."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "The seed's article, its opening paragraph as the text (the slug is the seed's: a 409)",
        {
            "slug": "2025-11-14-honda-nissan",
            "title": "Honda and Nissan, longtime potential dance partners, are again "
            "considering getting closer",
            "publisher": None,
            "url": None,
            "published_on": "2025-11-14",
            "reported_by": "Nikkei Asia",
            "text": "Honda and Nissan, longtime potential dance partners, are again considering "
            "getting closer. A few months after abandoning the idea of a merger, the Japanese "
            "automakers are back at the table to discuss a possible partnership that would "
            "seem them jointly develop vehicles and powertrains for the American \u2013 and "
            "by extension, the North American - market.",
        },
    )

    text: NonEmpty = Field(
        description="The article's full text. Quotes are verified against it and point into "
        "it by offset, so it never changes once stored. Line endings are stored as LF."
    )
    text_file: SkipJsonSchema[str | None] = Field(default=None, exclude=True)

    @field_validator("text_file")
    @classmethod
    def _no_files(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError("the API reads no files: give the article inline as text")


class SourceUpdate(MergePatch):
    """A source's metadata. Its text and publication date never change: quotes point into
    the text by offset, and what our sources knew when hangs on the date."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Say who reported the story",
        {"reported_by": "Nikkei Asia"},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"title"})

    title: NonEmpty | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=WEB_URL_PATTERN)] | None = None
    reported_by: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class SourceFilters:
    reported_by: str | None = None
