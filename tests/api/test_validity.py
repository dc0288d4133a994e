"""valid_at reads a year or month as some day of it and an unknown bound as unknown: each
answer says whether the fact certainly or only possibly held, and validity=certain keeps
the first. The seed's symptoms of issue 20, item 1, through the public API."""

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import assert_problem, get_data

MERGER = "honda-nissan-merger"
AGREEMENT = "honda-nissan-2024-agreement"
US_TALKS = "honda-nissan-us-collaboration"


def _labels(client: TestClient, path: str, key: str = "slug", **params: Any) -> dict[Any, str]:
    return {row[key]: row["validity"] for row in get_data(client, path, **params)}


def test_partnerships_hold_from_their_first_status_certainly_or_possibly(
    client: TestClient,
) -> None:
    # "Abandoned a few months" before 2025-11-14 and talks since then, dated "2025" only:
    # possible early in 2025, certain on the article's date (it speaks in the present).
    # Signed "in 2024": certain from its last day on.
    for day in ("2025-01-01", "2025-06-01"):
        assert _labels(client, "/v1/partnerships", valid_at=day) == {
            MERGER: "possible",
            AGREEMENT: "certain",
            US_TALKS: "possible",
        }
    assert _labels(client, "/v1/partnerships", valid_at="2025-11-14") == dict.fromkeys(
        (MERGER, AGREEMENT, US_TALKS), "certain"
    )
    assert _labels(client, "/v1/partnerships", valid_at="2024-06-01") == {AGREEMENT: "possible"}
    assert _labels(client, "/v1/partnerships", valid_at="2025-06-01", validity="certain") == {
        AGREEMENT: "certain"
    }
    # Signed in 2024: the partnership did not exist in 2023, with or without a status.
    assert get_data(client, "/v1/partnerships", valid_at="2023-06-01") == []
    merger_id = next(p["id"] for p in get_data(client, "/v1/partnerships") if p["slug"] == MERGER)
    detail = client.get(f"/v1/partnerships/{merger_id}", params={"valid_at": "2025-06-01"}).json()
    assert (detail["status"], detail["validity"]) == ("abandoned", "possible")
    assert [s["validity"] for s in detail["status_history"]] == ["possible"]
    # Without valid_at there is no date to answer: no label at all.
    assert all("validity" not in p for p in get_data(client, "/v1/partnerships"))


def test_a_ceo_since_april_is_possible_in_april_and_certain_after(client: TestClient) -> None:
    def role(day: str, **params: str) -> list[str]:
        rows = get_data(client, "/v1/companies/nissan/executives", valid_at=day, **params)
        return [row["role"]["validity"] for row in rows]

    assert role("2025-03-31") == []  # certainly not yet: April had not begun
    assert role("2025-04-01") == ["possible"]
    assert role("2025-05-01") == role("2025-11-14") == ["certain"]
    # After the article, "installed as CEO since April" may have ended any day.
    assert role("2025-12-01") == ["possible"]
    assert role("2025-04-01", validity="certain") == []
    assert role("2025-05-01", validity="certain") == ["certain"]
    espinosa = client.get("/v1/executives/ivan-espinosa", params={"valid_at": "2025-04-15"}).json()
    assert [r["validity"] for r in espinosa["roles"]] == ["possible"]


def test_unknown_starts_are_possible_never_certain(client: TestClient) -> None:
    # The 15 % rate has no start the article gives: possibly in force in 2015, not certainly.
    tariffs = get_data(client, "/v1/tariffs", valid_at="2015-01-01", include="impacts")
    assert "15" in {t["rate_pct"] for t in tariffs}
    assert {t["validity"] for t in tariffs} == {"possible"}
    assert get_data(client, "/v1/tariffs", valid_at="2015-01-01", validity="certain") == []
    # In 1990 nothing the article says certainly held; what may have is labelled so.
    facts = get_data(client, "/v1/facts", valid_at="1990-01-01")
    assert facts and {f["validity"] for f in facts} == {"possible"}
    assert get_data(client, "/v1/facts", valid_at="1990-01-01", validity="certain") == []
    # On the article's date, what it states in the present tense certainly held.
    today = get_data(client, "/v1/facts", valid_at="2025-11-14", validity="certain")
    assert {"company", "executive_role", "partnership_status"} <= {
        f["record"]["type"] for f in today
    }
    csv = client.get("/v1/facts", params={"valid_at": "1990-01-01", "format": "csv"}).text
    assert "validity" in csv.splitlines()[0].split(",")
    # Without a date to be told on, validity changes nothing (the document cannot say that
    # it needs valid_at, and accepts every request it describes).
    assert get_data(client, "/v1/facts", validity="certain") == get_data(client, "/v1/facts")
    assert_problem(
        client.get("/v1/facts", params={"valid_at": "2025-11-14", "validity": "sure"}),
        422,
        field="validity",
    )
    schema = client.get("/openapi.json").json()
    assert "validity" in schema["components"]["schemas"]["PartnershipPublic"]["properties"]
    parameters = schema["paths"]["/v1/partnerships"]["get"]["parameters"]
    assert "validity" in {p["name"] for p in parameters}
