"""Writing the ``fact`` table: each fact row of the domain tables mirrored as one uniform
(subject, predicate, value) row, in the same transaction as the row itself.

``app.services.fact_list`` reads it. The value is plain JSON built the same way every time
(decimals as strings, keys in a fixed order), so re-projecting an unchanged row changes nothing.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, SQLModel, col, select

from app.core.money import Money, decimal_to_str
from app.models import (
    Certainty,
    Company,
    Executive,
    ExecutiveRole,
    Fact,
    FactBase,
    FinancialResult,
    Partnership,
    PartnershipMember,
    PartnershipScope,
    PartnershipStatusChange,
    Plant,
    RestructuringPlan,
    Statement,
    Tariff,
    TariffImpact,
)

# The columns a fact shares with the row it mirrors: when it held, when we knew, how sure.
# A fact row has its own history; which domain row it mirrors is (fact_type, fact_id).
_MIRRORED = tuple(name for name in FactBase.model_fields if name != "version_of")

# Foreign keys whose rows name a fact's subject or appear in its value.
_REFERENCES: dict[str, type[SQLModel]] = {
    "company_id": Company,
    "executive_id": Executive,
    "partnership_id": Partnership,
    "speaker_executive_id": Executive,
    "speaker_company_id": Company,
    "about_partnership_id": Partnership,
    "about_company_id": Company,
}

_Related = dict[tuple[type[SQLModel], int], Any]


class _Statement(NamedTuple):
    subject_type: str
    subject_id: int
    subject: str
    predicate: str
    value: Any
    company_id: int | None


def project_fact(session: Session, row: FactBase) -> Fact:
    """Create or update the fact mirroring one row (which must have its id)."""
    return project_facts(session, [row])[0]


def project_facts(session: Session, rows: Sequence[FactBase]) -> list[Fact]:
    """Create or update the facts mirroring ``rows`` (which must have their ids).

    However many rows, this costs one query per related table (none for the rows already
    in the session) and one for the existing facts.
    """
    related = _load_related(session, rows)
    stored = _stored_facts(session, rows)
    facts = []
    for row in rows:
        fact_type, fact_id = _fact_key(row)
        fields = {name: getattr(row, name) for name in _MIRRORED}
        fields.update(_statement(row, related)._asdict())
        fact = stored.get((fact_type, fact_id))
        if fact is None:
            fact = Fact(fact_type=fact_type, fact_id=fact_id, **fields)
        else:
            fact.sqlmodel_update(fields)
        session.add(fact)
        facts.append(fact)
    return facts


def _fact_key(row: FactBase) -> tuple[str, int]:
    row_id = getattr(row, "id", None)
    if row_id is None:
        raise ValueError(f"flush the {type(row).__name__} before projecting it: it has no id")
    return row.__table__.name, row_id  # type: ignore[attr-defined]


def _load_related(session: Session, rows: Sequence[FactBase]) -> _Related:
    wanted: dict[type[SQLModel], set[int]] = defaultdict(set)
    for row in rows:
        for column, model in _REFERENCES.items():
            if (related_id := getattr(row, column, None)) is not None:
                wanted[model].add(related_id)
    related: _Related = {}
    for model, ids in wanted.items():
        missing = []
        for related_id in ids:
            loaded = session.identity_map.get(Session.identity_key(class_=model, ident=related_id))
            if loaded is None:
                missing.append(related_id)
            else:
                related[(model, related_id)] = loaded
        if missing:
            statement = select(model).where(col(model.id).in_(missing))  # type: ignore[attr-defined]
            for loaded in session.exec(statement):
                related[(model, loaded.id)] = loaded  # type: ignore[attr-defined]
    return related


def _stored_facts(session: Session, rows: Sequence[FactBase]) -> dict[tuple[str, int], Fact]:
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        fact_type, fact_id = _fact_key(row)
        ids_by_type[fact_type].add(fact_id)
    if not ids_by_type:
        return {}
    statement = select(Fact).where(
        or_(
            *(
                and_(col(Fact.fact_type) == fact_type, col(Fact.fact_id).in_(ids))
                for fact_type, ids in ids_by_type.items()
            )
        )
    )
    return {(fact.fact_type, fact.fact_id): fact for fact in session.exec(statement)}


def _money(row: TariffImpact | FinancialResult) -> dict[str, Any]:
    return Money(amount=row.amount, currency=row.currency, usd=row.usd).model_dump(mode="json")


def _percent(value: Any) -> str | None:
    return None if value is None else decimal_to_str(value)


def _statement(row: FactBase, related: _Related) -> _Statement:
    """Subject, predicate and value of one row, by its table."""
    # A superseded copy speaks of the same subject as the row that replaced it.
    row_id = row.version_of or _fact_key(row)[1]
    value: Any

    def about_company(company_id: int, predicate: str, value: Any) -> _Statement:
        slug = related[(Company, company_id)].slug
        return _Statement("company", company_id, slug, predicate, value, company_id)

    def about_partnership(partnership_id: int, predicate: str, value: Any) -> _Statement:
        slug = related[(Partnership, partnership_id)].slug
        return _Statement("partnership", partnership_id, slug, predicate, value, None)

    match row:
        case Company():
            value = {"name": row.name, "country": row.country, "kind": row.kind}
            return _Statement("company", row_id, row.slug, "company", value, row_id)
        case Executive():
            return _Statement("executive", row_id, row.slug, "person", {"name": row.name}, None)
        case ExecutiveRole():
            executive: Executive = related[(Executive, row.executive_id)]
            value = {"title": row.title, "company": related[(Company, row.company_id)].slug}
            return _Statement(
                "executive", row.executive_id, executive.slug, "holds_role", value, row.company_id
            )
        case Partnership():
            value = {"title": row.title}
            return _Statement("partnership", row_id, row.slug, "partnership", value, None)
        case PartnershipMember():
            title = related[(Partnership, row.partnership_id)].title
            value = {"partnership": row.partnership_id, "title": title}
            return about_company(row.company_id, "member_of", value)
        case PartnershipStatusChange():
            return about_partnership(row.partnership_id, "status", str(row.status))
        case PartnershipScope():
            excluded = row.certainty == Certainty.excluded
            return about_partnership(
                row.partnership_id, "excludes" if excluded else "scope", row.area
            )
        case Tariff():
            subject = f"{row.imposing_country} tariff on {row.product} from {row.target_country}"
            value = {
                "imposing_country": row.imposing_country,
                "target_country": row.target_country,
                "product": row.product,
                "rate_pct": _percent(row.rate_pct),
                "previous_rate_pct": _percent(row.previous_rate_pct),
                "baseline_rate_pct": _percent(row.baseline_rate_pct),
            }
            return _Statement("tariff", row_id, subject, "tariff", value, None)
        case TariffImpact():
            value = {
                "tariff": row.tariff_id,
                "fiscal_year": row.fiscal_year,
                "metric": row.metric,
                "direction": row.direction,
                "kind": row.kind,
                "amount": _money(row),
            }
            return about_company(row.company_id, "tariff_impact", value)
        case RestructuringPlan():
            value = {
                "name": row.name,
                "job_cuts": row.job_cuts,
                "plants_before": row.plants_before,
                "plants_after": row.plants_after,
                "target_year": row.target_year,
            }
            return about_company(row.company_id, "restructuring_plan", value)
        case FinancialResult():
            return about_company(
                row.company_id, row.metric, {"period": row.period, "amount": _money(row)}
            )
        case Plant():
            value = {
                "name": row.name,
                "city": row.city,
                "region": row.region,
                "country": row.country,
            }
            return about_company(row.company_id, "plant", value)
        case Statement():
            partnership = related.get((Partnership, row.about_partnership_id or 0))
            company = related.get((Company, row.about_company_id or 0))
            value = {
                "quote": row.quote,
                "speech": str(row.speech),
                "about_partnership": partnership.slug if partnership is not None else None,
                "about_company": company.slug if company is not None else None,
            }
            if row.speaker_executive_id is not None:
                speaker = related[(Executive, row.speaker_executive_id)]
                return _Statement(
                    "executive", row.speaker_executive_id, speaker.slug, "said", value, None
                )
            assert row.speaker_company_id is not None, "a statement has one speaker"
            return about_company(row.speaker_company_id, "said", value)
    raise TypeError(f"no fact projection for {type(row).__name__}")
