"""A database written through the API, exported, and imported into an empty database on
the same backend: the API serves the same facts from both, and exporting the copy gives the
same file. What only the API writes is what a file built by hand may lack: members that
differ from their partnership (``POST …/members``, a corrected partnership), a tariff's past
rate kept by a rate change, corrected rows of every kind."""

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.exporter import export_facts
from app.importer import import_facts, load_file
from tests.api.test_curation_partnerships import NO_TIES_QUOTE, SOURCE, US_TALKS, _pooling
from tests.conftest import Curator
from tests.helpers import client_for, scratch_engine, walk_pages

ARTICLE = "2026-02-02-honda-nissan-update"
ARTICLE_TEXT = (
    "Honda and Nissan update\n\n"
    "The United States lowered its tariff on vehicles from Japan to 10 percent on January 1,\n"
    "2026. Nissan now expects the tariffs to cut its profits by 120 billion yen ($0.8B USD)\n"
    "in fiscal 2026. BYD joined the Honda and Nissan talks in December 2025 and left them\n"
    "in January 2026. Honda and Nissan first spoke of pooling resources in 2025, and gave\n"
    "the idea up in January 2026. Honda named Jane Roe its chief of North America in\n"
    "March 2026. Honda will build hybrids at a new plant in Greensburg, Indiana. Nissan\n"
    "widened its recovery plan to 25,000 job cuts, and posted a net loss of 90 billion yen\n"
    '($0.6B USD) for the first half. "We will keep both brands," said Ivan Espinosa.\n'
)


def _cite(quote: str, source: str = ARTICLE) -> list[dict[str, str]]:
    return [{"source": source, "quote": quote}]


def _write(curator: Curator, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = curator.client.request(method, path, json=body, headers=curator.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def _id_of(client: TestClient, path: str, **match: Any) -> int:
    (row,) = [
        r for r in walk_pages(client, path, limit=200) if all(r[k] == v for k, v in match.items())
    ]
    return int(row["id"])


def _write_through_the_api(curator: Curator) -> None:
    """Every kind of write whose result a facts file must carry, on the seed."""
    post, patch = "POST", "PATCH"
    _write(
        curator,
        post,
        "/v1/sources",
        {
            "slug": ARTICLE,
            "title": "Honda and Nissan update",
            "publisher": "Wire",
            "published_on": "2026-02-02",
            "text": ARTICLE_TEXT,
        },
    )

    # A member added on its own, with its own certainty and quotes.
    talks = _id_of(curator.client, "/v1/partnerships", slug=US_TALKS)
    byd = {
        "company": "byd",
        "certainty": "unconfirmed",
        "citations": _cite("BYD joined the Honda and Nissan talks in December 2025"),
    }
    _write(curator, post, f"/v1/partnerships/{talks}/members", byd)

    # A partnership whose later correction leaves its members as they were stated.
    pooling = _write(curator, post, "/v1/partnerships", _pooling())
    path = f"/v1/partnerships/{pooling['id']}"
    _write(
        curator,
        patch,
        path,
        {
            "announced_on": "2025",
            "ended_on": "2026-01",
            "certainty": "confirmed",
            "citations": _cite("Honda and Nissan first spoke of pooling resources in 2025"),
        },
    )
    _write(
        curator,
        post,
        f"{path}/statuses",
        {
            "status": "abandoned",
            "valid_from": "2026-01",
            "certainty": "confirmed",
            "citations": _cite("gave the idea up in January 2026"),
        },
    )
    excluded = {
        "area": "cross-shareholding",
        "certainty": "excluded",
        "told_as": "past",
        "citations": _cite(NO_TIES_QUOTE, SOURCE),
    }
    _write(curator, post, f"{path}/scope", excluded)
    area = pooling["scope"][0]["id"]
    _write(curator, patch, f"{path}/scope/{area}", {"certainty": "unconfirmed"})

    # A rate change keeps the rate it replaces as the tariff's past; a new impact.
    tariff = next(
        t["id"]
        for t in walk_pages(curator.client, "/v1/tariffs", limit=200)
        if t["rate_pct"] == "15"
    )
    rate = {
        "rate_pct": "10",
        "effective_on": "2026-01-01",
        "citations": _cite("lowered its tariff on vehicles from Japan to 10 percent"),
    }
    _write(curator, patch, f"/v1/tariffs/{tariff}", rate)
    impact = {
        "company": "nissan",
        "fiscal_year": "2026",
        "metric": "profit",
        "direction": "decrease",
        "kind": "estimate",
        "amount": {"amount": "120000000000", "currency": "JPY", "usd": "800000000"},
        "certainty": "reported",
        "citations": _cite("Nissan now expects the tariffs to cut its profits by 120 billion yen"),
    }
    _write(curator, post, f"/v1/tariffs/{tariff}/impacts", impact)

    # An executive with a role, a corrected role; a statement, corrected.
    role = {
        "company": "honda",
        "title": "Chief of North America",
        "started_on": "2026-03",
        "certainty": "confirmed",
        "citations": _cite("Honda named Jane Roe its chief of North America"),
    }
    executive = {
        "slug": "jane-roe",
        "name": "Jane Roe",
        "certainty": "confirmed",
        "citations": role["citations"],
        "roles": [role],
    }
    created = _write(curator, post, "/v1/executives", executive)
    role_id = created["roles"][0]["id"]
    _write(curator, patch, f"/v1/executives/jane-roe/roles/{role_id}", {"certainty": "reported"})
    said = {
        "speaker_executive": "ivan-espinosa",
        "quote": "We will keep both brands,",
        "about_company": "nissan",
        "certainty": "confirmed",
        "citations": _cite('"We will keep both brands," said Ivan Espinosa'),
    }
    statement = _write(curator, post, "/v1/statements", said)
    _write(curator, patch, f"/v1/statements/{statement['id']}", {"certainty": "reported"})

    # A company's plan, result and plant, one corrected; a corrected company.
    plan = {
        "company": "nissan",
        "name": "Widened recovery plan",
        "job_cuts": 25000,
        "certainty": "reported",
        "citations": _cite("Nissan widened its recovery plan to 25,000 job cuts"),
    }
    plan_id = _write(curator, post, "/v1/restructuring-plans", plan)["id"]
    _write(curator, patch, f"/v1/restructuring-plans/{plan_id}", {"certainty": "confirmed"})
    result = {
        "company": "nissan",
        "period": "first half",
        "metric": "net_loss",
        "amount": {"amount": "90000000000", "currency": "JPY", "usd": "600000000"},
        "certainty": "confirmed",
        "citations": _cite("posted a net loss of 90 billion yen ($0.6B USD) for the first half"),
    }
    _write(curator, post, "/v1/companies/nissan/financial-results", result)
    # The same quote twice: the API keeps both citations, and so must the file.
    greensburg = _cite("Honda will build hybrids at a new plant in Greensburg, Indiana")
    plant = {
        "company": "honda",
        "name": "Greensburg",
        "city": "Greensburg",
        "region": "Indiana",
        "country": "US",
        "certainty": "reported",
        "citations": greensburg * 2,
    }
    _write(curator, post, "/v1/companies/honda/plants", plant)
    _write(curator, patch, "/v1/companies/byd", {"certainty": "reported"})


# -- what the API serves -----------------------------------------------------------------------

# Ids are the database's own (a correction's copy takes one, an import numbers afresh), and
# recorded time is when each database wrote its rows: neither is a fact of the file.
_NOT_FACTS = frozenset({"id", "recorded_from", "recorded_to", "partnership", "tariff"})
# Dates on both sides of the writes above: what members, statuses and rates held on each.
_DAYS = ("2024-06-01", "2025-06-01", "2025-11-20", "2025-12-15", "2026-01-15", "2026-04-01")
_LISTS = (
    ("/v1/facts", {}),
    ("/v1/companies", {"include": "citations"}),
    ("/v1/executives", {"include": "roles,citations"}),
    ("/v1/partnerships", {"include": "members,citations"}),
    ("/v1/tariffs", {"include": "impacts,citations"}),
    ("/v1/restructuring-plans", {"include": "citations"}),
    ("/v1/statements", {"include": "citations"}),
    ("/v1/sources", {}),
    ("/v1/companies/nissan/financial-results", {"include": "citations"}),
    ("/v1/companies/honda/plants", {"include": "citations"}),
    ("/v1/companies/byd/partnerships", {"include": "members"}),
)


def _facts_only(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _facts_only(v) for k, v in value.items() if k not in _NOT_FACTS}
    if isinstance(value, list):
        return [_facts_only(item) for item in value]
    return value


def _served(client: TestClient) -> dict[str, Any]:
    """What the API answers about every fact, now and on each of ``_DAYS``: every list
    (its rows in a stable order, since ids differ), and each partnership and tariff whole."""
    served: dict[str, Any] = {}
    for day in (None, *_DAYS):
        when = {} if day is None else {"valid_at": day}
        for path, params in _LISTS:
            if day is not None and path == "/v1/sources":
                continue  # not facts: a source holds on no day
            rows = walk_pages(client, path, {**params, **when}, limit=200)
            served[f"{path} {when}"] = sorted(
                json.dumps(_facts_only(row), sort_keys=True) for row in rows
            )
            if path in ("/v1/partnerships", "/v1/tariffs"):
                for row in rows:
                    response = client.get(f"{path}/{row['id']}", params=when)
                    assert response.status_code == 200, response.text
                    key = row.get("slug") or row["rate_pct"]
                    served[f"{path}/{key} {when}"] = _facts_only(response.json())
    return served


def test_what_the_api_wrote_round_trips(curator: Curator, tmp_path: Path) -> None:
    _write_through_the_api(curator)
    with Session(curator.engine) as session:
        exported = export_facts(session)
    path = tmp_path / "export.yaml"
    path.write_text(exported, encoding="utf-8")

    # The members the API made differ from their partnerships, and say so.
    file = load_file(path)
    members = {
        p.slug: {m.company: m.model_fields_set for m in p.members} for p in file.partnerships
    }
    assert members[US_TALKS]["byd"] > {"company", "certainty", "citations"}
    assert members[US_TALKS]["honda"] == {"company"}
    assert members["honda-nissan-pooling"]["nissan"] > {"company", "valid_from", "certainty"}
    (tariff,) = [t for t in file.tariffs if t.past_rates]
    assert [(str(p.rate_pct), p.ended_on) for p in tariff.past_rates] == [("15", "2026-01-01")]

    # Imported where it came from, it adds nothing: every row matches its stored twin.
    with Session(curator.engine) as session:
        assert import_facts(session, file).total == 0

    with scratch_engine(tmp_path) as copy:
        with Session(copy) as session:
            import_facts(session, file)
        with Session(copy) as session:
            assert export_facts(session) == exported
        with client_for(copy) as copied:
            assert _served(copied) == _served(curator.client)
