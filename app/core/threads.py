"""The threads that database work runs in, off the event loop.

Every endpoint that reads or writes is a plain function: FastAPI, and the compiled read
plans of ``app/core/routing.py``, run it in anyio's thread pool, whose size is
``AUTOFACTS_DB_THREADS``. A statement that takes long holds its own thread, never the loop.

A read whose statements each find their rows through an index by a key of the request (a
resource by its key, a page of one parent's children) is marked ``indexed_read``. On
SQLite it runs on the loop: its statements are a few B-tree probes in the worker's own
process, far shorter than the hand-off to a thread and back, and every request, answered
from the response cache or not, then waits in the one queue of the loop, in order. On
PostgreSQL every statement is a round trip, and it runs in the thread pool like any read.
A list whose filters decide how much it reads, and a search, are never marked.

Searches run in threads of their own (``AUTOFACTS_SEARCH_THREADS``), at a lower
scheduling priority (``AUTOFACTS_SEARCH_NICENESS``). A search for a common word costs many
times what a lookup does, and most of that cost is SQLite's (or PostgreSQL's) own work,
which runs without the GIL.
Drawing on the shared threads, a few clients searching at once held all of them and every
other request waited for one. At the same priority, one search thread still took half the
worker's core from the thread that answers everything else. So a lookup's thread gets the
core first, and a search runs in what is left, which on a worker that is not saturated
is all of it. On a host whose every core is busy (other processes at normal priority), a
search waits for them too: AUTOFACTS_SEARCH_NICENESS=0 runs searches at their priority.
"""

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from anyio import to_thread

from app.core.config import get_settings

T = TypeVar("T")
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_IN_SEARCH_THREADS = "autofacts_in_search_threads"
_INDEXED_READ = "autofacts_indexed_read"
# The search threads, with the settings they were made for. Their nice value
# (AUTOFACTS_SEARCH_NICENESS) is raised when each starts: that needs no privilege, and a
# thread never lowers it again, so these threads serve only searches.
_search_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None
_search_pool_lock = threading.Lock()


def size_thread_pool() -> None:
    """Give the running loop's shared thread pool ``AUTOFACTS_DB_THREADS`` threads."""
    to_thread.current_default_thread_limiter().total_tokens = get_settings().db_threads


def in_search_threads(endpoint: Endpoint) -> Endpoint:
    """Run ``endpoint`` in the search threads rather than the shared ones."""
    setattr(endpoint, _IN_SEARCH_THREADS, True)
    return endpoint


def indexed_read(endpoint: Endpoint) -> Endpoint:
    """Run ``endpoint`` on the event loop where the database is SQLite (module docstring):
    each of its statements must find its rows through an index, by a key of the request."""
    setattr(endpoint, _INDEXED_READ, True)
    return endpoint


async def run_endpoint(
    endpoint: Callable[..., T], values: dict[str, Any], *, local_database: bool = False
) -> T:
    """``endpoint(**values)`` in its threads, the request's context variables with it; on
    the loop if it is an ``indexed_read`` and the database is ``local_database`` (SQLite)."""
    if local_database and getattr(endpoint, _INDEXED_READ, False):
        return endpoint(**values)
    call = partial(endpoint, **values)
    if not getattr(endpoint, _IN_SEARCH_THREADS, False):
        return await to_thread.run_sync(call)
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        _search_threads(), partial(context.run, call)
    )


def _search_threads() -> ThreadPoolExecutor:
    global _search_pool
    settings = get_settings()
    wanted = (settings.search_threads, settings.search_niceness)
    with _search_pool_lock:
        if _search_pool is None or _search_pool[0] != wanted:
            if _search_pool is not None:  # other settings (a test's): new threads for them
                _search_pool[1].shutdown(wait=False)
            pool = ThreadPoolExecutor(
                max_workers=wanted[0],
                thread_name_prefix="autofacts-search",
                initializer=partial(_lower_priority, wanted[1]),
            )
            _search_pool = (wanted, pool)
        return _search_pool[1]


def _lower_priority(niceness: int) -> None:
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
