#!/usr/bin/env python3
"""Load test (SPEC §6): 256 connections for 60 s against `make run`, with wrk.

    scripts/load_test.py [--database-url URL] [--connections 256] [--duration 60]

Starts `make run` (migrate, seed, serve) on a fresh SQLite file, or on the database
``--database-url`` names (PostgreSQL: an empty database), waits until it answers, warms it
up for 10 s with the same load, reads the server's memory (RSS of the processes `make`
started: the server and any workers), drives a mix of reads with wrk, and reads its memory
again. Prints requests, req/s, errors (socket errors and non-2xx/3xx answers), p50/p99 and
memory at the start and the end. Exits 1 if there was any error or memory grew by 10 % or
more.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A request slower than 30 s counts as an error. One worker accepts a burst of 256 new
# connections slowly while busy, so a connection's first request can wait seconds.
WRK = ["wrk", "-t2", "--timeout", "30s"]
PATHS = [
    "/v1/companies/nissan",
    "/v1/companies?limit=50",
    "/v1/companies?country=JP",
    "/v1/companies/nissan/executives",
    "/v1/executives?company=nissan",
    "/v1/partnerships?include=members",
    "/v1/facts?company=honda",
    "/v1/search?q=nissan",
    "/v1/tariffs?include=impacts",
    "/v1/sources/2025-11-14-honda-nissan",
]
# wrk's Lua: rotate over the paths; at the end print the figures as one JSON line.
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "seconds": %%.3f, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "status": %%d, "p50_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f}\\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.timeout,
    e.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def descendants(pid: int) -> list[int]:
    """The processes under ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of the processes under ``pid`` (make): the server, and its workers
    when there are several. make itself is left out: its few MiB never change and would
    only dilute the growth."""
    total = 0
    for process in descendants(pid):
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server (a graceful shutdown; make then exits), else to them all."""
    for process in descendants(server.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wrk(base: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    done = subprocess.run(
        [*WRK, f"-c{connections}", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def preflight(base: str) -> None:
    """Every path answers 200 once (wrk would count a 404 path as errors, silently)."""
    for path in PATHS:
        try:
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
                status = response.status
        except OSError as error:
            raise SystemExit(f"GET {path}: {error}") from None
        if status != 200:
            raise SystemExit(f"GET {path}: {status}, not 200")


def wait_ready(base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not become ready within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="autofacts-load-"))
    url = args.database_url or f"sqlite:///{workdir / 'load.db'}"
    base = f"http://127.0.0.1:{args.port}"
    script = workdir / "mix.lua"
    script.write_text(LUA % ", ".join(json.dumps(p) for p in PATHS))
    env = {
        **os.environ,
        "AUTOFACTS_DATABASE_URL": url,
        "AUTOFACTS_PORT": str(args.port),
        "AUTOFACTS_ACCESS_LOG": "false",
        "AUTOFACTS_LOG_LEVEL": "warning",
        # Off, as by default, whatever the environment says: this measures serving.
        "AUTOFACTS_RATE_LIMIT": "",
    }
    # The server's own output (migrations, the seed report, warnings) goes to a log, shown
    # if something fails.
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        ["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    failed = True
    try:
        wait_ready(base, 300)
        preflight(base)
        wrk(base, script, args.connections, 10)  # warm-up: caches, pools, allocator
        rss_start = rss_kib(server.pid)
        figures = wrk(base, script, args.connections, args.duration)
        rss_end = rss_kib(server.pid)
        failed = False
    finally:
        stop(server)
        log.close()
        if failed:
            lines = (workdir / "server.log").read_text(errors="replace").splitlines()
            print("\n".join(["the server's last lines:", *lines[-30:]]), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)

    errors = int(
        figures["connect"]
        + figures["read"]
        + figures["write"]
        + figures["timeout"]
        + figures["status"]
    )
    growth = (rss_end - rss_start) / rss_start * 100
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"load test ({backend}, {args.connections} connections, {args.duration} s, "
        f"{len(PATHS)} paths)\n"
        f"  requests   {int(figures['requests'])} ({figures['requests'] / figures['seconds']:.0f}"
        f" req/s)\n"
        f"  errors     {errors} (connect {int(figures['connect'])}, read {int(figures['read'])},"
        f" write {int(figures['write'])}, timeout {int(figures['timeout'])},"
        f" non-2xx/3xx {int(figures['status'])})\n"
        f"  latency    p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms,"
        f" max {figures['max_ms']:.1f} ms\n"
        f"  memory     {rss_start / 1024:.1f} MiB after a 10 s warm-up,"
        f" {rss_end / 1024:.1f} MiB at the end ({growth:+.1f} %)"
    )
    return 0 if errors == 0 and growth < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
