"""Time that cannot be is refused naming the field: a source published after today (UTC), a
range that ends before it begins, a status history that overlaps itself. A 422 when the body
alone says it; a 409 when the body is valid alone and does not fit what is stored (a patch's
bound against the one the row keeps, a status against the stored history)."""

import datetime as dt
from typing import Any

from tests.conftest import Curator
from tests.helpers import assert_problem

SEED = "2025-11-14-honda-nissan"


def utc_today() -> dt.date:
    """The server's today: the UTC date, whatever the machine's zone."""
    return dt.datetime.now(dt.UTC).date()


def _source(published_on: str, slug: str = "an-article") -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "An article",
        "published_on": published_on,
        "text": f"An article dated {published_on}, as its publisher said.",
    }


# -- a source from the future ------------------------------------------------------------------


def test_a_source_published_after_today_is_refused(curator: Curator) -> None:
    tomorrow = (utc_today() + dt.timedelta(days=1)).isoformat()
    for day in (tomorrow, "2099-01-01"):
        response = curator.client.post("/v1/sources", json=_source(day), headers=curator.headers)
        body = assert_problem(response, 422, field="published_on")
        assert "after today" in body["detail"]
    assert curator.client.get("/v1/sources/an-article").status_code == 404


def test_a_source_published_today_is_taken(curator: Curator) -> None:
    today = utc_today().isoformat()
    response = curator.client.post("/v1/sources", json=_source(today), headers=curator.headers)
    assert response.status_code == 201, response.text
    assert response.json()["published_on"] == today


# -- a range that ends before it begins --------------------------------------------------------
# An end is exclusive (the first day the fact no longer held), and a partial date is any day
# of its year or month: refused only where it certainly falls on or before the start.

QUOTE = [{"source": SEED, "quote": "Honda and Nissan"}]
# (start, end): each pair certainly ends by its start.
BACKWARDS = [
    ("2025", "2024"),
    ("2025-04", "2025-03"),
    ("2025-04", "2025-04-01"),
    ("2025-04-01",) * 2,
]
# Each pair may end after it begins, however it is read.
POSSIBLE = [
    ("2025-04", "2025"),
    ("2025", "2025-01"),
    ("2025-04", "2025-04"),
    ("2025-04-01", "2025-04-02"),
]


def _partnership(slug: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "slug": slug,
        "title": "A partnership",
        "members": ["honda", "nissan"],
        "certainty": "reported",
        "citations": QUOTE,
        "statuses": [{"status": "in_talks", "certainty": "reported", "citations": QUOTE}],
    }
    return body | overrides


def _role(**overrides: Any) -> dict[str, Any]:
    body = {"company": "nissan", "title": "CFO", "certainty": "reported", "citations": QUOTE}
    return body | overrides


def _status(**overrides: Any) -> dict[str, Any]:
    return {"status": "in_talks", "certainty": "reported", "citations": QUOTE} | overrides


def _refuse_patches(curator: Curator, url: str, *cases: tuple[dict[str, str], str]) -> None:
    """Each patch is refused naming its field: a 422 when it sends both bounds, a 409 when
    the one it sends is out of order with the stored other."""
    for patch, field in cases:
        response = curator.client.patch(url, json=patch, headers=curator.headers)
        assert_problem(response, 422 if len(patch) == 2 else 409, field=field)


def test_a_partnership_ending_before_it_was_announced_is_refused(curator: Curator) -> None:
    for i, (start, end) in enumerate(BACKWARDS):
        body = _partnership(f"backwards-{i}", announced_on=start, ended_on=end)
        response = curator.client.post("/v1/partnerships", json=body, headers=curator.headers)
        problem = assert_problem(response, 422, field="ended_on")
        assert "announced_on" in problem["detail"]
    for i, (start, end) in enumerate(POSSIBLE):
        body = _partnership(f"possible-{i}", announced_on=start, ended_on=end)
        response = curator.client.post("/v1/partnerships", json=body, headers=curator.headers)
        assert response.status_code == 201, response.text
        assert (response.json()["announced_on"], response.json()["ended_on"]) == (start, end)


def test_a_partnership_patch_is_checked_against_the_stored_bound(curator: Curator) -> None:
    body = _partnership("dated", announced_on="2025-06", ended_on="2025-12")
    created = curator.client.post("/v1/partnerships", json=body, headers=curator.headers)
    assert created.status_code == 201, created.text
    url = f"/v1/partnerships/{created.json()['id']}"
    _refuse_patches(
        curator,
        url,
        ({"ended_on": "2025-05"}, "ended_on"),
        ({"announced_on": "2026"}, "announced_on"),
        ({"announced_on": "2025-06", "ended_on": "2025-06-01"}, "ended_on"),
    )
    assert curator.client.get(url).json()["ended_on"] == "2025-12"
    # An end inside the start's month may still come after it; with no end, any start.
    response = curator.client.patch(url, json={"ended_on": "2025-06"}, headers=curator.headers)
    assert response.status_code == 200, response.text
    response = curator.client.patch(url, json={"ended_on": None}, headers=curator.headers)
    assert response.status_code == 200, response.text
    response = curator.client.patch(url, json={"announced_on": "2030"}, headers=curator.headers)
    assert response.status_code == 200, response.text


def test_a_status_ending_before_it_began_is_refused(curator: Curator) -> None:
    (talks,) = [
        row["id"]
        for row in curator.client.get("/v1/partnerships", params={"limit": 200}).json()["data"]
        if row["slug"] == "honda-nissan-us-collaboration"
    ]
    for start, end in BACKWARDS:
        body = _status(status="signed", valid_from=start, valid_to=end)
        response = curator.client.post(
            f"/v1/partnerships/{talks}/statuses", json=body, headers=curator.headers
        )
        assert_problem(response, 422, field="valid_to")
        statuses = [_status(valid_from=start, valid_to=end)]
        body = _partnership("status-backwards", statuses=statuses)
        response = curator.client.post("/v1/partnerships", json=body, headers=curator.headers)
        assert_problem(response, 422, field="valid_to")


def test_a_role_ending_before_it_began_is_refused(curator: Curator) -> None:
    url = "/v1/executives/ivan-espinosa/roles"
    for start, end in BACKWARDS:
        body = _role(started_on=start, ended_on=end)
        assert_problem(
            curator.client.post(url, json=body, headers=curator.headers), 422, field="ended_on"
        )
        executive = {
            "slug": "someone",
            "name": "Someone",
            "certainty": "reported",
            "citations": QUOTE,
            "roles": [body],
        }
        response = curator.client.post("/v1/executives", json=executive, headers=curator.headers)
        assert_problem(response, 422, field="ended_on")
    for i, (start, end) in enumerate(POSSIBLE):
        body = _role(title=f"Adviser {i}", started_on=start, ended_on=end)
        response = curator.client.post(url, json=body, headers=curator.headers)
        assert response.status_code == 201, response.text


def test_a_role_patch_is_checked_against_the_stored_bound(curator: Curator) -> None:
    (role,) = curator.client.get("/v1/executives/ivan-espinosa").json()["roles"]
    assert role["started_on"] == "2025-04"
    url = f"/v1/executives/ivan-espinosa/roles/{role['id']}"
    _refuse_patches(
        curator,
        url,
        ({"ended_on": "2025-03-31"}, "ended_on"),
        ({"ended_on": "2025-04-01"}, "ended_on"),
        ({"started_on": "2026", "ended_on": "2025-12"}, "ended_on"),
    )
    response = curator.client.patch(url, json={"ended_on": "2025"}, headers=curator.headers)
    assert response.status_code == 200, response.text
    response = curator.client.patch(url, json={"started_on": "2026"}, headers=curator.headers)
    assert_problem(response, 409, field="started_on")


# -- a status history that overlaps itself -----------------------------------------------------


def _history(curator: Curator, slug: str, *spans: tuple[str | None, str | None]) -> Any:
    statuses = [
        _status(status=status, valid_from=start, valid_to=end)
        for status, (start, end) in zip(("in_talks", "signed", "active"), spans, strict=False)
    ]
    body = _partnership(slug, statuses=statuses)
    return curator.client.post("/v1/partnerships", json=body, headers=curator.headers)


def test_a_partnership_posted_with_overlapping_statuses_is_refused(curator: Curator) -> None:
    for i, spans in enumerate(
        [
            (("2025-04-01", None), ("2025-04-01", None)),
            (("2024-01-01", "2024-12-01"), ("2024-06-01", None)),
            (("2024", "2025-06"), ("2025-01", "2025-03"), ("2025-02", None)),
        ]
    ):
        problem = assert_problem(
            _history(curator, f"overlapping-{i}", *spans), 422, field="statuses"
        )
        assert "certainly overlap" in problem["detail"]
    for i, spans in enumerate(
        [
            (("2024", None), ("2025", None)),  # the seed's way: each until the next
            (("2024-01-01", "2024-06-01"), ("2024-06-01", None)),
            (("2024", "2025"), ("2024-06", None)),  # may have ended before June
        ]
    ):
        response = _history(curator, f"successive-{i}", *spans)
        assert response.status_code == 201, response.text


def test_a_status_overlapping_the_stored_history_is_refused(curator: Curator) -> None:
    created = _history(curator, "closed-talks", ("2024-01-01", "2024-12-01"))
    assert created.status_code == 201, created.text
    url = f"/v1/partnerships/{created.json()['id']}/statuses"
    before = curator.counts()
    for valid_from, valid_to, field in (
        ("2024-06-01", None, "valid_from"),
        ("2023-01-01", "2024-02-01", "valid_to"),
        ("2024-11", None, "valid_from"),
    ):
        body = _status(status="signed", valid_from=valid_from, valid_to=valid_to)
        response = curator.client.post(url, json=body, headers=curator.headers)
        problem = assert_problem(response, 409, field=field)
        assert "certainly overlap" in problem["detail"]
    assert curator.counts() == before
    # The day the talks ended (exclusive) is the first the next status may hold.
    body = _status(status="signed", valid_from="2024-12-01")
    response = curator.client.post(url, json=body, headers=curator.headers)
    assert response.status_code == 201, response.text
