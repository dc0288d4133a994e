"""``autofacts export`` writes a facts file that ``autofacts import`` loads back unchanged:
the same rows in an empty database, and the same bytes when exported again."""

import csv
import datetime as dt
import io
import json
import os
import types
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import app.cli
from app.core.config import get_settings
from app.core.dates import Precision
from app.core.db import get_engine
from app.core.formats import _cell
from app.exporter import (
    ExportRefused,
    export_facts,
    export_file,
    snapshot_session,
    write_facts,
)
from app.importer import FactsFile, _Loader, import_facts, load_file, parse_facts
from app.models import (
    FACT_MODELS,
    Certainty,
    Citation,
    Company,
    ExecutiveRole,
    Fact,
    FinancialResult,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatus,
    PartnershipStatusChange,
    SearchDocument,
    Source,
    Tariff,
    TariffImpact,
)
from tests.conftest import Curator
from tests.helpers import scratch_engine

Data = dict[str, Any]

# Strings that YAML would read as something else, or that only some scalar styles hold.
ODD_STRINGS = [
    "NO",
    "on",
    "yes",
    "2025",
    "15",
    "1e3",
    "0x1F",
    "~",
    "null",
    "true",
    "2025-04-01",
    "12:30:00",
    "",
    "- a",
    "a: b",
    "#x",
    "'",
    '"',
    "|",
    "  lead",
    "trail  ",
    "a\tb",
    "multi\nline",
    "x\n\n",
    "\nlead",
    "tail\n",
    "sp \nx",
    "a\r\nb",
    "a\x85b",
    "a\u2028b\u2029",
    "\ufeffbom",
    "é—\u201c\u201d\U0001d538",
    "\x07bell",
    # What a spreadsheet would run: the API's CSV prefixes them, the facts file must not.
    "=1+1",
    "+1",
    "@SUM(A1)",
    "-2+3",
    "\tlead",
]

TEXT_A = (
    " Acme and Beta\n  signed a deal on 1 March 2024. It is called NO.\n"
    "Acme: the #1 'maker' of on/off switches.\n"
    "Jane Doe became CEO of Acme in March 2024 and left on 30 June 2025.\n"
    "She has chaired Beta since 2025.\n"
    "Norway taxes Chinese 2025 goods at 0.125 percent, once 100 percent.\n"
    "Acme expects a loss of 12.3456 euros.\n"
    "Acme earned 0.0001 dollars in Q1.\n"
    "Beta runs a plant in Off.\n"
    "The partners ruled out a merger.\n"
)
TEXT_B = "\ufeffBeta\u2019s \u201cyear\u201d\r\nwas\u2028odd\x85 indeed.  \n\tTabbed   \nLast.\n\n"


def cite(*quotes: str, source: str = "2024-03-01-wire") -> list[Data]:
    return [{"source": source, "quote": quote} for quote in quotes]


A_DEAL = "Acme and Beta signed a deal"  # across a line break and two spaces in the source
A_MAKER = "Acme: the #1 'maker' of on/off switches."
A_CEO = "Jane Doe became CEO of Acme in March 2024 and left on 30 June 2025."
A_CHAIR = "She has chaired Beta since 2025."
A_TAX = "Norway taxes Chinese 2025 goods at 0.125 percent, once 100 percent."
A_LOSS = "Acme expects a loss of 12.3456 euros."
A_EARNED = "Acme earned 0.0001 dollars in Q1."
A_PLANT = "Beta runs a plant in Off."
A_MERGER = "The partners ruled out a merger."
B_ODD = "Beta\u2019s \u201cyear\u201d was odd"  # across "\r\n" and "\u2028"


def every_field() -> Data:
    """A facts file that gives every field of the format a value (tricky ones included)."""
    return {
        "format": "autofacts/v1",
        "sources": [
            {
                "slug": "2024-03-01-wire",
                "title": "NO",
                "publisher": "Wire",
                "url": "https://example.com/a?b=1&c=2",
                "published_on": "2024-03-01",
                "reported_by": None,
                "text": TEXT_A,
            },
            {
                "slug": "b-side",
                "title": "2025",
                "publisher": "on",
                "url": None,
                "published_on": "2025-06-30",
                "reported_by": "yes",
                "text": TEXT_B,
            },
            {
                "slug": "uncited",
                "title": "Cited by nothing",
                "published_on": "2025-01-01",
                "text": "Nothing cites this.\n\n\n",
            },
        ],
        "companies": [
            {
                "slug": "acme",
                "name": "Acme: the #1 'maker'",
                "country": "NO",
                "kind": "on",
                "description": "Makes switches.\nOn and off.  \n  Indented.\n",
                "certainty": "reported",
                "citations": [*cite(A_MAKER), *cite(B_ODD, source="b-side")],
            },
            {
                "slug": "beta",
                "name": "Beta",
                "country": None,
                "kind": "true",
                "description": "- not a list",
                "certainty": "confirmed",
                "citations": cite(A_DEAL),
            },
            {
                "slug": "2025",
                "name": "15",
                "country": "CN",
                "kind": "~",
                "certainty": "unconfirmed",
                "citations": cite(A_CHAIR),
            },
            *(
                {
                    "slug": f"odd-{index}",
                    "name": f"Odd {index}",
                    "kind": "test",
                    "description": text,
                    "certainty": "confirmed",
                    "citations": cite(A_MAKER),
                }
                for index, text in enumerate(ODD_STRINGS)
            ),
        ],
        "executives": [
            {
                "slug": "jane-doe",
                "name": "Jane Doe",
                "certainty": "confirmed",
                "citations": cite(A_CEO),
                "roles": [
                    {
                        "company": "acme",
                        "title": "CEO",
                        "started_on": "2024-03",
                        "ended_on": "2025-06-30",
                        "certainty": "confirmed",
                        "citations": cite(A_CEO),
                    },
                    {
                        "company": "beta",
                        "title": "Chair",
                        "started_on": "2025",
                        "certainty": "reported",
                        "citations": cite(A_CHAIR),
                    },
                ],
            }
        ],
        "partnerships": [
            {
                "slug": "acme-beta-deal",
                "title": "NO",
                "members": [
                    "acme",
                    "beta",
                    # A member that says otherwise than its partnership.
                    {
                        "company": "2025",
                        "valid_from": "2024-06",
                        "valid_to": None,
                        "certainty": "unconfirmed",
                        "told_as": "past",
                        "citations": [*cite(A_MAKER), *cite(B_ODD, source="b-side")],
                    },
                ],
                "announced_on": "2024-03-01",
                "ended_on": "2025-06",
                "notes": 'Line one.\nLine two: "quoted" — dash.\n',
                "certainty": "confirmed",
                "citations": cite(A_DEAL),
                "statuses": [
                    {
                        "status": "proposed",
                        "valid_from": "2024-03-01",
                        "valid_to": "2024-06",
                        "certainty": "reported",
                        "citations": cite(A_DEAL),
                    },
                    {
                        "status": "signed",
                        "valid_from": "2024-06",
                        "valid_to": "2025-06",
                        "certainty": "confirmed",
                        "citations": cite(A_DEAL),
                    },
                    {
                        "status": "ended",
                        "valid_from": "2025-06",
                        "certainty": "confirmed",
                        "citations": cite(B_ODD, source="b-side"),
                    },
                ],
                "scope": [
                    {"area": "on", "certainty": "reported", "citations": cite(A_DEAL)},
                    {
                        "area": "switches\nand more",
                        "certainty": "unconfirmed",
                        "citations": cite(A_MAKER),
                    },
                ],
                "excluded": [{"area": "merger", "citations": cite(A_MERGER)}],
            },
            {
                "slug": "beta-solo",
                "title": "2025",
                "members": ["beta"],
                "certainty": "unconfirmed",
                "citations": cite(B_ODD, source="b-side"),
                "statuses": [
                    {
                        "status": "in_talks",
                        "certainty": "unconfirmed",
                        "citations": cite(B_ODD, source="b-side"),
                    }
                ],
            },
        ],
        "tariffs": [
            {
                "imposing_country": "NO",
                "target_country": "CN",
                "product": "2025",
                "rate_pct": "0.125",
                "previous_rate_pct": "100",
                "baseline_rate_pct": "0",
                "effective_on": "2025-06-30",
                "certainty": "confirmed",
                "citations": cite(A_TAX),
                "impacts": [
                    {
                        "company": "acme",
                        "fiscal_year": "2025",
                        "metric": "on",
                        "kind": "estimate",
                        "amount": {"amount": "-12.3456", "currency": "EUR", "usd": None},
                        "certainty": "reported",
                        "citations": cite(A_LOSS),
                    }
                ],
                "past_rates": [
                    {
                        "rate_pct": "100",
                        "previous_rate_pct": None,
                        "baseline_rate_pct": "0",
                        "effective_on": "2024",
                        "ended_on": "2025-06-30",
                        "certainty": "reported",
                        "told_as": "past",
                        "citations": cite(A_TAX),
                    }
                ],
            },
            {
                "imposing_country": "US",
                "target_country": "NO",
                "product": "switches",
                "certainty": "reported",
                "told_as": "past",
                "citations": cite(A_TAX),
            },
        ],
        "restructuring_plans": [
            {
                "company": "acme",
                "name": "Plan: B",
                "job_cuts": 0,
                "plants_after": 3,
                "target_year": 2030,
                "certainty": "unconfirmed",
                "citations": cite(A_MAKER),
            },
            {
                "company": "beta",
                "name": "Off",
                "certainty": "confirmed",
                "citations": cite(A_PLANT),
            },
        ],
        "financial_results": [
            {
                "company": "acme",
                "period": "Q1",
                "metric": "earnings",
                "amount": {"amount": "0.0001", "currency": "USD", "usd": "0.0001"},
                "certainty": "confirmed",
                "citations": cite(A_EARNED),
            }
        ],
        "plants": [
            {
                "company": "beta",
                "name": "Off plant",
                "city": "Off",
                "region": None,
                "country": "NO",
                "certainty": "confirmed",
                "citations": cite(A_PLANT),
            }
        ],
    }


# -- helpers -----------------------------------------------------------------------------------


def _export(engine: Engine) -> str:
    with Session(engine) as session:
        return export_facts(session)


def _import_text(engine: Engine, text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")
    with Session(engine) as session:
        import_facts(session, load_file(path))


def _import_data(engine: Engine, data: Data) -> None:
    with Session(engine) as session:
        import_facts(session, parse_facts(data))


# The tables a facts file fills: what it states, and what the import derives from that.
FACT_TABLES = (Source, *FACT_MODELS, Citation, Fact, SearchDocument)


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a facts file fills, ids included, by primary key, but
    when it was recorded: each database records its own load."""
    tables = [model.__table__ for model in FACT_TABLES]  # type: ignore[union-attr]
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    table.select()
                    .with_only_columns(
                        *(c for c in table.columns if c.name not in RECORDED_COLUMNS)
                    )
                    .order_by(*table.primary_key)
                )
            ]
            for table in tables
        }


RECORDED_COLUMNS = ("recorded_from", "recorded_to")


def _assert_same_database(first: Engine, second: Engine) -> None:
    one, two = _tables(first), _tables(second)
    assert {name: len(rows) for name, rows in one.items()} == {
        name: len(rows) for name, rows in two.items()
    }
    for name in one:
        assert one[name] == two[name], name


def _assert_every_field(model: type[BaseModel], entry: Any, where: str) -> None:
    """``entry`` names every field of the importer's ``model``, recursively (but a source's
    ``text_file``, the export giving ``text``, an exclusion's implied certainty, and a
    citation's id and offsets)."""
    if model.__name__ == "MemberEntry" and isinstance(entry, str):
        return  # a member that says what its partnership says: its company's slug
    assert isinstance(entry, dict), where
    expected = set(model.model_fields) - {"text_file"}
    if model.__name__ == "ExclusionIn":
        expected.discard("certainty")
    if model.__name__ == "CitationIn":
        # What the API also takes, to read back a citation as served: a file names its
        # source by slug (ids differ between databases) and its quote re-creates the span.
        expected -= {"source_id", "start_offset", "end_offset"}
    assert set(entry) == expected, where
    for name, field in model.model_fields.items():
        if name not in entry:
            continue
        annotation = field.annotation
        nested = typing.get_args(annotation) if typing.get_origin(annotation) is list else ()
        if nested and isinstance(nested[0], type) and issubclass(nested[0], BaseModel):
            for index, item in enumerate(entry[name]):
                _assert_every_field(nested[0], item, f"{where}.{name}[{index}]")
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _assert_every_field(annotation, entry[name], f"{where}.{name}")
        elif isinstance(annotation, types.UnionType):
            models = [a for a in typing.get_args(annotation) if isinstance(a, type)]
            if any(issubclass(a, BaseModel) for a in models) and entry[name] is not None:
                (inner,) = (a for a in models if issubclass(a, BaseModel))
                _assert_every_field(inner, entry[name], f"{where}.{name}")


# -- round trips -------------------------------------------------------------------------------


def test_seed_round_trips_byte_for_byte(
    seeded_engine: Engine, empty_db_engine: Engine, tmp_path: Path
) -> None:
    first = _export(seeded_engine)
    _import_text(empty_db_engine, first, tmp_path / "export.yaml")

    assert _export(empty_db_engine) == first
    _assert_same_database(seeded_engine, empty_db_engine)

    # The counts reported are the rows the import of the file writes.
    with Session(seeded_engine) as session:
        report = write_facts(session, io.StringIO())
    tables = _tables(seeded_engine)
    assert report.written == {table: len(tables[table]) for table in report.written}
    assert report.left_out == []


def test_seed_export_says_what_the_seed_file_says(seeded_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.yaml"
    path.write_text(_export(seeded_engine), encoding="utf-8")

    exported = load_file(path).model_dump()
    seed = load_file(get_settings().seed_file).model_dump()
    for source in seed["sources"]:
        source["text_file"] = None  # the export is self-contained: the text is inline
    assert exported == seed


def test_every_field_round_trips(empty_db_engine: Engine, tmp_path: Path) -> None:
    _import_data(empty_db_engine, every_field())
    first = _export(empty_db_engine)
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")

    # The file is a valid facts file, self-contained, and strings stay strings.
    assert isinstance(load_file(path), FactsFile)
    data = yaml.load(first, Loader=_Loader)
    for section, entries in data.items():
        if section != "format":
            model = FactsFile.model_fields[section].annotation
            (entry_model,) = typing.get_args(model)
            for index, entry in enumerate(entries):
                _assert_every_field(entry_model, entry, f"{section}[{index}]")
    acme, beta, numeric = data["companies"][:3]
    assert (acme["country"], acme["kind"], beta["kind"]) == ("NO", "on", "true")
    assert (numeric["slug"], numeric["name"], numeric["kind"]) == ("2025", "15", "~")
    descriptions = [company["description"] for company in data["companies"][3:]]
    assert descriptions == ODD_STRINGS
    assert data["tariffs"][0]["rate_pct"] == "0.125"
    assert data["tariffs"][0]["impacts"][0]["amount"] == {
        "amount": "-12.3456",
        "currency": "EUR",
        "usd": None,
    }
    assert data["sources"][1]["text"] == TEXT_B
    assert "&id" not in first and "*id" not in first  # no YAML anchors: each entry in full

    with scratch_engine(tmp_path) as second:
        _import_text(second, first, tmp_path / "again.yaml")
        assert _export(second) == first
        _assert_same_database(empty_db_engine, second)

        with Session(second) as session:
            impact = session.exec(select(TariffImpact)).one()
            assert (impact.amount, impact.currency, impact.usd) == (
                Decimal("-12.3456"),
                "EUR",
                None,
            )
            result = session.exec(select(FinancialResult)).one()
            assert (result.amount, result.usd) == (Decimal("0.0001"), Decimal("0.0001"))
            rows = session.exec(select(Tariff).order_by(col(Tariff.id))).all()
            tariffs = [t for t in rows if t.version_of is None]
            assert [t.rate_pct for t in tariffs] == [Decimal("0.125"), None]
            # A past rate: a version of its tariff that is still our word, as a rate
            # change through the API keeps it.
            (past,) = [t for t in rows if t.version_of is not None]
            assert (past.version_of, past.known_to, past.rate_pct) == (
                tariffs[0].id,
                None,
                Decimal(100),
            )
            assert (past.valid_from, past.valid_from_precision) == (dt.date(2024, 1, 1), "year")
            assert (past.valid_to, past.product) == (dt.date(2025, 6, 30), "2025")
            # Told as past: over by its source's date, anchored on no day of it.
            assert [(t.holds_on is None, t.ended_by) for t in tariffs] == [
                (False, None),
                (True, tariffs[0].holds_on),
            ]
            assert tariffs[0].baseline_rate_pct == Decimal(0)
            assert (tariffs[0].valid_from, tariffs[0].valid_from_precision) == (
                dt.date(2025, 6, 30),
                Precision.day,
            )

            ceo = session.exec(select(ExecutiveRole).where(ExecutiveRole.title == "CEO")).one()
            assert (ceo.valid_from, ceo.valid_from_precision) == (dt.date(2024, 3, 1), "month")
            assert (ceo.valid_to, ceo.valid_to_precision) == (dt.date(2025, 6, 30), "day")
            deal = session.exec(
                select(Partnership).where(Partnership.slug == "acme-beta-deal")
            ).one()
            assert deal.status == PartnershipStatus.ended
            assert (deal.valid_to, deal.valid_to_precision) == (dt.date(2025, 6, 1), "month")
            history = session.exec(
                select(PartnershipStatusChange.status, PartnershipStatusChange.valid_to_precision)
                .where(PartnershipStatusChange.partnership_id == deal.id)
                .order_by(col(PartnershipStatusChange.id))
            ).all()
            assert history == [("proposed", "month"), ("signed", "month"), ("ended", None)]
            areas = session.exec(
                select(PartnershipScope.area, PartnershipScope.certainty)
                .where(PartnershipScope.partnership_id == deal.id)
                .order_by(col(PartnershipScope.id))
            ).all()
            assert areas == [
                ("on", Certainty.reported),
                ("switches\nand more", Certainty.unconfirmed),
                ("merger", Certainty.excluded),
            ]
            members = session.exec(
                select(PartnershipMember)
                .where(PartnershipMember.partnership_id == deal.id)
                .order_by(col(PartnershipMember.id))
            ).all()
            # Two state what the partnership states; the third, its own.
            assert [
                (m.certainty, m.valid_from, m.valid_to, m.ended_by, m.known_from) for m in members
            ] == [
                (
                    Certainty.confirmed,
                    dt.date(2024, 3, 1),
                    dt.date(2025, 6, 1),
                    None,
                    deal.known_from,
                ),
                (
                    Certainty.confirmed,
                    dt.date(2024, 3, 1),
                    dt.date(2025, 6, 1),
                    None,
                    deal.known_from,
                ),
                (
                    Certainty.unconfirmed,
                    dt.date(2024, 6, 1),
                    None,
                    dt.date(2024, 3, 1),
                    dt.date(2024, 3, 1),
                ),
            ]
            member_quotes = session.exec(
                select(Citation.quote)
                .where(
                    Citation.fact_type == "partnership_member", Citation.fact_id == members[2].id
                )
                .order_by(col(Citation.id))
            ).all()
            assert member_quotes == [A_MAKER, "Beta\u2019s \u201cyear\u201d\r\nwas\u2028odd"]

            # Citations keep the source's own span and its offsets, line breaks included.
            acme = session.exec(select(Company).where(Company.slug == "acme")).one()
            assert acme.known_from == dt.date(2024, 3, 1)  # the earlier of its two sources
            texts = {s.id: s.text for s in session.exec(select(Source))}
            citations = session.exec(select(Citation)).all()
            for citation in citations:
                span = texts[citation.source_id][citation.start_offset : citation.end_offset]
                assert citation.quote == span
            quotes = {c.quote for c in citations}
            assert "Acme and Beta\n  signed a deal" in quotes
            assert "Beta\u2019s \u201cyear\u201d\r\nwas\u2028odd" in quotes


# -- what the format cannot say ----------------------------------------------------------------


def test_past_states_are_left_out_and_reported(empty_db_engine: Engine, tmp_path: Path) -> None:
    _import_data(empty_db_engine, every_field())
    with Session(empty_db_engine) as session:
        # A retraction closes the row itself.
        area = session.exec(select(PartnershipScope).where(PartnershipScope.area == "on")).one()
        area.known_to = dt.date(2025, 7, 1)
        # A correction keeps the live row for the new state and copies the old one aside.
        acme = session.exec(select(Company).where(Company.slug == "acme")).one()
        old = Company.model_validate(acme.model_dump(exclude={"id"}))
        old.known_to, old.version_of = dt.date(2025, 7, 1), acme.id
        acme.name = "Acme Corrected"
        session.add(old)
        company = session.exec(select(Company).where(Company.slug == "beta")).one()
        company.valid_from = dt.date(2020, 1, 1)
        member = session.exec(select(PartnershipMember)).first()
        assert member is not None
        member.certainty = Certainty.unconfirmed
        session.commit()

    with Session(empty_db_engine) as session:
        path = tmp_path / "export.yaml"
        with path.open("w", encoding="utf-8") as stream:
            report = write_facts(session, stream)
    assert report.left_out == [
        "company: 1 row superseded or retracted (known_to set)",
        "partnership_scope: 1 row superseded or retracted (known_to set)",
        "company: valid_from/valid_to of 1 row (no such field in the format)",
    ]
    assert report.written["partnership_scope"] == 2
    companies = [(c.slug, c.name) for c in load_file(path).companies[:2]]
    assert companies == [("acme", "Acme Corrected"), ("beta", "Beta")]
    areas = [a.area for a in load_file(path).partnerships[0].scope]
    assert areas == ["switches\nand more"]
    # A member that no longer states what its partnership does is written whole.
    member = load_file(path).partnerships[0].members[0]
    assert (member.company, member.certainty, member.valid_from) == (
        "acme",
        Certainty.unconfirmed,
        "2024-03-01",
    )

    # What is written still loads.
    with scratch_engine(tmp_path) as second, Session(second) as session:
        import_facts(session, load_file(path))


def test_a_row_the_format_cannot_hold_refuses_the_export_and_keeps_the_old_file(
    empty_db_engine: Engine, tmp_path: Path
) -> None:
    _import_data(empty_db_engine, every_field())
    path = tmp_path / "export.yaml"
    with Session(empty_db_engine) as session:
        export_file(session, path)
    before = path.read_text(encoding="utf-8")

    # A partnership without a current status: the format requires one.
    with Session(empty_db_engine) as session:
        for status in session.exec(
            select(PartnershipStatusChange).join(Partnership).where(Partnership.slug == "beta-solo")
        ):
            status.known_to = dt.date(2025, 7, 1)
        session.commit()
    with Session(empty_db_engine) as session, pytest.raises(ExportRefused, match="beta-solo"):
        export_file(session, path)

    assert path.read_text(encoding="utf-8") == before
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_an_export_reads_one_snapshot_while_others_write(empty_db_engine: Engine) -> None:
    _import_data(empty_db_engine, every_field())
    before = _export(empty_db_engine)
    with snapshot_session(empty_db_engine) as session:
        session.exec(select(Source.id)).first()  # the snapshot starts at the first read
        with Session(empty_db_engine) as writer:
            company = writer.exec(select(Company).where(Company.slug == "acme")).one()
            company.name = "Renamed"
            writer.commit()
        assert export_facts(session) == before
    assert "Renamed" in _export(empty_db_engine)


# -- the command -------------------------------------------------------------------------------


UseDatabase = Callable[[Engine], None]


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[UseDatabase]:
    """Point the CLI's settings and engine at a test database (they are cached: clear them
    on the way in and out)."""

    def use(engine: Engine) -> None:
        monkeypatch.setenv(
            "AUTOFACTS_DATABASE_URL", engine.url.render_as_string(hide_password=False)
        )
        _forget_engine()

    yield use
    monkeypatch.undo()
    _forget_engine()


def _forget_engine() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def test_cli_export_then_import_reproduces_the_database(
    seeded_engine: Engine, empty_db_engine: Engine, tmp_path: Path, use_database: UseDatabase
) -> None:
    runner = CliRunner()
    expected = _export(seeded_engine)
    path = tmp_path / "facts.yaml"
    path.write_text("an older export\n", encoding="utf-8")

    use_database(seeded_engine)
    result = runner.invoke(app.cli.app, ["export", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == expected
    assert f"{path}: " in result.stdout and " rows exported." in result.stdout
    assert "  company             4\n" in result.stdout
    assert "  partnership_member  6\n" in result.stdout
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]

    to_stdout = runner.invoke(app.cli.app, ["export", "-"])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout == expected
    assert "rows exported." in to_stdout.stderr

    use_database(empty_db_engine)
    imported = runner.invoke(app.cli.app, ["import", str(path)])
    assert imported.exit_code == 0, imported.output
    again = tmp_path / "again.yaml"
    result = runner.invoke(app.cli.app, ["export", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == path.read_bytes()


def test_cli_export_to_a_missing_directory_fails_cleanly(
    seeded_engine: Engine, tmp_path: Path, use_database: UseDatabase
) -> None:
    use_database(seeded_engine)
    result = CliRunner().invoke(app.cli.app, ["export", str(tmp_path / "nowhere" / "x.yaml")])
    assert result.exit_code == 1
    assert "not exported" in result.stderr


# -- the API's CSV export ----------------------------------------------------------------------


def test_csv_neutralises_formulas_json_and_ndjson_keep_the_text(curator: Curator) -> None:
    body = {
        "slug": "formula-motors",
        "name": "=1+1",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [
            {
                "source": "2025-11-14-honda-nissan",
                "quote": "Chinese manufacturers like BYD are gaining ground",
            }
        ],
    }
    created = curator.client.post("/v1/companies", json=body, headers=curator.headers)
    assert created.status_code == 201, created.text
    assert curator.client.get("/v1/companies/formula-motors").json()["name"] == "=1+1"

    csv_text = curator.client.get("/v1/companies", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    (row,) = [r for r in rows if r["slug"] == "formula-motors"]
    assert row["name"] == "'=1+1"
    assert all(not r["name"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows)

    ndjson = curator.client.get("/v1/companies", params={"format": "ndjson"}).text
    lines = [json.loads(line) for line in ndjson.splitlines()]
    assert [r["name"] for r in lines if r["slug"] == "formula-motors"] == ["=1+1"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-2.5", "-2.5"),  # a number, not a formula
        ("Honda", "Honda"),
        ("a=b", "a=b"),
        (-3, -3),
        (None, ""),
    ],
)
def test_csv_cells(value: Any, cell: Any) -> None:
    assert _cell(value) == cell
