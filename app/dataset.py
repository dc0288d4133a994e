"""Synthetic data at scale, for benchmarks and growth measurements: ``autofacts gen-dataset``.

Deterministic (same sizes and seed, same rows), clearly marked synthetic (sources published
by "Autofacts synthetic data" at https://synthetic.invalid/, titles starting "[synthetic]"),
and never mixed with the seed: it loads only into an empty database.

It takes the fast path: rows are built in Python with their ids and written with Core
``executemany`` in large batches, secondary indexes are dropped before the load and built
after it, and the whole load is one transaction (a failed run leaves the database empty).
The derived tables are written directly too: the ``fact`` projection (as
``app.services.facts`` would write it) and the search documents (as
``app.services.search_index`` would); tests/test_gen_dataset.py checks both against those
services on a small data set.

Every fact row cites one sentence of a synthetic source, verbatim at its offsets: each
source's text is the sentences its facts cite, in order.
"""

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Index, Table, func, insert, select, text
from sqlmodel import SQLModel

from app.core.money import Money, decimal_to_str
from app.models import (
    Citation,
    Company,
    Executive,
    ExecutiveRole,
    Fact,
    FinancialResult,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatusChange,
    Plant,
    RestructuringPlan,
    SearchDocument,
    Source,
    Tariff,
    TariffImpact,
)
from app.models.search import DocumentType
from app.services.search_index import _join

PUBLISHER = "Autofacts synthetic data"
COUNTRIES = ("JP", "US", "DE", "FR", "KR", "CN", "IT", "GB", "IN", "MX")
WORDS = ("Battery", "Hybrid", "Motor", "Axle", "Electric", "Drive", "Mobility", "Engine")
FIRST = ("Aiko", "Ben", "Carla", "Dev", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas")
LAST = ("Abe", "Baker", "Costa", "Dubois", "Endo", "Fischer", "Garcia", "Hayashi", "Ito")
TITLES = ("CEO", "CFO", "COO", "CTO", "Chair")
METRICS = ("revenue", "operating_profit", "net_profit")
AREAS = ("battery supply", "hybrid systems", "software", "plants in North America")
# About 50 sentences (some 6 kB), the length of a real article: search snippets are made
# from whole documents, so unrealistically long sources would make search look slow.
SENTENCES_PER_SOURCE = 50
BATCH = 10_000
FIRST_DAY = dt.date(2024, 1, 1)
# Each company has 1-3 executives, each with one role: five facts per company on average.
FACTS_PER_COMPANY = 5


class DatasetRefused(Exception):
    """The database is not empty, or the sizes cannot be met."""


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(
    engine: Engine, *, companies: int, facts: int, seed: int, progress: Callable[[str], None]
) -> Report:
    """Load ``companies`` companies and ``facts`` fact rows in all into the empty database
    behind ``engine`` (migrated to head)."""
    if companies < 1 or facts < companies * FACTS_PER_COMPANY:
        raise DatasetRefused(
            f"--facts must be at least {FACTS_PER_COMPANY} per company "
            f"({companies * FACTS_PER_COMPANY} for {companies} companies)"
        )
    started = time.monotonic()
    report = Report()
    with engine.begin() as connection:
        for model in (Company, Source):
            if connection.execute(select(func.count()).select_from(model)).scalar_one():
                raise DatasetRefused(
                    f"the database already holds {model.__tablename__} rows: gen-dataset "
                    "loads only into an empty database"
                )
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-200000")
        indexes = _secondary_indexes()
        progress(f"dropping {len(indexes)} secondary indexes")
        for index in indexes:
            index.drop(connection)
        builder = _Builder(random.Random(seed), companies, facts)
        for table, rows in builder.tables():
            count = _insert(connection, table, rows)
            report.rows[table.name] = report.rows.get(table.name, 0) + count
            progress(f"{table.name}: {report.rows[table.name]} rows")
        progress(f"building {len(indexes)} indexes")
        for index in indexes:
            index.create(connection)
        # Statistics for the planner (SQLite has none until asked): without them it takes
        # "known_to IS NULL" for a selective condition.
        connection.execute(text("ANALYZE"))
        if connection.dialect.name == "postgresql":
            # Ids were given, not drawn: move each sequence past them for later writes.
            for loaded in _LOADED:
                name = loaded.__tablename__  # type: ignore[attr-defined]
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                )
    report.seconds = time.monotonic() - started
    return report


def _secondary_indexes() -> list[Index]:
    """Every non-unique index of the tables the load fills: cheaper built once at the end."""
    tables = {model.__tablename__ for model in _LOADED}  # type: ignore[attr-defined]
    return [
        index
        for table in SQLModel.metadata.sorted_tables
        if table.name in tables
        for index in table.indexes
        if not index.unique
    ]


def _insert(connection: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


_LOADED = (
    Source,
    Company,
    Executive,
    ExecutiveRole,
    Partnership,
    PartnershipMember,
    PartnershipStatusChange,
    PartnershipScope,
    Tariff,
    TariffImpact,
    RestructuringPlan,
    FinancialResult,
    Plant,
    Citation,
    Fact,
    SearchDocument,
)


class _Builder:
    """The rows of every table, built in one deterministic pass."""

    def __init__(self, rng: random.Random, companies: int, facts: int) -> None:
        self.rng = rng
        self.n_companies = companies
        self.rows: dict[str, list[dict[str, Any]]] = {m.__tablename__: [] for m in _LOADED}  # type: ignore[attr-defined]
        self.sentences: list[str] = []  # of the source being written
        self.offset = 0
        self.source_id = 1
        self.impacted: dict[int, list[str]] = {}  # tariff id: names of the companies it hits
        self._build(facts)

    def tables(self) -> Iterator[tuple[Table, Iterator[dict[str, Any]]]]:
        for model in _LOADED:
            table: Table = model.__table__  # type: ignore[union-attr]
            yield table, iter(self.rows[table.name])

    # -- facts ------------------------------------------------------------------------------

    def _build(self, facts: int) -> None:
        companies = [self._company(i) for i in range(1, self.n_companies + 1)]
        executives = 0
        for company in companies:
            for _ in range(1 + company["id"] % 3):
                executives += 1
                self._executive(executives, company)
        remainder = facts - len(companies) - 2 * executives
        partnerships = remainder // 10 // 5
        tariffs = min(50, max(1, remainder // 200)) if remainder >= 20 else 0
        impacts = max(0, remainder // 10 - tariffs)
        plans = remainder // 20
        plants = remainder // 4
        results = remainder - partnerships * 5 - tariffs - impacts - plans - plants
        for k in range(1, partnerships + 1):
            self._partnership(k, companies)
        tariff_rows = [self._tariff(k) for k in range(1, tariffs + 1)]
        for k in range(1, impacts + 1):
            self._impact(k, self.rng.choice(tariff_rows), self.rng.choice(companies))
        for tariff in tariff_rows:
            title = (
                f"{tariff['imposing_country']} tariff on {tariff['product']} "
                f"from {tariff['target_country']}"
            )
            rate = f"{decimal_to_str(tariff['rate_pct'])} percent"
            body = _join(title, rate, "tariffs", *self.impacted[tariff["id"]])
            self._document(DocumentType.tariff, tariff["id"], str(tariff["id"]), title, body)
        for k in range(1, plans + 1):
            self._plan(k, self.rng.choice(companies))
        for k in range(1, plants + 1):
            self._plant(k, self.rng.choice(companies))
        for k in range(1, results + 1):
            self._result(k, self.rng.choice(companies))
        self._close_source()

    def _fact(self, table: str, row: dict[str, Any], sentence: str) -> dict[str, Any]:
        """``row`` as a current fact citing ``sentence``; returns it, stored."""
        row.update(
            valid_from=None,
            valid_from_precision=None,
            valid_to=None,
            valid_to_precision=None,
            certainty="reported",
            known_from=self._published_on(self.source_id),
            known_to=None,
            version_of=None,
        )
        self.rows[table].append(row)
        start = self.offset
        self.sentences.append(sentence)
        self.offset += len(sentence) + 1  # sentences are joined by a space
        self.rows["citation"].append(
            {
                "id": len(self.rows["citation"]) + 1,
                "fact_type": table,
                "fact_id": row["id"],
                "source_id": self.source_id,
                "quote": sentence,
                "start_offset": start,
                "end_offset": start + len(sentence),
            }
        )
        if len(self.sentences) == SENTENCES_PER_SOURCE:
            self._close_source()
        return row

    def _project(
        self,
        row: dict[str, Any],
        fact_type: str,
        subject: tuple[str, int, str],
        predicate: str,
        value: Any,
        company_id: int | None,
    ) -> None:
        """The ``fact`` row mirroring ``row`` (see app.services.facts._statement)."""
        subject_type, subject_id, label = subject
        mirrored = {
            name: row[name]
            for name in (
                "valid_from",
                "valid_from_precision",
                "valid_to",
                "valid_to_precision",
                "certainty",
                "known_from",
                "known_to",
            )
        }
        self.rows["fact"].append(
            {
                "id": len(self.rows["fact"]) + 1,
                "fact_type": fact_type,
                "fact_id": row["id"],
                "subject_type": subject_type,
                "subject_id": subject_id,
                "subject": label,
                "company_id": company_id,
                "predicate": predicate,
                "value": value,
                "version_of": None,
                **mirrored,
            }
        )

    def _document(
        self, doc_type: DocumentType, doc_id: int, key: str, title: str, body: str
    ) -> None:
        self.rows["search_document"].append(
            {
                "id": len(self.rows["search_document"]) + 1,
                "doc_type": doc_type.value,
                "doc_id": doc_id,
                "key": key,
                "title": title,
                "body": body,
            }
        )

    # -- one kind of row each ---------------------------------------------------------------

    def _company(self, i: int) -> dict[str, Any]:
        word = self.rng.choice(WORDS)
        name = f"Synthetic {word} {i:06d}"
        kind = "automaker" if i % 4 == 0 else "supplier"
        country = COUNTRIES[i % len(COUNTRIES)]
        slug = f"synthetic-{i:06d}"
        row: dict[str, Any] = {
            "id": i,
            "slug": slug,
            "name": name,
            "country": country,
            "kind": kind,
            "description": None,
        }
        self._fact("company", row, f"{name} is a {word.lower()} {kind} based in {country}.")
        value = {"name": name, "country": country, "kind": kind}
        self._project(row, "company", ("company", i, slug), "company", value, i)
        self._document(DocumentType.company, i, slug, name, _join(name, kind, country))
        return row

    def _executive(self, k: int, company: dict[str, Any]) -> None:
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {k:06d}"
        slug = f"synthetic-exec-{k:06d}"
        executive = {"id": k, "slug": slug, "name": name}
        self._fact("executive", executive, f"{name} is an executive at {company['name']}.")
        self._project(
            executive, "executive", ("executive", k, slug), "person", {"name": name}, None
        )
        title = TITLES[k % len(TITLES)]
        role = {"id": k, "executive_id": k, "company_id": company["id"], "title": title}
        self._fact("executive_role", role, f"{name} serves as {title} of {company['name']}.")
        value = {"title": title, "company": company["slug"]}
        self._project(
            role, "executive_role", ("executive", k, slug), "holds_role", value, company["id"]
        )
        self._document(
            DocumentType.executive, k, slug, name, _join(name, f"{title}, {company['name']}")
        )

    def _partnership(self, k: int, companies: list[dict[str, Any]]) -> None:
        first, second = self.rng.sample(companies, 2)
        title = f"{first['name']} and {second['name']} battery partnership"
        slug = f"synthetic-partnership-{k:06d}"
        partnership = {"id": k, "slug": slug, "title": title, "status": "in_talks", "notes": None}
        self._fact("partnership", partnership, f"{title} talks are under way.")
        subject = ("partnership", k, slug)
        self._project(partnership, "partnership", subject, "partnership", {"title": title}, None)
        for company in (first, second):
            member = {
                "id": len(self.rows["partnership_member"]) + 1,
                "partnership_id": k,
                "company_id": company["id"],
            }
            self._fact("partnership_member", member, f"{company['name']} is part of {title}.")
            self._project(
                member,
                "partnership_member",
                ("company", company["id"], company["slug"]),
                "member_of",
                {"partnership": k, "title": title},
                company["id"],
            )
        status = {"id": k, "partnership_id": k, "status": "in_talks"}
        self._fact("partnership_status", status, f"The {title} is in talks.")
        self._project(status, "partnership_status", subject, "status", "in_talks", None)
        area = AREAS[k % len(AREAS)]
        scope = {"id": k, "partnership_id": k, "area": area}
        self._fact("partnership_scope", scope, f"The {title} covers {area}.")
        self._project(scope, "partnership_scope", subject, "scope", area, None)
        members = " and ".join((first["name"], second["name"]))
        self._document(
            DocumentType.partnership, k, str(k), title, _join(title, members, "in_talks", area)
        )

    def _tariff(self, k: int) -> dict[str, Any]:
        imposing, target = COUNTRIES[k % 3], COUNTRIES[3 + k % 7]
        product = f"synthetic {self.rng.choice(WORDS).lower()} parts {k}"
        rate = Decimal(self.rng.randrange(5, 50))
        tariff = {
            "id": k,
            "imposing_country": imposing,
            "target_country": target,
            "product": product,
            "rate_pct": rate,
            "previous_rate_pct": None,
            "baseline_rate_pct": None,
        }
        subject = f"{imposing} tariff on {product} from {target}"
        self._fact("tariff", tariff, f"{imposing} set a {rate} percent tariff on {product}.")
        value = {
            "imposing_country": imposing,
            "target_country": target,
            "product": product,
            "rate_pct": decimal_to_str(rate),
            "previous_rate_pct": None,
            "baseline_rate_pct": None,
        }
        self._project(tariff, "tariff", ("tariff", k, subject), "tariff", value, None)
        self.impacted[k] = []
        return tariff

    def _impact(self, k: int, tariff: dict[str, Any], company: dict[str, Any]) -> None:
        amount = Decimal(self.rng.randrange(1, 900)) * 1_000_000
        impact = {
            "id": k,
            "tariff_id": tariff["id"],
            "company_id": company["id"],
            "fiscal_year": f"FY{2025 + k % 2}",
            "metric": "operating_profit",
            "kind": "hit",
            "amount": amount,
            "currency": "USD",
            "usd": amount,
        }
        self._fact(
            "tariff_impact",
            impact,
            f"The tariff costs {company['name']} {decimal_to_str(amount)} US dollars.",
        )
        value = {
            "tariff": tariff["id"],
            "fiscal_year": impact["fiscal_year"],
            "metric": "operating_profit",
            "kind": "hit",
            "amount": _money(amount, "USD", amount),
        }
        self._project(
            impact,
            "tariff_impact",
            ("company", company["id"], company["slug"]),
            "tariff_impact",
            value,
            company["id"],
        )
        self.impacted[tariff["id"]].append(company["name"])

    def _plan(self, k: int, company: dict[str, Any]) -> None:
        cuts, before = self.rng.randrange(100, 20_000), self.rng.randrange(5, 30)
        after, year = before - self.rng.randrange(1, 5), 2026 + k % 4
        name = f"Synthetic plan {k:06d}"
        plan = {
            "id": k,
            "company_id": company["id"],
            "name": name,
            "job_cuts": cuts,
            "plants_before": before,
            "plants_after": after,
            "target_year": year,
        }
        self._fact("restructuring_plan", plan, f"{company['name']} plans to cut {cuts} jobs.")
        value = {
            "name": name,
            "job_cuts": cuts,
            "plants_before": before,
            "plants_after": after,
            "target_year": year,
        }
        self._project(
            plan,
            "restructuring_plan",
            ("company", company["id"], company["slug"]),
            "restructuring_plan",
            value,
            company["id"],
        )
        body = _join(
            company["name"],
            name,
            f"{cuts} jobs cut",
            f"plants from {before} to {after}",
            year,
        )
        self._document(DocumentType.restructuring_plan, k, str(k), name, body)

    def _plant(self, k: int, company: dict[str, Any]) -> None:
        name = f"Synthetic {self.rng.choice(WORDS)} plant {k:06d}"
        country = COUNTRIES[k % len(COUNTRIES)]
        plant = {
            "id": k,
            "company_id": company["id"],
            "name": name,
            "city": None,
            "region": None,
            "country": country,
        }
        self._fact("plant", plant, f"{company['name']} builds cars at {name} in {country}.")
        value = {"name": name, "city": None, "region": None, "country": country}
        self._project(
            plant,
            "plant",
            ("company", company["id"], company["slug"]),
            "plant",
            value,
            company["id"],
        )
        self._document(
            DocumentType.plant, k, company["slug"], name, _join(company["name"], name, country)
        )

    def _result(self, k: int, company: dict[str, Any]) -> None:
        metric = METRICS[k % len(METRICS)]
        amount = Decimal(self.rng.randrange(1, 10_000)) * 1_000_000
        period = f"FY{2020 + k % 6}"
        result = {
            "id": k,
            "company_id": company["id"],
            "period": period,
            "metric": metric,
            "amount": amount,
            "currency": "JPY",
            "usd": None,
        }
        sentence = (
            f"{company['name']} reported {metric.replace('_', ' ')} of "
            f"{decimal_to_str(amount)} yen for {period}."
        )
        self._fact("financial_result", result, sentence)
        value = {"period": period, "amount": _money(amount, "JPY", None)}
        self._project(
            result,
            "financial_result",
            ("company", company["id"], company["slug"]),
            metric,
            value,
            company["id"],
        )

    # -- sources and the documents that need every row first ---------------------------------

    def _published_on(self, source_id: int) -> dt.date:
        return FIRST_DAY + dt.timedelta(days=source_id % 600)

    def _close_source(self) -> None:
        if not self.sentences:
            return
        body = " ".join(self.sentences)
        source_id = self.source_id
        slug = f"synthetic-{source_id:06d}"
        title = f"[synthetic] Automotive industry digest {source_id}"
        self.rows["source"].append(
            {
                "id": source_id,
                "slug": slug,
                "title": title,
                "publisher": PUBLISHER,
                "url": f"https://synthetic.invalid/{slug}",
                "published_on": self._published_on(source_id),
                "reported_by": PUBLISHER,
                "text": body,
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
            }
        )
        self._document(DocumentType.source, source_id, slug, title, body)
        self.sentences, self.offset = [], 0
        self.source_id += 1


def _money(amount: Decimal, currency: str, usd: Decimal | None) -> dict[str, Any]:
    return Money(amount=amount, currency=currency, usd=usd).model_dump(mode="json")
