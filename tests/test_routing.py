"""GET routes answer through compiled dependency plans (app/core/routing.py); every answer
must be byte for byte what FastAPI's own handler gives, valid requests and invalid ones,
and the setting that turns them off must hand everything back to FastAPI."""

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute, _IncludedRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import app.main
from app.core import routing
from app.core.config import get_settings
from app.core.db import get_session
from app.core.routing import ReadRoute, _PrefixedInclusion
from app.main import ROUTERS, create_app
from tests.helpers import client_for

# Headers that differ between any two requests, whoever answers them.
VOLATILE = {"x-request-id", "date", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"}

PATHS = [
    # the hot reads, with their defaults and with every kind of parameter
    "/v1/companies",
    "/v1/companies?limit=2",
    "/v1/companies?country=JP&kind=automaker&certainty=confirmed&limit=1",
    "/v1/companies?sort=-slug&count=true&facet=country&facet=kind,certainty",
    "/v1/companies?include=citations&valid_at=2025-06-01&known_at=2025-11-14",
    "/v1/companies?format=csv",
    "/v1/companies?format=ndjson&limit=1",
    "/v1/companies?cursor=",
    "/v1/companies/nissan",
    "/v1/companies/nissan?known_at=2025-11-14",
    "/v1/companies/nissan/executives?include=citations",
    "/v1/companies/nissan/partnerships",
    "/v1/companies/nissan/tariff-impacts",
    "/v1/companies/nissan/restructuring-plans",
    "/v1/companies/nissan/financial-results",
    "/v1/companies/nissan/financial-results/1",
    "/v1/companies/nissan/plants",
    "/v1/executives?include=roles,citations",
    "/v1/executives?company=nissan&title=CEO",
    "/v1/executives/ivan-espinosa",
    "/v1/partnerships?include=members",
    "/v1/partnerships/1",
    "/v1/tariffs?include=impacts",
    "/v1/tariffs/1",
    "/v1/restructuring-plans",
    "/v1/restructuring-plans/1",
    "/v1/sources",
    "/v1/sources/2025-11-14-honda-nissan",
    "/v1/facts?company=nissan",
    "/v1/facts?limit=3&count=true",
    "/v1/facts/1",
    "/v1/search?q=nissan",
    "/v1/search?q=nissan&type=company&limit=1",
    "/v1/changes",
    "/health/live",
    "/health/ready",
    # what each kind of bad input gets: FastAPI's 422s, our own problems, and 404s
    "/v1/companies?limit=0",
    "/v1/companies?limit=abc",
    "/v1/companies?limit=1&limit=x",
    "/v1/companies?country=jp",
    "/v1/companies?certainty=maybe",
    "/v1/companies?count=perhaps",
    "/v1/companies?valid_at=2025-13-01",
    "/v1/companies?known_at=0",
    "/v1/companies?include=everything",
    "/v1/companies?sort=nope",
    "/v1/companies?facet=nope",
    "/v1/companies?cursor=not-a-cursor",
    "/v1/companies?format=xml",
    "/v1/companies?kind=" + "k" * 41,
    "/v1/companies/Not_A_Slug",
    "/v1/companies/no-such-company",
    "/v1/companies/no-such-company/executives",
    "/v1/companies/nissan/financial-results/abc",
    "/v1/partnerships/0",
    "/v1/partnerships/99999999999999999999",
    "/v1/facts/abc",
    "/v1/search",
    "/v1/search?q=",
    "/v1/search?q=nissan&type=planet",
    "/v1/changes?after=-1",
]


@pytest.fixture(scope="module")
def fast(seeded_engine: Engine) -> Iterator[TestClient]:
    with client_for(seeded_engine) as client:
        yield client


@pytest.fixture(scope="module")
def standard(seeded_engine: Engine) -> Iterator[TestClient]:
    """The same app answering through FastAPI's own handler: any dependency override
    (here one that changes nothing) sends every request there."""
    app = create_app(seeded_engine)
    app.dependency_overrides[get_session] = get_session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
def test_a_compiled_route_answers_as_fastapi_does(
    fast: TestClient, standard: TestClient, path: str
) -> None:
    ours, theirs = fast.get(path), standard.get(path)
    assert ours.status_code == theirs.status_code, ours.text
    assert ours.content == theirs.content
    assert _stable(ours.headers) == _stable(theirs.headers)


def test_the_paths_above_cover_answers_and_errors(fast: TestClient) -> None:
    statuses = {fast.get(path).status_code for path in PATHS}
    assert {200, 404, 422} <= statuses


@pytest.mark.parametrize("router", ROUTERS)
def test_every_read_route_is_compiled(router: APIRouter) -> None:
    """A dependency the plan cannot run would quietly send its route back to FastAPI's
    slower handler; this says which one. (Only /metrics, a plain response, has no plan.)"""
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    reads = [r for r in routes if r.methods == {"GET"} and r.response_field is not None]
    assert reads or router.routes[0].path == "/metrics"  # type: ignore[attr-defined]
    for route in reads:
        assert isinstance(route, ReadRoute)
        assert route.plan is not None, f"{route.path} is answered by FastAPI's handler"
    for route in routes:
        if route.methods != {"GET"}:
            assert getattr(route, "plan", None) is None


# Routing decisions of every kind: matches, 405s, trailing-slash redirects, 404s, non-API
# routes, and paths that share a router's literal start without being one of its routes.
ROUTING_CASES = [
    *(("GET", path) for path in PATHS),
    ("HEAD", "/v1/companies/nissan"),
    ("POST", "/v1/companies"),
    ("PUT", "/v1/companies/nissan"),
    ("DELETE", "/v1/facts/1"),
    ("PATCH", "/health/live"),
    ("OPTIONS", "/v1/companies"),
    ("GET", "/v1/companies/"),
    ("GET", "/v1/companies/nissan/"),
    ("GET", "/v1/companies/nissan/executives/"),
    ("GET", "/health/live/"),
    ("GET", "/metrics/"),
    ("GET", "/v1/companiesx"),
    ("GET", "/v1/companies/nissan/unknown"),
    ("GET", "/v1/executives/ivan-espinosa/roles"),
    ("GET", "/v1/nope"),
    ("GET", "/"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/favicon.ico"),
    ("GET", "/static-offline-docs/favicon.png"),
    ("GET", "/metrics"),
]


@pytest.fixture(scope="module")
def unindexed(seeded_engine: Engine) -> Iterator[TestClient]:
    """The app as FastAPI routes it, without the routers' prefix index."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app.main, "index_routes", lambda _app: None)
        plain = create_app(seeded_engine)
    with TestClient(plain, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTING_CASES)
def test_the_route_index_routes_every_request_as_fastapi_does(
    fast: TestClient, unindexed: TestClient, method: str, path: str
) -> None:
    ours = fast.request(method, path, follow_redirects=False)
    theirs = unindexed.request(method, path)
    assert ours.status_code == theirs.status_code, ours.text
    if path == "/metrics":  # its counters (and so its length) differ between two apps
        assert ours.headers["content-type"] == theirs.headers["content-type"]
        return
    assert ours.content == theirs.content
    assert _stable(ours.headers) == _stable(theirs.headers)


def test_the_routing_cases_cover_every_kind_of_decision(fast: TestClient) -> None:
    statuses = {fast.request(m, p, follow_redirects=False).status_code for m, p in ROUTING_CASES}
    assert {200, 307, 404, 405} <= statuses


def test_every_included_router_is_indexed(fast: TestClient) -> None:
    routes = fast.app.router.routes  # type: ignore[attr-defined]
    included = [r for r in routes if isinstance(r, _IncludedRouter)]
    assert len(included) == len(ROUTERS) + 1  # and the explorer's pages (app/web)
    assert all(isinstance(r, _PrefixedInclusion) and r.prefixes for r in included)


def test_the_setting_off_leaves_routing_and_dependencies_to_fastapi(
    seeded_engine: Engine, fast: TestClient
) -> None:
    """``AUTOFACTS_COMPILED_ROUTING=false`` (docs/decisions/0001-routing.md): no router is
    indexed, no plan runs, and every answer is the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOFACTS_COMPILED_ROUTING", "false")
        get_settings.cache_clear()
        plain = create_app(seeded_engine)
    get_settings.cache_clear()
    assert not any(isinstance(r, _PrefixedInclusion) for r in plain.router.routes)
    expected = {path: fast.get(path) for path in PATHS}

    async def no_plan(*args: object) -> None:
        raise AssertionError("a compiled plan ran")

    with (
        pytest.MonkeyPatch.context() as patch,
        TestClient(plain, raise_server_exceptions=False) as client,
    ):
        patch.setattr(routing, "_solve", no_plan)
        for path, ours in expected.items():
            theirs = client.get(path)
            assert theirs.status_code == ours.status_code, (path, theirs.text)
            assert theirs.content == ours.content, path
            assert _stable(theirs.headers) == _stable(ours.headers), path


def _stable(headers: object) -> list[tuple[str, str]]:
    items = headers.multi_items()  # type: ignore[attr-defined]
    return sorted((k.lower(), v) for k, v in items if k.lower() not in VOLATILE)
