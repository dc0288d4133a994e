"""Indexed reads: on SQLite on the event loop, on PostgreSQL in the thread pool; and every
statement they run finds its rows by an index (app/core/threads.py)."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, event

from app.main import ROUTERS
from tests.helpers import async_client_for, tables_read_in_full

# Each indexed read, by its path, and how to ask it for a row of the seed: the list whose
# first item names the row, and the path filled from that item. A route marked
# ``indexed_read`` but missing here fails the first test: say how to ask it.
INDEXED_READS: dict[str, tuple[str | None, str]] = {
    "/v1/companies/{slug}": (None, "/v1/companies/nissan"),
    "/v1/companies/{slug}/executives": (None, "/v1/companies/nissan/executives"),
    "/v1/companies/{slug}/partnerships": (None, "/v1/companies/nissan/partnerships"),
    "/v1/companies/{slug}/tariff-impacts": (None, "/v1/companies/honda/tariff-impacts"),
    "/v1/companies/{slug}/restructuring-plans": (
        None,
        "/v1/companies/nissan/restructuring-plans",
    ),
    "/v1/companies/{slug}/financial-results": (None, "/v1/companies/nissan/financial-results"),
    "/v1/companies/{slug}/plants": (None, "/v1/companies/honda/plants"),
    "/v1/companies/{slug}/financial-results/{result_id}": (
        "/v1/companies/nissan/financial-results",
        "/v1/companies/nissan/financial-results/{id}",
    ),
    "/v1/companies/{slug}/plants/{plant_id}": (
        "/v1/companies/honda/plants",
        "/v1/companies/honda/plants/{id}",
    ),
    "/v1/executives/{slug}": ("/v1/executives", "/v1/executives/{slug}"),
    "/v1/executives/{slug}/roles/{role_id}": (
        "/v1/companies/nissan/executives",
        "/v1/executives/{executive[slug]}/roles/{role[id]}",
    ),
    "/v1/executives/{slug}/statements": ("/v1/executives", "/v1/executives/{slug}/statements"),
    "/v1/facts/{fact_id}": ("/v1/facts", "/v1/facts/{id}"),
    "/v1/partnerships/{partnership_id}": ("/v1/partnerships", "/v1/partnerships/{id}"),
    "/v1/partnerships/{partnership_id}/statements": (
        "/v1/partnerships",
        "/v1/partnerships/{id}/statements",
    ),
    "/v1/restructuring-plans/{plan_id}": (
        "/v1/restructuring-plans",
        "/v1/restructuring-plans/{id}",
    ),
    "/v1/sources/{id_or_slug}": ("/v1/sources", "/v1/sources/{id}"),
    "/v1/statements/{statement_id}": ("/v1/statements", "/v1/statements/{id}"),
    "/v1/tariffs/{tariff_id}/impacts/{impact_id}": (
        "/v1/companies/honda/tariff-impacts",
        "/v1/tariffs/{tariff[id]}/impacts/{id}",
    ),
}
# Reads whose cost the request's filters decide: never on the loop.
NOT_INDEXED = ["/v1/companies?country=JP", "/v1/facts?company=nissan", "/v1/search?q=Honda"]
AS_OF = {"valid_at": "2025-01-01", "known_at": "2025-11-20"}


def _marked_paths() -> set[str]:
    return {
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and getattr(route.endpoint, "autofacts_indexed_read", False)
    }


def test_every_indexed_read_is_asked_here() -> None:
    assert _marked_paths() == set(INDEXED_READS)


async def _urls(client: httpx.AsyncClient) -> list[str]:
    urls = []
    for listed, template in INDEXED_READS.values():
        if listed is None:
            urls.append(template)
            continue
        answer = await client.get(listed)
        assert answer.status_code == 200, (listed, answer.text)
        first = answer.json()["data"][0]
        urls.append(template.format(**first))
    return urls


# What each URL ran: its statements (SQL, parameters) and the threads that ran them.
Asked = dict[str, tuple[list[tuple[str, Any]], set[int]]]


@pytest.fixture
def asked(seeded_engine: Engine) -> Iterator[Asked]:
    """Each URL (indexed reads, as of now and as of a past date; then the others) with
    the statements it ran and whether each ran on the loop's thread."""
    run: list[tuple[str, Any, int]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        run.append((statement, parameters, threading.get_ident()))

    answers: Asked = {}

    async def scenario() -> None:
        loop_thread = threading.get_ident()
        async with async_client_for(seeded_engine) as client:
            urls = await _urls(client)
            # A source is a document, not a fact: it has no as-of parameters.
            past = [
                f"{url}?{urlencode(AS_OF)}" for url in urls if not url.startswith("/v1/sources/")
            ]
            for url in [*urls, *past, *NOT_INDEXED]:
                run.clear()
                answer = await client.get(url)
                # As of the past date, some of the seed's rows did not exist yet.
                assert answer.status_code in ((200, 404) if url in past else (200,)), url
                assert run, url
                answers[url] = (
                    [(statement, parameters) for statement, parameters, _ in run],
                    {thread == loop_thread for *_, thread in run},
                )

    event.listen(seeded_engine, "before_cursor_execute", record)
    try:
        asyncio.run(scenario())
    finally:
        event.remove(seeded_engine, "before_cursor_execute", record)
    yield answers


def test_indexed_reads_run_on_the_loop_on_sqlite_only(seeded_engine: Engine, asked: Asked) -> None:
    on_sqlite = seeded_engine.dialect.name == "sqlite"
    for url, (_, on_loop) in asked.items():
        assert on_loop == {on_sqlite and url not in NOT_INDEXED}, url


def test_every_statement_of_an_indexed_read_finds_its_rows_by_an_index(
    seeded_engine: Engine, asked: Asked
) -> None:
    """What makes a read short enough for the loop whatever the data: no statement of it
    reads a table from end to end, as of now or as of a date."""
    read_in_full = {}
    for url, (run, _) in asked.items():
        if url in NOT_INDEXED:
            continue
        tables = set().union(*(tables_read_in_full(seeded_engine, *query) for query in run))
        if tables:
            read_in_full[url] = tables
    assert read_in_full == {}
