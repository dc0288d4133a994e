#!/usr/bin/env python3
"""`make bench`: Autofacts against the bare FastAPI ceiling and Datasette, on the same data.

    bench/run.py [--runs 3] [--duration 10] [--databases sqlite,postgresql]
                 [--companies 100000 --facts 1000000 --seed 1] [--parts classic,longtail]
                 [--growth] [--smoke]

One run: build (or reuse) the synthetic data set (`autofacts gen-dataset`) as a SQLite file
and a PostgreSQL database; then, each in turn on core 0 (one uvicorn worker, uvloop and
httptools, no access log), the bare FastAPI route, Datasette serving the SQLite file, and
Autofacts on each database, as configured by default (its response cache answering a
repeated request) and again with the cache off (every answer computed); wrk on core 1
drives every path (-t2 -c64, a warm-up first).
``--runs`` repeats that and the tables quote the median. Prints one table per database
(path, req/s, p50, p99, peak RSS, ratio to the FastAPI route and to Datasette's page with
and without ``_nosuggest=1``), the single-request times of counts and facets, and each bar
of SPEC §6 as PASS or FAIL, and, for information, how the uncached figures stand against
them. Then the long tail (``--parts longtail`` alone): wrk drawing each request's path at
random from thousands of distinct URLs per mix (bench/urls.py, bench/wrk_longtail.lua),
Autofacts as served and with the cache off against Datasette's same mixes, the cache's hit
rate and peak RSS per mix, the isolation run (details alone, then beside common-word
searches) and, on PostgreSQL, the async floor (bench/floor_async.py), with the bars of
issue 21. ``--growth`` instead prints how each path's cost grows from
10k to 100k to 1M facts. ``--smoke`` is a tiny, quick pass (CI): the bars are not judged.

The method and the wrk reporting follow the team's harness (shared/bench/run_http.py and
wrk_report.lua), adapted here so that the repository benchmarks on its own.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pages as explorer_pages  # bench/pages.py: the explorer's page sizes and times
import report  # bench/report.py: the tables, from a run's summary

from app.core.http_protocol import NAME as HTTP_PROTOCOL  # as `autofacts serve` runs

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON_BIN = ROOT / ".venv" / "bin"
PEER_VENV = BENCH / ".venv-peer"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk_report.lua"
LONGTAIL_LUA = BENCH / "wrk_longtail.lua"
URLS = BENCH / "urls"
POSTGRES_ADMIN = os.environ.get(
    "AUTOFACTS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SERVER_CPU, WRK_CPU = "0", "1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Chosen once per run, free at start: a fixed port collides with any other run on the host.
PORT = _free_port()

# Autofacts runs the loop `autofacts serve` runs (docs/operations.md, Event loop): saturated,
# one worker on uvloop served as many requests but starved some, its p99 many times
# asyncio's. The ceiling keeps uvloop.
AUTOFACTS_LOOP = os.environ.get("AUTOFACTS_BENCH_LOOP", "asyncio")
# Autofacts as configured by default answers a repeated request from its response cache;
# it is measured a second time with the cache off, every answer computed.
UNCACHED = {"AUTOFACTS_RESPONSE_CACHE_BYTES": "0"}

SLUG_INDEX = 42
# A word in 3,500 of gen-dataset's 480,050 search documents (partnerships' scope), as the
# team's anchor measured Datasette's FTS page (~3.5k matches, shared/bench/paths); the
# common word, in a fifth of them, is measured too, with no peer.
SEARCH = "software"
COMMON_WORD = "battery"


@dataclass(frozen=True)
class Path_:
    """A benchmarked request: Autofacts' path and Datasette's equivalent page, if any."""

    name: str
    path: str
    datasette: str | None = None
    headers: tuple[str, ...] = ()
    nosuggest: bool = True  # Datasette's page also measured with _nosuggest=1
    bar: str = ""  # which bar it answers to: "ceiling", "x3", "x5"


@dataclass
class Measure:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0
    # Measures taken again because the first got no answer at all (see _wrk).
    retried: int = 0
    # The host's 1-minute load average as each measurement started: what else ran.
    load1: list[float] = field(default_factory=list)

    def median(self, what: str) -> float:
        values: list[float] = getattr(self, what)
        return statistics.median(values) if values else float("nan")


@dataclass
class Classic:
    """SPEC §6's one-URL figures over the runs: by server, then by path."""

    measures: dict[str, dict[str, Measure]] = field(default_factory=dict)
    rss: dict[str, float] = field(default_factory=dict)
    latencies: dict[str, dict[str, float]] = field(default_factory=dict)
    lookups: dict[str, dict[str, float]] = field(default_factory=dict)
    explorer: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass
class LongTail:
    """The long tail's figures over the runs: by server, then by mix (or isolation phase)."""

    measures: dict[str, dict[str, Measure]] = field(default_factory=dict)
    rss: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    hit_rate: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    # The scale-out runs' CPU: by server, then mix, one entry a run (see _CpuClock).
    cpu: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per path")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--parts",
        default="classic,longtail",
        help="classic: SPEC §6's one-URL tables; longtail: the mixes of distinct URLs",
    )
    parser.add_argument("--growth", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if args.smoke:
        args.companies, args.facts, args.runs, args.duration, args.warmup = 200, 2000, 1, 1, 0
    databases = [d for d in args.databases.split(",") if d]
    _ensure_peer()
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}{'-smoke' if args.smoke else ''}.jsonl"
    if args.growth:
        return _growth(args, databases, log)
    return _compare(args, databases, log)


# -- the comparison -------------------------------------------------------------------------


def _compare(args: argparse.Namespace, databases: list[str], log: Path) -> int:
    started = dt.datetime.now(dt.UTC)
    urls = {db: _dataset(db, args.companies, args.facts, args.seed) for db in databases}
    sqlite_file = _dataset("sqlite", args.companies, args.facts, args.seed)
    paths = _paths(Path(sqlite_file.split("///", 1)[1]).stem)
    classic, tail = Classic(), LongTail()
    for run in range(1, args.runs + 1):
        print(f"-- run {run} of {args.runs}", file=sys.stderr)
        rss = classic.rss
        with _server("ceiling", _ceiling_command(), {}) as (base, pid):
            _measure(classic.measures, "fastapi", base, [("ceiling", "/pydantic", ())], args, log)
            rss["fastapi"] = max(rss.get("fastapi", 0), _peak_rss_mib(pid))
        if "classic" in args.parts:
            _classic(classic, args, urls, sqlite_file, paths, run, log)
        if "longtail" in args.parts:
            _longtail(tail, args, urls, sqlite_file, log)
    summary = _summary(args, started, paths, classic, tail)
    smoke = "-smoke" if args.smoke else ""
    out = RESULTS / f"{started:%Y-%m-%d-%H%M}-{summary['host']}{smoke}.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    failures = 0
    renders = [report.database_section, report.explorer_section] if "classic" in args.parts else []
    renders += [report.longtail_section] if "longtail" in args.parts else []
    for db in urls:
        for render in renders:
            section, failed = render(summary, db)
            print(f"\n{section}", end="")
            failures += failed
    print(f"\nsummary: {out.relative_to(ROOT)} (`make docs-performance` renders it)")
    print(f"\nresults: {log.relative_to(ROOT)}")
    return 0 if args.smoke or failures == 0 else 1


def _classic(
    classic: Classic,
    args: argparse.Namespace,
    urls: dict[str, str],
    sqlite_file: str,
    paths: list[Path_],
    run: int,
    log: Path,
) -> None:
    """One run of SPEC §6's tables: wrk repeating one URL per path."""
    results, rss = classic.measures, classic.rss
    latencies, lookups = classic.latencies, classic.lookups
    # A fresh Datasette per page: a page it cannot keep up with (facet suggestions on
    # 100k rows) leaves queries running after wrk stops, and the next page measured on
    # the same process then answered nothing. A smoke run's few rows leave no backlog,
    # and one process serves its pages.
    pages = _datasette_paths(paths)
    for group in [pages] if args.smoke else [[page] for page in pages]:
        with _server("datasette", _datasette_command(sqlite_file), {}) as (base, pid):
            _measure(results, "datasette", base, group, args, log)
            rss["datasette"] = max(rss.get("datasette", 0), _peak_rss_mib(pid))
    for db, url in urls.items():
        env = {"AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_ACCESS_LOG": "false"}
        with _server("floor", _floor_command(), env) as (base, _):
            floor = [("floor", f"/floor/synthetic-{SLUG_INDEX:06d}", ())]
            _measure(results, f"floor-{db}", base, floor, args, log)
        with _server(f"autofacts-{db}", _autofacts_command(), env) as (base, pid):
            resolved = _resolve(base, paths, args.companies)
            _measure(results, db, base, resolved, args, log)
            rss[db] = max(rss.get(db, 0), _peak_rss_mib(pid))
            lookups[db] = _cache_lookups(base)
            if run == 1:
                latencies[db] = _single_request_times(base)
                classic.explorer[db] = explorer_pages.measure(base)
        # Every answer computed: what a request the cache cannot answer costs.
        with _server(f"autofacts-{db}", _autofacts_command(), {**env, **UNCACHED}) as (
            base,
            pid,
        ):
            resolved = _resolve(base, paths, args.companies)
            _measure(results, f"{db}-uncached", base, resolved, args, log)
            rss[f"{db}-uncached"] = max(rss.get(f"{db}-uncached", 0), _peak_rss_mib(pid))


def _summary(
    args: argparse.Namespace,
    started: dt.datetime,
    paths: list[Path_],
    classic: Classic,
    tail: LongTail,
) -> dict[str, Any]:
    """The run's figures and what they were measured on, as bench/report.py reads them.

    Written to ``bench/results/<date>-<host>.json``, committed: docs/performance.md is
    rendered from the newest. A smoke run's file is ``*-smoke.json``, ignored by git."""
    host = socket.gethostname()
    summary = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": host,
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "commit": _commit(),
        "python": sys.version.split()[0],
        "loop": AUTOFACTS_LOOP,
        "smoke": args.smoke,
        "parts": args.parts.split(","),
        "options": {
            "runs": args.runs,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": 64,
            "companies": args.companies,
            "facts": args.facts,
            "seed": args.seed,
        },
        "paths": [
            {
                "name": p.name,
                "path": p.path,
                "datasette": p.datasette,
                "nosuggest": p.nosuggest,
                "bar": p.bar,
            }
            for p in paths
        ],
        "measures": _measures_json(classic.measures),
        "peak_rss_mib": classic.rss,
        "single_request_ms": classic.latencies,
        "explorer_pages": classic.explorer,
        "cache_lookups": classic.lookups,
    }
    if tail.measures:
        summary["longtail"] = {
            "mixes": tail.counts,
            "isolation_connections": ISOLATION_CONNECTIONS,
            "common_word": COMMON_WORD,
            "measures": _measures_json(tail.measures),
            "peak_rss_mib": tail.rss,
            "hit_rate": tail.hit_rate,
            "cpu_cores": tail.cpu,
            "cores": os.cpu_count(),
        }
    return summary


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _commit() -> str:
    """The commit measured, marked "+changes" when the app or the bench differ from it."""

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git(
        "status",
        "--porcelain",
        "--",
        "app",
        "bench/run.py",
        "bench/ceiling.py",
        "bench/floor.py",
        "migrations",
    )
    return f"{commit}+changes" if changed else commit


def _paths(database: str) -> list[Path_]:
    slug = f"synthetic-{SLUG_INDEX:06d}"
    db = f"/{database}"
    return [
        Path_(
            "company by slug",
            f"/v1/companies/{slug}",
            f"{db}/company/{SLUG_INDEX}.json",
            nosuggest=False,
            bar="ceiling",
        ),
        Path_("50-row list", "/v1/companies?limit=50", f"{db}/company.json?_size=50", bar="x3"),
        Path_(
            "filtered list (country=JP)",
            "/v1/companies?country=JP&limit=50",
            f"{db}/company.json?country=JP&_size=50",
            bar="x3",
        ),
        Path_(
            "company's executives",
            f"/v1/companies/{slug}/executives",
            f"{db}/executive_role.json?company_id={SLUG_INDEX}",
            bar="x3",
        ),
        Path_("list page 1 (cursor)", "/v1/companies?limit=50"),
        Path_("list page 1,000 (cursor)", "/v1/companies?limit=50&cursor={cursor1000}"),
        Path_(
            "search",
            f"/v1/search?q={SEARCH}",
            f"{db}/search_document.json?_search={SEARCH}",
            bar="x5",
        ),
        Path_(f"search, a common word ({COMMON_WORD})", f"/v1/search?q={COMMON_WORD}"),
        Path_(
            "facts of a company",
            f"/v1/facts?company={slug}",
            f"{db}/fact.json?company_id={SLUG_INDEX}",
        ),
        Path_("conditional GET (304)", f"/v1/companies/{slug}", headers=("If-None-Match: {etag}",)),
    ]


def _datasette_paths(paths: list[Path_]) -> list[tuple[str, str, tuple[str, ...]]]:
    pages: list[tuple[str, str, tuple[str, ...]]] = []
    for p in paths:
        if p.datasette is None:
            continue
        pages.append((p.name, p.datasette, ()))
        if p.nosuggest:
            pages.append((f"{p.name} _nosuggest", f"{p.datasette}&_nosuggest=1", ()))
    return pages


def _resolve(
    base: str, paths: list[Path_], companies: int
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Fill in what a path needs from the live server: page 1,000's cursor, the ETag."""
    cursor, pages = None, 0
    while pages < min(999, companies // 50 - 1):
        query = f"&cursor={cursor}" if cursor else ""
        cursor = _get_json(f"{base}/v1/companies?limit=50{query}")["next_cursor"]
        pages += 1
    etag = _get(f"{base}/v1/companies/synthetic-{SLUG_INDEX:06d}")[1]["etag"]
    resolved = []
    for p in paths:
        path = p.path.replace("{cursor1000}", cursor or "")
        headers = tuple(h.replace("{etag}", etag) for h in p.headers)
        resolved.append((p.name, path, headers))
    return resolved


def _measure(
    results: dict[str, dict[str, Measure]],
    server: str,
    base: str,
    paths: Sequence[tuple[str, str, tuple[str, ...]]],
    args: argparse.Namespace,
    log: Path,
) -> None:
    for name, path, headers in paths:
        # Generous: a server still working off the previous path's backlog answers late.
        status = _get(base + path, headers, timeout=180)[0]
        expected = 304 if headers else 200
        if status != expected:
            raise SystemExit(f"{server} {path}: {status}, expected {expected}")
        if args.warmup:
            _wrk(base + path, headers, args.warmup)
        figures = _wrk(base + path, headers, args.duration)
        _record(results, server, name, figures, log, path)


def _wrk(url: str, headers: tuple[str, ...], seconds: int, **options: Any) -> dict[str, float]:
    command = _wrk_command(url, headers, seconds, **options)
    figures = _wrk_figures(*_run(command))
    if figures["requests"] == 0 and figures["errors"] == 0:
        # Seen once on a busy host: a server answering nothing for the whole measure, no
        # error either. Once more, so that one stall does not make the run's ratios.
        print(f"   no answer from {url} in {seconds} s: measuring again", file=sys.stderr)
        figures = {**_wrk_figures(*_run(command)), "retried": 1.0}
    return figures


def _run(command: list[str]) -> tuple[str, str]:
    done = subprocess.run(command, capture_output=True, text=True)
    return done.stdout, done.stderr


def _wrk_command(
    url: str,
    headers: tuple[str, ...],
    seconds: int,
    *,
    paths: Path | None = None,
    threads: int = 2,
    connections: int = 64,
) -> list[str]:
    """wrk on core 1; with ``paths``, each request's path drawn from that file."""
    command = ["taskset", "-c", WRK_CPU, "wrk", f"-t{threads}", f"-c{connections}"]
    command += [f"-d{seconds}s", "--timeout", "30s", "-s", str(LONGTAIL_LUA if paths else LUA)]
    for header in headers:
        command += ["-H", header]
    return [*command, url, *(["--", str(paths)] if paths else [])]


def _wrk_figures(stdout: str, stderr: str) -> dict[str, float]:
    found = re.search(r"^WRKRESULT (.*)$", stdout, re.M)
    if not found:
        raise SystemExit(f"wrk failed: {stdout}{stderr}")
    figures = {k: float(v) for k, v in (kv.split("=") for kv in found.group(1).split())}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(
        figures[k] for k in ("status_err", "connect_err", "read_err", "write_err", "timeout_err")
    )
    return figures


def _cache_lookups(base: str) -> dict[str, float]:
    """The response cache's lookups so far, by result, from the server's /metrics."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
        text = response.read().decode()
    found = re.findall(
        r'^autofacts_response_cache_lookups_total\{result="(\w+)"\} (\S+)$', text, re.M
    )
    return {result: float(value) for result, value in found}


def _single_request_times(base: str) -> dict[str, float]:
    """Median of 20 sequential requests, in ms: what one client waits for a count or facets."""
    times = {}
    for query in (
        "count=true&limit=1",
        "facet=country&limit=1",
        "facet=country&facet=kind&facet=certainty&limit=1",
        "country=JP&count=true&facet=kind&limit=1",
    ):
        url = f"{base}/v1/companies?{query}"
        _get(url)
        samples = []
        for _ in range(20):
            started = time.perf_counter()
            _get(url)
            samples.append((time.perf_counter() - started) * 1000)
        times[f"/v1/companies?{query}"] = statistics.median(samples)
    return times


# -- the long tail --------------------------------------------------------------------------

# bench/urls.py's mixes, each request's path drawn at random from thousands (bench/README.md).
MIXES = ("detail", "list", "search", "executives", "facts")
SMOKE_MIXES = ("detail", "search")
# The isolation run's other traffic: common-word searches on 4 connections of their own.
ISOLATION_CONNECTIONS = 4


def _url_files(
    database_url: str, datasette_db: str, key: str, seed: int
) -> tuple[Path, dict[str, int]]:
    """bench/urls.py's files for this data set, written once per `make bench`."""
    out = URLS / key
    done = subprocess.run(
        [
            str(PYTHON_BIN / "python"),
            str(BENCH / "urls.py"),
            "--database-url",
            database_url,
            "--datasette-db",
            datasette_db,
            "--out",
            str(out),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench/urls.py failed: {done.stdout}{done.stderr}")
    return out, json.loads(done.stdout.strip().splitlines()[-1])


def _longtail(
    tail: LongTail,
    args: argparse.Namespace,
    urls: dict[str, str],
    sqlite_file: str,
    log: Path,
) -> None:
    """One run of the long tail: Datasette, then Autofacts on each database as served and
    with the cache off, each mix on a server of its own; the isolation run; the async floor."""
    datasette_db = Path(sqlite_file.split("///", 1)[1]).stem
    for db, url in urls.items():
        if db not in tail.files:
            tail.files[db], tail.counts = _url_files(
                url, datasette_db, f"{datasette_db}-{db}", args.seed
            )
    files = tail.files
    # Its pages name the SQLite file; the data sets are the same on either database.
    peer_files = files.get("sqlite") or next(iter(files.values()))
    # A smoke run checks the code, not bars: two mixes, a lookup and a search, are enough,
    # and CI runs it beside the rest of the suite.
    mixes = SMOKE_MIXES if args.smoke else MIXES
    # A fresh Datasette per mix, as for its pages: a backlog would spill into the next mix
    # (a smoke run's few rows leave none).
    for group in [mixes] if args.smoke else [(mix,) for mix in mixes]:
        with _server("datasette", _datasette_command(sqlite_file), {}) as (base, pid):
            for mix in group:
                _mix(tail, "datasette", base, pid, mix, peer_files, args, log, suffix=".datasette")
    for db, url in urls.items():
        env = {"AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_ACCESS_LOG": "false"}
        for server, extra in ((db, {}), (f"{db}-uncached", UNCACHED)):
            # A fresh server per mix: a mix's peak RSS is its own (memory a process has
            # grown to stays), and its cache starts empty. A smoke run shares one.
            for group in [mixes] if args.smoke else [(mix,) for mix in mixes]:
                with _server(f"autofacts-{db}", _autofacts_command(), {**env, **extra}) as (
                    base,
                    pid,
                ):
                    for mix in group:
                        _mix(tail, server, base, pid, mix, files[db], args, log)
            # A smoke run isolates the computed answers only: it checks the code, not bars.
            if server.endswith("-uncached") or not args.smoke:
                _isolation(tail, server, {**env, **extra}, files[db], args, log)
        if db == "postgresql":
            # A smoke run checks the code with one mix: CI runs it beside the suite.
            scaled = mixes[:1] if args.smoke else mixes
            _scale_out(tail, {**env, **UNCACHED}, files[db], scaled, args, log)
            with _server("floor", _floor_command("floor_async"), env) as (base, pid):
                _mix(
                    tail,
                    "floor-async-postgresql",
                    base,
                    pid,
                    "detail",
                    files[db],
                    args,
                    log,
                    suffix=".floor",
                )


def _mix(
    tail: LongTail,
    server: str,
    base: str,
    pid: int,
    mix: str,
    files: Path,
    args: argparse.Namespace,
    log: Path,
    suffix: str = "",
) -> None:
    """One mix on a server started for it: its req/s and latencies, the response cache's
    hit rate while it was measured (from /metrics) and the server's peak RSS."""
    paths = files / f"{mix}{suffix}.txt"
    first = paths.read_text().split("\n", 1)[0]
    status = _get(base + first, timeout=180)[0]
    if status != 200:
        raise SystemExit(f"{server} {first}: {status}, expected 200")
    if args.warmup:
        _wrk(base, (), args.warmup, paths=paths)
    before = _cache_lookups(base) if server.startswith(("sqlite", "postgresql")) else {}
    figures = _wrk(base, (), args.duration, paths=paths)
    if server.startswith(("sqlite", "postgresql")):
        after = _cache_lookups(base)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        lookups = sum(delta.values())
        tail.hit_rate.setdefault(server, {}).setdefault(mix, []).append(
            delta.get("hit", 0) / lookups if lookups else 0.0
        )
    tail.rss.setdefault(server, {}).setdefault(mix, []).append(_peak_rss_mib(pid))
    _record(tail.measures, server, mix, figures, log, str(paths.relative_to(BENCH)))


def _isolation(
    tail: LongTail,
    server: str,
    env: dict[str, str],
    files: Path,
    args: argparse.Namespace,
    log: Path,
) -> None:
    """The details mix alone, then again while 4 more connections send common-word
    searches: what one request's database work costs the others. A fresh server for each,
    so that the cache (when on) starts as cold for both."""
    paths = files / "detail.txt"
    for phase in ("alone", "loaded"):
        db = server.split("-")[0]
        with _server(f"autofacts-{db}", _autofacts_command(), env) as (base, _):
            _get(base + paths.read_text().split("\n", 1)[0], timeout=180)
            search = None
            if phase == "loaded":
                command = _wrk_command(
                    f"{base}/v1/search?q={COMMON_WORD}",
                    (),
                    args.warmup + args.duration + 1,
                    threads=1,
                    connections=ISOLATION_CONNECTIONS,
                )
                search = subprocess.Popen(
                    command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            if args.warmup:
                _wrk(base, (), args.warmup, paths=paths)
            figures = _wrk(base, (), args.duration, paths=paths)
            _record(tail.measures, f"isolation-{server}", phase, figures, log, "detail.txt")
            if search is not None:
                out, err = search.communicate()
                _record(
                    tail.measures,
                    f"isolation-{server}",
                    "searches",
                    _wrk_figures(out, err),
                    log,
                    COMMON_WORD,
                )


# The scale-out run: one worker, then two, on every core (wrk keeps its own on top).
SCALE_WORKERS = (1, 2)
ALL_CPUS = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0)))


def _scale_out(
    tail: LongTail,
    env: dict[str, str],
    files: Path,
    mixes: Sequence[str],
    args: argparse.Namespace,
    log: Path,
) -> None:
    """Each mix, cache off, on one worker and then on two (``AUTOFACTS_WORKERS``), free to
    use every core: what a second worker adds, and where the machine's cores went while
    it was measured (the workers, PostgreSQL, wrk, idle), so that a ratio the host cannot
    show is told apart from one the server does not reach."""
    for workers in SCALE_WORKERS:
        server = f"scale-{workers}w"
        for mix in mixes:
            with _server(
                "autofacts-postgresql",
                _autofacts_command(),
                {**env, "AUTOFACTS_WORKERS": str(workers)},
                workers=workers,
                cpus=ALL_CPUS,
            ) as (base, pid):
                paths = files / f"{mix}.txt"
                _get(base + paths.read_text().split("\n", 1)[0], timeout=180)
                if args.warmup:
                    _wrk(base, (), args.warmup, paths=paths)
                clock = _CpuClock(pid)
                figures = _wrk(base, (), args.duration, paths=paths)
                tail.cpu.setdefault(server, {}).setdefault(mix, []).append(clock.cores())
                _record(tail.measures, server, mix, figures, log, str(paths.relative_to(BENCH)))


class _CpuClock:
    """Cores spent from its start until ``cores()``: by the server (``pid`` and its
    children), by PostgreSQL's processes, by this process's children that ended meanwhile
    (wrk), and left idle; each as CPU seconds per second of wall time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        server = sum(_cpu_ticks(p) for p in [self.pid, *_children(self.pid)]) / tick
        postgres = 0.0
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                    postgres += _cpu_ticks(int(proc.name)) / tick
            except OSError:
                pass  # ended meanwhile
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        return {
            "wall": time.monotonic(),
            "server": server,
            "postgres": postgres,
            "wrk": children.ru_utime + children.ru_stime,
            "idle": (int(fields[3]) + int(fields[4])) / tick,  # idle and iowait
        }

    def cores(self) -> dict[str, float]:
        end = self._read()
        wall = end["wall"] - self.start["wall"]
        return {k: round((end[k] - self.start[k]) / wall, 3) for k in end if k != "wall"}


def _cpu_ticks(pid: int) -> int:
    """User and system CPU of ``pid`` so far, in clock ticks (/proc/<pid>/stat)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(after_name[11]) + int(after_name[12])


def _record(
    results: dict[str, dict[str, Measure]],
    server: str,
    name: str,
    figures: dict[str, float],
    log: Path,
    url: str,
) -> None:
    load1 = os.getloadavg()[0]
    measure = results.setdefault(server, {}).setdefault(name, Measure())
    measure.load1.append(load1)
    measure.rps.append(figures["rps"])
    measure.p50.append(figures["p50_us"] / 1000)
    measure.p99.append(figures["p99_us"] / 1000)
    measure.errors += int(figures["errors"])
    measure.retried += int(figures.get("retried", 0))
    with log.open("a") as out:
        row = {"server": server, "path": name, "url": url, "load1": load1, **figures}
        out.write(json.dumps(row) + "\n")
    print(
        f"   {server:<10} {name:<32} {figures['rps']:>9.0f} req/s  "
        f"p99 {figures['p99_us'] / 1000:.1f} ms",
        file=sys.stderr,
    )


def _measures_json(results: dict[str, dict[str, Measure]]) -> dict[str, Any]:
    return {
        server: {
            name: {
                "rps": m.rps,
                "p50_ms": m.p50,
                "p99_ms": m.p99,
                "errors": m.errors,
                "retried": m.retried,
                "load1": m.load1,
            }
            for name, m in by_path.items()
        }
        for server, by_path in results.items()
    }


# -- growth ---------------------------------------------------------------------------------


GROWTH = ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000))


def _growth(args: argparse.Namespace, databases: list[str], log: Path) -> int:
    sizes = GROWTH if not args.smoke else ((100, 1_000), (200, 2_000))
    paths = _paths("unused")
    for db in databases:
        table: dict[str, list[str]] = {p.name: [] for p in paths}
        for companies, facts in sizes:
            url = _dataset(db, companies, facts, args.seed)
            # Uncached: how the statements' cost grows (a kept answer costs the same at
            # any size).
            env = {"AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_ACCESS_LOG": "false", **UNCACHED}
            results: dict[str, dict[str, Measure]] = {}
            with _server(f"autofacts-{db}", _autofacts_command(), env) as (base, _):
                _measure(results, db, base, _resolve(base, paths, companies), args, log)
            for p in paths:
                m = results[db][p.name]
                table[p.name].append(f"{m.median('rps'):,.0f} / {m.median('p50'):.1f}")
        print(
            f"\n## growth, {db}: req/s / p50 ms ({args.duration} s, 64 connections, "
            "response cache off)\n"
        )
        print("| path | " + " | ".join(f"{f:,} facts" for _, f in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for name, cells in table.items():
            print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


# -- servers, data, the peer ----------------------------------------------------------------


def _autofacts_command() -> list[str]:
    return [str(PYTHON_BIN / "uvicorn"), "app.main:app", "--app-dir", str(ROOT)]


def _ceiling_command() -> list[str]:
    return [str(PYTHON_BIN / "uvicorn"), "ceiling:app", "--app-dir", str(BENCH)]


def _floor_command(module: str = "floor") -> list[str]:
    return [str(PYTHON_BIN / "uvicorn"), f"{module}:app", "--app-dir", str(BENCH)]


def _datasette_command(sqlite_url: str) -> list[str]:
    path = Path(sqlite_url.split("///", 1)[1])
    metadata = path.with_suffix(".datasette.json")
    # Our FTS5 table names its content table with single quotes, which Datasette's
    # detection misses: name it, so that _search uses it.
    metadata.write_text(
        json.dumps(
            {
                "databases": {
                    path.stem: {
                        "tables": {"search_document": {"fts_table": "search_fts", "fts_pk": "id"}}
                    }
                }
            }
        )
    )
    return [str(PEER_VENV / "bin" / "datasette"), "serve", str(path), "-m", str(metadata)]


@contextmanager
def _server(
    name: str,
    command: list[str],
    env: dict[str, str],
    *,
    workers: int = 1,
    cpus: str = SERVER_CPU,
) -> Iterator[tuple[str, int]]:
    """``command`` on core 0 (or ``cpus``), one worker (or ``workers``), httptools, no
    access log."""
    port = PORT
    if command[0].endswith("datasette"):
        args = ["--port", str(port)]
    else:
        args = [
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            # The floor runs on Autofacts' loop too: what it shows is then the database's
            # cost to a route served as Autofacts is, not the loops' difference.
            AUTOFACTS_LOOP if name.startswith("autofacts") or name == "floor" else "uvloop",
            "--http",
            # Autofacts' own protocol, as `autofacts serve` runs it: httptools with
            # TCP_NODELAY on every connection, which several workers need
            # (app/core/http_protocol.py).
            HTTP_PROTOCOL if name.startswith("autofacts") else "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    process = subprocess.Popen(
        ["taskset", "-c", cpus, *command, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}")
            try:
                _get(base + ("/pydantic" if name == "ceiling" else "/"))
                break
            except OSError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # still working off a backlog it will never send
            process.wait()


def _dataset(db: str, companies: int, facts: int, seed: int) -> str:
    """The URL of the synthetic data set of these sizes, made once and then reused (brought
    up to the current schema first). Its name carries a digest of the generator, so that a
    change to gen-dataset makes a new data set rather than measuring the old one."""
    source = ROOT / "app" / "tools" / "dataset.py"
    generator = hashlib.sha256(source.read_bytes()).hexdigest()[:8]
    name = f"autofacts_bench_{companies}_{facts}_{seed}_{generator}"
    if db == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"{name}.db"
        url = f"sqlite:///{path}"
        done = path.with_suffix(".done")
        if not done.exists():
            for stale in DATA.glob(f"{name}.db*"):
                stale.unlink()
            _generate(url, companies, facts, seed)
            done.touch()
        _migrate(url)
        return url
    admin = POSTGRES_ADMIN.replace("+psycopg", "")
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    marker = f"SELECT count(*) FROM pg_database WHERE datname = '{name}_done'"
    if _psql(admin, marker) != "1":
        _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _psql(admin, f'CREATE DATABASE "{name}"')
        _generate(url, companies, facts, seed)
        # A database named after the data set's, created once it is complete: its marker.
        _psql(admin, f'CREATE DATABASE "{name}_done"')
    _migrate(url)
    return url


def _migrate(url: str) -> None:
    env = {**os.environ, "AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_LOG_LEVEL": "warning"}
    subprocess.run(
        [str(PYTHON_BIN / "autofacts"), "migrate"], env=env, check=True, capture_output=True
    )


def _psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-Atqc", sql], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _generate(url: str, companies: int, facts: int, seed: int) -> None:
    print(f"-- gen-dataset {companies:,} companies, {facts:,} facts on {url}", file=sys.stderr)
    started = time.monotonic()
    subprocess.run(
        [
            str(PYTHON_BIN / "autofacts"),
            "gen-dataset",
            f"--companies={companies}",
            f"--facts={facts}",
            f"--seed={seed}",
        ],
        env={**os.environ, "AUTOFACTS_DATABASE_URL": url, "AUTOFACTS_LOG_LEVEL": "warning"},
        check=True,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    print(f"   done in {time.monotonic() - started:.0f} s", file=sys.stderr)


def _ensure_peer() -> None:
    """Datasette in a venv of its own: the peer, not a dependency of Autofacts."""
    if (PEER_VENV / "bin" / "datasette").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [
            str(PEER_VENV / "bin" / "pip"),
            "install",
            "-q",
            "-r",
            str(BENCH / "requirements-peer.txt"),
        ],
        check=True,
    )


def _peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of the server and its children."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found += [int(entry), *_children(int(entry))]
    return found


def _get(
    url: str, headers: tuple[str, ...] = (), timeout: float = 30
) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


if __name__ == "__main__":
    sys.exit(main())
