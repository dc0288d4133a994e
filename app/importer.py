"""The facts file (``format: autofacts/v1``): validated whole, every quote checked against its
source, then loaded in one transaction.

``load_file`` parses and validates a YAML (or JSON) file against the domains' write shapes;
``import_facts`` resolves its references, verifies every quote and writes it, logging what
it wrote in the change feed as the API's writes do. A file with
anything wrong is refused with every problem named by entry and field
(``partnerships[2].scope[0].citations[0].quote: not found in source '…'``) and changes nothing.
Rows are matched to stored ones by natural key, so importing a file twice adds nothing.
"""

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import and_, or_
from sqlmodel import Session, SQLModel, col, select

from app.core.dates import (
    PartialDay,
    certainly_overlap,
    format_partial_date,
    parse_partial_date,
    stored_day,
    stored_span,
)
from app.core.db import begin_write
from app.core.errors import DomainError
from app.core.money import decimal_to_str
from app.core.quotes import CitationIn, cite_in, locate_within, offsets_problem
from app.core.temporal import is_current
from app.models import (
    FACT_MODELS,
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
    Statement,
    Tariff,
    TariffImpact,
)
from app.models.base import FactIn, InputModel, ToldAs
from app.models.company import CompanyIn
from app.models.company_facts import PlanIn, PlantIn, ResultIn
from app.models.executive import ExecutiveIn, RoleIn
from app.models.partnership import (
    ExclusionIn,
    PartnershipEntry,
    ScopeIn,
    latest_status,
    overlap_error,
    past_statuses,
    span_text,
)
from app.models.search import DocumentType
from app.models.source import SourceIn
from app.models.statement import StatementIn
from app.models.tariff import ImpactIn, TariffEntry
from app.services.changes import write_instant
from app.services.citations import load_citations
from app.services.companies import COMPANIES
from app.services.company_facts import COMPANY_FACTS
from app.services.executives import EXECUTIVES, ROLES
from app.services.facts import project_facts
from app.services.partnerships import PARTNERSHIPS
from app.services.search_index import reindex
from app.services.sources import SOURCES
from app.services.statements import STATEMENTS
from app.services.tariffs import IMPACTS, TARIFFS
from app.services.writing import Resource, anchor, log_change


class ImportRefused(DomainError):
    """A facts file that cannot be imported as it is; ``problems`` names every fault."""

    status, slug = 422, "import-refused"

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = [f"{where}: {message}" for where, message in problems]
        count = len(self.problems)
        super().__init__(
            f"The facts file was refused ({count} problem{'s' if count > 1 else ''}); "
            "nothing was imported.",
            errors=[{"loc": [where], "msg": msg, "type": "import"} for where, msg in problems],
        )


# ---------------------------------------------------------------------------------------------
# The file format: the domains' own write shapes (``app/models/<domain>.py``), so a field
# added to the API is a field of the file too. Where the two differ the domain says so with
# a shape of its own (``StatusChangeIn``, ``SourceCreate``).


class FactsFile(InputModel):
    """A whole facts file. Companies named by slug (in roles, members, impacts, plans,
    results, plants) are those of this file or ones already in the database."""

    format: Literal["autofacts/v1"]
    sources: list[SourceIn] = Field(default=[])
    companies: list[CompanyIn] = Field(default=[])
    executives: list[ExecutiveIn] = Field(default=[])
    partnerships: list[PartnershipEntry] = Field(default=[])
    tariffs: list[TariffEntry] = Field(default=[])
    restructuring_plans: list[PlanIn] = Field(default=[])
    financial_results: list[ResultIn] = Field(default=[])
    plants: list[PlantIn] = Field(default=[])
    statements: list[StatementIn] = Field(default=[])


# ---------------------------------------------------------------------------------------------
# Reading the file.


class _Loader(yaml.SafeLoader):
    """YAML without two traps of YAML 1.1: ``NO`` (Norway) and ``on`` stay strings, only
    true/false are booleans; dates stay strings for the models to parse. A key given twice
    is an error rather than a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(("bool", "timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_file(path: str | Path) -> FactsFile:
    """Parse and validate a facts file (YAML, or JSON, which is YAML too)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as stream:
            data = yaml.load(stream, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ImportRefused([(str(path), str(exc))]) from None
    return parse_facts(data, base_dir=path.parent)


def parse_facts(data: Any, *, base_dir: Path | None = None) -> FactsFile:
    """Validate already-parsed data; ``text_file`` paths are read relative to ``base_dir``."""
    try:
        return FactsFile.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ImportRefused(
            [(_where(error["loc"]), _message(error)) for error in exc.errors()]
        ) from None


def _where(loc: Iterable[int | str]) -> str:
    """``("partnerships", 2, "scope", 0)`` → ``partnerships[2].scope[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "file"


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return str(error["msg"]).removeprefix("Value error, ")


# ---------------------------------------------------------------------------------------------
# Importing: plan every row (reading only, collecting every problem), then write them all.


@dataclass
class ImportReport:
    """Rows created, per table (every table named, zeros included)."""

    created: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _table(model: type[SQLModel]) -> str:
    return model.__table__.name  # type: ignore[attr-defined,no-any-return]


_LOADED: tuple[type[SQLModel], ...] = (Source, *FACT_MODELS, Citation, Fact)
_TABLES = tuple(map(_table, _LOADED))


def import_facts(session: Session, facts_file: FactsFile, *, actor: str = "import") -> ImportReport:
    """Import a validated facts file in one transaction. Raises ImportRefused, having
    written nothing, if any reference, quote or value is wrong.

    Like an API write, it logs what it writes in the change log, as ``actor``: a create
    of each resource it adds, an update of each stored one it adds to (a citation, a
    status, a role), each as a GET shows it.

    As the only writer until it ends, as the API's writes are (``begin_write``): an import
    holds the company tally rows of the companies it adds, and an API write waiting for
    one of them, turn taken, would hold up every other."""
    plan = _Plan(session)
    try:
        begin_write(session)
        plan.build(facts_file)
        if plan.problems:
            raise ImportRefused(plan.problems)
        report = plan.write(actor)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


@dataclass(eq=False)
class _Source:
    slug: str
    text: str
    published_on: dt.date
    row: Source
    is_new: bool


@dataclass(eq=False)
class _Quote:
    source: _Source
    start: int
    end: int


@dataclass(eq=False)
class _Row:
    """A fact row of the file, and the stored row it matched or the row it creates."""

    path: str
    model: type[SQLModel]
    key: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, "_Row"] = field(default_factory=dict)
    quotes: list[_Quote] = field(default_factory=list)
    # The file field of each column named otherwise, for messages.
    fields: dict[str, str] = field(default_factory=dict)
    # Set on creation, never compared with a stored row: it follows from other rows.
    derived: dict[str, Any] = field(default_factory=dict)
    obj: Any = None
    created: bool = False
    # How the entry's earliest source tells of it (``FactIn.told_as``).
    told_as: ToldAs = ToldAs.present

    def identity(self) -> tuple[Any, ...]:
        """The natural key; a parent not stored yet stands in for its future id."""
        return tuple(
            (self.refs[c].obj.id if self.refs[c].obj is not None else self.refs[c])
            if c in self.refs
            else self.values[c]
            for c in self.key
        )


class _Plan:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.problems: list[tuple[str, str]] = []
        self.sources: dict[str, _Source] = {}
        self.companies: dict[str, _Row] = {}
        # Executives and partnerships of this file, by slug: what statements refer to.
        self.executives: dict[str, _Row] = {}
        self.partnerships: dict[str, _Row] = {}
        # Rows in the order they are written: parents (which children refer to) first.
        self.parents: list[_Row] = []
        self.children: list[_Row] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    # -- building: every check happens here, before anything is written --------------------

    def build(self, file: FactsFile) -> None:
        self._sources(file)
        self._companies(file)
        for i, executive in enumerate(file.executives):
            self._executive(f"executives[{i}]", executive)
        for i, partnership in enumerate(file.partnerships):
            self._partnership(f"partnerships[{i}]", partnership)
        for i, tariff in enumerate(file.tariffs):
            self._tariff(f"tariffs[{i}]", tariff)
        for i, plan in enumerate(file.restructuring_plans):
            values = plan.model_dump(
                include={"name", "job_cuts", "plants_before", "plants_after", "target_year"}
            )
            self._about_company(
                f"restructuring_plans[{i}]", RestructuringPlan, ("name",), plan, values
            )
        for i, result in enumerate(file.financial_results):
            values = {"period": result.period, "metric": result.metric, **result.amount.columns()}
            self._about_company(
                f"financial_results[{i}]",
                FinancialResult,
                ("period", "metric"),
                result,
                values,
                fields=_MONEY_FIELDS,
            )
        for i, plant in enumerate(file.plants):
            values = plant.model_dump(include={"name", "city", "region", "country"})
            self._about_company(f"plants[{i}]", Plant, ("name",), plant, values)
        for i, said in enumerate(file.statements):
            self._statement(f"statements[{i}]", said)
        self._match(self.parents)
        self._match(self.children)
        self._check_status_histories()

    def _sources(self, file: FactsFile) -> None:
        cited = {c.slug for c in _walk(file) if isinstance(c, CitationIn) and c.slug}
        declared = {s.slug for s in file.sources}
        digests = [hashlib.sha256((s.text or "").encode()).hexdigest() for s in file.sources]
        statement = select(Source).where(
            or_(col(Source.slug).in_(cited | declared), col(Source.sha256).in_(digests))
        )
        stored = self.session.exec(statement).all()
        by_slug = {s.slug: s for s in stored}
        by_hash = {s.sha256: s for s in stored}
        for i, (source, sha256) in enumerate(zip(file.sources, digests, strict=True)):
            where, text = f"sources[{i}]", source.text or ""
            text_field = f"{where}.{'text_file' if source.text_file else 'text'}"
            if source.slug in self.sources:
                self.problem(f"{where}.slug", f"'{source.slug}' is declared twice")
                continue
            if sha256 in digests[:i]:
                self.problem(text_field, f"is the text of sources[{digests.index(sha256)}] too")
            values = source.model_dump(exclude={"text_file", "text"})
            row = by_slug.get(source.slug)
            if row is not None and row.sha256 != sha256:
                self.problem(
                    text_field,
                    f"differs from the text stored for source '{source.slug}' "
                    "(a source's text never changes: give the new text a new slug)",
                )
            elif row is not None:
                self._compare(where, row, values, {})
            elif (same := by_hash.get(sha256)) is not None:
                self.problem(text_field, f"is already stored as source '{same.slug}'")
            # Even a refused source is kept, so that its quotes are still checked.
            if row is None or row.sha256 != sha256:
                row = Source(**values, text=text, sha256=sha256)
            self.sources[source.slug] = _Source(
                source.slug, text, source.published_on, row, row.id is None
            )
        for slug in cited - declared:
            if (row := by_slug.get(slug)) is not None:
                self.sources[slug] = _Source(slug, row.text, row.published_on, row, False)

    def _companies(self, file: FactsFile) -> None:
        referenced = {member.company for p in file.partnerships for member in p.members}
        referenced |= {
            e.company
            for e in _walk(file)
            if isinstance(e, RoleIn | ImpactIn | PlanIn | ResultIn | PlantIn)
        }
        referenced |= {
            slug for s in file.statements for slug in (s.speaker_company, s.about_company) if slug
        }
        slugs = referenced | {c.slug for c in file.companies}
        # Only our current word: superseded copies and retracted rows are history.
        statement = select(Company).where(col(Company.slug).in_(slugs), is_current(Company))
        stored = {c.slug: c for c in self.session.exec(statement)}
        for i, company in enumerate(file.companies):
            where = f"companies[{i}]"
            if company.slug in self.companies:
                self.problem(f"{where}.slug", f"'{company.slug}' is declared twice")
                continue
            values = company.stated()
            row = self._row(where, Company, ("slug",), company, values)
            row.obj = stored.get(company.slug)
            if row.obj is not None:
                self._compare(where, row.obj, row.values, row.fields)
            self.companies[company.slug] = row
        for slug in referenced - self.companies.keys():
            if slug in stored:
                only_named = _Row(f"company '{slug}'", Company, ("slug",), obj=stored[slug])
                self.companies[slug] = only_named

    def _company(self, where: str, slug: str) -> _Row | None:
        row = self.companies.get(slug)
        if row is None:
            self.problem(where, f"unknown company '{slug}': not in this file nor in the database")
        return row

    def _row(
        self,
        where: str,
        model: type[SQLModel],
        key: tuple[str, ...],
        entry: FactIn,
        values: dict[str, Any],
        *,
        fields: dict[str, str] | None = None,
    ) -> _Row:
        """Plan a row that others may refer to, its quotes located in their sources."""
        quotes = self._quotes(where, entry.citations)
        row = _Row(where, model, key, {**values, "certainty": entry.certainty}, {}, quotes)
        row.fields = fields or {}
        row.told_as = entry.told_as
        self.parents.append(row)
        return row

    def _child(
        self,
        where: str,
        model: type[SQLModel],
        key: tuple[str, ...],
        entry: FactIn,
        values: dict[str, Any],
        *,
        refs: dict[str, _Row | None],
        fields: dict[str, str] | None = None,
        quotes: list[_Quote] | None = None,
    ) -> _Row | None:
        """Plan a row that refers to others. If a reference is unknown (and so reported),
        the row is not planned, but its quotes are still checked."""
        if quotes is None:
            quotes = self._quotes(where, entry.citations)
        resolved = {column: ref for column, ref in refs.items() if ref is not None}
        if len(resolved) != len(refs):
            return None
        values = {**values, "certainty": entry.certainty}
        row = _Row(where, model, key, values, resolved, quotes, fields or {})
        row.told_as = entry.told_as
        self.children.append(row)
        return row

    def _quotes(self, where: str, citations: list[CitationIn]) -> list[_Quote]:
        quotes = []
        for i, citation in enumerate(citations):
            at = f"{where}.citations[{i}]"
            if citation.slug is None:
                # Ids differ from one database to the next: a file citing source 3 would
                # quote whichever article is 3 where it is loaded.
                field = "source_id" if citation.source_id is not None else "source"
                self.problem(
                    f"{at}.{field}", "name the source by its slug: a facts file has no ids"
                )
                continue
            source = self.sources.get(citation.slug)
            if source is None:
                self.problem(
                    f"{at}.source",
                    f"unknown source '{citation.slug}': not in this file nor in the database",
                )
            elif not isinstance(span := cite_in(source.text, citation.quote), tuple):
                why = f"not found in source '{citation.slug}'" if span is None else span
                self.problem(f"{at}.quote", why)
            elif (problem := offsets_problem(citation, span)) is not None:
                self.problem(f"{at}.start_offset", problem)
            else:
                quotes.append(_Quote(source, *span))
        return quotes

    def _executive(self, where: str, executive: ExecutiveIn) -> None:
        values = {"slug": executive.slug, "name": executive.name}
        person = self._row(where, Executive, ("slug",), executive, values)
        self.executives[executive.slug] = person
        for i, role in enumerate(executive.roles):
            at = f"{where}.roles[{i}]"
            dates, fields = _dates(role.started_on, role.ended_on, "started_on", "ended_on")
            self._child(
                at,
                ExecutiveRole,
                ("executive_id", "company_id", "title", "valid_from"),
                role,
                {"title": role.title, **dates},
                refs={
                    "executive_id": person,
                    "company_id": self._company(f"{at}.company", role.company),
                },
                fields=fields,
            )

    def _partnership(self, where: str, partnership: PartnershipEntry) -> None:
        dates, fields = _dates(
            partnership.announced_on, partnership.ended_on, "announced_on", "ended_on"
        )
        values = {"slug": partnership.slug, "title": partnership.title, "notes": partnership.notes}
        row = self._row(where, Partnership, ("slug",), partnership, values | dates, fields=fields)
        self.partnerships[partnership.slug] = row
        if (contradiction := partnership.statuses_after_end()) is not None:
            self.problem(f"{where}.ended_on", contradiction)
        row.derived["status"] = latest_status(
            (parse_partial_date(s.valid_from)[0] if s.valid_from else None, s.status)
            for s in partnership.statuses
        )
        for i, member in enumerate(partnership.members):
            at = f"{where}.members[{i}]"
            # What a member leaves out is the partnership's: its quotes, and its dates.
            given = member.model_fields_set
            member_dates, member_fields = _dates(
                *member.span(partnership),
                "valid_from" if "valid_from" in given else "announced_on",
                "valid_to" if "valid_to" in given else "ended_on",
            )
            self._child(
                at,
                PartnershipMember,
                ("partnership_id", "company_id"),
                member.fact(partnership),
                member_dates,
                refs={
                    "partnership_id": row,
                    "company_id": self._company(
                        at if given == {"company"} else f"{at}.company", member.company
                    ),
                },
                fields=member_fields,
                quotes=row.quotes if member.citations is None else None,
            )
        for i, status in enumerate(partnership.statuses):
            status_dates, status_fields = _dates(
                status.valid_from, status.valid_to, "valid_from", "valid_to"
            )
            self._child(
                f"{where}.statuses[{i}]",
                PartnershipStatusChange,
                ("partnership_id", "status", "valid_from"),
                status,
                {"status": status.status, **status_dates},
                refs={"partnership_id": row},
                fields=status_fields,
            )
        areas: list[tuple[str, ScopeIn | ExclusionIn]] = [
            *((f"{where}.scope[{i}]", area) for i, area in enumerate(partnership.scope)),
            *((f"{where}.excluded[{i}]", area) for i, area in enumerate(partnership.excluded)),
        ]
        for at, area in areas:
            self._child(
                at,
                PartnershipScope,
                ("partnership_id", "area"),
                area,
                {"area": area.area},
                refs={"partnership_id": row},
            )

    def _tariff(self, where: str, tariff: TariffEntry) -> None:
        dates, fields = _dates(tariff.effective_on, None, "effective_on", "effective_on")
        values = tariff.model_dump(
            include={
                "imposing_country",
                "target_country",
                "product",
                "rate_pct",
                "previous_rate_pct",
                "baseline_rate_pct",
            }
        )
        # A row is one period of the tariff's rate: a source may give several periods of
        # one tariff, told apart by their rate and start (either may be unknown, not both).
        key = ("imposing_country", "target_country", "product", "valid_from", "rate_pct")
        row = self._row(where, Tariff, key, tariff, values | dates, fields=fields)
        for i, past in enumerate(tariff.past_rates):
            past_dates, past_fields = _dates(
                past.effective_on, past.ended_on, "effective_on", "ended_on"
            )
            rates = past.model_dump(include={"rate_pct", "previous_rate_pct", "baseline_rate_pct"})
            # A version of the tariff, as a rate change keeps it: the tariff's own id is
            # its ``version_of``, and it is known apart by when it began and its rate.
            self._child(
                f"{where}.past_rates[{i}]",
                Tariff,
                (_VERSION_OF, "valid_from", "rate_pct"),
                past,
                {**values, **rates, **past_dates},
                refs={_VERSION_OF: row},
                fields=past_fields,
            )
        for i, impact in enumerate(tariff.impacts):
            at = f"{where}.impacts[{i}]"
            values = impact.model_dump(include={"fiscal_year", "metric", "direction", "kind"})
            self._child(
                at,
                TariffImpact,
                ("tariff_id", "company_id", "fiscal_year", "metric"),
                impact,
                values | impact.amount.columns(),
                refs={
                    "tariff_id": row,
                    "company_id": self._company(f"{at}.company", impact.company),
                },
                fields=_MONEY_FIELDS,
            )

    def _about_company(
        self,
        where: str,
        model: type[SQLModel],
        key: tuple[str, ...],
        entry: PlanIn | ResultIn | PlantIn,
        values: dict[str, Any],
        *,
        fields: dict[str, str] | None = None,
    ) -> None:
        """Plan a row of a per-company table, known by its company and ``key``."""
        self._child(
            where,
            model,
            ("company_id", *key),
            entry,
            values,
            refs={"company_id": self._company(f"{where}.company", entry.company)},
            fields=fields,
        )

    def _statement(self, where: str, said: StatementIn) -> None:
        """Plan a statement: its words found inside one of its citations, whose source is
        the statement's."""
        quotes = self._quotes(where, said.citations)
        spans = (
            (quote.source, locate_within(quote.source.text, (quote.start, quote.end), said.quote))
            for quote in quotes
        )
        found = next(((source, span) for source, span in spans if span is not None), None)
        if found is None:
            if len(quotes) == len(said.citations):
                self.problem(f"{where}.quote", "not found in any of the statement's citations")
            return
        source, (start, end) = found
        dates, fields = _dates(said.said_on, None, "said_on", "said_on")
        values: dict[str, Any] = {
            "quote": source.text[start:end],
            "speech": said.speech,
            **dates,
        }
        refs: dict[str, _Row | None] = {
            "source_id": _Row(f"source '{source.slug}'", Source, ("slug",), obj=source.row)
        }
        for column, slug, field_name, entity in (
            ("speaker_executive_id", said.speaker_executive, "speaker_executive", Executive),
            ("speaker_company_id", said.speaker_company, "speaker_company", Company),
            ("about_partnership_id", said.about_partnership, "about_partnership", Partnership),
            ("about_company_id", said.about_company, "about_company", Company),
        ):
            if slug is None:
                values[column] = None
            else:
                refs[column] = self._named(f"{where}.{field_name}", entity, slug)
        self._child(
            where,
            Statement,
            ("speaker_executive_id", "speaker_company_id", "source_id", "quote"),
            said,
            values,
            refs=refs,
            fields=fields,
            quotes=quotes,
        )

    def _named(self, where: str, model: type[SQLModel], slug: str) -> _Row | None:
        """The row of this file or of the database that ``slug`` names."""
        if model is Company:
            return self._company(where, slug)
        planned = (self.executives if model is Executive else self.partnerships).get(slug)
        if planned is not None:
            return planned
        stored = self.session.exec(
            select(model).where(model.slug == slug, is_current(model))  # type: ignore[attr-defined]
        ).first()
        if stored is None:
            table = _table(model)
            self.problem(where, f"unknown {table} '{slug}': not in this file nor in the database")
            return None
        return _Row(f"{_table(model)} '{slug}'", model, ("slug",), obj=stored)

    def _match(self, rows: list[_Row]) -> None:
        """Find each planned row's stored twin by natural key (one query per table and
        hundred rows), refusing a row the file states twice or that the store states
        otherwise. Companies were matched with the references."""
        by_kind: dict[tuple[type[SQLModel], tuple[str, ...]], dict[tuple[Any, ...], _Row]] = {}
        for row in rows:
            if row.model is Company:
                continue
            planned = by_kind.setdefault((row.model, row.key), {})
            identity = row.identity()
            if identity in planned:
                self.problem(row.path, f"states again what {planned[identity].path} states")
            else:
                planned[identity] = row
        for (model, names), planned in by_kind.items():
            # A tariff's past rate is a version of it that is still our word: current,
            # though not the current row (``is_current``).
            current = (
                col(model.known_to).is_(None)  # type: ignore[attr-defined]
                if _VERSION_OF in names
                else is_current(model)
            )
            # A row under a parent that is not stored yet cannot be stored either.
            keys = [k for k in planned if not any(isinstance(v, _Row) for v in k)]
            for batch in _batches(keys, 100):  # SQLite caps an expression's depth at 1000
                condition = or_(
                    *(
                        and_(*(col(getattr(model, n)) == v for n, v in zip(names, k, strict=True)))
                        for k in batch
                    )
                )
                for stored in self.session.exec(select(model).where(condition, current)):
                    identity = tuple(getattr(stored, n) for n in names)
                    if (twin := planned.get(identity)) is not None:
                        twin.obj = stored
                        self._compare(twin.path, stored, twin.values, twin.fields)

    def _check_status_histories(self) -> None:
        """PartnershipIn's rule (no two statuses certainly share a day) for the statuses a
        file adds to a stored partnership, against its stored history."""
        added: dict[int, list[_Row]] = defaultdict(list)
        for row in self.children:
            parent = row.refs.get("partnership_id")
            stored_parent = parent is not None and parent.obj is not None
            if row.model is PartnershipStatusChange and row.obj is None and stored_parent:
                added[parent.obj.id].append(row)  # type: ignore[union-attr]
        if not added:
            return
        statement = select(PartnershipStatusChange).where(
            col(PartnershipStatusChange.partnership_id).in_(added),
            is_current(PartnershipStatusChange),
        )
        stored: dict[int, list[PartnershipStatusChange]] = defaultdict(list)
        for change in self.session.exec(statement):
            stored[change.partnership_id].append(change)
        for partnership_id, rows in added.items():
            for row in rows:
                span = (
                    stored_day(row.values["valid_from"], row.values["valid_from_precision"]),
                    stored_day(row.values["valid_to"], row.values["valid_to_precision"]),
                )
                for change in stored[partnership_id]:
                    if certainly_overlap(span, stored_span(change)):
                        other = f"stored status {change.status} (id {change.id})"
                        message = overlap_error(
                            "it", _span_text(span), other, _span_text(stored_span(change))
                        )
                        self.problem(row.path, message)

    def _compare(
        self, where: str, stored: SQLModel, values: dict[str, Any], fields: dict[str, str]
    ) -> None:
        for column, value in values.items():
            if (current := getattr(stored, column)) != value:
                self.problem(
                    f"{where}.{fields.get(column, column)}",
                    f"is {_show(value)} here but {_show(current)} in the database "
                    "(an import adds facts; it does not correct stored ones)",
                )

    # -- writing: nothing here is refused --------------------------------------------------

    def write(self, actor: str) -> ImportReport:
        # What the stored resources the file restates or adds to were: read before any
        # write, for the change log's before images.
        before = self._shown()
        created: Counter[str] = Counter()
        # Every row the import adds is recorded at its transaction's instant: a seed's
        # recorded time is its load.
        recorded_from = write_instant(self.session)
        for source in self.sources.values():
            if source.is_new:
                self.session.add(source.row)
                created["source"] += 1
        for level in (self.parents, self.children):
            for row in level:
                if row.obj is None:
                    foreign_keys = {column: ref.obj.id for column, ref in row.refs.items()}
                    known_from = _known_from(row.quotes)
                    # As the API's add_fact: its earliest source states it as holding
                    # then, or, told as past, as over by then.
                    row.obj = row.model(
                        **row.values,
                        **row.derived,
                        **foreign_keys,
                        known_from=known_from,
                        recorded_from=recorded_from,
                    )
                    anchor(row.obj, known_from, row.told_as)
                    row.created = True
                    self.session.add(row.obj)
                    created[_table(row.model)] += 1
            self.session.flush()
        earlier = self._write_citations(created)
        self._update_statuses()
        self._past_statuses()
        rows = [row.obj for row in self.parents + self.children if row.created or row in earlier]
        facts = project_facts(self.session, rows)
        created["fact"] = sum(1 for fact in facts if fact.id is None)
        self._reindex(earlier)
        self.session.flush()
        self._log_changes(actor, before)
        return ImportReport({table: created[table] for table in _TABLES})

    def _log_changes(self, actor: str, before: dict[tuple[str, str | int], BaseModel]) -> None:
        """Log each resource the import added (a create) or changed (an update), as the
        API's writes log theirs; a stored resource the file only restates is left out
        (``log_change`` logs nothing when after equals before)."""
        for (name, resource_id), after in self._shown().items():
            log_change(
                self.session,
                actor=actor,
                resource=name,
                resource_id=resource_id,
                before=before.get((name, resource_id)),
                after=after,
            )

    def _shown(self) -> dict[tuple[str, str | int], BaseModel]:
        """The resources the file's rows are or belong to, as a GET shows them now, by
        resource name and log id, in the feed's order (parents first, then the file's):
        before the write, those already stored; after it, all of them. A few queries per
        resource and 500 rows, never some per row."""
        held: dict[str, tuple[Resource[Any, Any, Any], dict[int, Any]]] = {
            resource.name: (resource, {}) for resource in _LOGGED_ORDER
        }
        for source in self.sources.values():
            if source.is_new and source.row.id is not None:
                held[SOURCES.name][1][source.row.id] = source.row
        for row in self.parents + self.children:
            resource, parent = _LOGGED_AS[row.model]
            obj = row.obj if parent is None else row.refs[parent].obj
            if _VERSION_OF in row.refs:
                obj = row.refs[_VERSION_OF].obj
            if obj is not None and obj.id is not None:
                held[resource.name][1][obj.id] = obj
        shown: dict[tuple[str, str | int], BaseModel] = {}
        for name, (resource, rows) in held.items():
            for batch in _batches(list(rows.values()), 500):
                for resource_id, public in resource.read_many(self.session, batch).items():
                    shown[(name, resource_id)] = public
        return shown

    def _write_citations(self, created: Counter[str]) -> set[_Row]:
        """Add each row's quotes: a new row's as the file gives them (a quote given twice,
        twice, as the API writes a body's), a stored row's that it does not have yet.
        Returns the stored rows whose ``known_from`` moved earlier: a source older than
        those that had said it."""
        rows = self.parents + self.children
        stored: dict[str, list[int]] = {}
        for row in rows:
            if not row.created:
                stored.setdefault(_table(row.model), []).append(row.obj.id)
        spans: dict[tuple[str, int], set[tuple[int, int, int]]] = {}
        for table, ids in stored.items():
            for fact_id, citations in load_citations(self.session, table, ids).items():
                spans[(table, fact_id)] = {
                    (c.source_id, c.start_offset, c.end_offset) for c in citations
                }
        earlier = set()
        for row in rows:
            table = _table(row.model)
            have = spans.setdefault((table, row.obj.id), set())
            for quote in row.quotes:
                source_id = quote.source.row.id
                assert source_id is not None, "sources are flushed with the first rows"
                span = (source_id, quote.start, quote.end)
                if not row.created:
                    if span in have:
                        continue
                    have.add(span)
                # The stored quote is the source's own span, whatever whitespace the file had.
                self.session.add(
                    Citation(
                        fact_type=table,
                        fact_id=row.obj.id,
                        source_id=source_id,
                        quote=quote.source.text[quote.start : quote.end],
                        start_offset=quote.start,
                        end_offset=quote.end,
                    )
                )
                created["citation"] += 1
            if not row.created and (known_from := _known_from(row.quotes)) < row.obj.known_from:
                row.obj.known_from = known_from
                earlier.add(row)
        return earlier

    def _reindex(self, earlier: set[_Row]) -> None:
        """Bring the search documents of every resource the import added to in step, and
        of those reported earlier than they were (a document keeps its ``known_from``)."""
        touched: dict[DocumentType, set[int]] = defaultdict(set)
        for row in self.parents + self.children:
            if (row.created or row in earlier) and row.model in _DOCUMENTS:
                doc_type, column = _DOCUMENTS[row.model]
                if _VERSION_OF in row.refs:
                    column = _VERSION_OF
                touched[doc_type].add(getattr(row.obj, column))
        for source in self.sources.values():
            if source.is_new and source.row.id is not None:
                touched[DocumentType.source].add(source.row.id)
        for doc_type, ids in touched.items():
            reindex(self.session, doc_type, ids)

    def _update_statuses(self) -> None:
        """A stored partnership given new status rows takes the latest of all of its rows."""
        grown = {
            row.refs["partnership_id"].obj.id: row.refs["partnership_id"].obj
            for row in self.children
            if row.created
            and row.model is PartnershipStatusChange
            and not row.refs["partnership_id"].created
        }
        if not grown:
            return
        statement = (
            select(PartnershipStatusChange)
            .where(col(PartnershipStatusChange.partnership_id).in_(grown))
            .order_by(col(PartnershipStatusChange.id))
        )
        history: dict[int, list[tuple[dt.date | None, PartnershipStatus]]] = defaultdict(list)
        for change in self.session.exec(statement):
            history[change.partnership_id].append((change.valid_from, change.status))
        for partnership_id, partnership in grown.items():
            partnership.status = latest_status(history[partnership_id])

    def _past_statuses(self) -> None:
        """A status's source tells of a past state, not the present, where a later status
        of the partnership may have begun by the source's date: it is not anchored there
        (``FactBase.holds_on``). Read over each history a file added to, stored rows too."""
        grown = {
            row.refs["partnership_id"].obj.id
            for row in self.children
            if row.created and row.model is PartnershipStatusChange
        }
        if not grown:
            return
        statement = select(PartnershipStatusChange).where(
            col(PartnershipStatusChange.partnership_id).in_(grown),
            is_current(PartnershipStatusChange),
        )
        history: dict[int, list[PartnershipStatusChange]] = defaultdict(list)
        for change in self.session.exec(statement):
            history[change.partnership_id].append(change)
        for changes in history.values():
            for change in past_statuses(changes):
                change.holds_on = None
                self.session.add(change)


# The search document a row belongs to: its type, and the column holding its id.
_DOCUMENTS: dict[type[SQLModel], tuple[DocumentType, str]] = {
    Company: (DocumentType.company, "id"),
    Executive: (DocumentType.executive, "id"),
    ExecutiveRole: (DocumentType.executive, "executive_id"),
    Partnership: (DocumentType.partnership, "id"),
    PartnershipMember: (DocumentType.partnership, "partnership_id"),
    PartnershipStatusChange: (DocumentType.partnership, "partnership_id"),
    PartnershipScope: (DocumentType.partnership, "partnership_id"),
    Tariff: (DocumentType.tariff, "id"),
    TariffImpact: (DocumentType.tariff, "tariff_id"),
    RestructuringPlan: (DocumentType.restructuring_plan, "id"),
    Plant: (DocumentType.plant, "id"),
    Statement: (DocumentType.statement, "id"),
}

# The resource of the change log each table's rows are logged as, and the column naming
# the row that stands for them there: a partnership's members, statuses and scope are
# changes of the partnership, as the API logs them.
_LOGGED_AS: dict[type[SQLModel], tuple[Resource[Any, Any, Any], str | None]] = {
    Company: (COMPANIES, None),
    Executive: (EXECUTIVES, None),
    ExecutiveRole: (ROLES, None),
    Partnership: (PARTNERSHIPS, None),
    PartnershipMember: (PARTNERSHIPS, "partnership_id"),
    PartnershipStatusChange: (PARTNERSHIPS, "partnership_id"),
    PartnershipScope: (PARTNERSHIPS, "partnership_id"),
    Tariff: (TARIFFS, None),
    TariffImpact: (IMPACTS, None),
    **{model: (resource, None) for model, resource in COMPANY_FACTS.items()},
    Statement: (STATEMENTS, None),
}
# A row that refers to another by this column is a version of it (a tariff's past rate):
# part of that resource, logged and indexed as it.
_VERSION_OF = "version_of"

# Parents before what refers to them, so a consumer replaying the feed meets each first.
_LOGGED_ORDER = (SOURCES, *dict.fromkeys(resource for resource, _ in _LOGGED_AS.values()))

_MONEY_FIELDS = {"amount": "amount.amount", "currency": "amount.currency", "usd": "amount.usd"}


def _dates(
    valid_from: str | None, valid_to: str | None, from_field: str, to_field: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The valid_* columns of two partial dates, and the file fields each came from."""
    values: dict[str, Any] = {}
    for column, text in (("valid_from", valid_from), ("valid_to", valid_to)):
        day, precision = parse_partial_date(text) if text else (None, None)
        values[column], values[f"{column}_precision"] = day, precision
    fields = {
        "valid_from": from_field,
        "valid_from_precision": from_field,
        "valid_to": to_field,
        "valid_to_precision": to_field,
    }
    return values, fields


def _span_text(span: tuple[PartialDay | None, PartialDay | None]) -> str:
    return span_text(*(format_partial_date(*bound) if bound else None for bound in span))


def _known_from(quotes: list[_Quote]) -> dt.date:
    """When our sources first said it: the earliest publication among its quotes."""
    return min(quote.source.published_on for quote in quotes)


def _walk(entry: BaseModel) -> Iterator[BaseModel]:
    """``entry`` and every entry nested in it."""
    yield entry
    for name in type(entry).model_fields:
        value = getattr(entry, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                yield from _walk(item)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return repr(decimal_to_str(value))
    return repr(str(value) if isinstance(value, dt.date | StrEnum) else value)
