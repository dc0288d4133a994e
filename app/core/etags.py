"""Strong ETags, conditional GETs (``If-None-Match`` → 304) and guarded writes (``If-Match``).

Detail routes tag a resource with ``etag_of(model)``, and write routes check ``If-Match``
against the same ``etag_of``, so a tag read from a GET is exactly the tag a PATCH expects.
Every other JSON GET (lists, search, facts) is tagged by ``EtagMiddleware`` from its body.
"""

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PreconditionFailed
from app.core.surfaces import is_page

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. A comma may sit inside the
# quotes, so lists are tokenised with this rather than split on commas.
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')
_CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
# Representation metadata a 304 must not carry (RFC 9110 §15.4.5): the body is absent.
_DROPPED_ON_304 = frozenset(
    {b"content-type", b"content-length", b"content-encoding", b"content-language"}
)


def body_tag(body: bytes) -> str:
    """The strong ETag of a response body: the tag this middleware gives a JSON answer."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_of(model: BaseModel) -> str:
    """The strong ETag of ``model``: a hash of the JSON a write route would return."""
    return body_tag(model.model_dump_json(exclude_unset=True).encode())


def _parse(header: str) -> list[tuple[bool, str]]:
    """The ``(weak, opaque-tag)`` pairs of an ``If-Match``/``If-None-Match`` list."""
    return [(bool(weak), opaque) for weak, opaque in _ENTITY_TAG.findall(header)]


def _split(etag: str) -> tuple[bool, str]:
    parsed = _parse(etag)
    return parsed[0] if parsed else (False, etag)


def _matches_weakly(header: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``If-None-Match`` compares weakly (``W/`` is ignored)."""
    if header.strip() == "*":
        return True
    _, current = _split(etag)
    return any(opaque == current for _, opaque in _parse(header))


def require_if_match(if_match: str | None, current: str) -> None:
    """Raise ``PreconditionFailed`` unless ``If-Match`` is absent, ``*``, or lists ``current``.

    RFC 9110 §13.1.1 compares strongly: a weak tag never matches, even with equal opaque tags.
    """
    if if_match is None or if_match.strip() == "*":
        return
    current_weak, current_tag = _split(current)
    if not current_weak and any(not weak and tag == current_tag for weak, tag in _parse(if_match)):
        return
    raise PreconditionFailed(
        "The resource has changed since the ETag in If-Match was read; "
        "GET it again and retry with its new ETag."
    )


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_tagged(media_type: str, path: str) -> bool:
    # Streamed exports (application/x-ndjson, text/csv) are not JSON and pass untouched;
    # the explorer's pages are tagged as the JSON they are drawn from.
    return media_type == "application/json" or (media_type == "text/html" and is_page(path))


def _add_vary(headers: MutableHeaders, field: str) -> None:
    present = [v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()]
    if "*" not in present and field.lower() not in present:
        headers.add_vary_header(field)


class EtagMiddleware:
    """Tag, cache-mark and revalidate JSON GET responses.

    A 200 ``application/json`` answer to GET or HEAD (or an explorer page's ``text/html``)
    is buffered; it gets an ``ETag`` (the
    route's own if it set one, else a hash of the body), ``Cache-Control`` (unless the route
    chose one) and ``Vary: Accept`` (lists negotiate NDJSON/CSV on ``Accept``). When
    ``If-None-Match`` matches, the answer is a bodiless 304 with the same validators.
    Error answers to GET are marked ``no-store``. Everything else, streams included, passes
    through untouched and unbuffered.
    """

    def __init__(self, app: ASGIApp, *, max_age: int) -> None:
        self.app = app
        self.cache_control = f"public, max-age={max_age}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _CACHEABLE_METHODS:
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        path = scope.get("path", "")
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_wrapper(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                status = message["status"]
                if status == 200 and _is_tagged(_media_type(headers), path):
                    start = message  # held back until the whole body is in
                    return
                if status >= 400 and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_buffered(send, start, b"".join(chunks), if_none_match)
            else:
                await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _send_buffered(
        self, send: Send, start: Message, body: bytes, if_none_match: str | None
    ) -> None:
        headers = MutableHeaders(raw=start["headers"])
        etag = headers.get("etag")
        if etag is None and body:
            # An empty body is a HEAD answer with no route-set tag: nothing honest to hash.
            etag = headers["ETag"] = body_tag(body)
        if "cache-control" not in headers:
            headers["Cache-Control"] = self.cache_control
        _add_vary(headers, "Accept")
        if etag is not None and if_none_match is not None and _matches_weakly(if_none_match, etag):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": _without(headers.raw, _DROPPED_ON_304),
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _without(
    raw: Iterable[tuple[bytes, bytes]], names: frozenset[bytes]
) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in raw if name.lower() not in names]


_ETAG_HEADER = {
    "description": "The strong ETag of this answer: send it as `If-None-Match` to be "
    "answered 304 while it is unchanged, or as `If-Match` to guard a write. Every JSON "
    "answer carries one (NDJSON and CSV streams do not).",
    "schema": {"type": "string", "examples": ['"1f2e3d4c5b6a79880716253443526170"']},
}


def document_etags(schema: dict[str, Any]) -> None:
    """Declare, on every GET of an OpenAPI document, the ``ETag`` of its 200 and the 304
    that answers a matching ``If-None-Match``: a generated client that sends one must know
    a bodiless 304 is an answer, not an unexpected status."""
    for item in schema.get("paths", {}).values():
        operation = item.get("get")
        if operation is None or "200" not in operation.get("responses", {}):
            continue
        responses = operation["responses"]
        responses["200"].setdefault("headers", {})["ETag"] = _ETAG_HEADER
        responses["304"] = {
            "description": "Not Modified: `If-None-Match` names the answer's current ETag. "
            "No body; the ETag and Cache-Control are sent again.",
            "headers": {"ETag": _ETAG_HEADER},
        }
