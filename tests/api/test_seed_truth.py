"""The seed says what the article says, read back through the API: nothing borrowed from a
neighbouring sentence, nothing dated that the article leaves undated."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import assert_verbatim

HISTORY = ("Washington raised the tariffs", "recently lowered to 15 percent", "rate of 2.5")


def _data(client: TestClient, path: str, **params: str) -> list[dict]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def test_tariff_impacts_say_only_what_each_sentence_says(client: TestClient) -> None:
    [nissan] = _data(client, "/v1/companies/nissan/tariff-impacts")
    # "Nissan estimates the tariffs will cause profits to fall by 275 billion yen".
    assert (nissan["metric"], nissan["direction"], nissan["kind"]) == (
        "profit",
        "decrease",
        "estimate",
    )
    assert nissan["fiscal_year"] == "FY2025"  # "this fiscal year": inferred, and said so
    assert nissan["amount"] == {"amount": "275000000000", "currency": "JPY", "usd": "1800000000"}
    # "At Honda, the estimated impact is 385 billion yen": estimated, and nothing else.
    [honda] = _data(client, "/v1/companies/honda/tariff-impacts")
    assert honda["kind"] == "estimate"
    assert (honda["metric"], honda["fiscal_year"], honda["direction"]) == (None, None, None)
    assert honda["amount"]["amount"] == "385000000000"
    assert nissan["tariff"] == honda["tariff"]
    # Unstated values are filterable as facets of their own, not dropped.
    facets = client.get("/v1/companies/honda/tariff-impacts", params={"facet": "metric"}).json()[
        "facets"
    ]
    assert facets["metric"] == [{"value": None, "count": 1}]
    [fact] = [
        f["value"] for f in _data(client, "/v1/facts", company="honda", predicate="tariff_impact")
    ]
    assert (fact["metric"], fact["direction"], fact["kind"]) == (None, None, "estimate")


def test_plan_loss_and_tariff_history_as_the_article_gives_them(
    client: TestClient, seeded_engine: Engine
) -> None:
    [plan] = _data(client, "/v1/restructuring-plans", include="citations")
    # The article's own words for it ("its recovery plan"), not a title of ours; its year
    # is the plants' ("from 17 to 10 by 2028").
    assert plan["name"] == "recovery plan"
    assert (plan["job_cuts"], plan["plants_before"], plan["plants_after"]) == (20000, 17, 10)
    assert plan["target_year"] == 2028
    assert_verbatim(seeded_engine, plan["citations"], "its recovery plan", "17 to 10 by 2028")

    # "A loss of 221.9 billion yen ($1.5B USD) earlier this year": when it was reported,
    # not the period it covers.
    [loss] = _data(client, "/v1/companies/nissan/financial-results")
    assert (loss["metric"], loss["period"]) == ("loss", None)
    assert loss["amount"] == {"amount": "221900000000", "currency": "JPY", "usd": "1500000000"}
    # Told as past ("earlier this year"): possibly before the article's date, not on it.
    assert loss["told_as"] == "past"
    results = "/v1/companies/nissan/financial-results"
    assert [r["validity"] for r in _data(client, results, valid_at="2025-11-13")] == ["possible"]
    assert _data(client, results, valid_at="2025-11-14") == []

    # 2.5 % before the trade war, raised to a rate the article omits, now 15 %: three
    # periods of one tariff, none dated, each citing the passage; only the current one
    # carries the impacts.
    tariffs = _data(client, "/v1/tariffs", include="citations,impacts")
    periods = [(t["rate_pct"], t["baseline_rate_pct"], t["previous_rate_pct"]) for t in tariffs]
    assert periods == [("15", "2.5", None), (None, "2.5", None), ("2.5", "2.5", None)]
    for tariff in tariffs:
        key = (tariff["imposing_country"], tariff["target_country"], tariff["product"])
        assert key == ("US", "JP", "vehicles")
        assert (tariff["effective_on"], tariff["valid_from"], tariff["valid_to"]) == (None,) * 3
        assert_verbatim(seeded_engine, tariff["citations"], *HISTORY)
    assert [len(t["impacts"]) for t in tariffs] == [2, 0, 0]
    # Undated, each period may be the one that held on any day before the article: none is
    # left out, none is certain.
    early = _data(client, "/v1/tariffs", valid_at="2015-01-01")
    assert [(t["rate_pct"], t["validity"]) for t in early] == [
        ("15", "possible"),
        (None, "possible"),
        ("2.5", "possible"),
    ]
    # "Raised", "pre-trade-war", "were recently lowered": the article tells of those two
    # as over by its date, and of the 15 % as holding then.
    assert [t["told_as"] for t in tariffs] == ["present", "past", "past"]
    for validity in ("possible", "certain"):
        on_the_day = _data(client, "/v1/tariffs", valid_at="2025-11-14", validity=validity)
        assert [(t["rate_pct"], t["validity"]) for t in on_the_day] == [("15", "certain")]
    assert [t["rate_pct"] for t in _data(client, "/v1/tariffs", sort="-id")] == [
        "2.5",
        None,
        "15",
    ]
