"""Searches run in threads of their own, at a lower priority (app/core/threads.py)."""

import asyncio
import os
import threading
import time

import pytest
from sqlalchemy import Engine, event

from app.core.config import Settings, get_settings
from tests.helpers import async_client_for

SEARCH_NICENESS = Settings.model_fields["search_niceness"].default


def test_searches_run_below_normal_priority_by_default() -> None:
    assert SEARCH_NICENESS == 10  # the suite itself runs them at 0 (tests/conftest.py)


def test_searches_held_in_the_database_leave_every_shared_thread_free(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More searches than the shared pool has threads, each held in the database as a slow
    one would be: lookups are answered meanwhile, in threads of normal priority, and the
    searches in threads of lower priority."""
    monkeypatch.setenv("AUTOFACTS_SEARCH_NICENESS", str(SEARCH_NICENESS))
    get_settings.cache_clear()
    released = threading.Event()
    niceness: dict[str, set[int]] = {"search": set(), "other": set()}

    def hold_searches(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        kind = "search" if "search_" in statement else "other"
        niceness[kind].add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        if kind == "search":
            released.wait(10)

    async def scenario() -> None:
        async with async_client_for(seeded_engine) as client:
            searches = [
                asyncio.create_task(client.get("/v1/search", params={"q": word}))
                for word in ["Honda", "Nissan", "tariff", "plant", "Espinosa", "Mibe"][
                    : get_settings().db_threads + 1
                ]
            ]
            await asyncio.sleep(0.3)
            started = time.monotonic()
            lookup = await client.get("/v1/companies/nissan")
            listed = await client.get("/v1/companies", params={"country": "JP"})
            waited = time.monotonic() - started
            assert not any(search.done() for search in searches)
            released.set()
            answers = await asyncio.gather(*searches)
        assert lookup.status_code == 200 and listed.status_code == 200
        assert waited < 2, waited
        assert [answer.status_code for answer in answers] == [200] * len(searches)

    event.listen(seeded_engine, "before_cursor_execute", hold_searches)
    try:
        asyncio.run(scenario())
    finally:
        released.set()
        event.remove(seeded_engine, "before_cursor_execute", hold_searches)
    get_settings.cache_clear()
    assert niceness["search"] == {SEARCH_NICENESS}
    assert niceness["other"] == {os.getpriority(os.PRIO_PROCESS, 0)}
