"""One helper asserting the problem+json shape, used by every error test."""

from typing import Any

import httpx

from app.core.errors import PROBLEM_JSON


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None
) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; ``field`` names the query or
    body field a 422 must point at. Returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"] and body["instance"]
    assert "Traceback" not in response.text
    if field is not None:
        assert any(error["loc"][-1] == field for error in body["errors"]), body
    return body
