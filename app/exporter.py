"""The whole database as a facts file (``format: autofacts/v1``) that ``autofacts import``
loads back unchanged: imported into an empty database it gives the same rows, and exporting
that database again gives the same bytes.

The file is self-contained: each source's text is inline (``text:``), not in a ``text_file``.
Its output is deterministic: sections in the importer's order, entries (and each entry's
nested rows and citations) by id, keys in a fixed order, decimals in plain notation, partial
dates at their precision, every field written (null included). It is written as it is read,
in keyset batches of ids, so memory stays flat however large the database; every entry is
validated against the importer's models on the way out, so a row the format cannot hold
stops the export (``ExportRefused``) rather than yielding a file that ``import`` refuses.
(Not checked: two rows with the same natural key, which only a writer other than the
importer could store; both are written, and the import refuses the second.)
API keys, the change log and idempotency records are not facts: they are not exported.

What the format cannot say, and so is not written (``ExportReport.left_out`` counts what
the database holds of each; ``autofacts export`` prints it):

- past states: superseded copies (``known_to`` closed, ``version_of`` set) and retracted
  rows (``known_to`` closed): only current rows are exported, as the format has neither
  ``known_to`` nor ``version_of``; a current row keeps its id across corrections, so the
  file holds each fact as it now stands. A current row under a retracted parent is left
  out with it; one that names a retracted company refuses the export. (A tariff's past
  rates, versions that are still our word, are written: ``past_rates``.)
- ``valid_from``/``valid_to`` of companies, executives, scope areas, tariff impacts, plans,
  results and plants, and ``valid_to`` of a tariff's current rate: the format has no field
  for them, nor does the API write them.

A partnership member is written as its company's slug where it states what its
partnership does (certainty, told_as, dates, quotes), and as an object of every field where
it does not: one added by ``POST …/members``, or kept as it was by a correction of its
partnership.

And what the import derives rather than reads, so it is reproduced only as the importer
would have written it: ``known_from`` (the earliest publication among a row's quotes),
``partnership.status`` (the latest status row), each source's ``sha256``, citation offsets
(the first occurrence of the quote in its source), a date stored without its precision
(written at day precision), and the ``fact`` and ``search_document`` tables. Row ids are
not in the file: the import numbers rows afresh. Each table comes out in id order (nested
rows by id within their parent), so rows keep their order, and a database built from one
file, as the seed is, gets the same ids back; after several imports, or with gaps in the
ids, they may differ.
"""

import contextlib
import datetime as dt
import io
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, func, or_
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.dates import format_partial_date
from app.core.db import lift_statement_timeout
from app.core.money import decimal_to_str
from app.core.temporal import is_current
from app.models import (
    FACT_MODELS,
    Certainty,
    Citation,
    Company,
    Executive,
    ExecutiveRole,
    FactBase,
    FinancialResult,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatusChange,
    Plant,
    RestructuringPlan,
    Source,
    Statement,
    Tariff,
    TariffImpact,
)
from app.models.base import ToldAs
from app.models.company import CompanyIn
from app.models.company_facts import PlanIn, PlantIn, ResultIn
from app.models.executive import ExecutiveIn
from app.models.partnership import PartnershipEntry
from app.models.source import SourceIn
from app.models.statement import StatementIn
from app.models.tariff import TariffEntry

FORMAT = "autofacts/v1"
STDOUT = "-"

# Rows per query, and ids per IN list: well under SQLite's bound-parameter limit.
_BATCH = 500
# Sources carry their whole text: fewer at a time.
_SOURCE_BATCH = 50
# No folding: one line per value, whatever its length (long lines read back the same).
_WIDTH = 1 << 30

_HEADER = (
    "# The Autofacts database, written by `autofacts export`; `autofacts import` loads it.\n"
    "# Format autofacts/v1: see seed/facts.yaml and the models in app/importer.py.\n"
)

M = TypeVar("M", bound=SQLModel)
Entry = dict[str, Any]


class ExportRefused(Exception):
    """The database holds a row that the facts-file format cannot express."""


@dataclass
class ExportReport:
    """Rows the file holds, per table (a member's citations counted as the import will
    write them), and what the database holds that the format cannot say."""

    written: dict[str, int]
    left_out: list[str]

    @property
    def total(self) -> int:
        return sum(self.written.values())


def _table(model: type[SQLModel]) -> str:
    return model.__table__.name  # type: ignore[attr-defined,no-any-return]


_TABLES = (_table(Source), *map(_table, FACT_MODELS), _table(Citation))


# ---------------------------------------------------------------------------------------------
# Entry points.


def export_facts(session: Session) -> str:
    """The whole database as the text of a facts file."""
    buffer = io.StringIO()
    write_facts(session, buffer)
    return buffer.getvalue()


def write_facts(session: Session, stream: TextIO) -> ExportReport:
    """Write the whole database to ``stream`` as a facts file, batch by batch.

    Reads through ``session`` only; give it a ``snapshot_session`` to export a database
    that is being written to."""
    left_out = _left_out(session)
    writer = _Writer(session, stream)
    writer.write()
    return ExportReport({table: writer.written[table] for table in _TABLES}, left_out)


def export_file(session: Session, path: str | Path) -> ExportReport:
    """Write the facts file to ``path`` (or to standard output if it is ``-``).

    A file is written whole or not at all: to a temporary file beside it, then renamed over
    it, so a failed export leaves any earlier file as it was."""
    if str(path) == STDOUT:
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            return write_facts(session, stdout)
        finally:
            stdout.flush()
            stdout.detach()  # sys.stdout stays open
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            report = write_facts(session, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)
    return report


@contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """A read-only session whose every query sees the same committed state, so an export
    taken while others write is still one consistent database."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite begins no transaction for a SELECT: begin one, and WAL keeps its
            # snapshot from the first read to the end.
            connection.exec_driver_sql("BEGIN")
        else:
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            lift_statement_timeout(connection)
        try:
            with Session(bind=connection) as session:
                yield session
        finally:
            connection.rollback()


def _default_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (where directories can be opened, i.e. not on Windows)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------------------------
# What the format cannot say.


def _left_out(session: Session) -> list[str]:
    """One line per kind of data the database holds and the file will not."""
    notes = []

    def count(statement: SelectOfScalar[int]) -> int:
        return session.exec(statement).one()

    def rows(model: type[SQLModel]) -> SelectOfScalar[int]:
        return select(func.count()).select_from(model)

    for model in FACT_MODELS:
        if superseded := count(rows(model).where(col(model.known_to).is_not(None))):
            notes.append(
                f"{_table(model)}: {_plural(superseded)} superseded or retracted (known_to set)"
            )
    undated: list[tuple[type[FactBase], list[str]]] = [
        (model, ["valid_from", "valid_to"])
        for model in (
            Company,
            Executive,
            PartnershipScope,
            TariffImpact,
            RestructuringPlan,
            FinancialResult,
            Plant,
        )
    ]
    undated.append((Tariff, ["valid_to"]))
    for model, columns in undated:
        dated = or_(*(col(getattr(model, column)).is_not(None) for column in columns))
        # A tariff's past rates are written, with their end (``past_rates``).
        if found := count(rows(model).where(is_current(model), dated)):
            notes.append(
                f"{_table(model)}: {'/'.join(columns)} of {_plural(found)} (no such field in "
                "the format)"
            )
    return notes


def _plural(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# Writing.


class _Dumper(yaml.SafeDumper):
    """Every object written in full (no anchors); multi-line text as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Quoted(str):
    """A date or a decimal: always in quotes, as the format asks (``"2025-04"``, ``"2.5"``)."""

    __slots__ = ()


# Plain scalars that a YAML 1.2 reader (though not PyYAML, which reads YAML 1.1) would take
# for numbers: quoted, so that the file means the same to every reader.
_NUMBER_LIKE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(mark in text for mark in "\x85\u2028\u2029"):
        # PyYAML's emitter writes these as line breaks in block and single-quoted scalars,
        # and its reader turns them into "\n": only escapes keep them.
        style = '"'
    elif "\n" in text:
        # The emitter falls back to quotes where a block cannot hold the text exactly.
        style = "|"
    elif _NUMBER_LIKE.fullmatch(text):
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_quoted(dumper: yaml.SafeDumper, text: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style="'")


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, _represent_quoted)


class _Writer:
    def __init__(self, session: Session, stream: TextIO) -> None:
        self.session = session
        self.stream = stream
        # The pure-Python emitter even when libyaml is there: the same bytes on every
        # installation (libyaml quotes some strings otherwise).
        self.dumper = _Dumper(
            stream,
            default_flow_style=False,
            allow_unicode=True,
            sort_keys=False,
            width=_WIDTH,
        )
        self.written: Counter[str] = Counter()
        # Slugs by id, of every exported source and company: citations and rows name them.
        self.sources: dict[int, str] = {}
        self.companies: dict[int, str] = {}

    def write(self) -> None:
        self.stream.write(_HEADER)
        dumper = self.dumper
        dumper.open()
        dumper.emit(yaml.DocumentStartEvent(explicit=False))
        dumper.emit(yaml.MappingStartEvent(None, None, True, flow_style=False))
        self._node("format")
        self._node(FORMAT)
        self._section("sources", SourceIn, self._sources())
        self._section("companies", CompanyIn, self._companies())
        self._section("executives", ExecutiveIn, self._executives())
        self._section("partnerships", PartnershipEntry, self._partnerships())
        self._section("tariffs", TariffEntry, self._tariffs())
        self._section("restructuring_plans", PlanIn, self._plans())
        self._section("financial_results", ResultIn, self._results())
        self._section("plants", PlantIn, self._plants())
        self._section("statements", StatementIn, self._statements())
        dumper.emit(yaml.MappingEndEvent())
        dumper.emit(yaml.DocumentEndEvent(explicit=False))
        dumper.close()
        self.stream.flush()

    def _section(self, name: str, model: type[BaseModel], entries: Iterator[Entry]) -> None:
        """``name:`` and its list, each entry checked against the importer's model."""
        self._node(name)
        self.dumper.emit(yaml.SequenceStartEvent(None, None, True, flow_style=False))
        for index, entry in enumerate(entries):
            try:
                model.model_validate(entry)
            except ValidationError as exc:
                raise ExportRefused(
                    f"{name}[{index}] ({_label(entry)}) cannot be written as {FORMAT}: {exc}"
                ) from None
            self._node(entry)
        self.dumper.emit(yaml.SequenceEndEvent())

    def _node(self, data: Any) -> None:
        """Emit one value as part of the open document (``Dumper.represent`` would make it
        a document of its own)."""
        dumper = self.dumper
        node = dumper.represent_data(data)
        dumper.anchor_node(node)
        dumper.serialize_node(node, None, None)
        dumper.represented_objects = {}
        dumper.object_keeper = []
        dumper.serialized_nodes = {}
        dumper.anchors = {}

    # -- reading, batch by batch -------------------------------------------------------------

    def _rows(
        self, model: type[M], *, size: int = _BATCH, current: bool = True
    ) -> Iterator[list[M]]:
        """All rows of ``model`` (the current ones, for a fact table), by id, in batches."""
        id_column = col(model.id)  # type: ignore[attr-defined]
        statement = select(model).order_by(id_column).limit(size)
        if current:
            statement = statement.where(is_current(model))
        last: int | None = None
        while True:
            page = statement if last is None else statement.where(id_column > last)
            rows = list(self.session.exec(page))
            if not rows:
                return
            yield rows
            last = rows[-1].id  # type: ignore[attr-defined]

    def _children(
        self, model: type[M], parent: str, parent_ids: Sequence[int]
    ) -> dict[int, list[M]]:
        """The current rows of ``model`` under these parents, by parent id, each list by id.
        Under ``version_of``: the versions of these rows that are still our word (a
        tariff's past rates), which are current but for being versions."""
        by_parent: dict[int, list[M]] = defaultdict(list)
        parent_column = col(getattr(model, parent))
        id_column = col(model.id)  # type: ignore[attr-defined]
        current = (
            col(model.known_to).is_(None)  # type: ignore[attr-defined]
            if parent == "version_of"
            else is_current(model)
        )
        for chunk in _chunks(parent_ids):
            statement = select(model).where(parent_column.in_(chunk), current).order_by(id_column)
            for row in self.session.exec(statement):
                by_parent[getattr(row, parent)].append(row)
        return by_parent

    def _citations(self, rows: Sequence[FactBase]) -> dict[int, list[Entry]]:
        """``{source, quote}`` of each row, by row id, in the order they were stored."""
        if not rows:
            return {}
        table = _table(type(rows[0]))
        by_row: dict[int, list[Entry]] = defaultdict(list)
        for chunk in _chunks([row.id for row in rows]):  # type: ignore[attr-defined]
            statement = (
                select(Citation.fact_id, Citation.source_id, Citation.quote)
                .where(Citation.fact_type == table, col(Citation.fact_id).in_(chunk))
                .order_by(col(Citation.id))
            )
            for fact_id, source_id, quote in self.session.exec(statement):
                by_row[fact_id].append({"source": self.sources[source_id], "quote": quote})
        self.written[_table(Citation)] += sum(len(quotes) for quotes in by_row.values())
        return by_row

    def _fact(self, row: FactBase, citations: dict[int, list[Entry]]) -> Entry:
        """What every fact entry ends with; counts the row as written."""
        self.written[_table(type(row))] += 1
        return {
            "certainty": Certainty(row.certainty).value,
            "told_as": (ToldAs.present if row.ended_by is None else ToldAs.past).value,
            "citations": citations.get(row.id, []),  # type: ignore[attr-defined]
        }

    def _company(self, company_id: int, where: str) -> str:
        try:
            return self.companies[company_id]
        except KeyError:
            raise ExportRefused(
                f"{where} refers to company id {company_id}, which is retracted and so not exported"
            ) from None

    # -- the sections ------------------------------------------------------------------------

    def _sources(self) -> Iterator[Entry]:
        for batch in self._rows(Source, size=_SOURCE_BATCH, current=False):
            for source in batch:
                assert source.id is not None
                self.sources[source.id] = source.slug
                self.written[_table(Source)] += 1
                yield {
                    "slug": source.slug,
                    "title": source.title,
                    "publisher": source.publisher,
                    "url": source.url,
                    "published_on": _Quoted(source.published_on.isoformat()),
                    "reported_by": source.reported_by,
                    "text": source.text,
                }

    def _companies(self) -> Iterator[Entry]:
        for batch in self._rows(Company):
            citations = self._citations(batch)
            for company in batch:
                assert company.id is not None
                self.companies[company.id] = company.slug
                yield {
                    **{name: getattr(company, name) for name in CompanyIn.stated_fields()},
                    **self._fact(company, citations),
                }

    def _executives(self) -> Iterator[Entry]:
        for batch in self._rows(Executive):
            ids = [executive.id for executive in batch if executive.id is not None]
            roles = self._children(ExecutiveRole, "executive_id", ids)
            citations = self._citations(batch)
            role_citations = self._citations([r for rs in roles.values() for r in rs])
            for executive in batch:
                where = f"executive '{executive.slug}'"
                yield {
                    "slug": executive.slug,
                    "name": executive.name,
                    **self._fact(executive, citations),
                    "roles": [
                        {
                            "company": self._company(role.company_id, where),
                            "title": role.title,
                            "started_on": _partial(role.valid_from, role.valid_from_precision),
                            "ended_on": _partial(role.valid_to, role.valid_to_precision),
                            **self._fact(role, role_citations),
                        }
                        for role in roles.get(executive.id or 0, [])
                    ],
                }

    def _partnerships(self) -> Iterator[Entry]:
        for batch in self._rows(Partnership):
            ids = [partnership.id for partnership in batch if partnership.id is not None]
            members = self._children(PartnershipMember, "partnership_id", ids)
            statuses = self._children(PartnershipStatusChange, "partnership_id", ids)
            areas = self._children(PartnershipScope, "partnership_id", ids)
            citations = self._citations(batch)
            member_citations = self._citations([m for ms in members.values() for m in ms])
            status_citations = self._citations([s for ss in statuses.values() for s in ss])
            area_citations = self._citations([a for aa in areas.values() for a in aa])
            for partnership in batch:
                where = f"partnership '{partnership.slug}'"
                entry = {
                    "slug": partnership.slug,
                    "title": partnership.title,
                    "members": [],
                    "announced_on": _partial(
                        partnership.valid_from, partnership.valid_from_precision
                    ),
                    "ended_on": _partial(partnership.valid_to, partnership.valid_to_precision),
                    "notes": partnership.notes,
                    **self._fact(partnership, citations),
                    "statuses": [
                        {
                            "status": str(status.status),
                            "valid_from": _partial(status.valid_from, status.valid_from_precision),
                            "valid_to": _partial(status.valid_to, status.valid_to_precision),
                            **self._fact(status, status_citations),
                        }
                        for status in statuses.get(partnership.id or 0, [])
                    ],
                    "scope": [],
                    "excluded": [],
                }
                for member in members.get(partnership.id or 0, []):
                    company = self._company(member.company_id, where)
                    stated = {
                        "company": company,
                        "valid_from": _partial(member.valid_from, member.valid_from_precision),
                        "valid_to": _partial(member.valid_to, member.valid_to_precision),
                        **self._fact(member, member_citations),
                    }
                    # A slug alone where the member is what its partnership states (as the
                    # seed and POST /v1/partnerships write members): its dates, certainty
                    # and quotes. Else every field, as any other entry.
                    inherited = {
                        "company": company,
                        "valid_from": entry["announced_on"],
                        "valid_to": entry["ended_on"],
                        **{name: entry[name] for name in ("certainty", "told_as", "citations")},
                    }
                    entry["members"].append(company if stated == inherited else stated)
                for area in areas.get(partnership.id or 0, []):
                    fact = self._fact(area, area_citations)
                    if area.certainty == Certainty.excluded:
                        # The list says it: an exclusion's certainty goes without saying.
                        entry["excluded"].append(
                            {
                                "area": area.area,
                                "told_as": fact["told_as"],
                                "citations": fact["citations"],
                            }
                        )
                    else:
                        entry["scope"].append({"area": area.area, **fact})
                yield entry

    def _tariffs(self) -> Iterator[Entry]:
        for batch in self._rows(Tariff):
            ids = [tariff.id for tariff in batch if tariff.id is not None]
            impacts = self._children(TariffImpact, "tariff_id", ids)
            past_rates = self._children(Tariff, "version_of", ids)
            citations = self._citations(batch)
            impact_citations = self._citations([i for ii in impacts.values() for i in ii])
            past_citations = self._citations([p for pp in past_rates.values() for p in pp])
            for tariff in batch:
                where = (
                    f"tariff {tariff.imposing_country}→{tariff.target_country} {tariff.product!r}"
                )
                yield {
                    "imposing_country": tariff.imposing_country,
                    "target_country": tariff.target_country,
                    "product": tariff.product,
                    "rate_pct": _decimal(tariff.rate_pct),
                    "previous_rate_pct": _decimal(tariff.previous_rate_pct),
                    "baseline_rate_pct": _decimal(tariff.baseline_rate_pct),
                    "effective_on": _partial(tariff.valid_from, tariff.valid_from_precision),
                    **self._fact(tariff, citations),
                    "impacts": [
                        {
                            "company": self._company(impact.company_id, where),
                            "fiscal_year": impact.fiscal_year,
                            "metric": impact.metric,
                            "direction": str(impact.direction) if impact.direction else None,
                            "kind": impact.kind,
                            "amount": _money(impact),
                            **self._fact(impact, impact_citations),
                        }
                        for impact in impacts.get(tariff.id or 0, [])
                    ],
                    "past_rates": [
                        {
                            "rate_pct": _decimal(past.rate_pct),
                            "previous_rate_pct": _decimal(past.previous_rate_pct),
                            "baseline_rate_pct": _decimal(past.baseline_rate_pct),
                            "effective_on": _partial(past.valid_from, past.valid_from_precision),
                            "ended_on": _partial(past.valid_to, past.valid_to_precision),
                            **self._fact(past, past_citations),
                        }
                        for past in past_rates.get(tariff.id or 0, [])
                    ],
                }

    def _plans(self) -> Iterator[Entry]:
        for batch in self._rows(RestructuringPlan):
            citations = self._citations(batch)
            for plan in batch:
                yield {
                    "company": self._company(plan.company_id, f"restructuring plan {plan.id}"),
                    "name": plan.name,
                    "job_cuts": plan.job_cuts,
                    "plants_before": plan.plants_before,
                    "plants_after": plan.plants_after,
                    "target_year": plan.target_year,
                    **self._fact(plan, citations),
                }

    def _results(self) -> Iterator[Entry]:
        for batch in self._rows(FinancialResult):
            citations = self._citations(batch)
            for result in batch:
                yield {
                    "company": self._company(result.company_id, f"financial result {result.id}"),
                    "period": result.period,
                    "metric": result.metric,
                    "amount": _money(result),
                    **self._fact(result, citations),
                }

    def _plants(self) -> Iterator[Entry]:
        for batch in self._rows(Plant):
            citations = self._citations(batch)
            for plant in batch:
                yield {
                    "company": self._company(plant.company_id, f"plant {plant.id}"),
                    "name": plant.name,
                    "city": plant.city,
                    "region": plant.region,
                    "country": plant.country,
                    **self._fact(plant, citations),
                }

    def _statements(self) -> Iterator[Entry]:
        for batch in self._rows(Statement):
            citations = self._citations(batch)
            executives = self._slugs(Executive, {s.speaker_executive_id for s in batch})
            partnerships = self._slugs(Partnership, {s.about_partnership_id for s in batch})
            for said in batch:
                where = f"statement {said.id}"
                yield {
                    "speaker_executive": executives.get(said.speaker_executive_id or 0),
                    "speaker_company": self._company_or_none(said.speaker_company_id, where),
                    "quote": said.quote,
                    "speech": str(said.speech),
                    "said_on": _partial(said.valid_from, said.valid_from_precision),
                    "about_partnership": partnerships.get(said.about_partnership_id or 0),
                    "about_company": self._company_or_none(said.about_company_id, where),
                    **self._fact(said, citations),
                }

    def _company_or_none(self, company_id: int | None, where: str) -> str | None:
        return None if company_id is None else self._company(company_id, where)

    def _slugs(self, model: Any, ids: set[int | None]) -> dict[int, str]:
        """The slugs of the current rows of ``model`` among ``ids``."""
        wanted = [i for i in ids if i is not None]
        rows = self.session.exec(
            select(model.id, model.slug).where(col(model.id).in_(wanted), is_current(model))
        )
        return dict(rows.all())


def _partial(day: dt.date | None, precision: str | None) -> str | None:
    text = format_partial_date(day, precision)
    return None if text is None else _Quoted(text)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else _Quoted(decimal_to_str(value))


def _money(row: TariffImpact | FinancialResult) -> Entry:
    return {
        "amount": _Quoted(decimal_to_str(row.amount)),
        "currency": row.currency,
        "usd": _decimal(row.usd),
    }


def _label(entry: Entry) -> str:
    """How a refused entry is named: its slug, or its natural-key fields."""
    if "slug" in entry:
        return repr(entry["slug"])
    keys = ("company", "imposing_country", "target_country", "product", "name", "period")
    return ", ".join(f"{key}={entry[key]!r}" for key in keys if key in entry)


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for item in ids:
        chunk.append(item)
        if len(chunk) == _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
