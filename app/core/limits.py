"""Limits on what a request may carry: a cap on body size (larger bodies are a 413 problem,
never read to the end), no control characters in query parameters, and what text the
databases can store at all."""

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import InvalidParameter, domain_error_response, problem_response

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_storable_text(text: str) -> bool:
    """Whether both databases can store ``text``: PostgreSQL refuses NUL, and a lone UTF-16
    surrogate (JSON can spell one, ``\\ud800``) is not UTF-8 at all. Decoding JSON joins
    each surrogate pair into its character, so any surrogate left in decoded text is lone."""
    return "\x00" not in text and not _SURROGATE.search(text)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit.

    An ``HTTPException`` so that FastAPI re-raises it from body parsing (rather than
    calling it a 400) and the app's handler renders it as a problem; the middleware catches
    it too, for readers outside the routes.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _detail(max_bytes))


def _detail(max_bytes: int) -> str:
    return f"The request body is larger than the limit of {max_bytes} bytes."


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413 problem.

    A declared ``Content-Length`` over the limit is refused before the app runs. A body
    without one (chunked) is counted as it is read, and refused as soon as it passes.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Once a response has started there is no status left to change; the server
            # closes the connection, which is all a client streaming too much can expect.
            if not response_started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(Request(scope), 413, _detail(self.max_bytes))
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None


# A control character, raw or percent-encoded, somewhere in a query string: the cheap test
# every request takes; only a query that fails it is decoded to be checked exactly.
_MAYBE_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")
# Tab, line feed and carriage return are ordinary text; the rest never is.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharacterMiddleware:
    """Refuse NUL and other control characters in query parameters with a 422 problem:
    PostgreSQL cannot store or compare NUL, and no real filter value contains one.

    A middleware rather than an app-wide dependency: every request pays for a dependency,
    while this costs one regular-expression scan of the raw query string.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and _MAYBE_CONTROL.search(query):
            name = _parameter_with_control_character(query)
            if name is not None:
                refusal = InvalidParameter(
                    "Query parameters may not contain control characters.", loc=["query", name]
                )
                await domain_error_response(Request(scope), refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _parameter_with_control_character(query: bytes) -> str | None:
    # Decoded as Starlette decodes it for the routes.
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if _CONTROL.search(value):
            return name
    return None


# What the two refusals above leave, as the document states it to clients (and fuzzers):
# query text without control characters; body text without NUL.
QUERY_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
BODY_TEXT_PATTERN = r"^[^\x00]*$"


def document_text_limits(document: dict[str, Any]) -> None:
    """Give every free-text string of the OpenAPI ``document`` (no pattern, enum or format
    of its own) the pattern of what the API takes: query parameters, and the strings of
    request bodies at any depth."""
    schemas = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _limit_text(parameter.get("schema", {}), QUERY_TEXT_PATTERN, schemas, seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _limit_text(media.get("schema", {}), BODY_TEXT_PATTERN, schemas, seen)


def _limit_text(
    schema: dict[str, Any], pattern: str, schemas: dict[str, Any], seen: set[str]
) -> None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen and name in schemas:
            seen.add(name)
            _limit_text(schemas[name], pattern, schemas, seen)
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(schema):
        schema["pattern"] = pattern
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            _limit_text(branch, pattern, schemas, seen)
    for child in schema.get("properties", {}).values():
        _limit_text(child, pattern, schemas, seen)
    if isinstance(schema.get("items"), dict):
        _limit_text(schema["items"], pattern, schemas, seen)
    if isinstance(schema.get("additionalProperties"), dict):
        _limit_text(schema["additionalProperties"], pattern, schemas, seen)
