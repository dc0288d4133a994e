#!/usr/bin/env python3
"""The long tail's URL files: thousands of distinct paths per mix, taken from a data set.

    bench/urls.py --database-url URL --datasette-db NAME --out DIR [--seed 1]

Writes, for each mix, ``DIR/<mix>.txt`` (Autofacts' paths, one a line) and
``DIR/<mix>.datasette.txt`` (Datasette's equivalent page for each, line for line), plus
``DIR/detail.floor.txt`` (the floors' route over the same slugs):

- ``detail``: 20,000 random company slugs, ``/v1/companies/{slug}``;
- ``list``: every country by kind (each also unfiltered) by sort by limit 10, 50, 100, plus
  pages 2 to 4 of each 50-row list, their cursors taken by following ``next_cursor``
  through the app itself (in this process, on the same database);
- ``search``: 2,000 distinct words of company names (the few common ones included),
  ``/v1/search?q={word}``;
- ``executives`` and ``facts``: a random company's executives and facts.

Read with SQL through the database URL; a fixed seed, so each run asks for the same URLs
(wrk then picks among them at random, bench/wrk_longtail.lua).
"""

import argparse
import base64
import json
import logging
import os
import random
import re
import sys
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

MIXES = ("detail", "list", "search", "executives", "facts")
DETAILS = 20_000
WORDS = 2_000
LIMITS = (10, 50, 100)
SORTS = ("name", "slug", "id")
CURSOR_PAGES = 3  # pages 2..4 of each 50-row list
_WORD = re.compile(r"[^\W_]+")
# Datasette's tilde encoding of a `_next` value (datasette.utils.tilde_encode).
_TILDE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def write(database_url: str, datasette_db: str, out: Path, seed: int = 1) -> dict[str, int]:
    """Write every mix's files into ``out``; return how many paths each mix has."""
    rng = random.Random(seed)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        companies = [
            (int(i), str(s), str(n))
            for i, s, n in connection.execute(
                text("SELECT id, slug, name FROM company WHERE known_to IS NULL ORDER BY id")
            )
        ]
        countries = sorted(
            str(c)
            for (c,) in connection.execute(
                text("SELECT DISTINCT country FROM company WHERE country IS NOT NULL")
            )
        )
        kinds = sorted(
            str(k) for (k,) in connection.execute(text("SELECT DISTINCT kind FROM company"))
        )
    engine.dispose()
    db = f"/{datasette_db}"
    picked = [companies[rng.randrange(len(companies))] for _ in range(DETAILS)]
    # Distinct slugs where the data set has that many; a tiny one repeats them.
    unique = rng.sample(companies, min(DETAILS, len(companies)))
    slugs = unique if len(unique) == DETAILS else picked
    mixes: dict[str, list[tuple[str, str]]] = {
        "detail": [(f"/v1/companies/{s}", f"{db}/company/{i}.json") for i, s, _ in slugs],
        "executives": [
            (
                f"/v1/companies/{s}/executives",
                f"{db}/executive_role.json?company_id={i}&_nosuggest=1",
            )
            for i, s, _ in _shuffled(rng, companies, DETAILS)
        ],
        "facts": [
            (f"/v1/facts?company={s}", f"{db}/fact.json?company_id={i}&_nosuggest=1")
            for i, s, _ in _shuffled(rng, companies, DETAILS)
        ],
        "search": [
            (
                f"/v1/search?q={urllib.parse.quote(w)}",
                f"{db}/search_document.json?_search={urllib.parse.quote(w)}&_nosuggest=1",
            )
            for w in _words(rng, [n for _, _, n in companies])
        ],
        "list": _lists(database_url, db, countries, kinds),
    }
    out.mkdir(parents=True, exist_ok=True)
    for mix, pairs in mixes.items():
        (out / f"{mix}.txt").write_text("".join(f"{a}\n" for a, _ in pairs))
        (out / f"{mix}.datasette.txt").write_text("".join(f"{d}\n" for _, d in pairs))
    (out / "detail.floor.txt").write_text("".join(f"/floor/{s}\n" for _, s, _ in slugs))
    return {mix: len(pairs) for mix, pairs in mixes.items()}


def _shuffled(rng: random.Random, rows: list[Any], n: int) -> list[Any]:
    return rng.sample(rows, n) if len(rows) >= n else [rng.choice(rows) for _ in range(n)]


def _words(rng: random.Random, names: list[str]) -> list[str]:
    """Up to 2,000 distinct words of the names: every word shared by many names (the
    common ones, which a real tail has too) and, for the rest, a random sample."""
    counts: dict[str, int] = {}
    for name in names:
        for word in _WORD.findall(name.lower()):
            counts[word] = counts.get(word, 0) + 1
    common = sorted(w for w, c in counts.items() if c > 1)
    rare = sorted(w for w, c in counts.items() if c == 1)
    chosen = common[:WORDS] + rng.sample(rare, max(0, min(len(rare), WORDS - len(common))))
    rng.shuffle(chosen)
    return chosen


def _lists(
    database_url: str, db: str, countries: list[str], kinds: list[str]
) -> list[tuple[str, str]]:
    """Every filter, sort and limit, then a few cursor pages of each 50-row list, their
    cursors read from the app's own answers (``next_cursor``), as a client follows them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's note about httpx
        from starlette.testclient import TestClient

    os.environ["AUTOFACTS_DATABASE_URL"] = database_url
    os.environ["AUTOFACTS_RESPONSE_CACHE_BYTES"] = "0"
    os.environ["AUTOFACTS_ACCESS_LOG"] = "false"
    os.environ["AUTOFACTS_LOG_LEVEL"] = "warning"
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from app.main import app

    pairs: list[tuple[str, str]] = []
    with TestClient(app) as client:
        for country in [None, *countries]:
            for kind in [None, *kinds]:
                filters = [("country", country), ("kind", kind)]
                ours = [(k, v) for k, v in filters if v is not None]
                for sort in [s for key in SORTS for s in (key, f"-{key}")]:
                    theirs = [
                        *ours,
                        ("_sort_desc" if sort[0] == "-" else "_sort", sort.lstrip("-")),
                    ]
                    for limit in LIMITS:
                        pairs.append(
                            (
                                _url("/v1/companies", [*ours, ("sort", sort), ("limit", limit)]),
                                _url(
                                    f"{db}/company.json",
                                    [*theirs, ("_size", limit), ("_nosuggest", 1)],
                                ),
                            )
                        )
                    page = [*ours, ("sort", sort), ("limit", 50)]
                    cursor = client.get(_url("/v1/companies", page)).json()["next_cursor"]
                    for _ in range(CURSOR_PAGES):
                        if cursor is None:
                            break
                        mark = [("_next", _next(cursor))]
                        pairs.append(
                            (
                                _url("/v1/companies", [*page, ("cursor", cursor)]),
                                _url(
                                    f"{db}/company.json",
                                    [*theirs, ("_size", 50), ("_nosuggest", 1), *mark],
                                ),
                            )
                        )
                        answer = client.get(_url("/v1/companies", [*page, ("cursor", cursor)]))
                        cursor = answer.raise_for_status().json()["next_cursor"]
    return pairs


def _next(cursor: str) -> str:
    """Datasette's ``_next`` for the page our cursor starts: the same keyset position
    (``sort value,id``, tilde-encoded; the id alone when sorted by id)."""
    sort, key, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if sort.lstrip("-") == "id":
        return str(row_id)
    encoded = "".join(
        chr(b) if b in _TILDE_SAFE else "+" if b == 32 else f"~{b:02X}" for b in str(key).encode()
    )
    return f"{encoded},{row_id}"


def _url(path: str, query: list[tuple[str, Any]]) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}" if query else path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--datasette-db", required=True, help="the SQLite file's stem")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    counts = write(args.database_url, args.datasette_db, args.out, args.seed)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
