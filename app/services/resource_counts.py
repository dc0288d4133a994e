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
from typing import Any

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

# The resources counted, named as their lists under /v1, in the order the home page shows.
RESOURCES = (
    "companies",
    "executives",
    "partnerships",
    "tariffs",
    "restructuring-plans",
    "statements",
    "sources",
    "facts",
)
# Each but sources (which has no valid time): the service that lists it, and its filters.
LISTED: tuple[tuple[str, Callable[..., Any], Callable[[], Any]], ...] = (
    ("companies", companies.list_companies, CompanyFilters),
    ("executives", executives.list_executives, ExecutiveFilters),
    ("partnerships", partnerships.list_partnerships, PartnershipFilters),
    ("tariffs", tariffs.list_tariffs, TariffFilters),
    ("restructuring-plans", company_facts.list_restructuring_plans, PlanFilters),
    ("statements", statements.list_statements, StatementFilters),
    ("facts", fact_list.list_facts, FactFilters),
)


def _totals(session: Session, as_of: AsOf) -> Counts:
    """Each resource's exact total at ``as_of``, in the order the home page shows them."""
    totals = {
        name: list_(session=session, filters=filters(), as_of=as_of, page=COUNT, include=NONE).total
        for name, list_, filters in LISTED
    }
    totals["sources"] = sources.list_sources(
        session=session, filters=SourceFilters(), known_at=as_of.known_at, page=COUNT
    ).total
    return [(name, totals[name] or 0) for name in RESOURCES]


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
    counts = _totals(session, as_of)
    if data_version is not None:
        with _kept.lock:
            if _kept.version != data_version:
                # A commit since (or, rarely, before: then a later request counts again).
                _kept.version, _kept.counts = data_version, OrderedDict()
            _kept.counts[as_of] = counts
            if len(_kept.counts) > MAX_KEPT:
                _kept.counts.popitem(last=False)
    return counts
