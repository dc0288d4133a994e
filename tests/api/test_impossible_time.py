"""Time that cannot be is refused with a 422 naming the field: a source published after
today (UTC), a range that ends before it begins, a status history that overlaps itself."""

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
