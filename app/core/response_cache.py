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

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.etags import body_tag

# The API's resources; docs, health and metrics are not answers from the database.
_CACHED_PREFIX = "/v1/"

LOOKUPS = Counter(
    "autofacts_response_cache_lookups",
    "GET requests the response cache looked up, by result: hit, miss, or bypass (the "
    "data version could not be read, so the request was answered without the cache).",
    ["result"],
)
_HIT, _MISS, _BYPASS = (LOOKUPS.labels(result) for result in ("hit", "miss", "bypass"))


@dataclass(frozen=True, slots=True)
class _Answer:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: Any  # the route that answered, for the access log and metrics of a hit


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.max_bytes
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(_CACHED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        data_version = getattr(getattr(app, "state", None), "data_version", None)
        if data_version is None or getattr(app, "dependency_overrides", None):
            # Overrides may answer from anything: a test's own rules, not the database.
            await self.app(scope, receive, send)
            return
        version = await data_version.current()
        if version is None:
            _BYPASS.inc()
            await self.app(scope, receive, send)
            return
        if version != self._version:
            self._clear(version)
        key = _key(scope)
        answer = self._answers.get(key)
        if answer is not None:
            _HIT.inc()
            self._answers.move_to_end(key)
            scope["route"] = answer.route
            # New lists: the middlewares outside add to the headers they are given.
            await send({"type": "http.response.start", "status": 200, "headers": [*answer.headers]})
            await send({"type": "http.response.body", "body": answer.body})
            return
        _MISS.inc()
        await self._answer_and_keep(scope, receive, send, key, version)

    async def _answer_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: Hashable, version: Hashable
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] | None = None

        async def keeping_send(message: Message) -> None:
            nonlocal start, chunks
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_json(message["headers"]):
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
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            route = scope.get("route")
            if getattr(route, "cacheable", False) and version == self._version:
                self._keep(key, _Answer(tuple(headers), body, route))

        await self.app(scope, receive, keeping_send)

    def _keep(self, key: Hashable, answer: _Answer) -> None:
        size = self._size(key, answer)
        if size > self.max_answer_bytes:
            return
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= self._size(key, previous)
        self._answers[key] = answer
        self._bytes += size
        while self._bytes > self.max_bytes:
            old_key, old = self._answers.popitem(last=False)
            self._bytes -= self._size(old_key, old)

    @staticmethod
    def _size(key: Hashable, answer: _Answer) -> int:
        return len(answer.body) + sum(len(n) + len(v) for n, v in answer.headers) + len(str(key))

    def _clear(self, version: Hashable) -> None:
        self._answers.clear()
        self._bytes = 0
        self._version = version


def _key(scope: Scope) -> Hashable:
    """What an answer may depend on besides the database: links are built from the scheme,
    host and root path, lists are negotiated on ``Accept``."""
    host = accept = b""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
        elif name == b"accept":
            accept = value
    return (
        scope["scheme"],
        host,
        scope.get("root_path", ""),
        scope["path"],
        scope["query_string"],
        accept,
    )


def _is_json(headers: Any) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower() == b"application/json"
    return False
