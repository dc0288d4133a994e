"""What people and companies said, in their words as a source reports them; the shapes a
statement is written and read in."""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import ConfigDict, computed_field, model_validator
from sqlalchemy import Text
from sqlmodel import Field

from app.core.dates import PartialDate
from app.core.examples import BodyExample, cited
from app.core.fields import NonEmpty, Slug
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import (
    Certainty,
    FactBase,
    FactIn,
    FactPublic,
    current_index,
    enum_column,
)


class Speech(StrEnum):
    """How the source gives the words: in quotation marks as the speaker's own (``direct``),
    or in its own telling (``reported``: "insists the brand remains agile")."""

    direct = "direct"
    reported = "reported"


class Statement(FactBase, table=True):
    """Something an executive or a company said. ``valid_from`` is when it was said, null
    when the source does not say (it is never the day the source reported it: that is the
    cited source's ``published_on``). ``quote`` is a verbatim span of ``source_id``'s text,
    inside one of the statement's citations."""

    __tablename__ = "statement"
    __table_args__ = (
        current_index("statement", "id"),
        current_index("statement", "speaker_executive_id", "id"),
        current_index("statement", "speaker_company_id", "id"),
        current_index("statement", "about_partnership_id", "id"),
        current_index("statement", "about_company_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Exactly one speaker: an executive, or a company speaking as itself.
    speaker_executive_id: int | None = Field(
        default=None, foreign_key="executive.id", index=True, ondelete="CASCADE"
    )
    speaker_company_id: int | None = Field(
        default=None, foreign_key="company.id", index=True, ondelete="CASCADE"
    )
    quote: str = Field(sa_type=Text)
    speech: Speech = enum_column(Speech, column="speech")
    source_id: int = Field(foreign_key="source.id", index=True)
    about_partnership_id: int | None = Field(
        default=None, foreign_key="partnership.id", index=True, ondelete="SET NULL"
    )
    about_company_id: int | None = Field(
        default=None, foreign_key="company.id", index=True, ondelete="SET NULL"
    )


_SAID_ON = (
    "When it was said, as precise as the source: YYYY, YYYY-MM or YYYY-MM-DD; null when the "
    "source does not say (then `reported_on` is all that is known)."
)


class StatementPublic(FactPublic):
    """A statement; `valid_from` is when it was said (same as `said_on`)."""

    fact_table: ClassVar[str] = "statement"

    id: int
    speaker_executive: str | None = Field(
        description="The executive who said it (slug); null when a company said it.",
        schema_extra={"examples": ["ivan-espinosa"]},
    )
    speaker_company: str | None = Field(
        description="The company that said it, speaking as itself (slug); null when an "
        "executive said it.",
    )
    quote: str = Field(
        description="The words, verbatim as the source prints them.",
        schema_extra={"examples": ["We are not talking about integration or capital ties."]},
    )
    speech: Speech = Field(
        description="`direct`: the speaker's own words, in quotation marks in the source; "
        "`reported`: the source's telling of what was said."
    )
    source: str = Field(
        description="The source that reported it (slug).",
        schema_extra={"examples": ["2025-11-14-honda-nissan"]},
    )
    reported_on: dt.date = Field(
        description="When that source was published: the statement was said on or before it."
    )
    about_partnership: str | None = Field(
        description="The partnership it is about (slug), if any.",
        schema_extra={"examples": ["honda-nissan-us-collaboration"]},
    )
    about_company: str | None = Field(
        description="The company it is about (slug), if any.", schema_extra={"examples": ["nissan"]}
    )

    @computed_field(  # type: ignore[prop-decorator]
        description=_SAID_ON, examples=[None]
    )
    @property
    def said_on(self) -> str | None:
        return self.valid_from


_SPEAKERS = ("speaker_executive", "speaker_company")


class StatementIn(FactIn):
    """A statement: ``quote`` must be found, verbatim, inside one of its citations' quotes,
    and the statement's source is that citation's."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Espinosa on the U.S. talks (the seed holds it: a 409 there)",
        {
            "speaker_executive": "ivan-espinosa",
            "quote": "We are discussing how we can collaborate in the United States",
            "speech": "direct",
            "about_partnership": "honda-nissan-us-collaboration",
            "certainty": "confirmed",
            "citations": cited(
                '"We are discussing how we can collaborate in the United States," explained '
                "Espinosa"
            ),
        },
    )

    # The schema says what the validator below checks, so that a client (or a fuzzer)
    # drawing from it gives exactly one speaker: not neither (both absent or null), not both.
    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "anyOf": [
                    {"properties": {name: {"type": "null"} for name in _SPEAKERS}},
                    {
                        "required": list(_SPEAKERS),
                        "properties": {name: {"type": "string"} for name in _SPEAKERS},
                    },
                ]
            }
        }
    )

    speaker_executive: Slug | None = Field(
        default=None, max_length=100, description="The executive who said it."
    )
    speaker_company: Slug | None = Field(
        default=None, description="The company that said it, speaking as itself."
    )
    quote: NonEmpty = Field(max_length=10_000, description="The words, verbatim.")
    speech: Speech = Speech.direct
    said_on: PartialDate | None = Field(default=None, description=_SAID_ON)
    about_partnership: Slug | None = Field(
        default=None, max_length=200, description="The partnership it is about (slug)."
    )
    about_company: Slug | None = Field(default=None, description="The company it is about.")

    @model_validator(mode="after")
    def _one_speaker(self) -> Self:
        if (self.speaker_executive is None) == (self.speaker_company is None):
            raise ValueError("give the speaker: speaker_executive or speaker_company, not both")
        return self


class StatementUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``. Who said it is what
    the statement is; words of someone else are another statement."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Say the words are about the U.S. talks, in direct speech",
        {"speech": "direct", "about_partnership": "honda-nissan-us-collaboration"},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"quote", "speech", "certainty", "citations"})

    quote: NonEmpty | None = Field(
        default=None, max_length=10_000, description="Found, verbatim, in the citations."
    )
    speech: Speech | None = None
    said_on: PartialDate | None = Field(default=None, description=_SAID_ON)
    about_partnership: Slug | None = Field(
        default=None, max_length=200, description="The partnership it is about (slug)."
    )
    about_company: Slug | None = None
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the statement."
    )


@dataclass(frozen=True)
class StatementFilters:
    speaker_executive: str | None = None
    speaker_company: str | None = None
    about_partnership: str | None = None
    about_company: str | None = None
