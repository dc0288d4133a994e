"""Statements: what Espinosa said, served with his verbatim words, and written with history."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Curator
from tests.helpers import (
    SEED_DAY,
    assert_problem,
    assert_verbatim,
    changes_since,
    cite,
    feed_end,
    get_data,
    just_before,
    today,
    walk_pages,
    yesterday,
)

ARTICLE = (Path(__file__).parents[2] / "seed" / "article-2025-11-14-honda-nissan.txt").read_text()
SOURCE = "2025-11-14-honda-nissan"
US_TALKS = "honda-nissan-us-collaboration"
SAID = {
    "We are discussing how we can collaborate in the United States": ("direct", US_TALKS, None),
    "We are not talking about integration or capital ties.": ("direct", US_TALKS, None),
    'the meetings between the teams — including senior management — are "constructive" and '
    '"positive."': ("reported", US_TALKS, None),
    "the brand remains agile": ("reported", None, "nissan"),
}


@pytest.fixture(scope="module")
def seeded(client: TestClient) -> list[dict[str, Any]]:
    return get_data(client, "/v1/statements")


def _partnership_id(client: TestClient, slug: str) -> int:
    [found] = [p for p in get_data(client, "/v1/partnerships") if p["slug"] == slug]
    return int(found["id"])


def test_the_seeded_statements_are_espinosas_words_verbatim(
    seeded: list[dict[str, Any]],
) -> None:
    assert {
        s["quote"]: (s["speech"], s["about_partnership"], s["about_company"]) for s in seeded
    } == SAID
    for statement in seeded:
        assert statement["quote"] in ARTICLE
        assert statement["speaker_executive"] == "ivan-espinosa"
        assert statement["speaker_company"] is None
        # The article says when it reported them, not when he said them.
        assert statement["said_on"] is None
        assert statement["valid_from"] is None
        assert statement["reported_on"] == SEED_DAY
        assert statement["source"] == SOURCE
        assert statement["certainty"] == "confirmed"


def test_a_statement_with_its_citations(
    client: TestClient, seeded_engine: Engine, seeded: list[dict[str, Any]]
) -> None:
    agile = next(s for s in seeded if s["quote"] == "the brand remains agile")
    body = client.get(f"/v1/statements/{agile['id']}").json()
    assert {k: v for k, v in body.items() if k != "citations"} == agile
    assert_verbatim(
        seeded_engine, body["citations"], "Ivan Espinosa insists the brand remains agile"
    )
    assert_problem(client.get("/v1/statements/999999"), 404)


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"speaker_executive": "ivan-espinosa"}, 4),
        ({"speaker_executive": "nobody"}, 0),
        ({"speaker_company": "nissan"}, 0),
        ({"about_partnership": US_TALKS}, 3),
        ({"about_partnership": "honda-nissan-merger"}, 0),
        ({"about_company": "nissan"}, 1),
        ({"known_at": "2025-11-13"}, 0),
        ({"known_at": SEED_DAY}, 4),
        ({"sort": "-id"}, 4),
    ],
)
def test_statement_filters(client: TestClient, params: dict[str, Any], count: int) -> None:
    assert len(get_data(client, "/v1/statements", **params)) == count


def test_statement_pages_walk_with_cursors(
    client: TestClient, seeded: list[dict[str, Any]]
) -> None:
    walked = walk_pages(client, "/v1/statements", limit=1)
    assert [s["id"] for s in walked] == [s["id"] for s in seeded]
    assert_problem(client.get("/v1/statements", params={"cursor": "junk"}), 422, field="cursor")
    assert_problem(client.get("/v1/statements", params={"speaker_executive": "Not A Slug"}), 422)


def test_per_executive_and_per_partnership_lists(
    client: TestClient, seeded: list[dict[str, Any]]
) -> None:
    assert get_data(client, "/v1/executives/ivan-espinosa/statements") == seeded
    talks = get_data(client, f"/v1/partnerships/{_partnership_id(client, US_TALKS)}/statements")
    assert [s["quote"] for s in talks] == [q for q, said in SAID.items() if said[1] == US_TALKS]
    merger = _partnership_id(client, "honda-nissan-merger")
    assert get_data(client, f"/v1/partnerships/{merger}/statements") == []
    assert_problem(client.get("/v1/executives/nobody/statements"), 404)
    assert_problem(client.get("/v1/partnerships/999999/statements"), 404)


def test_search_finds_a_statement(client: TestClient, seeded: list[dict[str, Any]]) -> None:
    hits = client.get("/v1/search", params={"q": "agile"}).json()["data"]
    [hit] = [h for h in hits if h["type"] == "statement"]
    agile = next(s for s in seeded if s["quote"] == "the brand remains agile")
    assert hit["url"] == f"/v1/statements/{agile['id']}"
    assert client.get(hit["url"]).json()["quote"] == "the brand remains agile"


def test_statements_are_facts(client: TestClient) -> None:
    said = get_data(client, "/v1/facts", predicate="said")
    assert sorted(f["value"]["quote"] for f in said) == sorted(SAID)
    assert {f["subject"]["label"] for f in said} == {"ivan-espinosa"}


# -- writes ------------------------------------------------------------------------------------

CAPITAL = "We are not talking about integration or capital ties."


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "speaker_company": "nissan",
        "quote": "pooling resources becomes a logical, even vital strategy",
        "speech": "reported",
        "about_company": "honda",
        "certainty": "reported",
        "citations": [
            {
                "source": SOURCE,
                "quote": "pooling resources becomes a logical, even vital strategy.",
            }
        ],
    }
    return body | overrides


def test_create_correct_retract_with_history(curator: Curator) -> None:
    client, headers = curator.client, curator.headers
    cursor = feed_end(client)
    created = client.post("/v1/statements", json=_body(), headers=headers)
    assert created.status_code == 201, created.text
    statement = created.json()
    assert created.headers["Location"] == f"/v1/statements/{statement['id']}"
    assert statement["speaker_company"] == "nissan"
    assert statement["about_company"] == "honda"
    assert statement["reported_on"] == SEED_DAY
    url = created.headers["Location"]

    # A stale tag is refused; the current one corrects, keeping the old words answerable.
    assert_problem(
        client.patch(url, json={"said_on": "2025"}, headers=headers | {"If-Match": '"stale"'}),
        412,
    )
    tag = client.get(url).headers["ETag"]
    corrected = client.patch(
        url,
        json={"quote": "even vital strategy", "said_on": "2025"},
        headers=headers | {"If-Match": tag},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["quote"] == "even vital strategy"
    assert corrected.json()["said_on"] == "2025"
    before_it = {"as_of": just_before(corrected.json()["recorded_from"])}
    past = client.get(url, params=before_it).json()
    assert past["quote"] == _body()["quote"]
    assert past["said_on"] is None
    assert client.get(url, params={"known_at": today().isoformat()}).json() == client.get(
        url
    ).json() | {"citations": client.get(url).json()["citations"]}

    assert client.delete(url, headers=headers).status_code == 204
    assert_problem(client.get(url), 404)
    assert_problem(client.get(url, params={"known_at": yesterday()}), 404)
    assert client.get(url, params=before_it).json()["quote"] == _body()["quote"]

    feed = changes_since(client, cursor)
    logged = [(c["operation"], c["resource_id"]) for c in feed if c["resource"] == "statements"]
    sid = str(statement["id"])
    assert [(op, str(rid)) for op, rid in logged] == [
        ("create", sid),
        ("update", sid),
        ("delete", sid),
    ]


def test_idempotent_create(curator: Curator) -> None:
    headers = curator.headers | {"Idempotency-Key": "statement-1"}
    first = curator.client.post("/v1/statements", json=_body(), headers=headers)
    again = curator.client.post("/v1/statements", json=_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(get_data(curator.client, "/v1/statements", speaker_company="nissan")) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # Words the article never prints.
        ({"quote": "Nissan will merge with Honda"}, "quote"),
        # Words of the article, but not of the statement's citation.
        ({"quote": CAPITAL}, "quote"),
        ({"citations": [{"source": SOURCE, "quote": "Nissan will merge with Honda"}]}, "quote"),
        ({"speaker_company": "tesla"}, "speaker_company"),
        ({"about_partnership": "no-such-partnership"}, "about_partnership"),
        ({"speaker_executive": "ivan-espinosa"}, None),  # two speakers
        ({"said_on": "2025-13"}, "said_on"),
    ],
)
def test_refused_statements(curator: Curator, overrides: dict[str, Any], field: str | None) -> None:
    before = curator.counts()
    response = curator.client.post(
        "/v1/statements", json=_body(**overrides), headers=curator.headers
    )
    assert_problem(response, 422, field=field)
    assert curator.counts() == before


def test_a_correction_keeps_the_words_in_the_citations(curator: Curator) -> None:
    [first, *_] = get_data(curator.client, "/v1/statements")
    url = f"/v1/statements/{first['id']}"
    before = curator.counts()
    # Words the stored citations do not hold, or citations that do not hold the stored
    # words: each patch is valid alone and conflicts with what is stored.
    assert_problem(curator.client.patch(url, json={"quote": CAPITAL}, headers=curator.headers), 409)
    honda = cite("Honda and Nissan", source=SOURCE)
    assert_problem(
        curator.client.patch(url, json={"citations": honda}, headers=curator.headers), 409
    )
    # Both sent, and at odds with each other: the body itself is invalid.
    assert_problem(
        curator.client.patch(
            url, json={"quote": CAPITAL, "citations": honda}, headers=curator.headers
        ),
        422,
        field="quote",
    )
    assert curator.client.get(url).json()["quote"] == first["quote"]
    assert curator.counts() == before


# -- duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "again",
    [
        {},
        # Who said which words in which source is what a statement is: what it is said to
        # be about, when, or how sure we are is a correction of it, not another statement.
        {"about_company": None, "certainty": "confirmed", "said_on": "2025"},
        # The same words cited by a longer quote of the same source.
        {
            "citations": [
                {"source": SOURCE, "quote": "with aggressive pricing, " + _body()["quote"]}
            ]
        },
    ],
)
def test_the_same_words_of_the_same_speaker_again_are_409(
    curator: Curator, again: dict[str, Any]
) -> None:
    first = curator.client.post("/v1/statements", json=_body(), headers=curator.headers)
    assert first.status_code == 201, first.text
    before = curator.counts()
    response = curator.client.post("/v1/statements", json=_body(**again), headers=curator.headers)
    problem = assert_problem(response, 409)
    assert f"statement {first.json()['id']}" in problem["detail"]
    assert curator.counts() == before


def test_a_seeded_statement_posted_again_is_409(curator: Curator) -> None:
    """The API's natural key is the importer's (speaker, source, words): what the seed
    stated is found as the same statement."""
    [seeded, *_] = get_data(curator.client, "/v1/statements")
    body = {
        name: seeded[name]
        for name in ("speaker_executive", "quote", "speech", "about_partnership", "certainty")
    } | {"citations": [{"source": SOURCE, "quote": seeded["quote"]}]}
    before = curator.counts()
    assert_problem(curator.client.post("/v1/statements", json=body, headers=curator.headers), 409)
    assert curator.counts() == before
    # The same words said by someone else are another statement.
    other = body | {"speaker_executive": None, "speaker_company": "nissan"}
    assert (
        curator.client.post("/v1/statements", json=other, headers=curator.headers).status_code
        == 201
    )


def test_a_correction_onto_another_statement_s_words_is_409(curator: Curator) -> None:
    whole = curator.client.post("/v1/statements", json=_body(), headers=curator.headers)
    part = curator.client.post(
        "/v1/statements", json=_body(quote="even vital strategy"), headers=curator.headers
    )
    assert whole.status_code == part.status_code == 201
    before = curator.counts()
    response = curator.client.patch(
        part.headers["Location"], json={"quote": _body()["quote"]}, headers=curator.headers
    )
    assert_problem(response, 409)
    assert curator.counts() == before


def test_the_duplicate_is_declared(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/statements"]["post"]
    assert "409" in operation["responses"]
