"""docs/performance.md is what bench/report.py renders from the newest committed run: its
figures come from a results file, never from a paste."""

import importlib.util
import json

from app.core.config import ROOT


def test_performance_page_is_rendered_from_the_newest_results() -> None:
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    source = report.newest_results()
    rendered = report.page(json.loads(source.read_text()), source, report.newest_long_tail(source))
    assert (ROOT / "docs" / "performance.md").read_text(encoding="utf-8") == rendered, (
        "docs/performance.md is not what bench/report.py renders: run `make docs-performance`"
    )
