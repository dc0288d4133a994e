"""Citations as a body gives them, and finding their quote in the source: whitespace is
normalised, nothing else."""

import re
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.fields import MAX_ROW_ID, NonEmpty, Slug

SourceId = Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID)]
Offset = Annotated[StrictInt, Field(ge=0, le=MAX_ROW_ID)]


class CitationIn(BaseModel):
    """A verbatim span of a source. ``quote`` must occur in the source's text; runs of
    whitespace count as one space, and nothing else is forgiven (curly quotes, dashes).

    A citation as the API serves it (``source_id``, ``quote``, ``start_offset``,
    ``end_offset``) is accepted as it is, so that a client can read a fact, edit it and send
    it back; so is the facts file's ``{"source": "<slug>", "quote": …}``."""

    # The schema says what the validators below check: a source named one way or the
    # other, both offsets or neither, and no field given as null (absent is the default).
    # "At least one of source and source_id" is spelt as "not neither": written as an
    # anyOf of two `required`, openapi-python-client types the whole citation as Any.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "not": {"properties": {"source": {"not": {}}, "source_id": {"not": {}}}},
            "dependentRequired": {
                "start_offset": ["end_offset"],
                "end_offset": ["start_offset"],
            },
        },
    )

    source: SourceId | Annotated[Slug, Field(max_length=200)] | SkipJsonSchema[None] = Field(
        default=None,
        description="The source, by slug or by integer id; a string of digits is an id, "
        "as in `/v1/sources/{id-or-slug}`. Give this or `source_id` (both only if they "
        "name the same source: otherwise a 422). The facts file takes slugs only.",
        examples=["2025-11-14-honda-nissan"],
    )
    source_id: SourceId | SkipJsonSchema[None] = Field(
        default=None,
        description="The source's integer id, as citations are served. Give this or `source`.",
        examples=[1],
    )
    quote: NonEmpty = Field(max_length=10_000)
    start_offset: Offset | SkipJsonSchema[None] = Field(
        default=None,
        description="Optional, as served: where the quote starts in the source's text. A "
        "citation points at the quote's first occurrence that cuts no word; offsets given "
        "(with `end_offset`) must be that span, or the citation is a 422.",
    )
    end_offset: Offset | SkipJsonSchema[None] = Field(
        default=None, description="Optional, as served: where the quote ends (exclusive)."
    )

    @field_validator("source", "source_id", "start_offset", "end_offset")
    @classmethod
    def _not_null(cls, value: int | str | None) -> int | str:
        if value is None:
            raise ValueError("may be left out, not null")
        return value

    @model_validator(mode="after")
    def _names_a_source_and_a_whole_span(self) -> Self:
        if self.source is None and self.source_id is None:
            raise ValueError("give the source, as source (slug or id) or source_id")
        if (self.start_offset is None) != (self.end_offset is None):
            raise ValueError("give both start_offset and end_offset, or neither")
        if self.span is not None and self.span[0] >= self.span[1]:
            raise ValueError("end_offset must be greater than start_offset")
        return self

    @property
    def references(self) -> list[tuple[str, int | str]]:
        """The fields naming the source, with what each names: an id (int) or a slug or
        digits (str, read as ``/v1/sources/{id-or-slug}`` reads them)."""
        named: list[tuple[str, int | str]] = []
        if self.source is not None:
            named.append(("source", self.source))
        if self.source_id is not None:
            named.append(("source_id", self.source_id))
        return named

    @property
    def slug(self) -> str | None:
        """The slug the citation names its source by, when it names it by slug alone (as
        the facts file does: ids differ from one database to the next)."""
        return self.source if isinstance(self.source, str) and self.source_id is None else None

    @property
    def span(self) -> tuple[int, int] | None:
        if self.start_offset is None or self.end_offset is None:
            return None
        return self.start_offset, self.end_offset


def locate_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The ``(start, end)`` offsets of ``quote`` in ``text`` (``text[start:end]`` is the span),
    or None when the source does not contain it.

    Any run of whitespace, line breaks included, matches any other run, so a quote may be
    copied from a wrapped paragraph. Curly quotes, dashes and case are compared as they are:
    a citation must be the source's own words. The first occurrence wins.
    """
    words = quote.split()
    if not words:
        return None
    match = re.search(r"\s+".join(map(re.escape, words)), text)
    return (match.start(), match.end()) if match else None


# A letter or a digit (``str.isalnum``): a word character but the underscore.
_ALNUM = r"[^\W_]"


def cite_in(text: str, quote: str) -> tuple[int, int] | str | None:
    """Where a citation's ``quote`` is in its source's ``text``, as ``locate_quote`` finds
    it, but only where it is words of the source: it cuts no word at either end (a quote
    beginning with a letter or digit does not begin right after one, and likewise at its
    end) and holds a letter. Else, a string saying why the quote, though in the source,
    cannot cite it; None when it is not in the source at all.

    The one rule for the API and the importer: a fact traces to the sentence it came from,
    and a comma, a letter, or the end of one name and the start of the next trace to
    nothing. The first occurrence that cuts no word wins."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(map(re.escape, words))
    if words[0][0].isalnum():
        pattern = f"(?<!{_ALNUM})" + pattern
    if words[-1][-1].isalnum():
        pattern += f"(?!{_ALNUM})"
    whole = re.search(pattern, text)
    if whole is None:
        return None if locate_quote(text, quote) is None else CUTS_A_WORD
    if not any(character.isalpha() for character in quote):
        return NO_LETTER
    return whole.start(), whole.end()


CUTS_A_WORD = "cuts a word of its source at its start or end: quote whole words"
NO_LETTER = "has no letter: a quote is words of its source, not punctuation or figures alone"


def locate_within(text: str, span: tuple[int, int], quote: str) -> tuple[int, int] | None:
    """The offsets in ``text`` of ``quote`` found inside ``span`` of it (a citation's), as
    ``locate_quote`` finds it; None when that span does not hold it."""
    found = locate_quote(text[span[0] : span[1]], quote)
    return None if found is None else (span[0] + found[0], span[0] + found[1])


def offsets_problem(citation: CitationIn, span: tuple[int, int]) -> str | None:
    """Why the offsets ``citation`` gives are not ``span``, where its quote was found; None
    when it gives none, or these. Every citation points at its quote's first occurrence
    that cuts no word (``cite_in``), as the facts file, which holds no offsets, re-creates
    it, so offsets, which a client sends back as it read them, can only confirm that span."""
    if citation.span is None or citation.span == span:
        return None
    return (
        f"the quote is at offsets {span[0]}-{span[1]} of its source, "
        f"not {citation.span[0]}-{citation.span[1]}"
    )
