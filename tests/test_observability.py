"""Request ids in and out, one JSON log line per request, Prometheus metrics, readiness."""

import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.db import make_engine
from app.core.observability import JsonFormatter, RequestIdFilter
from tests.helpers import assert_problem, client_for


class LogLines(logging.Handler):
    """Records formatted exactly as the server's handler formats them, parsed back."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        assert "\n" not in line
        self.lines.append(json.loads(line))

    def with_request_id(self, request_id: str) -> list[dict[str, object]]:
        return [line for line in self.lines if line.get("request_id") == request_id]


@pytest.fixture
def logs() -> Iterator[LogLines]:
    handler = LogLines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _sample(metrics: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in a Prometheus text exposition."""
    for line in metrics.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match[2] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match[3])
    return None


def test_request_id_is_echoed_when_given(client: TestClient) -> None:
    response = client.get("/v1/companies", headers={"X-Request-ID": "abc-123.def"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc-123.def"


def test_request_id_is_generated_when_absent(client: TestClient) -> None:
    first = client.get("/health/live").headers["X-Request-ID"]
    second = client.get("/health/live").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize(
    "given", ["x" * 129, "has space", 'quote"d', "new\tline", "semi,colon", "ünicode"]
)
def test_invalid_request_id_is_replaced(client: TestClient, given: str) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": given.encode()})
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_problem_responses_carry_the_request_id(client: TestClient) -> None:
    for path in ("/v1/companies/no-such-company", "/no/such/path", "/v1/companies?limit=0"):
        response = client.get(path, headers={"X-Request-ID": "problem-1"})
        assert response.status_code >= 400
        assert response.headers["X-Request-ID"] == "problem-1", path


def test_unhandled_error_carries_the_request_id_and_is_logged(
    seeded_engine: Engine, logs: LogLines
) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    with client_for(seeded_engine) as client:
        client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert_problem(response, 500)
    assert response.headers["X-Request-ID"] == "boom-1"
    lines = logs.with_request_id("boom-1")
    error = next(line for line in lines if line["level"] == "ERROR")
    assert "RuntimeError: boom" in str(error["exception"])
    access = [line for line in lines if line["logger"] == "autofacts.access"]
    assert len(access) == 1 and access[0]["status"] == 500


def test_one_json_log_line_per_request(client: TestClient, logs: LogLines) -> None:
    slug = client.get("/v1/companies").json()["data"][0]["slug"]
    client.get(f"/v1/companies/{slug}", headers={"X-Request-ID": "log-line-1"})
    access = [line for line in logs.lines if line["logger"] == "autofacts.access"]
    mine = [line for line in access if line.get("request_id") == "log-line-1"]
    assert len(mine) == 1, access
    line = mine[0]
    assert line["method"] == "GET"
    assert line["route"] == "/v1/companies/{slug}"
    assert line["path"] == f"/v1/companies/{slug}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]
    # Two requests, two lines: nothing else logs at the access logger.
    assert len(access) == 2


def test_unmatched_paths_share_one_route_label(client: TestClient, logs: LogLines) -> None:
    client.get("/random/path/1", headers={"X-Request-ID": "unmatched-1"})
    (line,) = [
        line for line in logs.with_request_id("unmatched-1") if line["logger"] == "autofacts.access"
    ]
    assert line["route"] == "unmatched" and line["status"] == 404


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    labels = {"method": "GET", "route": "/v1/companies/{slug}", "status": "404"}
    before = client.get("/metrics").text
    count = _sample(before, "autofacts_http_requests_total", **labels) or 0
    for slug in ("nobody-1", "nobody-2"):
        assert client.get(f"/v1/companies/{slug}").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    metrics = response.text
    assert _sample(metrics, "autofacts_http_requests_total", **labels) == count + 2
    assert _sample(metrics, "autofacts_http_request_duration_seconds_count", **labels) == count + 2
    assert (
        _sample(metrics, "autofacts_http_request_duration_seconds_bucket", le="+Inf", **labels)
        == count + 2
    )
    assert "nobody-1" not in metrics


def test_metrics_expose_the_database_pool(client: TestClient) -> None:
    metrics = client.get("/metrics").text
    assert _sample(metrics, "autofacts_db_pool_size") is not None
    assert _sample(metrics, "autofacts_db_pool_checked_out") is not None
    overflow = _sample(metrics, "autofacts_db_pool_overflow")
    assert overflow is not None and overflow >= 0


def test_metrics_are_not_in_the_openapi_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_ready_is_a_503_problem_when_the_database_is_unreachable(logs: LogLines) -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
    try:
        with client_for(engine) as unreachable:
            assert unreachable.get("/health/live").status_code == 200
            response = unreachable.get("/health/ready", headers={"X-Request-ID": "ready-1"})
            assert_problem(response, 503)
            assert response.headers["X-Request-ID"] == "ready-1"
            assert response.headers["Retry-After"]
            assert unreachable.get("/health/live").json() == {"status": "ok"}
    finally:
        engine.dispose()
    levels = {line["level"] for line in logs.with_request_id("ready-1")}
    assert "ERROR" in levels  # errors.py's database error, tied to the request
