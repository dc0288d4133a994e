"""The importer loads the seed whole and faithfully, is idempotent, and refuses a bad file
with every problem named, leaving the database as it was."""

import copy
import datetime as dt
import json
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

import app.cli
from app.core.config import get_settings
from app.core.dates import Precision
from app.core.db import begin_write
from app.core.quotes import locate_quote
from app.importer import ImportRefused, ImportReport, import_facts, load_file
from app.models import (
    FACT_MODELS,
    Certainty,
    Citation,
    Company,
    Executive,
    ExecutiveRole,
    Fact,
    FinancialResult,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatus,
    PartnershipStatusChange,
    Plant,
    RestructuringPlan,
    Source,
    Tariff,
    TariffImpact,
)
from app.services.facts import project_fact
from tests.conftest import Curator
from tests.helpers import changes_since, client_for, feed_end, get_data

SEED = get_settings().seed_file
ARTICLE = "2025-11-14-honda-nissan"
FACT_TABLES = FACT_MODELS

Data = dict[str, Any]


def _import(engine: Engine, path: Path = SEED) -> ImportReport:
    with Session(engine) as session:
        return import_facts(session, load_file(path))


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            name: session.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }


def _seed_data() -> Data:
    """The seed as plain data, its YAML aliases unshared so that a change touches one entry."""
    return json.loads(json.dumps(yaml.safe_load(SEED.read_text(encoding="utf-8"))))  # type: ignore[no-any-return]


def _write(directory: Path, data: Data) -> Path:
    """``data`` as a facts file beside a copy of the seed article."""
    shutil.copy(SEED.parent / f"article-{ARTICLE}.txt", directory)
    path = directory / "facts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _quotes_in(node: Any) -> list[str]:
    """Every citation quote in a facts file's data (a statement's own ``quote`` is not one:
    its words, inside one of its citations)."""
    if isinstance(node, list):
        return [quote for item in node for quote in _quotes_in(item)]
    if isinstance(node, dict):
        quotes = [node["quote"]] if "source" in node else []
        return quotes + [quote for value in node.values() for quote in _quotes_in(value)]
    return []


def _refusal(engine: Engine, path: Path) -> list[str]:
    """The problems of importing ``path``, which must change nothing."""
    before = _counts(engine)
    with pytest.raises(ImportRefused) as refused:
        _import(engine, path)
    assert _counts(engine) == before
    return refused.value.problems


# -- the seed ----------------------------------------------------------------------------------


def test_seed_holds_every_item_of_the_spec(empty_db_engine: Engine) -> None:
    report = _import(empty_db_engine)
    assert report.created["source"] == 1 and report.created["fact"] > 0

    with Session(empty_db_engine) as session:
        source = session.exec(select(Source)).one()
        assert (source.slug, source.published_on) == (ARTICLE, dt.date(2025, 11, 14))
        assert source.reported_by == "Nikkei Asia" and source.url is None
        assert len(source.sha256) == 64

        companies = {c.slug: c for c in session.exec(select(Company))}
        assert {slug: (c.name, c.country, c.kind) for slug, c in companies.items()} == {
            "honda": ("Honda", "JP", "automaker"),
            "nissan": ("Nissan", "JP", "automaker"),
            "byd": ("BYD", "CN", "automaker"),
            "nikkei-asia": ("Nikkei Asia", None, "media"),
        }
        assert "aggressive pricing" in (companies["byd"].description or "")
        ids = {slug: c.id for slug, c in companies.items()}

        executive = session.exec(select(Executive)).one()
        role = session.exec(select(ExecutiveRole)).one()
        assert (executive.slug, executive.name) == ("ivan-espinosa", "Ivan Espinosa")
        assert (role.executive_id, role.company_id, role.title) == (
            executive.id,
            ids["nissan"],
            "CEO",
        )
        assert (role.valid_from, role.valid_from_precision) == (
            dt.date(2025, 4, 1),
            Precision.month,
        )
        assert role.valid_to is None

        partnerships = {p.slug: p for p in session.exec(select(Partnership))}
        assert {slug: p.status for slug, p in partnerships.items()} == {
            "honda-nissan-merger": PartnershipStatus.abandoned,
            "honda-nissan-2024-agreement": PartnershipStatus.signed,
            "honda-nissan-us-collaboration": PartnershipStatus.in_talks,
        }
        for partnership in partnerships.values():
            members = session.exec(
                select(PartnershipMember.company_id).where(
                    PartnershipMember.partnership_id == partnership.id
                )
            ).all()
            assert sorted(members) == sorted([ids["honda"], ids["nissan"]])
        history = {
            s.partnership_id: (s.status, s.valid_from, s.valid_from_precision)
            for s in session.exec(select(PartnershipStatusChange))
        }
        year = Precision.year
        assert history == {
            partnerships["honda-nissan-merger"].id: ("abandoned", dt.date(2025, 1, 1), year),
            partnerships["honda-nissan-2024-agreement"].id: ("signed", dt.date(2024, 1, 1), year),
            partnerships["honda-nissan-us-collaboration"].id: (
                "in_talks",
                dt.date(2025, 1, 1),
                year,
            ),
        }
        talks = partnerships["honda-nissan-us-collaboration"]
        scope = {
            s.area: s.certainty
            for s in session.exec(
                select(PartnershipScope).where(PartnershipScope.partnership_id == talks.id)
            )
        }
        assert scope == {
            "joint development of vehicles and powertrains": Certainty.reported,
            "platform co-development": Certainty.reported,
            "powertrain sharing": Certainty.reported,
            "joint production in North America": Certainty.reported,
            "production of Nissan vehicles in Honda's North American plants": Certainty.unconfirmed,
            "merger": Certainty.excluded,
            "cross-shareholding": Certainty.excluded,
        }

        # The rate's three periods (15 % now, raised before, 2.5 % before the trade war),
        # undated; the impacts are the current period's.
        tariffs = session.exec(select(Tariff).order_by(col(Tariff.id))).all()
        assert {(t.imposing_country, t.target_country, t.product) for t in tariffs} == {
            ("US", "JP", "vehicles")
        }
        assert [t.rate_pct for t in tariffs] == [Decimal(15), None, Decimal("2.5")]
        assert {t.baseline_rate_pct for t in tariffs} == {Decimal("2.5")}
        assert {(t.previous_rate_pct, t.valid_from, t.valid_to) for t in tariffs} == {
            (None, None, None)
        }
        impacts = {
            i.company_id: (i.fiscal_year, i.metric, i.direction, i.kind, i.amount, i.usd)
            for i in session.exec(
                select(TariffImpact).where(TariffImpact.tariff_id == tariffs[0].id)
            )
        }
        assert impacts == {
            ids["nissan"]: (
                "FY2025",
                "profit",
                "decrease",
                "estimate",
                Decimal("275e9"),
                Decimal("1.8e9"),
            ),
            ids["honda"]: (None, None, None, "estimate", Decimal("385e9"), Decimal("2.5e9")),
        }

        plan = session.exec(select(RestructuringPlan)).one()
        assert plan.company_id == ids["nissan"]
        assert (plan.job_cuts, plan.plants_before, plan.plants_after, plan.target_year) == (
            20000,
            17,
            10,
            2028,
        )
        result = session.exec(select(FinancialResult)).one()
        assert (result.company_id, result.metric, result.period) == (ids["nissan"], "loss", None)
        assert (result.amount, result.currency, result.usd) == (
            Decimal("221900000000"),
            "JPY",
            Decimal("1500000000"),
        )
        plant = session.exec(select(Plant)).one()
        assert (plant.company_id, plant.city, plant.region, plant.country) == (
            ids["honda"],
            "Marysville",
            "Ohio",
            "US",
        )


def test_every_fact_row_is_cited_dated_and_projected(empty_db_engine: Engine) -> None:
    _import(empty_db_engine)
    with Session(empty_db_engine) as session:
        cited = set(session.exec(select(Citation.fact_type, Citation.fact_id)).all())
        facts = {(f.fact_type, f.fact_id): f for f in session.exec(select(Fact))}
        rows = 0
        for model in FACT_TABLES:
            for row in session.exec(select(model)):
                rows += 1
                key = (model.__tablename__, row.id)
                assert key in cited, key
                assert row.known_from == dt.date(2025, 11, 14)
                fact = facts[key]
                assert (fact.certainty, fact.valid_from, fact.known_from) == (
                    row.certainty,
                    row.valid_from,
                    row.known_from,
                )
        assert len(facts) == rows


def test_citation_offsets_slice_the_source_to_the_quote(empty_db_engine: Engine) -> None:
    _import(empty_db_engine)
    written = {" ".join(quote.split()) for quote in _quotes_in(_seed_data())}
    with Session(empty_db_engine) as session:
        source = session.exec(select(Source)).one()
        citations = session.exec(select(Citation)).all()
        assert citations
        for citation in citations:
            span = source.text[citation.start_offset : citation.end_offset]
            assert span == citation.quote
            assert locate_quote(source.text, span) == (citation.start_offset, citation.end_offset)
        assert {" ".join(c.quote.split()) for c in citations} == written
        curly = "“We are not talking about integration or capital ties.”"
        assert curly in {c.quote for c in citations}


def test_facts_say_what_the_rows_say(empty_db_engine: Engine) -> None:
    _import(empty_db_engine)
    with Session(empty_db_engine) as session:
        nissan = session.exec(select(Company).where(Company.slug == "nissan")).one()

        def fact(predicate: str, **where: Any) -> Fact:
            statement = select(Fact).where(Fact.predicate == predicate)
            for column, value in where.items():
                statement = statement.where(getattr(Fact, column) == value)
            return session.exec(statement).one()

        loss = fact("loss")
        assert (loss.subject_type, loss.subject, loss.company_id) == (
            "company",
            "nissan",
            nissan.id,
        )
        assert loss.value == {
            "period": None,
            "amount": {"amount": "221900000000", "currency": "JPY", "usd": "1500000000"},
        }
        role = fact("holds_role")
        assert (role.subject, role.company_id) == ("ivan-espinosa", nissan.id)
        assert role.value == {"title": "CEO", "company": "nissan"}
        assert (role.valid_from, role.valid_from_precision) == (dt.date(2025, 4, 1), "month")
        tariff = fact("tariff", fact_id=1)
        assert tariff.subject == "US tariff on vehicles from JP"
        assert tariff.value["rate_pct"] == "15" and tariff.value["baseline_rate_pct"] == "2.5"
        excluded = session.exec(select(Fact).where(Fact.predicate == "excludes")).all()
        assert sorted(f.value for f in excluded) == ["cross-shareholding", "merger"]
        assert {f.certainty for f in excluded} == {Certainty.excluded}

        # Projecting a row again updates its one fact, to the same value.
        count = session.exec(select(func.count()).select_from(Fact)).one()
        before = fact("restructuring_plan").value
        projected = project_fact(session, session.exec(select(RestructuringPlan)).one())
        session.flush()
        assert projected.value == before
        assert session.exec(select(func.count()).select_from(Fact)).one() == count


def test_a_second_import_adds_nothing(empty_db_engine: Engine) -> None:
    _import(empty_db_engine)
    before = _counts(empty_db_engine)
    report = _import(empty_db_engine)
    assert report.total == 0
    assert _counts(empty_db_engine) == before


# -- refusals ----------------------------------------------------------------------------------


def _at(data: Data, path: str) -> Any:
    """The entry at ``partnerships.2.scope.0``."""
    node: Any = data
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def _set(path: str, value: Any) -> Callable[[Data], None]:
    parent, _, last = path.rpartition(".")

    def change(data: Data) -> None:
        _at(data, parent)[int(last) if last.isdigit() else last] = value

    return change


def _straighten(data: Data) -> None:
    quote = _at(data, "partnerships.2.excluded.1.citations.1")
    quote["quote"] = quote["quote"].replace("“", '"').replace("”", '"')


def _other_text(data: Data) -> None:
    source = data["sources"][0]
    del source["text_file"]
    source["text"] = "Honda and Nissan, longtime potential dance partners, corrected."


def _state_twice(data: Data) -> None:
    data["plants"].append(copy.deepcopy(data["plants"][0]))


REFUSALS = [
    pytest.param(
        _set("partnerships.2.scope.0.citations.0.quote", "jointly develop aircraft"),
        f"partnerships[2].scope[0].citations[0].quote: not found in source '{ARTICLE}'",
        id="quote-not-in-source",
    ),
    pytest.param(
        _straighten,
        f"partnerships[2].excluded[1].citations[1].quote: not found in source '{ARTICLE}'",
        id="curly-quotes-straightened",
    ),
    pytest.param(
        _set("plants.0.company", "toyota"),
        "plants[0].company: unknown company 'toyota'",
        id="unknown-company",
    ),
    pytest.param(
        _set("partnerships.1.members.1", "mitsubishi"),
        "partnerships[1].members[1]: unknown company 'mitsubishi'",
        id="unknown-member",
    ),
    pytest.param(
        _set("partnerships.1.members.1", {"company": "mitsubishi", "certainty": "reported"}),
        "partnerships[1].members[1].company: unknown company 'mitsubishi'",
        id="unknown-member-object",
    ),
    pytest.param(
        _set("partnerships.1.members.0", {"company": "honda", "certainty": None}),
        "partnerships[1].members[0].certainty: may be left out (the partnership's), not null",
        id="member-certainty-null",
    ),
    pytest.param(
        _set(
            "partnerships.1.members.0",
            {"company": "honda", "citations": [{"source": ARTICLE, "quote": "jointly fly"}]},
        ),
        f"partnerships[1].members[0].citations[0].quote: not found in source '{ARTICLE}'",
        id="member-quote-not-in-source",
    ),
    pytest.param(
        _set("partnerships.1.members.0", {"company": "honda", "certainty": "excluded"}),
        "partnerships[1].members[0].certainty: is 'excluded' here but",
        id="member-contradicts-stored-row",
    ),
    pytest.param(
        _set("partnerships.1.members.0", {"company": "honda", "valid_to": "2024"}),
        "partnerships[1].members[0].valid_to: is '2024-01-01' here but null in the database",
        id="member-dates-contradict-stored-row",
    ),
    pytest.param(
        _set(
            "tariffs.0.past_rates",
            [
                {
                    "rate_pct": "2.5",
                    "effective_on": "2025-06",
                    "ended_on": "2025-06-01",
                    "certainty": "reported",
                    "citations": [{"source": ARTICLE, "quote": "lowered to 15 percent"}],
                }
            ],
        ),
        "tariffs[0].past_rates[0].ended_on:",
        id="past-rate-ends-before-it-begins",
    ),
    pytest.param(
        _set("companies.0.citations.0.source", "2025-11-15-elsewhere"),
        "companies[0].citations[0].source: unknown source '2025-11-15-elsewhere'",
        id="unknown-source",
    ),
    pytest.param(
        _set("companies.0.citations.0.source", 1),
        "companies[0].citations[0].source: name the source by its slug",
        id="source-by-id",
    ),
    pytest.param(
        _set("companies.0.citations.0.source_id", 1),
        "companies[0].citations[0].source_id: name the source by its slug",
        id="source_id",
    ),
    pytest.param(
        _set("sources.0.slug", "2025"),
        "sources[0].slug: '2025' reads as a source id",
        id="source-slug-of-digits",
    ),
    pytest.param(
        _set("companies.2.country", "China"),
        "companies[2].country: 'China' is not an ISO 3166-1 alpha-2 code",
        id="bad-country",
    ),
    pytest.param(
        _set("executives.0.roles.0.started_on", "April 2025"),
        "executives[0].roles[0].started_on: 'April 2025' is not a date",
        id="bad-partial-date",
    ),
    pytest.param(
        _set("partnerships.0.statuses.0.valid_from", "2025-02-30"),
        "partnerships[0].statuses[0].valid_from:",
        id="impossible-date",
    ),
    pytest.param(
        _set("tariffs.0.impacts.0.amount.amount", 275000000000.0),
        "tariffs[0].impacts[0].amount.amount: must be a decimal in quotes",
        id="float-money",
    ),
    pytest.param(
        _set("tariffs.0.rate_pct", 15),
        "tariffs[0].rate_pct: must be a decimal in quotes",
        id="number-percent",
    ),
    pytest.param(
        _set("financial_results.0.amount.usd", "1.5B"),
        "financial_results[0].amount.usd: '1.5B' is not a plain decimal",
        id="bad-decimal",
    ),
    pytest.param(
        _set("financial_results.0.amount.currency", "yen"),
        "financial_results[0].amount.currency: 'yen' is not an ISO 4217 code",
        id="bad-currency",
    ),
    pytest.param(
        _set("partnerships.0.status", "abandoned"),
        "partnerships[0].status: unknown key",
        id="unknown-key",
    ),
    pytest.param(
        _set("partnerships.2.scope.4.certainty", "rumoured"),
        "partnerships[2].scope[4].certainty:",
        id="bad-certainty",
    ),
    pytest.param(
        _other_text,
        f"sources[0].text: differs from the text stored for source '{ARTICLE}'",
        id="source-text-changed",
    ),
    pytest.param(
        _set("companies.0.country", "US"),
        "companies[0].country: is 'US' here but 'JP' in the database",
        id="contradicts-stored-row",
    ),
    pytest.param(
        _state_twice,
        "plants[1]: states again what plants[0] states",
        id="stated-twice",
    ),
]


@pytest.mark.parametrize(("change", "problem"), REFUSALS)
def test_refusal_names_entry_and_field_and_changes_nothing(
    empty_db_engine: Engine, tmp_path: Path, change: Callable[[Data], None], problem: str
) -> None:
    _import(empty_db_engine)
    data = _seed_data()
    change(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert any(p.startswith(problem) for p in problems), problems


def test_a_bad_file_writes_none_of_its_good_rows(empty_db_engine: Engine, tmp_path: Path) -> None:
    data = _seed_data()
    _set("plants.0.citations.0.quote", "Honda plant in Marysville, Kentucky")(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert problems == [f"plants[0].citations[0].quote: not found in source '{ARTICLE}'"]
    assert not any(_counts(empty_db_engine).values())


def test_a_quote_cutting_a_word_is_refused_as_the_api_refuses_it(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    data = _seed_data()
    _set("plants.0.citations.0.quote", "onda plant in Marysville")(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert problems == [
        "plants[0].citations[0].quote: cuts a word of its source at its start or end: "
        "quote whole words"
    ]
    assert not any(_counts(empty_db_engine).values())


def test_every_problem_is_reported_not_just_the_first(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    data = _seed_data()
    _set("plants.0.company", "toyota")(data)
    _set("plants.0.citations.0.quote", "Toyota plant in Georgetown")(data)
    _set("tariffs.0.impacts.1.citations.0.source", "nowhere")(data)
    _straighten(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert [p.split(":")[0] for p in problems] == [
        "partnerships[2].excluded[1].citations[1].quote",
        "tariffs[0].impacts[1].citations[0].source",
        "plants[0].company",
        "plants[0].citations[0].quote",
    ]

    # Format errors are all reported too, before the database is read.
    data = _seed_data()
    _set("companies.0.country", "jp")(data)
    _set("plants.0.founded", "1979")(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert [p.split(":")[0] for p in problems] == ["companies[0].country", "plants[0].founded"]


def test_yaml_traps_are_avoided(empty_db_engine: Engine, tmp_path: Path) -> None:
    text = "Norsk Hydro, of Norway (NO), opened on 2024-06-01."
    facts = f"""
format: autofacts/v1
sources:
  - {{slug: note, title: A note, published_on: 2024-06-02, text: "{text}"}}
companies:
  - slug: norsk-hydro
    name: Norsk Hydro
    country: NO
    kind: supplier
    certainty: confirmed
    citations: [{{source: note, quote: "Norsk Hydro, of Norway (NO)"}}]
"""
    path = tmp_path / "facts.yaml"
    path.write_text(facts, encoding="utf-8")
    _import(empty_db_engine, path)
    with Session(empty_db_engine) as session:
        assert session.exec(select(Company.country)).one() == "NO"
        assert session.exec(select(Source.published_on)).one() == dt.date(2024, 6, 2)

    duplicate = facts.replace("kind: supplier", "kind: supplier\n    kind: automaker")
    path.write_text(duplicate, encoding="utf-8")
    problems = _refusal(empty_db_engine, path)
    assert len(problems) == 1 and "duplicate key 'kind'" in problems[0]


# -- later files -------------------------------------------------------------------------------


def test_a_later_file_builds_on_stored_rows(empty_db_engine: Engine, tmp_path: Path) -> None:
    """A new source can cite stored companies, add quotes to stored facts, move their
    known_from earlier, and extend a partnership's status history."""
    _import(empty_db_engine)
    seed = _seed_data()
    older = "Honda builds cars in Marysville. Honda and Nissan signed a deal in 2026."
    talks = copy.deepcopy(seed["partnerships"][2])
    talks["statuses"].append(
        {
            "status": "signed",
            "valid_from": "2026",
            "certainty": "confirmed",
            "citations": [{"source": "older-note", "quote": "signed a deal in 2026"}],
        }
    )
    honda = copy.deepcopy(seed["companies"][0])
    honda["citations"].append({"source": "older-note", "quote": "Honda builds cars"})
    data = {
        "format": "autofacts/v1",
        "sources": [
            {"slug": "older-note", "title": "A note", "published_on": "2020-01-01", "text": older}
        ],
        "companies": [honda],
        "partnerships": [talks],
    }
    report = _import(empty_db_engine, _write(tmp_path, data))
    assert {table: n for table, n in report.created.items() if n} == {
        "source": 1,
        "partnership_status": 1,
        "citation": 2,
        "fact": 1,
    }
    with Session(empty_db_engine) as session:
        company = session.exec(select(Company).where(Company.slug == "honda")).one()
        assert company.known_from == dt.date(2020, 1, 1)
        fact = session.exec(
            select(Fact).where(Fact.fact_type == "company", Fact.fact_id == company.id)
        ).one()
        assert fact.known_from == dt.date(2020, 1, 1)
        partnership = session.exec(
            select(Partnership).where(Partnership.slug == "honda-nissan-us-collaboration")
        ).one()
        assert partnership.status == PartnershipStatus.signed
        statuses = session.exec(
            select(PartnershipStatusChange.status)
            .where(PartnershipStatusChange.partnership_id == partnership.id)
            .order_by(col(PartnershipStatusChange.id))
        ).all()
        assert statuses == ["in_talks", "signed"]
    assert _import(empty_db_engine, tmp_path / "facts.yaml").total == 0


def test_a_later_file_may_not_overlap_a_stored_status_history(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    """A status a file adds to a stored partnership is held to the rule within a file: no
    two statuses certainly share a day. The stored talks began some day of 2025; a status
    from 2024 to mid-2026 certainly covers part of that, wherever its bounds fall."""
    _import(empty_db_engine)
    talks = copy.deepcopy(_seed_data()["partnerships"][2])
    talks["statuses"] = [
        {
            "status": "proposed",
            "valid_from": "2024",
            "valid_to": "2026-06",
            "certainty": "confirmed",
            "citations": [{"source": ARTICLE, "quote": "back at the table"}],
        }
    ]
    path = _write(tmp_path, {"format": "autofacts/v1", "partnerships": [talks]})
    (problem,) = _refusal(empty_db_engine, path)
    assert problem.startswith("partnerships[0].statuses[0]:")
    assert "(2024 to 2026-06)" in problem and "stored status in_talks" in problem
    assert "certainly overlap" in problem
    # Beside the talks' own status in the file, it is refused within the file as well.
    talks["statuses"].insert(0, copy.deepcopy(_seed_data()["partnerships"][2]["statuses"][0]))
    problems = _refusal(
        empty_db_engine, _write(tmp_path, {"format": "autofacts/v1", "partnerships": [talks]})
    )
    assert any("statuses[1]" in p and "certainly overlap" in p for p in problems), problems


def test_a_file_ending_a_partnership_before_its_status_began_is_refused(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    """The API's rule for a body (an end certainly before a status began) holds a file's
    entry too, named at its end."""
    _import(empty_db_engine)
    talks = copy.deepcopy(_seed_data()["partnerships"][2])
    talks["slug"] = "honda-nissan-us-talks-ended"
    talks["ended_on"] = "2024"  # the talks began some day of 2025
    file = {"format": "autofacts/v1", "partnerships": [talks]}
    (problem,) = _refusal(empty_db_engine, _write(tmp_path, file))
    assert problem.startswith("partnerships[0].ended_on: 2024 is before statuses[0] (in_talks)")
    talks["ended_on"] = "2025-06"  # in the year the talks began: they may have begun first
    assert _import(empty_db_engine, _write(tmp_path, file)).created["partnership"] == 1


# -- the change feed ---------------------------------------------------------------------------

# The table whose rows each resource of the change log stands for (a partnership's members,
# statuses and scope are changes of the partnership).
RESOURCE_TABLES = {
    "sources": "source",
    "companies": "company",
    "executives": "executive",
    "executive-roles": "executive_role",
    "partnerships": "partnership",
    "tariffs": "tariff",
    "tariff-impacts": "tariff_impact",
    "restructuring-plans": "restructuring_plan",
    "financial-results": "financial_result",
    "plants": "plant",
    "statements": "statement",
}


def _served_at(change: Data) -> str:
    """The URL a GET of a logged resource is answered at."""
    after, resource, resource_id = change["after"], change["resource"], change["resource_id"]
    if resource == "executive-roles":
        return f"/v1/executives/{after['executive']['slug']}/roles/{resource_id}"
    if resource == "tariff-impacts":
        return f"/v1/tariffs/{after['tariff']['id']}/impacts/{resource_id}"
    if resource in ("plants", "financial-results"):
        return f"/v1/companies/{after['company']}/{resource}/{resource_id}"
    return f"/v1/{resource}/{resource_id}"


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_seed_logs_every_resource_it_creates_once(
    empty_db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service mirroring the feed sees the seed: each resource once, created by the
    import, at the instant its rows were recorded, as a GET of it answers."""
    monkeypatch.setattr(app.cli, "get_engine", lambda: empty_db_engine)
    assert CliRunner().invoke(app.cli.app, ["seed"]).exit_code == 0
    counts = _counts(empty_db_engine)
    with client_for(empty_db_engine) as client:
        changes = changes_since(client)
        logged = Counter(change["resource"] for change in changes)
        assert logged == {resource: counts[table] for resource, table in RESOURCE_TABLES.items()}
        assert len({(c["resource"], c["resource_id"]) for c in changes}) == len(changes)
        assert {(c["operation"], c["actor"], c["before"]) for c in changes} == {
            ("create", "import:facts.yaml", None)
        }
        recorded = client.get("/v1/companies/honda").json()["recorded_from"]
        assert {_instant(c["occurred_at"]) for c in changes} == {_instant(recorded)}
        # Parents come first: a consumer replaying the feed meets what a row names before it.
        assert [c["resource"] for c in changes[:2]] == ["sources", "companies"]
        for change in changes:
            assert change["after"] == client.get(_served_at(change)).json(), change["resource"]


def test_a_later_file_logs_what_it_adds_and_what_it_changes(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    """A second file logs its new source and role as created, and the stored company it
    cites anew, the executive it adds the role to and the partnership it adds a status to
    as updated (before: what the seed logged); what it only restates is not logged.
    Importing it again logs nothing."""
    _import(empty_db_engine)
    seed = _seed_data()
    talks = copy.deepcopy(seed["partnerships"][2])
    talks["statuses"].append(
        {
            "status": "signed",
            "valid_from": "2026",
            "certainty": "confirmed",
            "citations": [{"source": "older-note", "quote": "signed a deal in 2026"}],
        }
    )
    honda = copy.deepcopy(seed["companies"][0])
    honda["citations"].append({"source": "older-note", "quote": "Honda builds cars"})
    espinosa = copy.deepcopy(seed["executives"][0])
    espinosa["roles"].append(
        {
            "company": "honda",
            "title": "Adviser",
            "certainty": "reported",
            "citations": [{"source": "older-note", "quote": "Ivan Espinosa advises Honda"}],
        }
    )
    older = (
        "Honda builds cars in Marysville. Honda and Nissan signed a deal in 2026. "
        "Ivan Espinosa advises Honda."
    )
    data = {
        "format": "autofacts/v1",
        "sources": [
            {"slug": "older-note", "title": "A note", "published_on": "2020-01-01", "text": older}
        ],
        # Nissan and the plan are restated as stored: nothing of theirs changes.
        "companies": [honda, seed["companies"][1]],
        "executives": [espinosa],
        "partnerships": [talks],
        "restructuring_plans": seed["restructuring_plans"],
    }
    with client_for(empty_db_engine) as client:
        seeded = {(c["resource"], c["resource_id"]): c["after"] for c in changes_since(client)}
        cursor = feed_end(client)
        _import(empty_db_engine, _write(tmp_path, data))
        changes = changes_since(client, cursor)
        assert [(c["operation"], c["resource"]) for c in changes] == [
            ("create", "sources"),
            ("update", "companies"),
            ("update", "executives"),
            ("create", "executive-roles"),
            ("update", "partnerships"),
        ]
        assert changes[0]["after"]["slug"] == "older-note"
        assert changes[1]["resource_id"] == "honda"
        assert changes[2]["resource_id"] == "ivan-espinosa"
        assert [r["title"] for r in changes[2]["after"]["roles"]] == ["CEO", "Adviser"]
        assert changes[3]["after"]["company"]["slug"] == "honda"
        assert {c["actor"] for c in changes} == {"import"}
        for change in changes:
            key = (change["resource"], change["resource_id"])
            assert change["before"] == seeded.get(key)
            assert change["after"] == client.get(_served_at(change)).json()
        honda_change = changes[1]
        assert honda_change["after"]["known_from"] == "2020-01-01"
        assert honda_change["after"]["citations"][:-1] == honda_change["before"]["citations"]
        assert honda_change["after"]["citations"][-1]["quote"] == "Honda builds cars"
        talks_change = changes[4]
        assert [s["status"] for s in talks_change["after"]["status_history"]] == [
            "in_talks",
            "signed",
        ]

        cursor = feed_end(client)
        assert _import(empty_db_engine, tmp_path / "facts.yaml").total == 0
        assert changes_since(client, cursor) == []


def test_a_refused_import_logs_nothing(empty_db_engine: Engine, tmp_path: Path) -> None:
    _import(empty_db_engine)
    data = _seed_data()
    data["companies"].append(
        {
            "slug": "tesla",
            "name": "Tesla",
            "kind": "automaker",
            "certainty": "confirmed",
            "citations": [{"source": ARTICLE, "quote": "Honda"}],
        }
    )
    _set("plants.0.citations.0.quote", "Honda plant in Marysville, Kentucky")(data)
    with client_for(empty_db_engine) as client:
        cursor = feed_end(client)
        _refusal(empty_db_engine, _write(tmp_path, data))
        assert changes_since(client, cursor) == []


def test_a_feed_consumer_rebuilds_the_companies_the_api_lists(curator: Curator) -> None:
    """Replaying the whole feed, page by page (the seed's import, then API writes),
    gives the companies the API lists, each as it is served."""
    client, headers = curator.client, curator.headers
    byd_tag = client.get("/v1/companies/byd").headers["ETag"]
    assert client.patch(
        "/v1/companies/byd", json={"name": "BYD Auto"}, headers={**headers, "If-Match": byd_tag}
    ).is_success
    assert client.delete("/v1/companies/nikkei-asia", headers=headers).status_code == 204

    mirror: dict[str, Any] = {}
    since: str | None = None
    while True:
        page = client.get("/v1/changes", params={"limit": 3} | ({"since": since} if since else {}))
        for change in page.json()["data"]:
            if change["resource"] != "companies":
                continue
            if change["after"] is None:
                del mirror[change["resource_id"]]
            else:
                mirror[change["resource_id"]] = change["after"]
        since = page.json()["next_cursor"]
        if not page.json()["has_more"]:
            break
    listed = get_data(client, "/v1/companies", include="citations")
    assert mirror == {company["slug"]: company for company in listed}
    assert set(mirror) == {"honda", "nissan", "byd"}


# -- the command line --------------------------------------------------------------------------


def test_cli_import_prints_counts_or_every_problem(
    empty_db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.cli, "get_engine", lambda: empty_db_engine)
    runner = CliRunner()

    result = runner.invoke(app.cli.app, ["import", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "partnership_scope" in result.stdout and "rows created" in result.stdout

    result = runner.invoke(app.cli.app, ["seed"])
    assert result.exit_code == 0 and "skipped" in result.stdout

    data = _seed_data()
    _set("plants.0.company", "toyota")(data)
    _set("companies.2.country", "CHN")(data)
    result = runner.invoke(app.cli.app, ["import", str(_write(tmp_path, data))])
    assert result.exit_code == 1
    assert "companies[2].country" in result.stderr


def test_an_import_takes_its_turn_among_writers(empty_db_engine: Engine) -> None:
    """An import waits for a write in progress, as the API's writes wait for each other
    (begin_write): on PostgreSQL it would otherwise hold company tally rows that a waiting
    API write needs. (SQLite has one writer at a time whatever the code does.)"""
    finished = threading.Event()

    def run_import() -> None:
        _import(empty_db_engine)
        finished.set()

    with Session(empty_db_engine) as writer:
        begin_write(writer)
        importing = threading.Thread(target=run_import)
        importing.start()
        try:
            assert not finished.wait(1.0)
        finally:
            writer.rollback()
    importing.join(timeout=30)
    assert finished.is_set()
    assert _counts(empty_db_engine)["company"] == 4
