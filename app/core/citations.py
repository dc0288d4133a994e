"""Finding a quote in its source: whitespace is normalised, nothing else."""

import re

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import NonEmpty, Slug


class CitationIn(BaseModel):
    """A verbatim span of a source. ``quote`` must occur in the source's text; runs of
    whitespace count as one space, and nothing else is forgiven (curly quotes, dashes)."""

    model_config = ConfigDict(extra="forbid")

    source: Slug = Field(max_length=200, description="The slug of a source.")
    quote: NonEmpty = Field(max_length=10_000)


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
