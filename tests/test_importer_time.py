"""A facts file that states impossible time is refused with every entry and field named, as
the API refuses the same body: the file format is the API's own shapes."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.core.config import get_settings
from app.importer import ImportRefused, parse_facts
from tests.test_importer import _import, _refusal, _seed_data, _write

SEED = get_settings().seed_file
Data = dict[str, Any]


def _problems(change: Callable[[Data], None]) -> list[str]:
    data = _seed_data()
    change(data)
    with pytest.raises(ImportRefused) as refused:
        parse_facts(data, base_dir=SEED.parent)
    return refused.value.problems


def test_the_seed_states_no_impossible_time() -> None:
    parse_facts(_seed_data(), base_dir=SEED.parent)


# -- a source from the future ------------------------------------------------------------------


def _published(day: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["sources"][0]["published_on"] = day

    return change


def test_a_source_published_after_today_is_refused() -> None:
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    for day in (tomorrow, "2099-01-01"):
        (problem,) = _problems(_published(day))
        assert problem.startswith("sources[0].published_on: is after today"), problem


def test_a_refused_source_changes_nothing(empty_db_engine: Engine, tmp_path: Path) -> None:
    _import(empty_db_engine)
    data = _seed_data()
    _published("2099-12-31")(data)
    problems = _refusal(empty_db_engine, _write(tmp_path, data))
    assert [p.split(":")[0] for p in problems] == ["sources[0].published_on"]


# -- a range that ends before it begins --------------------------------------------------------


def _dated(
    path: str, start: str, end: str, start_value: str, end_value: str
) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        entry: Any = data
        for part in path.split("."):
            entry = entry[int(part)] if part.isdigit() else entry[part]
        entry[start], entry[end] = start_value, end_value

    return change


@pytest.mark.parametrize(
    ("path", "start", "end"),
    [
        ("executives.0.roles.0", "started_on", "ended_on"),
        ("partnerships.1", "announced_on", "ended_on"),
        ("partnerships.1.statuses.0", "valid_from", "valid_to"),
    ],
)
def test_a_range_ending_before_it_begins_is_refused(path: str, start: str, end: str) -> None:
    where = "".join(
        f"[{part}]" if part.isdigit() else (f".{part}" if i else part)
        for i, part in enumerate(path.split("."))
    )
    (problem,) = _problems(_dated(path, start, end, "2025-04", "2025-03-31"))
    assert problem.startswith(f"{where}.{end}: is certainly on or before {start}"), problem
    (problem,) = _problems(_dated(path, start, end, "2025-04-01", "2025-04-01"))
    assert problem.startswith(f"{where}.{end}:"), problem
    # The end year holds the start month: it may well come after it.
    data = _seed_data()
    _dated(path, start, end, "2025-04", "2025")(data)
    parse_facts(data, base_dir=SEED.parent)


# -- a status history that overlaps itself -----------------------------------------------------


def _statuses(*spans: tuple[str | None, str | None]) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        (first,) = data["partnerships"][1]["statuses"]
        data["partnerships"][1]["statuses"] = [
            first | {"valid_from": start, "valid_to": end} for start, end in spans
        ]

    return change


def test_a_status_history_that_overlaps_itself_is_refused() -> None:
    (problem,) = _problems(_statuses(("2024-01-01", "2025"), ("2024-05", None)))
    assert problem.startswith(
        "partnerships[1].statuses: statuses[1] (2024-05 to ?) and statuses[0] "
        "(2024-01-01 to 2025) certainly overlap"
    ), problem
    # Read as intervals, "2024 to 2025" may have begun after a status from 2024-05 ended.
    data = _seed_data()
    _statuses(("2024", "2025"), ("2024-05", None))(data)
    parse_facts(data, base_dir=SEED.parent)
