"""Rate limits and security headers: counted per client, shared through Redis, never a 500."""

import logging
import re
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import get_settings
from app.core.security_headers import API_CSP, DOCS_CSP, REDOC_CSP
from app.services.api_keys import create_api_key
from tests.helpers import assert_problem, client_for, count_queries

REDIS_URL = "redis://127.0.0.1:6379"
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_with(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """A factory of clients on the seeded database under extra ``AUTOFACTS_*`` settings."""
    clients: list[TestClient] = []

    def make(**settings: str) -> TestClient:
        for name, value in settings.items():
            monkeypatch.setenv(f"AUTOFACTS_{name.upper()}", value)
        get_settings.cache_clear()
        client = client_for(seeded_engine)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    monkeypatch.undo()
    get_settings.cache_clear()


def limits_of(response: object) -> tuple[int, int, int]:
    headers = response.headers  # type: ignore[attr-defined]
    return (
        int(headers["RateLimit-Limit"]),
        int(headers["RateLimit-Remaining"]),
        int(headers["RateLimit-Reset"]),
    )


# -- rate limits -------------------------------------------------------------------------------


def test_headers_count_down_then_429_with_retry_after(client_with: ClientFactory) -> None:
    client = client_with(rate_limit="5/minute")
    remaining = []
    for _ in range(5):
        response = client.get("/v1/companies")
        assert response.status_code == 200
        limit, left, reset = limits_of(response)
        assert limit == 5
        assert 0 <= reset <= 60
        remaining.append(left)
    assert remaining == [4, 3, 2, 1, 0]
    assert client.get("/v1/companies").headers["RateLimit-Policy"] == "5;w=60"

    refused = client.get("/v1/companies/toyota")
    body = assert_problem(refused, 429)
    assert body["instance"] == "/v1/companies/toyota"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert limits_of(refused)[:2] == (5, 0)


def live_keys(engine: Engine, *names: str) -> list[dict[str, str]]:
    """The Authorization headers of new live keys, named uniquely on the shared database."""
    run = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        return [
            {"Authorization": f"Bearer {create_api_key(session=session, name=f'{n}-{run}')}"}
            for n in names
        ]


def test_writes_have_their_own_limit_per_api_key(
    client_with: ClientFactory, seeded_engine: Engine
) -> None:
    client = client_with(rate_limit="100/minute", write_rate_limit="2/minute")
    alice, bob = live_keys(seeded_engine, "alice", "bob")
    for _ in range(2):
        response = client.post("/v1/companies", json={}, headers=alice)
        assert response.status_code == 422  # the key is good, the body is not
        assert limits_of(response)[:1] == (2,)
    assert_problem(client.post("/v1/companies", json={}, headers=alice), 429)
    # Another key has a budget of its own; reads are untouched by the writes.
    assert client.post("/v1/companies", json={}, headers=bob).status_code == 422
    read = client.get("/v1/companies")
    assert read.status_code == 200
    assert limits_of(read)[:2] == (100, 99)


def test_a_forged_key_spends_its_ip_budget_not_the_keys(
    client_with: ClientFactory, seeded_engine: Engine
) -> None:
    """Only a verified key is counted as itself: anyone can read a key's public prefix (it
    is in the logs, on the curator's screen), and a forged secret under it must not spend
    the real key's budget."""
    client = client_with(write_rate_limit="2/minute")
    (real,) = live_keys(seeded_engine, "real")
    prefix = real["Authorization"].split("_")[1]
    forged = {"Authorization": f"Bearer af_{prefix}_not-the-secret"}
    for remaining in (1, 0):
        response = client.post("/v1/companies", json={}, headers=forged)
        assert_problem(response, 401)
        assert limits_of(response)[1] == remaining
    assert_problem(client.post("/v1/companies", json={}, headers=forged), 429)
    # Keyless writes from that address share the exhausted budget of its invalid keys.
    assert_problem(client.delete("/v1/companies/toyota"), 429)
    # The real key's budget is whole.
    response = client.post("/v1/companies", json={}, headers=real)
    assert response.status_code == 422
    assert limits_of(response)[1] == 1


def test_a_writes_key_is_looked_up_once(client_with: ClientFactory, seeded_engine: Engine) -> None:
    """The limiter verifies the key and ``require_writer`` takes its word for it."""
    client = client_with(write_rate_limit="100/minute")
    (key,) = live_keys(seeded_engine, "once")
    with count_queries(seeded_engine) as statements:
        assert client.post("/v1/companies", json={}, headers=key).status_code == 422
    assert len([s for s in statements if "api_key" in s]) == 1, statements
    # With the write limit off, the dependency verifies the key itself, also once.
    unlimited = client_with(write_rate_limit="")
    with count_queries(seeded_engine) as statements:
        assert unlimited.post("/v1/companies", json={}, headers=key).status_code == 422
    assert len([s for s in statements if "api_key" in s]) == 1, statements


def test_without_a_key_writes_count_per_ip(client_with: ClientFactory) -> None:
    client = client_with(write_rate_limit="1/minute")
    assert client.delete("/v1/companies/toyota").status_code == 401
    assert_problem(client.delete("/v1/companies/toyota"), 429)
    # The read limit is off: reads carry no headers and are never refused.
    assert "RateLimit-Limit" not in client.get("/v1/companies").headers


def test_health_and_metrics_are_exempt(client_with: ClientFactory) -> None:
    client = client_with(rate_limit="1/minute")
    for _ in range(3):
        for path in ("/health/live", "/health/ready", "/metrics"):
            response = client.get(path)
            assert response.status_code != 429, path
            assert "RateLimit-Limit" not in response.headers
    assert client.get("/v1/companies").status_code == 200
    assert client.get("/v1/companies").status_code == 429


def test_empty_limits_turn_it_off(client_with: ClientFactory) -> None:
    client = client_with(rate_limit="", write_rate_limit="")
    for _ in range(50):
        response = client.get("/v1/companies")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers


def test_forwarded_for_is_trusted_only_when_configured(client_with: ClientFactory) -> None:
    ignored = client_with(rate_limit="1/minute")
    assert ignored.get("/v1/tariffs", headers={"X-Forwarded-For": "192.0.2.1"}).is_success
    assert ignored.get("/v1/tariffs", headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 429

    trusted = client_with(rate_limit="1/minute", proxy_hops="1")
    # The entry our one proxy appended (rightmost) decides; the client's own claims do not.
    first = {"X-Forwarded-For": "203.0.113.9, 192.0.2.1"}
    second = {"X-Forwarded-For": "203.0.113.9, 192.0.2.2"}
    assert trusted.get("/v1/tariffs", headers=first).is_success
    assert trusted.get("/v1/tariffs", headers=second).is_success
    assert trusted.get("/v1/tariffs", headers=first).status_code == 429


def test_redis_storage_is_shared_by_workers(client_with: ClientFactory) -> None:
    server = redis.Redis.from_url(REDIS_URL)
    server.ping()  # Redis runs here: unreachable is a failure, not a skip.
    prefix = f"autofacts-test-{uuid.uuid4().hex}"
    settings = {"rate_limit": "3/minute", "rate_limit_storage": REDIS_URL}
    try:
        worker_1 = client_with(**settings, rate_limit_key_prefix=prefix)
        worker_2 = client_with(**settings, rate_limit_key_prefix=prefix)
        assert [limits_of(worker_1.get("/v1/companies"))[1] for _ in range(2)] == [2, 1]
        # A second app (another worker or host) sees the same count.
        assert limits_of(worker_2.get("/v1/companies"))[1] == 0
        assert_problem(worker_1.get("/v1/companies"), 429)
        assert server.keys(f"{prefix}*")
    finally:
        for key in server.scan_iter(f"{prefix}*"):
            server.delete(key)


def test_unreachable_storage_fails_open(
    client_with: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    client = client_with(rate_limit="1/minute", rate_limit_storage="redis://127.0.0.1:1")
    with caplog.at_level(logging.WARNING, logger="app.core.ratelimit"):
        for _ in range(3):
            response = client.get("/v1/companies")
            assert response.status_code == 200
            assert "RateLimit-Limit" not in response.headers
    warnings = [r for r in caplog.records if r.name == "app.core.ratelimit"]
    assert len(warnings) == 1  # once, not once per request
    assert "unreachable" in warnings[0].getMessage()


def test_a_malformed_limit_stops_start_up(client_with: ClientFactory) -> None:
    with pytest.raises(ValueError):
        client_with(rate_limit="lots")


# -- security headers --------------------------------------------------------------------------


def test_json_responses_carry_security_headers(client_with: ClientFactory) -> None:
    client = client_with()
    for response in (client.get("/v1/companies"), client.get("/v1/companies/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == API_CSP
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_when_configured(client_with: ClientFactory) -> None:
    response = client_with(hsts="true").get("/health/live")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(("page", "policy"), [("/docs", DOCS_CSP), ("/redoc", REDOC_CSP)])
def test_docs_csp_allows_their_same_origin_assets(
    client_with: ClientFactory, page: str, policy: str
) -> None:
    client = client_with()
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == policy
    # Swagger UI starts with an inline script; ReDoc with none (tests/api/test_docs.py).
    assert "'unsafe-inline'" in DOCS_CSP and "img-src 'self' data:" in policy
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets
    for asset in assets:
        # Same origin only: the CSP allows 'self', and the docs must work offline.
        assert asset.startswith("/") and not asset.startswith("//"), asset
        served = client.get(asset, follow_redirects=True)
        assert served.status_code == 200, asset
        assert served.headers["Content-Security-Policy"] in (DOCS_CSP, REDOC_CSP)
