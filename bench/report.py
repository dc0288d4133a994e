#!/usr/bin/env python3
"""The tables of a `make bench` run, from the summary file it wrote.

    bench/report.py [--results FILE] [--output docs/performance.md] [--check]

bench/run.py writes each run's figures to ``bench/results/<date>-<host>.json`` and prints
its tables with ``database_section``. Run alone (``make docs-performance``), this renders
docs/performance.md from the newest of those files (or ``--results``); ``--check`` only
says whether the page is what the file gives, as tests/test_performance_doc.py does, so
the figures in the docs are always those of a committed run, never pasted.
"""

import argparse
import datetime as dt
import difflib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PAGE = ROOT / "docs" / "performance.md"

Summary = dict[str, Any]
Bar = tuple[str, bool]


def newest_results(part: str = "classic") -> Path:
    """The summary of the newest run that measured ``part`` (smoke runs' files are not
    committed; a run of the long tail alone, ``--parts longtail``, has no SPEC §6 tables)."""
    found = [p for p in RESULTS.glob("*.json") if not p.name.endswith("-smoke.json")]
    found = [p for p in found if part in json.loads(p.read_text()).get("parts", ["classic"])]
    if not found:
        raise SystemExit(f"no results in {RESULTS.relative_to(ROOT)}: run `make bench` first")
    return max(found, key=lambda p: (json.loads(p.read_text())["started_at"], p.name))


def newest_long_tail(source: Path) -> tuple[Summary, Path] | None:
    """The newest run of the long tail, when it is not ``source`` itself (a run of the long
    tail alone, newer than the last full run); its tables are rendered from its own
    figures, ratios included."""
    try:
        found = newest_results("longtail")
    except SystemExit:
        return None
    return None if found.resolve() == source.resolve() else (json.loads(found.read_text()), found)


def _median(measure: dict[str, Any], what: str) -> float:
    values: list[float] = measure[what]
    return statistics.median(values) if values else float("nan")


def _ratio(ours: float, theirs: float, digits: int = 1) -> str:
    # Datasette can finish no request at all in a run (suggested facets at 100k rows).
    return "no answer" if theirs == 0 else f"{ours / theirs:.{digits}f}x"


# -- one database's tables, as bench/run.py prints them ------------------------------------


def database_section(summary: Summary, db: str) -> tuple[str, int]:
    """The markdown of ``db``'s tables and bars, and how many bars failed (0 on a smoke
    run, whose bars are not judged)."""
    options, measures = summary["options"], summary["measures"]
    ours, peer = measures[db], measures["datasette"]
    ceiling_measure = measures["fastapi"]["ceiling"]
    ceiling = _median(ceiling_measure, "rps")
    rss = summary["peak_rss_mib"]
    lines = [
        f"## {db}: {options['companies']:,} companies, {options['facts']:,} facts "
        f"(median of {options['runs']} run(s), {options['duration_s']} s each, "
        f"{options['connections']} connections)",
        "",
        "| path | req/s | p50 ms | p99 ms | x FastAPI | Datasette req/s | x Datasette "
        "| Datasette _nosuggest req/s | x _nosuggest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| bare FastAPI route | {ceiling:,.0f} | {_median(ceiling_measure, 'p50_ms'):.1f} | "
        f"{_median(ceiling_measure, 'p99_ms'):.1f} | 1.00 | | | | |",
    ]
    floor = measures[f"floor-{db}"]["floor"]
    lines.append(
        "| bare FastAPI route + the slug's lookup through the raw driver (`bench/floor.py`) | "
        f"{_median(floor, 'rps'):,.0f} | {_median(floor, 'p50_ms'):.1f} | "
        f"{_median(floor, 'p99_ms'):.1f} | {_median(floor, 'rps') / ceiling:.2f} | | | | |"
    )
    bars: list[Bar] = []
    for p in summary["paths"]:
        m = ours[p["name"]]
        rps = _median(m, "rps")
        cells = [
            f"{rps:,.0f}",
            f"{_median(m, 'p50_ms'):.1f}",
            f"{_median(m, 'p99_ms'):.1f}",
            f"{rps / ceiling:.2f}",
        ]
        plain, quiet = peer.get(p["name"]), peer.get(f"{p['name']} _nosuggest")
        for d in (plain, quiet):
            cells += (
                [f"{_median(d, 'rps'):,.0f}", _ratio(rps, _median(d, "rps"))] if d else ["", ""]
            )
        lines.append(f"| {p['name']} | " + " | ".join(cells) + " |")
        bars += _bars_of(p, m, ceiling, quiet or plain)
    bars.append(_page_depth_bar(ours))
    lines += [
        "",
        f"Peak RSS, MiB: Autofacts {rss[db]:.0f}, FastAPI {rss['fastapi']:.0f}, "
        f"Datasette {rss['datasette']:.0f}.",
    ]
    bars.append((f"peak RSS of one worker < 150 MB ({rss[db]:.0f} MiB)", rss[db] < 150))
    lookups = summary["cache_lookups"][db]
    lines += [
        f"Response cache of the last run's server: {lookups.get('hit', 0):,.0f} hits, "
        f"{lookups.get('miss', 0):,.0f} misses, {lookups.get('bypass', 0):,.0f} bypassed.",
        "",
        "| one request, median of 20 | ms |",
        "|---|---:|",
    ]
    for url, ms in summary["single_request_ms"][db].items():
        lines.append(f"| `{url}` | {ms:.1f} |")
        bars.append((f"under 50 ms: {url} ({ms:.1f} ms)", ms < 50))
    uncached_lines, uncached = _uncached(summary, db, ceiling)
    lines += ["", *uncached_lines, ""]
    if summary["smoke"]:
        lines.append("(smoke run: bars not judged)")
        return "\n".join(lines) + "\n", 0
    lines += ["The bars of SPEC §6, as Autofacts is served:"]
    lines += [f"- {'PASS' if ok else 'FAIL'} {text}" for text, ok in bars]
    lines += ["", "With the cache off (not the bars: Autofacts as served answers from its cache):"]
    lines += [f"- {'pass' if ok else 'fail'} {text}" for text, ok in uncached]
    return "\n".join(lines) + "\n", sum(not ok for _, ok in bars)


def _uncached(summary: Summary, db: str, ceiling: float) -> tuple[list[str], list[Bar]]:
    """The same paths with the response cache off, and how they stand against the bars."""
    ours, peer = summary["measures"][f"{db}-uncached"], summary["measures"]["datasette"]
    lines = [
        f"### {db}, response cache off (`AUTOFACTS_RESPONSE_CACHE_BYTES=0`)",
        "",
        "| path | req/s | p50 ms | p99 ms | x FastAPI | x Datasette _nosuggest |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    bars: list[Bar] = []
    for p in summary["paths"]:
        m = ours[p["name"]]
        rps = _median(m, "rps")
        reference = peer.get(f"{p['name']} _nosuggest") or peer.get(p["name"])
        versus = _ratio(rps, _median(reference, "rps")) if reference else ""
        lines.append(
            f"| {p['name']} | {rps:,.0f} | {_median(m, 'p50_ms'):.1f} | "
            f"{_median(m, 'p99_ms'):.1f} | {rps / ceiling:.2f} | {versus} |"
        )
        bars += _bars_of(p, m, ceiling, reference)
    bars.append(_page_depth_bar(ours))
    lines += ["", f"Peak RSS, MiB: {summary['peak_rss_mib'][f'{db}-uncached']:.0f}."]
    return lines, bars


def _bars_of(
    p: dict[str, Any], m: dict[str, Any], ceiling: float, reference: dict[str, Any] | None
) -> list[Bar]:
    """The bars one path answers to (SPEC §6, bench/README.md), each with its figure."""
    rps, p99 = _median(m, "rps"), _median(m, "p99_ms")
    bars = [(f"p99 < 25 ms: {p['name']} ({p99:.1f} ms)", p99 < 25)]
    if m["errors"]:
        bars.append((f"no errors: {p['name']} ({m['errors']})", False))
    if p["bar"] == "ceiling":
        bars.append((f"{p['name']} ≥ 50 % of FastAPI ({rps / ceiling:.0%})", rps >= ceiling / 2))
    elif p["bar"] in ("x3", "x5") and reference:
        factor = 3 if p["bar"] == "x3" else 5
        peer_rps = _median(reference, "rps")
        # Without a figure for Datasette there is no ratio: the bar is not met.
        passed = peer_rps > 0 and rps / peer_rps >= factor
        bars.append(
            (f"{p['name']} ≥ {factor}x Datasette _nosuggest ({_ratio(rps, peer_rps)})", passed)
        )
    return bars


def _page_depth_bar(ours: dict[str, Any]) -> Bar:
    page1, page1000 = ours["list page 1 (cursor)"], ours["list page 1,000 (cursor)"]
    drift = _median(page1000, "rps") / _median(page1, "rps") - 1
    return (f"page 1,000 within ±20 % of page 1 ({drift:+.0%})", abs(drift) <= 0.20)


# -- the long tail (issue 21), as bench/run.py prints it -----------------------------------

MIX_NAMES = {
    "detail": "company details (random slugs)",
    "list": "lists (every filter, sort, limit; cursor pages)",
    "search": "search (distinct words of names)",
    "executives": "a company's executives",
    "facts": "a company's facts",
}
# The bar each mix answers to against Datasette's same mix (issue 21, item 4).
PEER_FACTOR = {"list": 3, "executives": 3, "search": 5}


def longtail_section(summary: Summary, db: str) -> tuple[str, int]:
    """``db``'s long-tail tables (as served and with the cache off), its isolation run and
    the bars of issue 21; the markdown and how many bars failed (0 on a smoke run)."""
    tail = summary.get("longtail")
    if not tail or db not in tail["measures"]:
        return "", 0
    options, measures = summary["options"], tail["measures"]
    ceiling = _median(summary["measures"]["fastapi"]["ceiling"], "rps")
    floor = measures.get(f"floor-async-{db}", {}).get("detail")
    lines = [
        f"## {db}, the long tail: each request's path drawn from thousands "
        f"(median of {options['runs']} run(s), {options['duration_s']} s each, "
        f"{options['connections']} connections)",
        "",
        "Distinct URLs per mix: "
        + ", ".join(f"{mix} {n:,}" for mix, n in tail["mixes"].items())
        + ". Datasette serves the same mixes on the SQLite file (row pages by key, "
        "filtered tables and FTS, `_nosuggest=1`).",
    ]
    if floor:
        lines += [
            "",
            f"Floor: the bare FastAPI route doing the slug lookup through psycopg's asyncio "
            f"pool (`bench/floor_async.py`), details mix: {_median(floor, 'rps'):,.0f} req/s, "
            f"p50 {_median(floor, 'p50_ms'):.1f} ms, p99 {_median(floor, 'p99_ms'):.1f} ms, "
            f"{_ratio(_median(floor, 'rps'), ceiling, 2)} the bare route "
            f"({ceiling:,.0f} req/s).",
        ]
    bars: list[Bar] = []
    for server, title in ((db, "as served"), (f"{db}-uncached", "response cache off")):
        table, found = _longtail_table(summary, server, title, ceiling, floor)
        lines += ["", *table]
        bars += [(f"{title}: {text}", ok) for text, ok in found]
    iso_lines, iso_bars = _isolation(summary, db)
    lines += ["", *iso_lines, ""]
    bars += iso_bars
    scale_lines, scale_bars, not_shown = _scale_out(summary, db)
    lines += [*scale_lines, ""] if scale_lines else []
    bars += scale_bars
    if summary["smoke"]:
        lines.append("(smoke run: bars not judged)")
        return "\n".join(lines) + "\n", 0
    lines += ["The bars of issue 21 on the long tail:"]
    lines += [f"- {'PASS' if ok else 'FAIL'} {text}" for text, ok in bars]
    lines += [f"- NOT SHOWN {text}" for text in not_shown]
    return "\n".join(lines) + "\n", sum(not ok for _, ok in bars)


# Issue 22's bars for each explorer page: what a browser is sent, what the server takes.
PAGE_BYTES, PAGE_MS = 100_000, 50.0


def explorer_section(summary: Summary, db: str) -> tuple[str, int]:
    """``db``'s explorer pages (bench/pages.py): bytes sent, time from the response cache
    and computed, against the bars; the markdown and how many bars failed."""
    pages = summary.get("explorer_pages", {}).get(db)
    if not pages:
        return "", 0
    lines = [
        f"### {db}, the explorer's pages (median of {20} requests each, loopback)",
        "",
        "| page | bytes sent | from the cache ms | computed ms |",
        "|---|---:|---:|---:|",
    ]
    bars: list[Bar] = []
    for name, page in pages.items():
        lines.append(
            f"| {name} | {page['bytes']:,} | {page['cached_ms']:.1f} | {page['uncached_ms']:.1f} |"
        )
        bars.append(
            (f"{name}: {page['bytes']:,} bytes < {PAGE_BYTES:,}", page["bytes"] < PAGE_BYTES)
        )
        slowest = max(page["cached_ms"], page["uncached_ms"])
        bars.append((f"{name}: {slowest:.1f} ms < {PAGE_MS:.0f} ms", slowest < PAGE_MS))
    if summary["smoke"]:
        return "\n".join([*lines, "", "(smoke run: bars not judged)"]) + "\n", 0
    lines += ["", "The bars of issue 22 for each page:"]
    lines += [f"- {'PASS' if ok else 'FAIL'} {text}" for text, ok in bars]
    return "\n".join(lines) + "\n", sum(not ok for _, ok in bars)


def _longtail_table(
    summary: Summary,
    server: str,
    title: str,
    ceiling: float,
    floor: dict[str, Any] | None,
) -> tuple[list[str], list[Bar]]:
    tail = summary["longtail"]
    ours, peer = tail["measures"].get(server, {}), tail["measures"].get("datasette", {})
    rss, hits = tail["peak_rss_mib"].get(server, {}), tail["hit_rate"].get(server, {})
    peer_rss = tail["peak_rss_mib"].get("datasette", {})
    db = server.split("-")[0]
    lines = [
        f"### {server}: {title}",
        "",
        "| mix | req/s | p50 ms | p99 ms | p99/p50 | cache hit rate | peak RSS MiB "
        "| x FastAPI | Datasette req/s | Datasette p99 ms | Datasette RSS MiB | x Datasette |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bars: list[Bar] = []
    for mix, name in MIX_NAMES.items():
        m = ours.get(mix)
        if m is None:
            continue
        rps, p50, p99 = _median(m, "rps"), _median(m, "p50_ms"), _median(m, "p99_ms")
        mib = max(rss.get(mix, [0]))
        rate = statistics.median(hits[mix]) if hits.get(mix) else 0.0
        d = peer.get(mix)
        peer_cells = (
            [
                f"{_median(d, 'rps'):,.0f}",
                f"{_median(d, 'p99_ms'):.1f}",
                f"{max(peer_rss.get(mix, [0])):.0f}",
                _ratio(rps, _median(d, "rps")),
            ]
            if d
            else ["", "", "", ""]
        )
        cells = [
            f"{rps:,.0f}",
            f"{p50:.1f}",
            f"{p99:.1f}",
            f"{p99 / p50:.1f}" if p50 else "",
            f"{rate:.1%}",
            f"{mib:.0f}",
            _ratio(rps, ceiling, 2),
            *peer_cells,
        ]
        lines.append(f"| {name}{_retried(m, d)} | " + " | ".join(cells) + " |")
        if m["errors"]:
            bars.append((f"no errors: {mix} ({m['errors']})", False))
        bars.append((f"peak RSS < 150 MB: {mix} ({mib:.0f} MiB)", mib < 150))
        if mix in ("detail", "list"):
            bars.append((f"p99 ≤ 2x p50: {mix} ({p99:.1f} / {p50:.1f} ms)", p99 <= 2 * p50))
        if mix == "detail" and db == "sqlite":
            passed = ceiling > 0 and rps >= ceiling / 2
            bars.append((f"detail ≥ 0.5x FastAPI ({_ratio(rps, ceiling, 2)})", passed))
        elif mix == "detail" and floor:
            at = _median(floor, "rps")
            bars.append((f"detail ≥ 0.8x the async floor ({_ratio(rps, at, 2)})", rps >= 0.8 * at))
        if mix in PEER_FACTOR and d:
            factor, peer_rps = PEER_FACTOR[mix], _median(d, "rps")
            passed = peer_rps > 0 and rps / peer_rps >= factor
            bars.append((f"{mix} ≥ {factor}x Datasette ({_ratio(rps, peer_rps)})", passed))
    return lines, bars


def _retried(*measures: dict[str, Any] | None) -> str:
    """A mark on a row whose figures include a measure taken again after a first that got
    no answer at all (a stalled server on a busy host): read it with care."""
    return " (retried)" if any(m and m.get("retried") for m in measures) else ""


def _isolation(summary: Summary, db: str) -> tuple[list[str], list[Bar]]:
    """The details mix alone and while common-word searches run beside it."""
    tail = summary["longtail"]
    lines = [
        f"### {db}: isolation, the details mix alone and while "
        f"{tail['isolation_connections']} more connections search `{tail['common_word']}`",
        "",
        "| server | alone req/s | alone p99 ms | under load req/s | under load p99 ms "
        "| p99 loaded / alone | req/s loaded / alone | searches req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bars: list[Bar] = []
    for server, title in ((db, "as served"), (f"{db}-uncached", "cache off")):
        runs = tail["measures"].get(f"isolation-{server}")
        if not runs or "alone" not in runs or "loaded" not in runs:
            continue
        alone, loaded = runs["alone"], runs["loaded"]
        searches = runs.get("searches")
        p99_ratio = _median(loaded, "p99_ms") / _median(alone, "p99_ms")
        rps_ratio = _median(loaded, "rps") / _median(alone, "rps")
        lines.append(
            f"| {server}{_retried(alone, loaded)} | {_median(alone, 'rps'):,.0f} | "
            f"{_median(alone, 'p99_ms'):.1f} | "
            f"{_median(loaded, 'rps'):,.0f} | {_median(loaded, 'p99_ms'):.1f} | "
            f"{p99_ratio:.2f} | {rps_ratio:.2f} | "
            + (f"{_median(searches, 'rps'):,.0f} |" if searches else " |")
        )
        bars.append(
            (f"{title}: details' p99 under load ≤ 2x alone ({p99_ratio:.2f}x)", p99_ratio <= 2)
        )
        bars.append(
            (
                f"{title}: details' req/s under load ≥ 70 % of alone ({rps_ratio:.0%})",
                rps_ratio >= 0.7,
            )
        )
    return lines, bars


# A second worker should reach this many times one worker's req/s (issue 21), unless the
# machine has no core left for it: then the run shows where the cores went instead.
SCALE_OUT, SPARE_CORE = 1.6, 0.25


def _scale_out(summary: Summary, db: str) -> tuple[list[str], list[Bar], list[str]]:
    """One worker against two, cache off, each free to use every core, with the cores each
    kind of process spent while two workers were measured; the bars judged, and those the
    machine could not show (no spare core during the two-worker run)."""
    tail = summary["longtail"]
    one, two = tail["measures"].get("scale-1w"), tail["measures"].get("scale-2w")
    if db != "postgresql" or not one or not two:
        return [], [], []
    cpu = tail.get("cpu_cores", {})
    lines = [
        f"### {db}: scale-out, cache off, one worker and two (`AUTOFACTS_WORKERS=2`), "
        f"each free to use all {tail['cores']} cores; wrk on core 1 beside them",
        "",
        "Cores spent per second while each was measured (median of the runs): the "
        "Autofacts worker(s), PostgreSQL's processes, wrk, and left idle.",
        "",
        "| mix | 1 worker req/s | 2 workers req/s | 2 / 1 | 1 worker: server, PostgreSQL, "
        "wrk, idle | 2 workers: server, PostgreSQL, wrk, idle |",
        "|---|---:|---:|---:|---|---|",
    ]
    bars: list[Bar] = []
    not_shown: list[str] = []
    for mix in tail["mixes"]:
        if mix not in one or mix not in two:
            continue
        ratio = _median(two[mix], "rps") / _median(one[mix], "rps")
        spent = {n: _cores(cpu.get(f"scale-{n}w", {}).get(mix, [])) for n in (1, 2)}
        lines.append(
            f"| {MIX_NAMES.get(mix, mix)}{_retried(one[mix], two[mix])} | "
            f"{_median(one[mix], 'rps'):,.0f} | {_median(two[mix], 'rps'):,.0f} | "
            f"{ratio:.2f}x | {_cores_text(spent[1])} | {_cores_text(spent[2])} |"
        )
        text = f"{mix}: 2 workers ≥ {SCALE_OUT}x one ({ratio:.2f}x)"
        if ratio < SCALE_OUT and spent[2].get("idle", 0) < SPARE_CORE:
            not_shown.append(
                f"{text}: the host had {spent[2].get('idle', 0):.2f} of "
                f"{tail['cores']} cores idle with two workers"
            )
        else:
            bars.append((text, ratio >= SCALE_OUT))
    return lines, bars, not_shown


def _cores(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(run[k] for run in runs) for k in runs[0]} if runs else {}


def _cores_text(cores: dict[str, float]) -> str:
    keys = ("server", "postgres", "wrk", "idle")
    return ", ".join(f"{cores[k]:.2f}" for k in keys) if cores else "—"


# -- docs/performance.md --------------------------------------------------------------------


def page(summary: Summary, source: Path, tail: tuple[Summary, Path] | None = None) -> str:
    """docs/performance.md as the run in ``source`` gives it, with the long tail of the run
    ``tail`` when it is another (``newest_long_tail``)."""
    tail_summary, tail_source = tail if tail else (summary, source)
    options = summary["options"]
    loads = sorted(
        load
        for by_path in summary["measures"].values()
        for m in by_path.values()
        for load in m.get("load1", [])
    )
    started = dt.datetime.fromisoformat(summary["started_at"])
    finished = dt.datetime.fromisoformat(summary["finished_at"])
    databases = [
        db
        for db in ("sqlite", "postgresql")
        if db in summary["measures"] or db in tail_summary.get("longtail", {}).get("measures", {})
    ]
    lines = [
        "<!-- Generated by bench/report.py from "
        f"{source.relative_to(ROOT).as_posix()}: do not edit, run `make docs-performance`. -->",
        "",
        "# Performance",
        "",
        "What the newest committed `make bench` run measured: Autofacts against the bare",
        "FastAPI route and Datasette on the same data, and where it stands against the bars",
        "of SPEC §6. The method, the paths and the bars are in",
        "[bench/README.md](../bench/README.md); every run writes its summary to",
        "`bench/results/<date>-<host>.json`, and this page is rendered from the newest one",
        "(a test fails when it is not).",
        "",
        "| the run | |",
        "|---|---|",
        f"| results | `{source.relative_to(ROOT).as_posix()}` |",
        f"| when | {started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC |",
        f"| commit | `{summary['commit']}` |",
        f"| machine | `{summary['host']}`: {summary['cpus']} cores, {summary['cpu']}, "
        f"Python {summary['python']} |",
        f"| data | {options['companies']:,} companies, {options['facts']:,} facts "
        f"(seed {options['seed']}) |",
        f"| method | {options['runs']} run(s); each path {options['warmup_s']} s of warm-up, then "
        f"{options['duration_s']} s measured; wrk, {options['connections']} connections; "
        f"one worker on the `{summary['loop']}` loop |",
    ]
    if loads:
        lines.append(
            f"| machine load | 1-minute load average as each path started: "
            f"{loads[0]:.1f} to {loads[-1]:.1f}, median {statistics.median(loads):.1f}, "
            f"on {summary['cpus']} cores |"
        )
    lines += [
        "",
        "The server and wrk keep one core each busy, a load of about 2 on their own; a load",
        "above that is other work on the machine (on the shared development machines, other",
        "sessions), which lowers every absolute figure of the run. Ratios measured in one run",
        "(against the bare route, against Datasette) hold better than absolute req/s; quote",
        "those, and compare runs only on a quiet machine.",
        "",
        "The first table of each database is Autofacts as it is served: wrk repeats one URL, so",
        "nearly every request is answered from the response cache. The second, with the cache",
        "off, is what a request the cache cannot answer costs (the first one for a URL after",
        "any commit).",
        "",
    ]
    if tail:
        tail_started = dt.datetime.fromisoformat(tail_summary["started_at"])
        lines += [
            f"The long-tail tables come from a later run of the long tail alone: "
            f"`{tail_source.relative_to(ROOT).as_posix()}` ({tail_started:%Y-%m-%d %H:%M} UTC, "
            f"commit `{tail_summary['commit']}`, {tail_summary['options']['runs']} run(s) of "
            f"{tail_summary['options']['duration_s']} s), with its own bare route and Datasette.",
            "",
        ]
    if "longtail" in tail_summary:
        lines += [
            "The long-tail tables draw each request's path at random from thousands of",
            "distinct URLs per mix (bench/README.md, The long tail): most requests miss",
            "the cache even as served, as a frontend's traffic does. The bars this design",
            "does not reach, and why: [decision 0002](decisions/0002-long-tail-bars.md).",
            "",
        ]
    for db in databases:
        if db in summary["measures"]:
            lines.append(database_section(summary, db)[0])
            if pages := explorer_section(summary, db)[0]:
                lines.append(pages)
        if "longtail" in tail_summary:
            lines.append(longtail_section(tail_summary, db)[0])
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, help="a summary file (default: the newest)")
    parser.add_argument("--output", type=Path, default=PAGE)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the page differs from the results"
    )
    args = parser.parse_args()
    source = (args.results or newest_results()).resolve()
    tail = None if args.results else newest_long_tail(source)
    rendered = page(json.loads(source.read_text()), source, tail)
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current == rendered:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                str(args.output),
                "rendered",
            )
        )
        return 1
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(rendered)
    print(f"{args.output.relative_to(ROOT)} rendered from {source.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
