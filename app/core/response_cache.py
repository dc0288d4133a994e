"""Answers to GET requests, kept while the database has not changed since.

A read's answer depends on its request (path, query, ``Accept``, and the host and scheme
its links are built from) and on the database, nothing else. So the answer of a cacheable
route (``ReadRoute`` GETs: ``route.cacheable``) is kept under its request, tagged with the
database's data version (``app/core/data_version.py``) read *before* it was computed, and
given again, without routing, validating, querying or serialising, for as long as the
data version read after a later request arrived is the same. Any commit by anyone changes
the version and empties the cache: a write acknowledged before a request is never missing
from its answer, whichever worker or host wrote it.

It sits inside every other middleware, so a kept answer still gets its request id, access
line, rate limit, CORS, security headers, ETag check (a 304) and cache headers as any
answer does; its ETag is computed once, when it is kept. Bounded by bytes (least recently
used answers go first); ``AUTOFACTS_RESPONSE_CACHE_BYTES=0`` turns it off.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.data_version import DATA_VERSION_STATE
from app.core.etags import body_tag
from app.core.surfaces import is_database_answer

# What an answer costs beyond its bytes: the objects that hold it, its key and headers.
_ENTRY_OVERHEAD = 1024

LOOKUPS = Counter(
    "autofacts_response_cache_lookups",
    "GET requests the response cache looked up, by result: hit, miss, or bypass "
    "(answered without the cache: the data version could not be read, or the request "
    "has two Host or Accept headers).",
    ["result"],
)
_HIT, _MISS, _BYPASS = (LOOKUPS.labels(result) for result in ("hit", "miss", "bypass"))


@dataclass(frozen=True, slots=True)
class _Answer:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: Any  # the route that answered, for the access log and metrics of a hit
    size: int  # what it counts against the cache's bytes: see _size


class ResponseCache:
    """Keep and give again answers to GET requests (module docstring)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # The largest answer kept: one answer never takes more than a quarter of the room.
        self.max_answer_bytes = max_bytes // 4
        self._answers: OrderedDict[Hashable, _Answer] = OrderedDict()
        self._bytes = 0
        self._version: Hashable | None = None
        # A test client may run the app on several loops at once, each in a thread.
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.max_bytes
            or scope["type"] != "http"
            or scope["method"] != "GET"
            # The API's resources and the explorer's pages; docs, health, metrics and static
            # files are not answers from the database.
            or not is_database_answer(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        data_version = getattr(getattr(app, "state", None), "data_version", None)
        if data_version is None or getattr(app, "dependency_overrides", None):
            # Overrides may answer from anything: a test's own rules, not the database.
            await self.app(scope, receive, send)
            return
        key = _key(scope)
        version = None if key is None else await data_version.current()
        if key is None or version is None:
            _BYPASS.inc()
            await self.app(scope, receive, send)
            return
        with self._lock:
            if version != self._version:
                self._clear(version)
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
        if answer is not None:
            _HIT.inc()
            scope["route"] = answer.route
            # New lists: the middlewares outside add to the headers they are given.
            await send({"type": "http.response.start", "status": 200, "headers": [*answer.headers]})
            await send({"type": "http.response.body", "body": answer.body})
            return
        _MISS.inc()
        # What the answer is computed under: a route that keeps work of its own until the
        # data changes reads it here rather than asking the database again.
        scope.setdefault("state", {})[DATA_VERSION_STATE] = version
        await self._answer_and_keep(scope, receive, send, key, version)

    async def _answer_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: Hashable, version: Hashable
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] | None = None

        async def keeping_send(message: Message) -> None:
            nonlocal start, chunks
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_kept_type(message["headers"]):
                    start, chunks = message, []  # the start waits for the body, to be tagged
                    return
                await send(message)
                return
            if chunks is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            assert start is not None
            headers = list(start["headers"])
            # Tagged once, here: the ETag middleware outside takes a tag it finds.
            if not any(name.lower() == b"etag" for name, _ in headers):
                headers.append((b"etag", body_tag(body).encode()))
            kept = tuple(headers)  # before the middlewares outside add to the list
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            route = scope.get("route")
            if getattr(route, "cacheable", False):
                self._keep(key, version, _Answer(kept, body, route, _size(key, kept, body)))

        await self.app(scope, receive, keeping_send)

    def _keep(self, key: Hashable, version: Hashable, answer: _Answer) -> None:
        """Keep ``answer``, computed after ``version`` was read, unless a newer version has
        been read since: then it may hold data from before a commit another request has
        already been answered after."""
        if answer.size > self.max_answer_bytes:
            return
        with self._lock:
            if version != self._version:
                return
            previous = self._answers.pop(key, None)
            if previous is not None:
                self._bytes -= previous.size
            self._answers[key] = answer
            self._bytes += answer.size
            while self._bytes > self.max_bytes:
                _, old = self._answers.popitem(last=False)
                self._bytes -= old.size

    def _clear(self, version: Hashable) -> None:
        self._answers.clear()
        self._bytes = 0
        self._version = version


def _key(scope: Scope) -> Hashable | None:
    """What an answer may depend on besides the database: links are built from the scheme,
    the host (the ``Host`` header, else the server's address) and the root path, lists are
    negotiated on ``Accept``. None for a request with two ``Host`` or ``Accept`` headers:
    which one a route reads is not this function's to guess, so it is never kept."""
    host = accept = None
    for name, value in scope["headers"]:
        if name == b"host":
            if host is not None:
                return None
            host = value
        elif name == b"accept":
            if accept is not None:
                return None
            accept = value
    server = scope.get("server")
    return (
        scope["scheme"],
        host,
        None if server is None else tuple(server),  # a list, from some servers
        scope.get("root_path", ""),
        scope["path"],
        scope["query_string"],
        accept,
    )


def _size(key: Hashable, headers: tuple[tuple[bytes, bytes], ...], body: bytes) -> int:
    """The bytes an answer counts for: its body, headers and key, and the objects holding
    them."""
    return _ENTRY_OVERHEAD + len(body) + sum(len(n) + len(v) for n, v in headers) + len(str(key))


# JSON answers and the explorer's pages (streams, whatever their path, are never kept).
_KEPT_TYPES = (b"application/json", b"text/html")


def _is_kept_type(headers: Any) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower() in _KEPT_TYPES
    return False
