"""Per-client rate limits: ``RateLimit-*`` headers on every response, 429 over the limit.

Counting is done by the ``limits`` package, in memory by default or in any storage it
knows (``redis://…``) so that every worker of every host shares one count per client.
"""

import logging
import math
import time

from fastapi.security.utils import get_authorization_scheme_param
from limits import RateLimitItem, parse
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import StorageTypes, storage_from_string
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import RateLimitStrategy
from app.core.errors import problem_response
from app.services import api_keys

logger = logging.getLogger(__name__)

STRATEGIES: dict[str, type[RateLimiter]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}
# Named in CORS `expose_headers`, so that browser clients can read them.
RATE_LIMIT_HEADERS = [
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Retry-After",
]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Probes and scrapers call these on a schedule; a 429 there would read as an outage.
EXEMPT_PREFIXES = ("/health/", "/metrics")
# A storage outage is logged at most this often, not once per request.
WARN_EVERY_SECONDS = 60.0
# The request state entry where a write's verified key is left for ``require_writer``
# (app/api/deps.py): the name of its live key, or None when it has none. Absent when the
# limiter did not look, and then the dependency verifies the key itself.
VERIFIED_KEY = "autofacts_api_key"


class _Policy:
    """One parsed limit and the headers that never change with it."""

    __slots__ = ("item", "limit_header", "policy_header", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.item: RateLimitItem = parse(text)
        self.limit_header = str(self.item.amount).encode()
        self.policy_header = f"{self.item.amount};w={self.item.get_expiry()}".encode()


class RateLimitMiddleware:
    """Count each request against its client's read or write limit.

    Reads (GET, HEAD, OPTIONS) and writes (POST, PUT, PATCH, DELETE) have separate limits;
    an empty limit turns that half off. A write's client is its API key once the key is
    verified (looked up by its prefix, its hash compared): a key is only counted as itself
    when it is the key, so knowing a key's public prefix spends nobody's budget but one's
    own. A write without a live key, and every read, is counted per IP address. The
    verification is left in the request's state (``VERIFIED_KEY``), so that
    ``require_writer`` does not look the key up a second time.

    When the storage fails (Redis down) the request is served without limits and a warning
    logged: an unavailable counter should not become an unavailable API.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        read_limit: str,
        write_limit: str,
        storage_uri: str = "memory://",
        strategy: RateLimitStrategy = "moving-window",
        key_prefix: str = "autofacts",
        proxy_hops: int = 0,
    ) -> None:
        self.app = app
        # Parsed once here: a malformed limit stops the app at start-up, not per request.
        self.read = _Policy(read_limit) if read_limit.strip() else None
        self.write = _Policy(write_limit) if write_limit.strip() else None
        self.proxy_hops = proxy_hops
        self.limiter: RateLimiter | None = None
        if self.read or self.write:
            self.limiter = STRATEGIES[strategy](_storage(storage_uri, key_prefix))
        self._warned_at = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limiter is None:
            await self.app(scope, receive, send)
            return
        write = scope["method"] in WRITE_METHODS
        policy = self.write if write else self.read
        if policy is None or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return

        bucket = "w" if write else "r"
        client = (write and await _verified_writer(scope)) or self._client_ip(scope)
        try:
            allowed = await self.limiter.hit(policy.item, bucket, client)
            stats = await self.limiter.get_window_stats(policy.item, bucket, client)
        except Exception:
            self._warn_storage_down()
            await self.app(scope, receive, send)
            return

        reset = max(0, math.ceil(stats.reset_time - time.time()))
        headers = [
            (b"ratelimit-limit", policy.limit_header),
            (b"ratelimit-remaining", str(max(0, stats.remaining)).encode()),
            (b"ratelimit-reset", str(reset).encode()),
            (b"ratelimit-policy", policy.policy_header),
        ]
        if not allowed:
            retry_after = max(1, reset)
            response = problem_response(
                Request(scope),
                429,
                f"Too many {'writes' if write else 'requests'}: the limit is {policy.text}. "
                f"Retry in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
            )
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _client_ip(self, scope: Scope) -> str:
        if self.proxy_hops:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                hops = forwarded.split(",")
                # Counted from the right: the entries our own proxies appended. Anything to
                # their left was written by the client and proves nothing.
                if len(hops) >= self.proxy_hops:
                    return "ip:" + hops[-self.proxy_hops].strip()
        peer = scope.get("client")
        return "ip:" + (peer[0] if peer else "unknown")

    def _warn_storage_down(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning("rate limit storage unreachable; serving without limits", exc_info=True)


def _storage(uri: str, key_prefix: str) -> StorageTypes:
    # The middleware runs on the event loop, so it needs the asyncio flavour of a storage;
    # the setting takes the plain URI everyone knows (redis://…) and we add the `async+`.
    if not uri.startswith("async+"):
        uri = "async+" + uri
    options: dict[str, str] = {}
    if "redis" in uri.split("://", 1)[0]:
        # limits defaults to coredis; redis-py is the client we install.
        options = {"implementation": "redispy", "key_prefix": key_prefix}
    return storage_from_string(uri, **options)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _verified_writer(scope: Scope) -> str | None:
    """``key:<name>`` for a request whose bearer key is live, else None; the answer is left
    in the request's state under ``VERIFIED_KEY``."""
    scheme, token = get_authorization_scheme_param(_header(scope, b"authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        # The app's read engine: on PostgreSQL it runs the lookup without a transaction.
        engine = scope["app"].state.read_engine
        name = await run_in_threadpool(_authenticate, engine, token)
    except SQLAlchemyError:
        # Counted per IP; ``require_writer`` tries again and answers the outage as reads do.
        return None
    scope.setdefault("state", {})[VERIFIED_KEY] = name
    return None if name is None else "key:" + name


def _authenticate(engine: Engine, token: str) -> str | None:
    with Session(engine) as session:
        return api_keys.authenticate(session=session, key=token)
