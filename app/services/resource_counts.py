"""How many of each resource there are, as the explorer's home page shows them: the exact
``total`` each list gives with ``count=true``, kept until the data changes.

Counted afresh, the facts alone are a million index entries, and the home page is the
page everyone opens. The figures change only when a write commits, and the data version
(``app/core/data_version.py``) says exactly when that is, in every process: so they are
kept per version, as the response cache keeps answers, and a page after a write counts
once more. A counter kept by triggers in every write's transaction (as ``company_tally``
is for the companies' facets) would give the same figures for current data only, and
would add a write to every fact table's every write for one page's figures; ``valid_at``,
``known_at`` and ``as_of`` would still count row by row.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlmodel import Session

from app.core.pagination import PageParams
from app.core.temporal import AsOf
from app.models.company import CompanyFilters
from app.models.company_facts import PlanFilters
from app.models.executive import ExecutiveFilters
from app.models.fact import FactFilters
from app.models.partnership import PartnershipFilters
from app.models.source import SourceFilters
from app.models.statement import StatementFilters
from app.models.tariff import TariffFilters
from app.services import (
    companies,
    company_facts,
    executives,
    fact_list,
    partnerships,
    sources,
    statements,
    tariffs,
)

COUNT = PageParams(limit=1, count=True)
NONE: frozenset[str] = frozenset()
# The times asked about under one data version that are kept (the least recent go first).
MAX_KEPT = 64

Counts = list[tuple[str, int]]

# Each resource, named as its list under /v1, and its exact total at a time.
COUNTED: tuple[tuple[str, Callable[[Session, AsOf], int | None]], ...] = (
    (
        "companies",
        lambda session, as_of: (
            companies.list_companies(
                session=session, filters=CompanyFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        "executives",
        lambda session, as_of: (
            executives.list_executives(
                session=session, filters=ExecutiveFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        "partnerships",
        lambda session, as_of: (
            partnerships.list_partnerships(
                session=session, filters=PartnershipFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        "tariffs",
        lambda session, as_of: (
            tariffs.list_tariffs(
                session=session, filters=TariffFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        "restructuring-plans",
        lambda session, as_of: (
            company_facts.list_restructuring_plans(
                session=session, filters=PlanFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        "statements",
        lambda session, as_of: (
            statements.list_statements(
                session=session, filters=StatementFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
    (
        # A source has no valid time (see /v1/sources).
        "sources",
        lambda session, as_of: (
            sources.list_sources(
                session=session, filters=SourceFilters(), known_at=as_of.known_at, page=COUNT
            ).total
        ),
    ),
    (
        "facts",
        lambda session, as_of: (
            fact_list.list_facts(
                session=session, filters=FactFilters(), as_of=as_of, page=COUNT, include=NONE
            ).total
        ),
    ),
)


class _Kept:
    """The counts computed under one data version, per time asked about."""

    def __init__(self) -> None:
        self.version: Hashable | None = None
        self.counts: OrderedDict[AsOf, Counts] = OrderedDict()
        # Pages are drawn in several threads at once.
        self.lock = threading.Lock()


_kept = _Kept()


def count_resources(*, session: Session, as_of: AsOf, data_version: Hashable | None) -> Counts:
    """Each resource's exact total at ``as_of``. ``data_version``: read after the request
    arrived and before ``session`` read anything; counts computed under the same version
    are given again. None (no version to go by): counted, and not kept."""
    if data_version is not None:
        with _kept.lock:
            if _kept.version == data_version and as_of in _kept.counts:
                _kept.counts.move_to_end(as_of)
                return _kept.counts[as_of]
    counts = [(name, count(session, as_of) or 0) for name, count in COUNTED]
    if data_version is not None:
        with _kept.lock:
            if _kept.version != data_version:
                # A commit since (or, rarely, before: then a later request counts again).
                _kept.version, _kept.counts = data_version, OrderedDict()
            _kept.counts[as_of] = counts
            if len(_kept.counts) > MAX_KEPT:
                _kept.counts.popitem(last=False)
    return counts
