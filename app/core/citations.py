"""Finding a quote in its source: whitespace is normalised, nothing else."""

import re


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
