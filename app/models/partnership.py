"""Partnerships, their members, dated statuses and scope; the shapes they are written
and read in."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, computed_field, field_validator, model_validator
from sqlalchemy import Text
from sqlmodel import Field

from app.core.dates import (
    END_DESCRIPTION,
    PartialDate,
    PartialDay,
    certainly_overlap,
    last_day,
    ordered_range,
    partial_day,
)
from app.core.examples import BodyExample, cited
from app.core.fields import LongText, NonEmpty, Slug
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import (
    Certainty,
    FactBase,
    FactIn,
    FactPublic,
    InputModel,
    ToldAs,
    current_unique,
    enum_column,
)
from app.models.company import CompanyRef


class PartnershipStatus(StrEnum):
    proposed = "proposed"
    in_talks = "in_talks"
    signed = "signed"
    active = "active"
    abandoned = "abandoned"
    ended = "ended"


class Partnership(FactBase, table=True):
    """A partnership between companies; ``valid_from`` is when it was announced.

    ``status`` is the latest status, kept for filtering; the dated history is in
    ``partnership_status``.
    """

    __tablename__ = "partnership"
    __table_args__ = (current_unique("partnership", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, index=True, description="Natural key for imports.")
    title: str = Field(max_length=300)
    status: PartnershipStatus = enum_column(PartnershipStatus, column="status", index=True)
    notes: str | None = Field(default=None, sa_type=Text)


class PartnershipMember(FactBase, table=True):
    __tablename__ = "partnership_member"
    __table_args__ = (current_unique("partnership_member", "partnership_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")


class PartnershipStatusChange(FactBase, table=True):
    """One dated status of a partnership: its history, never overwritten."""

    __tablename__ = "partnership_status"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    status: PartnershipStatus = enum_column(PartnershipStatus, column="status", index=True)


class PartnershipScope(FactBase, table=True):
    """An area the partnership covers; certainty ``excluded`` marks what it rules out."""

    __tablename__ = "partnership_scope"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    area: str = Field(max_length=300)


def latest_status(
    statuses: Iterable[tuple[dt.date | None, PartnershipStatus]],
) -> PartnershipStatus:
    """The status of the latest row by ``valid_from``: undated rows count as the oldest, and
    of rows on the same date the last given wins. What ``Partnership.status`` holds, however
    the rows were written (an import or a ``POST …/statuses``)."""
    dated = [(day or dt.date.min, order, status) for order, (day, status) in enumerate(statuses)]
    return max(dated)[2]


class StatusIn(FactIn):
    """One dated status; the latest (by ``valid_from``) is the partnership's current one."""

    status: PartnershipStatus
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = Field(default=None, description=END_DESCRIPTION)

    _ordered = ordered_range("valid_from", "valid_to")

    def span(self) -> tuple[PartialDay | None, PartialDay | None]:
        return partial_day(self.valid_from), partial_day(self.valid_to)


def past_statuses(rows: Sequence[Any]) -> list[Any]:
    """The status rows (of one partnership) whose ``holds_on`` a later status may have
    begun by: their source told of a state already past, so they hold on no certain day
    there. Later is as ``latest_status`` orders them (undated first, then by id)."""
    ordered = sorted(rows, key=lambda row: (row.valid_from or dt.date.min, row.id))
    return [
        row
        for i, row in enumerate(ordered)
        if row.holds_on is not None
        and any(
            later.valid_from is not None and later.valid_from <= row.holds_on
            for later in ordered[i + 1 :]
        )
    ]


def began_after_end(end: PartialDay | None, began: PartialDay | None) -> bool:
    """The one rule between a partnership's end and its statuses, for a body, a file, a
    patched end and an added status: a status that certainly began after the partnership
    ended (the end's last possible day before the status's first) would be reported and
    yet hold on no day of the partnership (every ``valid_at`` a 404). An end in the period
    a status began is taken: the status may have begun first."""
    return end is not None and began is not None and last_day(*end) < began[0]


def end_before_status_error(ended: str, statuses: Sequence[str]) -> str:
    """Why ``began_after_end`` refuses, in one wording for each of them."""
    return (
        f"{ended} is before {' and '.join(statuses)} began: a partnership over before a "
        "status began would report it and yet hold on no day of it"
    )


def overlap_error(status: str, span: str, other: str, other_span: str) -> str:
    """Why a status is refused, in one wording for a body, a file and the stored history."""
    return (
        f"{status} ({span}) and {other} ({other_span}) certainly overlap: a partnership "
        "has one status on any day"
    )


def span_text(valid_from: str | None, valid_to: str | None) -> str:
    return f"{valid_from or '?'} to {valid_to or '?'}"


_AGREEMENT_2024 = cited(
    "Honda and Nissan already signed an agreement in 2024 on vehicle intelligence and "
    "electrification technologies."
)


class StatusChangeIn(StatusIn):
    """A status change posted to the API: unlike a file's status history, whose first
    status may be undated, it needs the date it took effect."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "In talks since 2025 (the talks' current status on the seed: a 409 there)",
        {
            "status": "in_talks",
            "valid_from": "2025",
            "certainty": "confirmed",
            "citations": cited(
                "Nikkei Asia reports that new Nissan CEO Ivan Espinosa confirmed that active "
                "discussions are underway."
            ),
        },
    )

    valid_from: PartialDate


class ScopeIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "Powertrain sharing, one of the avenues of the U.S. talks (on the seed: a 409)",
        {
            "area": "powertrain sharing",
            "certainty": "reported",
            "citations": cited(
                "Among the avenues mentioned are co-development of platforms, sharing of "
                "powertrains and joint production in North America."
            ),
        },
    )

    area: NonEmpty = Field(max_length=300)


class ExclusionIn(FactIn):
    """An area the partners ruled out: a scope row of certainty ``excluded``."""

    certainty: Literal[Certainty.excluded] = Certainty.excluded
    area: NonEmpty = Field(max_length=300)


class PartnershipIn(FactIn):
    """Members share the partnership's certainty, dates and citations."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "The 2024 agreement (the seed holds it: a 409 there)",
        {
            "slug": "honda-nissan-2024-agreement",
            "title": "Honda\u2013Nissan agreement on vehicle intelligence and electrification "
            "technologies",
            "members": ["honda", "nissan"],
            "certainty": "confirmed",
            "citations": _AGREEMENT_2024,
            "statuses": [
                {
                    "status": "signed",
                    "valid_from": "2024",
                    "certainty": "confirmed",
                    "citations": _AGREEMENT_2024,
                }
            ],
            "scope": [
                {
                    "area": "vehicle intelligence technologies",
                    "certainty": "confirmed",
                    "citations": _AGREEMENT_2024,
                },
                {
                    "area": "electrification technologies",
                    "certainty": "confirmed",
                    "citations": _AGREEMENT_2024,
                },
            ],
        },
    )

    slug: Slug = Field(max_length=200)
    title: NonEmpty = Field(max_length=300)
    members: list[Slug] = Field(min_length=1, description="Company slugs.")
    announced_on: PartialDate | None = None
    ended_on: PartialDate | None = Field(default=None, description=END_DESCRIPTION)
    notes: LongText | None = None
    statuses: list[StatusIn] = Field(
        min_length=1,
        description="Its dated history; no two statuses may certainly share a day (read as "
        "intervals, as for an end).",
    )
    scope: list[ScopeIn] = Field(default=[])
    excluded: list[ExclusionIn] = Field(default=[])

    _ordered = ordered_range("announced_on", "ended_on")

    def statuses_after_end(self) -> str | None:
        """Why the end contradicts the body's own status history (``began_after_end``), or
        None. Not a validator: the error is the end's, declared before the statuses."""
        end = partial_day(self.ended_on)
        later = [
            f"statuses[{i}] ({status.status}) from {status.valid_from}"
            for i, status in enumerate(self.statuses)
            if began_after_end(end, partial_day(status.valid_from))
        ]
        return end_before_status_error(str(self.ended_on), later) if later else None

    @field_validator("statuses")
    @classmethod
    def _one_status_a_day(cls, statuses: list[StatusIn]) -> list[StatusIn]:
        for i, status in enumerate(statuses):
            for j, earlier in enumerate(statuses[:i]):
                if certainly_overlap(status.span(), earlier.span()):
                    raise ValueError(
                        overlap_error(
                            f"statuses[{i}]",
                            span_text(status.valid_from, status.valid_to),
                            f"statuses[{j}]",
                            span_text(earlier.valid_from, earlier.valid_to),
                        )
                    )
        return statuses


class MemberEntry(InputModel):
    """A member in the facts file: a company slug alone, or an object saying what of the
    membership differs from the partnership. A field left out is the partnership's
    (certainty, told_as, citations; ``valid_from``/``valid_to`` its ``announced_on``/
    ``ended_on``); a date given as null is unknown. Through the API a member may come to
    differ: ``POST …/members`` states it with quotes and a certainty of its own, and a
    correction of the partnership leaves its members as they were."""

    company: Slug = Field(max_length=100)
    certainty: Certainty | None = None
    told_as: ToldAs | None = None
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = Field(default=None, description=END_DESCRIPTION)
    citations: list[CitationIn] | None = Field(default=None, min_length=1)

    _ordered = ordered_range("valid_from", "valid_to")

    @model_validator(mode="before")
    @classmethod
    def _slug_alone(cls, value: Any) -> Any:
        return {"company": value} if isinstance(value, str) else value

    @field_validator("certainty", "told_as", "citations")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out (the partnership's), not null")
        return value

    def fact(self, partnership: FactIn) -> FactIn:
        """How sure, how told and with which quotes the membership is stated."""
        return FactIn(
            certainty=self.certainty or partnership.certainty,
            told_as=self.told_as or partnership.told_as,
            citations=self.citations or partnership.citations,
        )

    def span(self, partnership: "PartnershipIn") -> tuple[str | None, str | None]:
        """When the membership held: its own dates where it gives them."""
        given = self.model_fields_set
        return (
            self.valid_from if "valid_from" in given else partnership.announced_on,
            self.valid_to if "valid_to" in given else partnership.ended_on,
        )


class PartnershipEntry(PartnershipIn):
    """A partnership in the facts file: a member may be an object (``MemberEntry``), so
    that a member that differs from its partnership is written as it is. Not a body of
    the API, whose members are slugs."""

    # Wider than the body's list of slugs (a slug reads as a MemberEntry), which the
    # type checker takes for an incompatible override.
    members: list[MemberEntry] = Field(  # type: ignore[assignment]
        min_length=1, description="Company slugs, or members as objects."
    )


class PartnershipScopePublic(FactPublic):
    """An area the partnership covers, or (certainty ``excluded``) rules out."""

    fact_table: ClassVar[str] = "partnership_scope"

    id: int = Field(description="Its id under `/v1/partnerships/{id}/scope/`.")
    area: str = Field(schema_extra={"examples": ["joint development of vehicles and powertrains"]})


class PartnershipStatusPublic(FactPublic):
    """One dated status: it held from ``valid_from`` until ``valid_to`` (exclusive)."""

    fact_table: ClassVar[str] = "partnership_status"

    status: PartnershipStatus


class PartnershipPublic(FactPublic):
    """A partnership; ``announced_on``/``ended_on`` are its ``valid_from``/``valid_to``."""

    fact_table: ClassVar[str] = "partnership"

    id: int
    slug: str = Field(schema_extra={"examples": ["honda-nissan-us-collaboration"]})
    title: str = Field(schema_extra={"examples": ["Honda-Nissan U.S. collaboration talks"]})
    status: PartnershipStatus | None = Field(
        description="The status on `valid_at` (default: the current one); null if no status "
        "row held then.",
        schema_extra={"examples": ["in_talks"]},
    )
    notes: str | None
    members: list[CompanyRef] | None = Field(
        default=None, description="The member companies (on lists with include=members)."
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="When it was announced, as precise as the source (same as `valid_from`).",
        examples=["2024"],
    )
    @property
    def announced_on(self) -> str | None:
        return self.valid_from

    @computed_field(  # type: ignore[prop-decorator]
        description="When it ended (exclusive; same as `valid_to`); null if it has not.",
    )
    @property
    def ended_on(self) -> str | None:
        return self.valid_to


class PartnershipDetail(PartnershipPublic):
    """A partnership with everything a reader needs: members, scope, exclusions, history."""

    members: list[CompanyRef]
    scope: list[PartnershipScopePublic] = Field(
        description="What it covers, each area with its certainty (`unconfirmed` included)."
    )
    excluded: list[PartnershipScopePublic] = Field(
        description="What the partners ruled out (scope rows of certainty `excluded`)."
    )
    status_history: list[PartnershipStatusPublic] = Field(
        description="Its dated status rows that answer `valid_at`/`known_at`/`as_of`, oldest first."
    )


class PartnershipUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``. ``slug`` and
    ``status`` are not patchable: a change of status is a dated row of its own
    (``POST /v1/partnerships/{id}/statuses``)."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Shorten the notes of the U.S. talks",
        {
            "notes": "A possible partnership for the American (and by extension North "
            "American) market: flexible and targeted collaborations, not a revived merger."
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"title", "certainty", "citations"})

    title: NonEmpty | None = Field(default=None, max_length=300)
    notes: LongText | None = None
    announced_on: PartialDate | None = Field(default=None, schema_extra={"examples": ["2024"]})
    ended_on: PartialDate | None = Field(
        default=None, description=END_DESCRIPTION + " Null: it has not."
    )
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the partnership."
    )

    # Both bounds in one body; one alone is checked against the stored other.
    _ordered = ordered_range("announced_on", "ended_on")


class PartnershipMemberIn(BaseModel):
    """A company joining a partnership; it holds as long as the partnership does."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Nissan, a member of the U.S. talks (on the seed already: a 409)",
        {
            "company": "nissan",
            "certainty": "confirmed",
            "citations": cited("the Japanese automakers are back at the table"),
        },
    )

    model_config = ConfigDict(extra="forbid")

    company: Slug = Field(
        max_length=100, description="The company's slug.", schema_extra={"examples": ["nissan"]}
    )
    certainty: Certainty
    citations: list[CitationIn] = Field(min_length=1)


class PartnershipScopeUpdate(MergePatch):
    """A correction of one scope row; certainty ``excluded`` makes it an exclusion."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Name the unconfirmed scenario of the U.S. talks in fewer words",
        {"area": "Nissan vehicles in Honda's North American plants"},
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"area", "certainty", "citations"})

    area: NonEmpty | None = Field(default=None, max_length=300)
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the area."
    )


@dataclass(frozen=True)
class PartnershipFilters:
    status: PartnershipStatus | None = None
    member: str | None = None
    certainty: Certainty | None = None
