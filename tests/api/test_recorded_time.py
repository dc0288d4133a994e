"""Recorded time (``as_of``: what the API served at an instant) apart from reported time
(``known_at``: what our sources had published by a day, as recorded now). Each test
writes to a seeded database of its own, through the API."""

import datetime as dt
import json
from typing import Any

from tests.conftest import Curator
from tests.helpers import SEED_DAY, assert_problem, get_data, just_before, last_write_at, today

SOURCE = "2025-11-14-honda-nissan"
QUOTE = "Chinese manufacturers like BYD are gaining ground with aggressive pricing"
SLUG = "chinese-manufacturers"
PATH = f"/v1/companies/{SLUG}"


def _company(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": SLUG,
        "name": "Chinese manufacturers",
        "country": "CN",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [{"source": SOURCE, "quote": QUOTE}],
    }
    return body | overrides


def _slugs(curator: Curator, **params: str) -> list[str]:
    return [c["slug"] for c in get_data(curator.client, "/v1/companies", **params)]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_fact_written_today_is_recorded_today_and_reported_when_its_source_was(
    curator: Curator,
) -> None:
    before = dt.datetime.now(dt.UTC)
    created = curator.client.post("/v1/companies", json=_company(), headers=curator.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    # Reported when the article was; recorded now, to the microsecond, in UTC.
    assert body["known_from"] == SEED_DAY
    assert body["recorded_from"].endswith("Z") and body["recorded_to"] is None
    assert before <= _instant(body["recorded_from"]) <= dt.datetime.now(dt.UTC)
    changes = curator.client.get("/v1/changes").json()["data"]
    assert changes[-1]["occurred_at"] == body["recorded_from"]

    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    for params in ({"as_of": yesterday}, {"known_at": "2025-11-13"}):
        assert_problem(curator.client.get(PATH, params=params), 404)
        assert SLUG not in _slugs(curator, **params)
        facts = get_data(curator.client, "/v1/facts", company=SLUG, **params)
        assert facts == []
    for params in (
        {"as_of": body["recorded_from"]},
        {"as_of": today().isoformat()},
        {"known_at": SEED_DAY},
        {},
    ):
        assert curator.client.get(PATH, params=params).json() == body
        assert SLUG in _slugs(curator, **params)
    assert_problem(
        curator.client.get(PATH, params={"as_of": just_before(body["recorded_from"])}), 404
    )

    # Counts and facets are counted from the rows that answer.
    def cn(**params: str) -> tuple[int, int]:
        page = curator.client.get(
            "/v1/companies", params={"count": "true", "facet": "country", **params}
        ).json()
        counts = {f["value"]: f["count"] for f in page["facets"]["country"]}
        return page["total"], counts.get("CN", 0)

    now, then = cn(), cn(as_of=just_before(body["recorded_from"]))
    assert (now[0] - then[0], now[1] - then[1]) == (1, 1)
    assert cn(known_at=SEED_DAY) == now

    # An instant to come, or one that is not RFC 3339, is refused.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    for bad in (later, tomorrow, "2025-11-14T10:00:00", "yesterday", "2025-02-30"):
        assert_problem(curator.client.get(PATH, params={"as_of": bad}), 422, field="as_of")


def test_three_corrections_in_a_minute_and_a_slug_retaken_each_answer_their_instant(
    curator: Curator,
) -> None:
    created = curator.client.post("/v1/companies", json=_company(), headers=curator.headers)
    assert created.status_code == 201, created.text
    states = [created.json()]
    for name in ("Chinese makers", "China's automakers", "Chinese carmakers"):
        patched = curator.client.patch(PATH, json={"name": name}, headers=curator.headers)
        assert patched.status_code == 200, patched.text
        states.append(patched.json())
    stamps = [_instant(s["recorded_from"]) for s in states]
    assert stamps == sorted(set(stamps)) and stamps[-1] - stamps[0] < dt.timedelta(minutes=1)
    for index, state in enumerate(states):
        # Exactly what the write answered, as every read then did.
        at = curator.client.get(PATH, params={"as_of": state["recorded_from"]}).json()
        assert at == state
        if index:
            before_it = curator.client.get(
                PATH, params={"as_of": just_before(stamps[index].isoformat())}
            )
            assert before_it.json()["name"] == states[index - 1]["name"]
        exported = curator.client.get(
            "/v1/companies", params={"as_of": state["recorded_from"], "format": "ndjson"}
        )
        [line] = [json.loads(x) for x in exported.text.splitlines() if SLUG in x]
        assert (line["name"], line["recorded_to"]) == (state["name"], None)
        history = get_data(curator.client, "/v1/facts", company=SLUG, as_of=state["recorded_from"])
        assert [f["value"]["name"] for f in history] == [state["name"]]
    # Reported on the article's day, as recorded now: the last state only, once.
    assert _slugs(curator, known_at=SEED_DAY).count(SLUG) == 1
    assert curator.client.get(PATH, params={"known_at": SEED_DAY}).json() == states[-1]

    # Retracted, then the slug taken again: one company of that slug at every instant.
    assert curator.client.delete(PATH, headers=curator.headers).status_code == 204
    retracted_at = last_write_at(curator.client)
    again = curator.client.post(
        "/v1/companies", json=_company(name="BYD and peers"), headers=curator.headers
    )
    assert again.status_code == 201, again.text
    retaken = again.json()
    assert _instant(retaken["recorded_from"]) > _instant(retracted_at)
    for instant, names in (
        (just_before(retracted_at), ["Chinese carmakers"]),
        (retracted_at, []),
        (just_before(retaken["recorded_from"]), []),
        (retaken["recorded_from"], ["BYD and peers"]),
        (None, ["BYD and peers"]),
    ):
        params = {} if instant is None else {"as_of": instant}
        listed = [
            c["name"]
            for c in get_data(curator.client, "/v1/companies", **params)
            if c["slug"] == SLUG
        ]
        assert listed == names, instant
    for params in ({"known_at": SEED_DAY}, {"known_at": today().isoformat()}):
        assert _slugs(curator, **params).count(SLUG) == 1
        assert curator.client.get(PATH, params=params).json()["name"] == "BYD and peers"
