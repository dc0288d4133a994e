"""Request ids, one structured log line per request, and Prometheus metrics.

``install_observability`` wraps the whole ASGI stack, outside Starlette's
``ServerErrorMiddleware``, so that even a 500 it renders carries ``X-Request-ID`` and is
counted and logged with its real status.

Metrics live in prometheus-client's default registry, one per process: with several
uvicorn workers each worker counts only what it served, and a scrape reaches one worker.
Set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, before the server starts) and
``/metrics`` adds up the request counters and histograms of every worker instead; the
pool gauges are then those of the worker that answered the scrape.
"""

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import get_engine, get_read_engine

REQUEST_ID_HEADER = "X-Request-ID"
# Ids a client or proxy may choose: UUIDs, hex, ULIDs, trace ids. Anything else (too long,
# spaces, quotes, control characters) is replaced, so it can't forge log fields or headers.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:;=+/-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Label for requests no route matched: their raw paths would make unbounded label values.
UNMATCHED = "unmatched"

access_logger = logging.getLogger("autofacts.access")

REQUESTS = Counter(
    "autofacts_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "autofacts_http_request_duration_seconds",
    "Time from request to the end of the response, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# (method, route, status) -> its counter and histogram children; labels() takes a lock and
# builds tuples, a dict lookup does not. Bounded: methods and routes are fixed sets.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def is_valid_request_id(value: str) -> bool:
    return _REQUEST_ID.fullmatch(value) is not None


# -- logs -------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was logged in (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = correlation_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the
    ``fields`` a record carries in its ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(settings: Settings) -> None:
    """Send every log record to standard error through one handler: JSON lines, or text.

    Idempotent (``create_app`` may run many times in one process). In JSON mode uvicorn's
    own records go through the same handler; with our access log on, uvicorn's is off.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "autofacts", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.autofacts = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if settings.log_json:
        for name in ("uvicorn", "uvicorn.error"):
            uvicorn_logger = logging.getLogger(name)
            uvicorn_logger.handlers.clear()
            uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = settings.access_log
    access_logger.disabled = not settings.access_log


# -- metrics ----------------------------------------------------------------------------------


_POOL_GAUGES = (
    ("autofacts_db_pool_size", "size", "Connections the database pool keeps open."),
    (
        "autofacts_db_pool_checked_out",
        "checkedout",
        "Pool connections checked out: by requests, and by the idle sessions reads keep.",
    ),
    ("autofacts_db_pool_checked_in", "checkedin", "Idle connections in the pool."),
    ("autofacts_db_pool_overflow", "overflow", "Connections open beyond the pool size."),
)


class PoolCollector(Collector):
    """Gauges of the connection pools, read at scrape time, labelled by ``pool``: ``read``
    (GET requests) and ``write`` on PostgreSQL, ``all`` where reads and writes share one.

    Pools without a statistic (SQLite's ``SingletonThreadPool``, ``NullPool``,
    ``StaticPool``) simply leave its gauge out.
    """

    def __init__(
        self,
        engine: Callable[[], Any] = get_engine,
        read_engine: Callable[[], Any] = get_read_engine,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine

    def describe(self) -> Iterable[Metric]:
        return []  # never open an engine at registration

    def collect(self) -> Iterable[Metric]:
        write, read = self.engine().pool, self.read_engine().pool
        pools = {"all": write} if read is write else {"read": read, "write": write}
        for name, attribute, documentation in _POOL_GAUGES:
            gauge = GaugeMetricFamily(name, documentation, labels=["pool"])
            for label, pool in pools.items():
                value = getattr(pool, attribute, None)
                if callable(value):
                    # QueuePool.overflow() counts down from -size while the pool fills up.
                    gauge.add_metric(
                        [label], max(value(), 0) if attribute == "overflow" else value()
                    )
            if gauge.samples:
                yield gauge


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


if not _multiprocess():
    REGISTRY.register(PoolCollector())


def metrics_registry() -> CollectorRegistry:
    """What ``/metrics`` exposes: this process's registry, or every worker's values."""
    if not _multiprocess():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(PoolCollector())
    return registry


# -- the middleware ---------------------------------------------------------------------------


class AccessMiddleware:
    """Count, time and log each HTTP request once it is answered.

    Labels use the matched route's template (``/v1/companies/{slug}``), never the raw path,
    and methods outside the standard set become ``OTHER``: label values stay a fixed set.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            _record(scope, status, time.perf_counter() - start)


def _record(scope: Scope, status: int, seconds: float) -> None:
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    route = getattr(scope.get("route"), "path_format", None) or UNMATCHED
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        labels = (method, route, str(status))
        children = _children[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    children[0].inc()
    children[1].observe(seconds)
    if access_logger.isEnabledFor(logging.INFO):
        duration_ms = round(seconds * 1000, 2)
        access_logger.info(
            "%s %s %d %.2fms",
            method,
            route,
            status,
            duration_ms,
            extra={
                "fields": {
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": duration_ms,
                }
            },
        )


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Configure logging and wrap ``app``'s whole middleware stack in request ids and the
    access log/metrics middleware."""
    configure_logging(settings)
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        # Outside ServerErrorMiddleware (Starlette always puts it outermost otherwise).
        return CorrelationIdMiddleware(
            AccessMiddleware(build()),
            header_name=REQUEST_ID_HEADER,
            validator=is_valid_request_id,
        )

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
