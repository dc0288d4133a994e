"""Every error is problem+json, and nothing leaks a stack trace."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import assert_problem, client_for


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/no-such-resource"), 404)


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    body = assert_problem(client.put("/v1/companies"), 405)
    assert "PUT" in body["detail"]


def test_unexpected_error_is_a_500_problem_without_trace(seeded_engine: Engine) -> None:
    test_client = client_for(seeded_engine)

    @test_client.app.get("/boom")  # type: ignore[attr-defined]
    def boom() -> None:
        raise RuntimeError("secret internals")

    response = test_client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert body["instance"] == "/boom"


def test_validation_errors_do_not_echo_input_objects(client: TestClient) -> None:
    body = assert_problem(
        client.get("/v1/companies", params={"limit": "x" * 10_000}), 422, field="limit"
    )
    assert len(str(body)) < 2_000


def test_health(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").json() == {"status": "ok"}
