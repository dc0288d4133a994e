"""Quotes are found in their source after normalising whitespace, and nothing else."""

import pytest

from app.core.config import ROOT
from app.core.quotes import cite_in, locate_quote

ARTICLE = (ROOT / "seed" / "article-2025-11-14-honda-nissan.txt").read_text(encoding="utf-8")


def test_exact_quote_gives_offsets_that_slice_it() -> None:
    text = "Honda and Nissan are talking."
    start, end = locate_quote(text, "Nissan are") or (-1, -1)
    assert (start, end) == (10, 20)
    assert text[start:end] == "Nissan are"


@pytest.mark.parametrize(
    ("text", "quote", "span"),
    [
        # A line break and an indent in the source match the quote's single space.
        (
            "He said:\n  we are\n   discussing it.",
            "we are discussing it",
            "we are\n   discussing it",
        ),
        # Runs of spaces and tabs in the source.
        ("one  two\t\tthree four", "one two three", "one  two\t\tthree"),
        # Whitespace in the quote (a wrapped YAML string) and at its ends.
        (
            "joint production in North America.",
            "  joint\n production  in North\tAmerica ",
            "joint production in North America",
        ),
        # Non-breaking spaces are whitespace too.
        ("275\u00a0billion yen", "275 billion yen", "275\u00a0billion yen"),
    ],
)
def test_whitespace_runs_match_each_other(text: str, quote: str, span: str) -> None:
    start, end = locate_quote(text, quote) or (-1, -1)
    assert text[start:end] == span


def test_whitespace_is_not_invented_where_the_source_has_none() -> None:
    assert locate_quote("cross-shareholding", "cross - shareholding") is None
    assert locate_quote("co-development", "codevelopment") is None


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("“We are not talking about integration.”", '"We are not talking about integration."'),
        (
            '"We are discussing how we can collaborate"',
            "“We are discussing how we can collaborate”",
        ),
        ("the American \u2013 and by extension", "the American - and by extension"),
        ("the teams — including senior management", "the teams - including senior management"),
        ("Honda's plants", "Honda\u2019s plants"),
        ("Nissan estimates", "nissan estimates"),
    ],
)
def test_quotes_dashes_and_case_are_not_normalised(text: str, quote: str) -> None:
    assert locate_quote(text, quote) is None
    assert locate_quote(text, text) == (0, len(text))


def test_regex_metacharacters_are_literal() -> None:
    text = "profits to fall by 275 billion yen ($1.8B USD) this fiscal year."
    quote = "275 billion yen ($1.8B USD)"
    start, end = locate_quote(text, quote) or (-1, -1)
    assert text[start:end] == quote
    assert locate_quote(text, "275 billion yen .$1.8B USD.") is None


def test_first_occurrence_wins() -> None:
    assert locate_quote("Espinosa said; Espinosa added", "Espinosa") == (0, 8)


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_empty_quote_is_never_found(quote: str) -> None:
    assert locate_quote("some text", quote) is None


def test_missing_quote_is_none() -> None:
    assert locate_quote(ARTICLE, "Honda and Nissan agreed to merge") is None


def test_the_article_curly_quote_is_found_only_as_written() -> None:
    curly = "“We are not talking about integration or capital ties.”"
    start, end = locate_quote(ARTICLE, curly) or (-1, -1)
    assert ARTICLE[start:end] == curly
    assert locate_quote(ARTICLE, curly.replace("“", '"').replace("”", '"')) is None


# -- what a citation may quote: whole words ---------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "why"),
    [
        (",", "no letter"),
        ("2.5", "no letter"),
        ("o", "cuts a word"),
        ("nda and Nis", "cuts a word"),
        ("Honda and Nis", "cuts a word"),
        ("onda and Nissan", "cuts a word"),
    ],
)
def test_a_quote_must_be_words_of_its_source(quote: str, why: str) -> None:
    found = cite_in("Honda and Nissan, at 2.5 %.", quote)
    assert isinstance(found, str) and why in found


_TEXT = 'Honda and Nissan, are"constructive" at 2.5 %.'


@pytest.mark.parametrize(
    "quote",
    [
        "Honda and Nissan",
        "Nissan,",  # punctuation may end it
        '"constructive"',  # or begin it, whatever precedes
        "at 2.5 %",  # digits, with a word
    ],
)
def test_whole_words_are_cited_at_their_span(quote: str) -> None:
    start = _TEXT.index(quote)
    assert cite_in(_TEXT, quote) == (start, start + len(quote))


def test_the_first_occurrence_that_cuts_no_word_is_cited() -> None:
    text = "The cards: a car."
    assert cite_in(text, "car") == (13, 16)
    assert cite_in(text, "not there") is None
