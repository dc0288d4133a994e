"""GET responses carry an ETag and Cache-Control and answer If-None-Match with a 304;
writes check If-Match against the same ETag."""

import asyncio
import re
from collections.abc import Iterator

import pytest
from fastapi import Header, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.errors import PreconditionFailed
from app.core.etags import EtagMiddleware, etag_of, require_if_match
from tests.helpers import assert_problem, client_for, concrete_path

STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')
DETAIL = "/v1/companies/honda"
LISTS = ["/v1/companies", "/v1/facts"]


def _etag(client: TestClient, path: str, **params: str) -> str:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    etag = response.headers["ETag"]
    assert STRONG_ETAG.match(etag), etag
    return etag


# -- ETag and If-None-Match --------------------------------------------------------------------


@pytest.mark.parametrize("path", [DETAIL, *LISTS])
def test_get_has_a_stable_strong_etag(client: TestClient, path: str) -> None:
    assert _etag(client, path) == _etag(client, path)


@pytest.mark.parametrize("path", [DETAIL, *LISTS])
def test_a_matching_if_none_match_is_a_304_without_body(client: TestClient, path: str) -> None:
    fresh = client.get(path)
    response = client.get(path, headers={"If-None-Match": fresh.headers["ETag"]})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == fresh.headers["ETag"]
    assert response.headers["Cache-Control"] == fresh.headers["Cache-Control"]
    assert response.headers["Vary"] == fresh.headers["Vary"]
    assert "content-type" not in response.headers


def test_a_stale_if_none_match_is_a_full_200(client: TestClient) -> None:
    response = client.get(DETAIL, headers={"If-None-Match": '"0123456789abcdef"'})
    assert response.status_code == 200
    assert response.json()["slug"] == "honda"


def test_another_query_has_another_etag(client: TestClient) -> None:
    one, two = _etag(client, "/v1/companies", limit="1"), _etag(client, "/v1/companies", limit="2")
    assert one != two
    response = client.get("/v1/companies", params={"limit": 2}, headers={"If-None-Match": one})
    assert response.status_code == 200


def test_if_none_match_takes_a_list(client: TestClient) -> None:
    etag = _etag(client, DETAIL)
    listed = client.get(DETAIL, headers={"If-None-Match": f'"stale", "a,b", {etag}'})
    assert listed.status_code == 304
    unlisted = client.get(DETAIL, headers={"If-None-Match": '"stale", "older"'})
    assert unlisted.status_code == 200


def test_if_none_match_star_matches_any_current_representation(client: TestClient) -> None:
    assert client.get(DETAIL, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/v1/companies", headers={"If-None-Match": "*"}).status_code == 304


def test_if_none_match_compares_weakly(client: TestClient) -> None:
    etag = _etag(client, DETAIL)
    response = client.get(DETAIL, headers={"If-None-Match": f"W/{etag}"})
    assert response.status_code == 304
    assert response.headers["ETag"] == etag


def test_a_route_set_etag_is_kept(seeded_engine: Engine) -> None:
    with client_for(seeded_engine) as test_client:

        @test_client.app.get("/tagged")  # type: ignore[attr-defined]
        def tagged(response: Response) -> dict[str, int]:
            response.headers["ETag"] = 'W/"v1"'
            return {"n": 1}

        assert test_client.get("/tagged").headers["ETag"] == 'W/"v1"'
        assert test_client.get("/tagged", headers={"If-None-Match": '"v1"'}).status_code == 304


# -- streams pass through ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "headers", "media_type"),
    [
        ({"format": "ndjson"}, {}, "application/x-ndjson"),
        ({"format": "csv"}, {}, "text/csv"),
        ({}, {"Accept": "application/x-ndjson"}, "application/x-ndjson"),
    ],
)
def test_streamed_exports_are_not_tagged_or_revalidated(
    client: TestClient, params: dict[str, str], headers: dict[str, str], media_type: str
) -> None:
    whole = client.get("/v1/companies", params={"limit": 200}).json()["data"]
    response = client.get("/v1/companies", params=params, headers={**headers, "If-None-Match": "*"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "ETag" not in response.headers
    assert "Cache-Control" not in response.headers
    lines = response.text.splitlines()
    # One line per company (plus the CSV header): the stream arrived whole.
    assert len(lines) == len(whole) + (media_type == "text/csv")


def test_streams_are_forwarded_chunk_by_chunk() -> None:
    """The middleware forwards each chunk as the app sends it, never holding a stream."""
    events: list[str] = []

    async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/x-ndjson")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for n in range(3):
            events.append(f"app sends {n}")
            await send({"type": "http.response.body", "body": b"{}\n", "more_body": n < 2})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            events.append(f"client gets {len(events) // 2}")

    scope = {"type": "http", "method": "GET", "headers": [(b"if-none-match", b"*")]}
    asyncio.run(EtagMiddleware(streaming_app, max_age=60)(scope, receive, send))
    assert events == [f"{who} {n}" for n in range(3) for who in ("app sends", "client gets")]


# -- Cache-Control -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DETAIL, *LISTS])
def test_cache_control_uses_the_configured_max_age(client: TestClient, path: str) -> None:
    max_age = get_settings().cache_max_age
    assert client.get(path).headers["Cache-Control"] == f"public, max-age={max_age}"


@pytest.fixture
def client_max_age_7(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    with monkeypatch.context() as patch:
        patch.setenv("AUTOFACTS_CACHE_MAX_AGE", "7")
        get_settings.cache_clear()
        test_client = client_for(seeded_engine)
    get_settings.cache_clear()
    with test_client:
        yield test_client


def test_cache_control_follows_the_setting(client_max_age_7: TestClient) -> None:
    assert client_max_age_7.get(DETAIL).headers["Cache-Control"] == "public, max-age=7"


def test_a_route_set_cache_control_is_kept(seeded_engine: Engine) -> None:
    with client_for(seeded_engine) as test_client:

        @test_client.app.get("/private")  # type: ignore[attr-defined]
        def private(response: Response) -> dict[str, int]:
            response.headers["Cache-Control"] = "no-store"
            return {"n": 1}

        assert test_client.get("/private").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/v1/companies/no-such-company", 404), ("/v1/companies?limit=0", 422)],
)
def test_problem_responses_are_never_cached(client: TestClient, path: str, status: int) -> None:
    response = client.get(path, headers={"If-None-Match": "*"})
    assert_problem(response, status)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_writes_are_not_tagged_or_cached(seeded_engine: Engine) -> None:
    with client_for(seeded_engine) as test_client:

        @test_client.app.post("/echo")  # type: ignore[attr-defined]
        def echo() -> dict[str, int]:
            return {"n": 1}

        response = test_client.post("/echo", headers={"If-None-Match": "*"})
        assert response.status_code == 200
        assert "ETag" not in response.headers
        assert "Cache-Control" not in response.headers


# -- If-Match ----------------------------------------------------------------------------------


class Thing(BaseModel):
    name: str
    size: int = 0


CURRENT = etag_of(Thing(name="a"))


def test_etag_of_is_strong_stable_and_content_sensitive() -> None:
    assert STRONG_ETAG.match(CURRENT)
    assert etag_of(Thing(name="a")) == CURRENT
    assert etag_of(Thing(name="b")) != CURRENT


@pytest.mark.parametrize(
    "if_match",
    [None, "*", " * ", CURRENT, f'"stale", {CURRENT}', f'"stale",{CURRENT} '],
)
def test_if_match_passes(if_match: str | None) -> None:
    require_if_match(if_match, CURRENT)


@pytest.mark.parametrize(
    "if_match",
    ['"stale"', f"W/{CURRENT}", '"stale", "older"', "", CURRENT.strip('"'), f'"{CURRENT}"'],
)
def test_if_match_fails(if_match: str) -> None:
    with pytest.raises(PreconditionFailed):
        require_if_match(if_match, CURRENT)


def test_a_weak_current_etag_never_matches_if_match() -> None:
    with pytest.raises(PreconditionFailed):
        require_if_match(f"W/{CURRENT}", f"W/{CURRENT}")


def test_a_failed_if_match_is_a_412_problem(seeded_engine: Engine) -> None:
    with client_for(seeded_engine) as test_client:

        @test_client.app.patch("/thing")  # type: ignore[attr-defined]
        def patch_thing(if_match: str | None = Header(default=None)) -> dict[str, str]:
            require_if_match(if_match, CURRENT)
            return {"ok": "yes"}

        body = assert_problem(test_client.patch("/thing", headers={"If-Match": '"stale"'}), 412)
        assert body["type"].endswith("/precondition-failed")
        assert body["instance"] == "/thing"
        assert test_client.patch("/thing", headers={"If-Match": CURRENT}).status_code == 200
        assert test_client.patch("/thing").status_code == 200


def test_every_get_documents_its_etag_and_its_304_as_it_answers(client: TestClient) -> None:
    """The document says what each GET sends: an ETag on its 200, and a bodiless 304 to a
    matching If-None-Match, so a generated client takes the 304 as an answer."""
    document = client.get("/openapi.json").json()
    gets = [(path, item["get"]) for path, item in document["paths"].items() if "get" in item]
    assert len(gets) > 20
    answered = 0
    for path, operation in gets:
        responses = operation["responses"]
        assert "ETag" in responses["200"]["headers"], path
        assert "content" not in responses["304"] and "ETag" in responses["304"]["headers"], path
        query = "?q=honda" if path == "/v1/search" else ""
        answer = client.get(concrete_path(path) + query)
        if answer.status_code == 404:  # no seed row at these ids (Honda's plant, say)
            continue
        assert answer.status_code == 200, (path, answer.text)
        answered += 1
        again = client.get(
            concrete_path(path) + query, headers={"If-None-Match": answer.headers["ETag"]}
        )
        assert again.status_code == 304 and again.content == b"", path
    assert answered > len(gets) - 3
