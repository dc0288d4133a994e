"""Executives and the roles they hold at companies; the shapes they are written and read
in."""

from dataclasses import dataclass
from typing import ClassVar

from pydantic import computed_field
from sqlmodel import Field

from app.core.dates import END_DESCRIPTION, PartialDate, ordered_range
from app.core.examples import BodyExample, cited
from app.core.fields import NonEmpty, Slug
from app.core.patch import MergePatch
from app.core.quotes import CitationIn
from app.models.base import (
    Certainty,
    FactBase,
    FactIn,
    FactPublic,
    PublicModel,
    current_index,
    current_unique,
)
from app.models.company import CompanyRef


class Executive(FactBase, table=True):
    __tablename__ = "executive"
    __table_args__ = (
        current_unique("executive", "slug"),
        current_index("executive", "name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, index=True)
    name: str = Field(max_length=200, index=True)


class ExecutiveRole(FactBase, table=True):
    """An executive's title at a company; ``valid_from``/``valid_to`` are its start and end."""

    __tablename__ = "executive_role"

    id: int | None = Field(default=None, primary_key=True)
    executive_id: int = Field(foreign_key="executive.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200, index=True)


class ExecutiveRef(PublicModel):
    """An executive named inside another resource."""

    slug: str = Field(schema_extra={"examples": ["ivan-espinosa"]})
    name: str = Field(schema_extra={"examples": ["Ivan Espinosa"]})


class ExecutiveRolePublic(FactPublic):
    """A title held at a company; ``started_on``/``ended_on`` mirror ``valid_from``/``valid_to``."""

    fact_table: ClassVar[str] = "executive_role"

    id: int
    title: str = Field(schema_extra={"examples": ["CEO"]})

    @computed_field(  # type: ignore[prop-decorator]
        description="When the role began, as precise as the source (same as `valid_from`).",
        examples=["2025-04"],
    )
    @property
    def started_on(self) -> str | None:
        return self.valid_from

    @computed_field(  # type: ignore[prop-decorator]
        description="When the role ended (exclusive; same as `valid_to`); null if it goes on.",
    )
    @property
    def ended_on(self) -> str | None:
        return self.valid_to


class ExecutiveRolePublicWithCompany(ExecutiveRolePublic):
    company: CompanyRef


class ExecutivePublic(FactPublic):
    fact_table: ClassVar[str] = "executive"
    slug: str = Field(schema_extra={"examples": ["ivan-espinosa"]})
    name: str = Field(schema_extra={"examples": ["Ivan Espinosa"]})
    roles: list[ExecutiveRolePublicWithCompany] | None = Field(
        default=None,
        description="The roles that answer `valid_at`/`known_at`/`as_of` (on lists with "
        "include=roles).",
    )


class CompanyExecutivePublic(PublicModel):
    """One role held at the company, and who holds it."""

    executive: ExecutiveRef
    role: ExecutiveRolePublic


class ExecutiveRoleDetail(ExecutiveRolePublicWithCompany):
    """One role at its own URL: who holds it as well as where."""

    executive: ExecutiveRef


class RoleIn(FactIn):
    """A title held at a company, from ``started_on`` until ``ended_on`` (exclusive)."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "CEO of Nissan since April 2025 (the seed holds the role: a 409 there)",
        {
            "company": "nissan",
            "title": "CEO",
            "started_on": "2025-04",
            "certainty": "confirmed",
            "citations": cited(
                "new Nissan CEO Ivan Espinosa", "Espinosa, installed as CEO since April"
            ),
        },
    )

    company: Slug
    title: NonEmpty = Field(max_length=200)
    started_on: PartialDate | None = None
    ended_on: PartialDate | None = Field(default=None, description=END_DESCRIPTION)

    _ordered = ordered_range("started_on", "ended_on")


class ExecutiveIn(FactIn):
    body_example: ClassVar[BodyExample] = BodyExample(
        "Ivan Espinosa and his role (the seed holds him: a 409 there)",
        {
            "slug": "ivan-espinosa",
            "name": "Ivan Espinosa",
            "certainty": "confirmed",
            "citations": cited("new Nissan CEO Ivan Espinosa"),
            "roles": [RoleIn.body_example.value],
        },
    )

    slug: Slug = Field(max_length=100)
    name: NonEmpty = Field(max_length=200)
    roles: list[RoleIn] = Field(default=[])


class ExecutiveUpdate(MergePatch):
    """A correction: the old values stay answerable through ``as_of``. The slug is the
    executive's URL and never changes."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Cite a second sentence that names Ivan Espinosa",
        {
            "citations": cited(
                "new Nissan CEO Ivan Espinosa", "Ivan Espinosa insists the brand remains agile"
            )
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"name", "certainty", "citations"})

    name: NonEmpty | None = Field(default=None, max_length=200)
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the executive."
    )


class ExecutiveRoleUpdate(MergePatch):
    """A correction of a role: the old values stay answerable through ``as_of``. The
    company is what the role is; a role at another company is another role."""

    body_example: ClassVar[BodyExample] = BodyExample(
        "Date the role from April 2025 on the sentence that says since when",
        {
            "started_on": "2025-04",
            "citations": cited("Espinosa, installed as CEO since April"),
        },
    )

    not_null: ClassVar[frozenset[str]] = frozenset({"title", "certainty", "citations"})

    title: NonEmpty | None = Field(default=None, max_length=200)
    started_on: PartialDate | None = Field(
        default=None, description="YYYY, YYYY-MM or YYYY-MM-DD; null if the source gives none."
    )
    ended_on: PartialDate | None = Field(
        default=None, description=END_DESCRIPTION + " Null if it goes on."
    )
    certainty: Certainty | None = None
    citations: list[CitationIn] | None = Field(
        default=None, min_length=1, description="Replace the quotes backing the role."
    )

    # Both bounds in one body; one alone is checked against the stored other.
    _ordered = ordered_range("started_on", "ended_on")


@dataclass(frozen=True)
class ExecutiveFilters:
    company: str | None = None
    title: str | None = None
