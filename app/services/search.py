"""Full-text search across every resource, behind one function per concern.

SQLite uses an FTS5 table over ``search_document``; PostgreSQL a weighted ``tsvector``
column with a GIN index. Both are created by migrations. User input never reaches either
query language as syntax: it is cut into words, each word is quoted, and the words are
AND-ed (the last one as a prefix, so "Espin" finds Espinosa; on SQLite, not when the
words as typed already match ``RANK_WINDOW`` documents: see ``_fills_a_window``). The
newest ``RANK_WINDOW`` matches are ranked, so that a word found in most documents costs no
more than a rare one.
"""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from app.core.db import is_sqlite
from app.core.errors import InvalidParameter
from app.core.pagination import Page, PageParams, decode_cursor, encode_cursor
from app.core.temporal import AsOf
from app.models.search import DocumentType, SearchHit
from app.services.search_listed import listed_condition, may_be_listed, with_validity

MAX_TERMS = 16
# How many matching documents, newest first, a search ranks. Ranking reads every document
# it scores: unbounded, a common word's cost would grow with the whole collection.
RANK_WINDOW = 1000
# PostgreSQL looks for the window among this many newest documents first (see _rank).
RECENT_ROWS = 20 * RANK_WINDOW
# PostgreSQL's snippets: how much text around a match ts_headline reads (see _hits).
SNIPPET_LEAD, SNIPPET_WINDOW = 120, 480
_WORD = re.compile(r"[^\W_]+")
# Private-use characters mark matches inside snippets, so that the text around them can
# be HTML-escaped before the marks become <mark> tags.
_OPEN, _CLOSE = "\ue000", "\ue001"

URLS = {
    DocumentType.company: "/v1/companies/{key}",
    DocumentType.executive: "/v1/executives/{key}",
    DocumentType.partnership: "/v1/partnerships/{key}",
    DocumentType.tariff: "/v1/tariffs/{key}",
    DocumentType.restructuring_plan: "/v1/restructuring-plans/{key}",
    DocumentType.plant: "/v1/companies/{key}/plants",
    DocumentType.source: "/v1/sources/{key}",
    DocumentType.statement: "/v1/statements/{key}",
}


def search_terms(q: str) -> list[str]:
    """The words of ``q``; none for a query of punctuation and operators only, which any
    string the document allows may be, so it finds nothing rather than being refused."""
    return _WORD.findall(q.lower())[:MAX_TERMS]


@dataclass(frozen=True)
class _Ranked:
    id: int
    score: float
    # SQLite: found in the index of closed documents (``search_fts_past``).
    past: bool = False


def search(
    *,
    session: Session,
    q: str,
    doc_type: DocumentType | None,
    page: PageParams,
    as_of: AsOf | None = None,
) -> Page[SearchHit]:
    """Ranked hits, best first; the cursor holds the last hit's score and id. With
    ``as_of.as_of`` the documents recorded at that instant, with ``as_of.known_at`` those
    of resources reported by that day, with ``as_of.valid_at`` those of resources their
    own lists would list on that day, each hit saying its ``validity`` as they do (see
    search_listed.py)."""
    as_of = as_of or AsOf()
    terms = search_terms(q)
    after: tuple[float, int] | None = None
    if page.cursor is not None:
        kind, score, last_id = decode_cursor(page.cursor)
        if kind != "search" or not isinstance(score, int | float):
            raise InvalidParameter("The cursor is not valid.", loc=["query", "cursor"])
        after = (float(score), last_id)
    if not terms or not may_be_listed(doc_type, as_of):
        return Page(data=[], next_cursor=None)
    match = _match_expression(session, terms)
    ranked = _rank(session, match, doc_type, as_of, after, page.limit + 1)
    next_cursor = None
    if len(ranked) > page.limit:
        ranked = ranked[: page.limit]
        next_cursor = encode_cursor(["search", ranked[-1].score, ranked[-1].id])
    hits = _hits(session, terms, match, ranked)
    if as_of.valid_at is not None:
        hits = with_validity(session, hits, as_of)
    return Page(data=hits, next_cursor=next_cursor)


def _rank(
    session: Session,
    match: str,
    doc_type: DocumentType | None,
    as_of: AsOf,
    after: tuple[float, int] | None,
    limit: int,
) -> list[_Ranked]:
    # The newest RANK_WINDOW matching documents (of the asked type) are ranked, not every
    # match: ranking costs per document, and a common word matches most of them.
    filters = "" if doc_type is None else " AND d.doc_type = :doc_type"
    if as_of.known_at is not None:
        filters += " AND d.known_from <= :known_at"
    # A document open at as_of: recorded by then, not closed by then.
    opened = " AND d.recorded_from <= :as_of"
    closed_after = " AND d.recorded_to > :as_of"
    prelude = ""
    if is_sqlite(session) and as_of.as_of is not None:
        # Current documents are in search_fts, closed ones in search_fts_past (see the
        # migration search_history): those open at as_of from each, looked up in the
        # documents' table for their recorded time.
        matches = " UNION ALL ".join(
            f"SELECT * FROM (SELECT f.rowid AS id, -bm25({fts}, 5.0, 1.0) AS score, "
            f"{past} AS past FROM {fts} AS f JOIN search_document AS d ON d.id = f.rowid "
            f"WHERE {fts} MATCH :match{opened}{closed_after if past else ''}{filters} "
            "ORDER BY f.rowid DESC LIMIT :window)"
            for fts, past in (("search_fts", 0), ("search_fts_past", 1))
        )
        matches = f"SELECT * FROM ({matches}) ORDER BY id DESC LIMIT :window"
    elif is_sqlite(session):
        # search_fts holds the current documents only. The documents' table only when a
        # filter reads it: looking each match up in it was most of what a search of many
        # matches cost.
        documents = "" if not filters else " JOIN search_document AS d ON d.id = f.rowid"
        matches = (
            "SELECT f.rowid AS id, -bm25(search_fts, 5.0, 1.0) AS score, 0 AS past "
            f"FROM search_fts AS f{documents} "
            f"WHERE search_fts MATCH :match{filters} "
            "ORDER BY f.rowid DESC LIMIT :window"
        )
    elif as_of.as_of is not None:
        # The documents open at as_of, by bitmap: a past instant is asked for rarely, and
        # its documents are not the newest ones.
        matches = (
            "SELECT w.id, ts_rank_cd(w.tsv, to_tsquery('english', :match), 1)::float8 AS score, "
            "0 AS past FROM (SELECT d.id, d.tsv FROM search_document AS d "
            f"WHERE d.tsv @@ to_tsquery('english', :match){opened} "
            f"AND (d.recorded_to IS NULL{closed_after.replace(' AND', ' OR')}){filters} "
            "ORDER BY d.id DESC LIMIT :window) AS w"
        )
    else:
        # The window in two parts, so that neither of PostgreSQL's plans for "the newest
        # matches" meets the words it is slow for. Its choice between them follows
        # estimates that cannot see where the matches lie: walking ids backwards may pass
        # most of the table before a rare word's matches, and a bitmap of a common word
        # reads every one of its matches. So: the newest
        # matches among the newest RECENT_ROWS documents (a walk or a bitmap, each bounded
        # by that range), and only if they are fewer than the window, the rest from the
        # older documents by bitmap alone (``id + 0`` is no key order to walk): then the
        # word is rare, and its matches few. Each part is bounded, whatever the word.
        # Closed documents (kept for as_of) are left out of both.
        floor = "(SELECT max(id) - :recent_rows FROM search_document)"
        filters = f" AND d.recorded_to IS NULL{filters}"
        matches = (
            "SELECT w.id, ts_rank_cd(w.tsv, to_tsquery('english', :match), 1)::float8 AS score, "
            "0 AS past FROM (SELECT * FROM recent UNION ALL SELECT * FROM older) AS w"
        )
        prelude = (
            "WITH recent AS (SELECT d.id, d.tsv FROM search_document AS d "
            f"WHERE d.tsv @@ to_tsquery('english', :match) AND d.id > {floor}{filters} "
            "ORDER BY d.id DESC LIMIT :window), "
            "older AS (SELECT d.id, d.tsv FROM search_document AS d "
            f"WHERE d.tsv @@ to_tsquery('english', :match) AND d.id + 0 <= {floor}"
            f"{filters} "
            "ORDER BY d.id + 0 DESC LIMIT :window - (SELECT count(*) FROM recent)) "
        )
    conditions = ["1 = 1"]
    listed_params: dict[str, Any] = {}
    if as_of.valid_at is not None:
        # Of the window, those listed on valid_at: each is a few indexed lookups. Looking
        # for a window of listed documents instead would read every match of a common word
        # when few of the newest are listed then (seconds, on a million facts).
        listed, listed_params = listed_condition(session, doc_type, as_of)
        conditions.append(
            f"EXISTS (SELECT 1 FROM search_document AS d WHERE d.id = m.id AND ({listed}))"
        )
    params: dict[str, object] = {
        "match": match,
        "limit": limit,
        "window": RANK_WINDOW,
        **listed_params,
    }
    if prelude:
        params["recent_rows"] = RECENT_ROWS
    if doc_type is not None:
        params["doc_type"] = doc_type.value
    if after is not None:
        conditions.append("(m.score < :score OR (m.score = :score AND m.id > :last_id))")
        params["score"], params["last_id"] = after
    # The conditions are ours; the user's words are bound.
    statement = text(
        f"{prelude}SELECT m.id, m.score, m.past FROM ({matches}) AS m "
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY m.score DESC, m.id LIMIT :limit"
    )
    for name in ("valid_at", "known_at"):
        if (day := getattr(as_of, name)) is not None:
            statement = statement.bindparams(bindparam(name, day, type_=Date))
    if as_of.as_of is not None:
        statement = statement.bindparams(bindparam("as_of", as_of.as_of, type_=UTCDateTime()))
    with _planned_for_its_words(session):
        rows = session.execute(statement, params).all()
    return [_Ranked(id=row.id, score=float(row.score), past=bool(row.past)) for row in rows]


@contextmanager
def _planned_for_its_words(session: Session) -> Iterator[None]:
    """Have PostgreSQL plan the statement for the words it is run with. psycopg prepares a
    statement run five times, and PostgreSQL may then keep one plan for any words: after
    rare words, a bitmap scan of every match, which for a common word reads all of its
    matches where a backward walk of the newest ids stops after the first few."""
    if is_sqlite(session):
        yield
        return
    driver = session.connection().connection.driver_connection
    threshold = driver.prepare_threshold  # type: ignore[union-attr]
    driver.prepare_threshold = None  # type: ignore[union-attr]
    try:
        yield
    finally:
        driver.prepare_threshold = threshold  # type: ignore[union-attr]


def _match_expression(session: Session, terms: list[str]) -> str:
    """The words as the database's query language, quoted so none is an operator, the
    last as a prefix; on SQLite, not when the words as typed already match a window of
    documents (see ``_fills_a_window``)."""
    if is_sqlite(session):
        typed = " ".join(f'"{t}"' for t in terms)
        if _fills_a_window(session, typed):
            return typed
        return " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
    return " & ".join([*terms[:-1], f"{terms[-1]}:*"])


def _fills_a_window(session: Session, typed: str) -> bool:
    """Whether the words as typed match at least ``RANK_WINDOW`` current documents.

    FTS5 reads a word's matches from the newest and stops at the window, but a prefix's
    it merges whole, every word starting with it, before the first is returned; and
    bm25() counts them all again, and the snippets' pass once more: for a word most
    documents hold, that is most of the index, three times over. A last word that fills
    the window as typed is a whole word, a common one: its matches alone are
    ranked, without the words that merely start with it ("carbon" for "car"); a word
    typed in part matches fewer documents as typed, and stays a prefix. This asks for
    the window's matches of the words as typed, no more."""
    found = session.execute(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM search_fts "
            "WHERE search_fts MATCH :typed LIMIT :window)"
        ),
        {"typed": typed, "window": RANK_WINDOW},
    ).scalar_one()
    return bool(found >= RANK_WINDOW)


def _hits(session: Session, terms: list[str], match: str, ranked: list[_Ranked]) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [r.id for r in ranked]
    params: dict[str, object] = {
        "match": match,
        "ids": ids,
        "open": _OPEN,
        "close": _CLOSE,
    }
    rows: dict[int, Any] = {}
    if is_sqlite(session):
        # One pass of the match over the hits' id range: with ``rowid IN`` as an FTS5
        # constraint, SQLite would run the whole match (a costly prefix merge for a common
        # word) once per hit. The unary ``+`` keeps IN a plain filter. Each hit from the
        # index it was found in: closed documents (as_of) are in search_fts_past.
        for fts, past in (("search_fts", False), ("search_fts_past", True)):
            found = [r.id for r in ranked if r.past is past]
            if not found:
                continue
            statement = text(
                "SELECT d.id, d.doc_type, d.doc_id, d.key, d.title, "
                f"snippet({fts}, -1, :open, :close, '…', 24) AS snippet "
                f"FROM {fts} JOIN search_document AS d ON d.id = {fts}.rowid "
                f"WHERE {fts} MATCH :match AND {fts}.rowid BETWEEN :low AND :high "
                f"AND +{fts}.rowid IN :ids"
            ).bindparams(bindparam("ids", expanding=True))
            bounds = {"low": min(found), "high": max(found), "ids": found}
            rows.update((row.id, row) for row in session.execute(statement, params | bounds))
    else:
        # ts_headline parses all the text it is given, so a whole article per hit would
        # make a page's cost grow with its articles' length. It is given the stretch of
        # text around the first place where one of the query's stems begins a word
        # (SNIPPET_WINDOW characters, from the word boundary before SNIPPET_LEAD of them),
        # which holds the 30 words it picks; a stem ending in "i" also begins a word in
        # "y" ("batteri" of "battery"). Where no stem
        # begins a word (a match in the title only), or the stretch holds no match after
        # all (a stem that is not its word's beginning: "price" of "pricing"; a word that
        # only starts like one: "plant" of "plantation"), the whole text, as before.
        params["words"] = " ".join(terms)
        params["lead"], params["window"] = SNIPPET_LEAD, SNIPPET_WINDOW
        options = (
            "'StartSel=' || :open || ', StopSel=' || :close || ', MaxWords=30, MinWords=10, "
            "MaxFragments=1'"
        )
        statement = text(
            "SELECT d.id, d.doc_type, d.doc_id, d.key, d.title, "
            "CASE WHEN w.whole OR strpos(h.snippet, :open) > 0 THEN h.snippet "
            f"ELSE ts_headline('english', d.body, q.query, {options}) END AS snippet "
            "FROM search_document AS d "
            "CROSS JOIN (SELECT to_tsquery('english', :match) AS query, "
            "'\\m(' || array_to_string(array(SELECT regexp_replace(stem, 'i$', '[iy]') "
            "FROM unnest(tsvector_to_array(to_tsvector('english', :words))) AS stem), '|') "
            "|| ')' AS stems) AS q "
            "CROSS JOIN LATERAL (SELECT coalesce(regexp_instr(d.body, q.stems, 1, 1, 0, 'i'), 0) "
            "AS at) AS p "
            "CROSS JOIN LATERAL (SELECT p.at = 0 AS whole, CASE "
            "WHEN p.at > :lead THEN regexp_replace(substr(d.body, p.at - :lead, :window), "
            "'^\\S*\\s+', '') "
            "WHEN p.at > 0 THEN substr(d.body, 1, :window) "
            "ELSE d.body END AS text) AS w "
            # OFFSET 0 keeps PostgreSQL from copying the headline into each place the CASE
            # reads it, which computed it twice.
            f"CROSS JOIN LATERAL (SELECT ts_headline('english', w.text, q.query, {options}) "
            "AS snippet OFFSET 0) AS h "
            "WHERE d.id IN :ids"
        )
        statement = statement.bindparams(bindparam("ids", expanding=True))
        rows = {row.id: row for row in session.execute(statement, params)}
    hits = []
    for ranked_hit in ranked:
        row = rows.get(ranked_hit.id)
        if row is None:
            continue  # its document went between the ranking and this statement
        doc_type = DocumentType(row.doc_type)
        hits.append(
            SearchHit(
                type=doc_type,
                id=row.doc_id,
                key=row.key,
                title=row.title,
                snippet=_highlight(row.snippet),
                url=URLS[doc_type].format(key=row.key),
                score=round(ranked_hit.score, 6),
            )
        )
    return hits


def _highlight(snippet: str) -> str:
    return html.escape(snippet, quote=False).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
