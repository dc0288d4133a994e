"""Request bodies over ``max_body_bytes`` are a 413 problem, however they arrive, and never
a 500 or a stack trace."""

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.limits import BodySizeLimitMiddleware
from tests.helpers import assert_problem, client_for

LIMIT = 100
JSON = {"Content-Type": "application/json"}


def _json_of_size(size: int) -> bytes:
    """A JSON object exactly ``size`` bytes long."""
    body = json.dumps({"pad": ""}).encode()
    return json.dumps({"pad": "x" * (size - len(body))}).encode()


@pytest.fixture
def small_client(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with a ``LIMIT``-byte body limit and a ``POST /echo`` that parses JSON."""
    with monkeypatch.context() as patch:
        patch.setenv("AUTOFACTS_MAX_BODY_BYTES", str(LIMIT))
        get_settings.cache_clear()
        test_client = client_for(seeded_engine)
    get_settings.cache_clear()
    app: FastAPI = test_client.app  # type: ignore[assignment]
    app.state.echoed = 0

    @app.post("/echo")
    def echo(payload: dict[str, Any] = Body()) -> dict[str, int]:
        app.state.echoed += 1
        return {"length": len(payload["pad"])}

    with test_client:
        yield test_client


def _assert_413(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    body = assert_problem(response, 413)
    assert f"{LIMIT} bytes" in body["detail"]
    assert body["instance"] == "/echo"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_declared_length_over_the_limit_is_refused_unread(
    small_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = small_client.post("/echo", content=_json_of_size(LIMIT + 1), headers=JSON)
    _assert_413(response, caplog)
    assert small_client.app.state.echoed == 0  # type: ignore[attr-defined]


def test_a_body_exactly_at_the_limit_is_accepted(small_client: TestClient) -> None:
    response = small_client.post("/echo", content=_json_of_size(LIMIT), headers=JSON)
    assert response.status_code == 200, response.text
    assert len(response.request.content) == LIMIT


def test_a_chunked_body_over_the_limit_is_refused(
    small_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = _json_of_size(LIMIT + 1)
    chunks = (body[i : i + 10] for i in range(0, len(body), 10))
    response = small_client.post("/echo", content=chunks, headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    _assert_413(response, caplog)


def test_a_chunked_body_within_the_limit_is_accepted(small_client: TestClient) -> None:
    body = _json_of_size(LIMIT)
    chunks = (body[i : i + 10] for i in range(0, LIMIT, 10))
    response = small_client.post("/echo", content=chunks, headers=JSON)
    assert response.status_code == 200, response.text


def _send_in_chunks(
    app: Any, path: str, chunk: bytes, chunks: int
) -> tuple[int, int, list[Message]]:
    """POST ``chunks`` copies of ``chunk`` without a Content-Length, straight over ASGI;
    returns how many chunks the app read, the status, and what it sent."""
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        if read == chunks:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return read, sent[0]["status"], sent


def test_reading_stops_as_soon_as_the_stream_passes_the_limit(
    small_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    read, status, sent = _send_in_chunks(small_client.app, "/echo", b" " * 40, chunks=100)
    assert status == 413
    assert read == 3  # 120 bytes > 100: the other 97 chunks are never read
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["status"] == 413 and body["instance"] == "/echo"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_default_limit_comes_from_settings(client: TestClient) -> None:
    limit = get_settings().max_body_bytes
    response = client.post("/v1/companies", content=b"x" * (limit + 1))
    assert_problem(response, 413)


# -- the middleware alone, with readers no exception handler covers ----------------------------


async def _read_all(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


async def _answer_then_read(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"started", "more_body": True})
    await Request(scope, receive).body()
    await send({"type": "http.response.body", "body": b"never"})


def test_the_middleware_answers_413_itself_when_nothing_else_does() -> None:
    limited = BodySizeLimitMiddleware(_read_all, max_bytes=LIMIT)
    read, status, sent = _send_in_chunks(limited, "/raw", b" " * 40, chunks=10)
    assert (read, status) == (3, 413)
    assert dict(sent[0]["headers"])[b"content-type"] == b"application/problem+json"
    test_client = TestClient(limited)  # not entered: these raw apps have no lifespan
    assert test_client.post("/raw", content=b" " * LIMIT).text == str(LIMIT)
    assert_problem(test_client.post("/raw", content=b" " * (LIMIT + 1)), 413)


def test_a_response_already_started_is_left_to_end_without_an_error() -> None:
    limited = BodySizeLimitMiddleware(_answer_then_read, max_bytes=LIMIT)
    read, status, sent = _send_in_chunks(limited, "/raw", b" " * 40, chunks=10)
    assert (read, status) == (3, 200)
    assert [m.get("body") for m in sent[1:]] == [b"started"]
