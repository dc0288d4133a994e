"""Settings, read from the environment (prefix ``AUTOFACTS_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
RateLimitStrategy = Literal["fixed-window", "moving-window", "sliding-window-counter"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOFACTS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'autofacts.db'}",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db.",
    )
    seed_file: Path = Field(
        default=ROOT / "seed" / "facts.yaml",
        description="Facts file loaded by `autofacts seed` and by `make run` on an empty database.",
    )
    host: str = Field(default="127.0.0.1", description="Address `autofacts serve` binds to.")
    port: int = Field(default=8000, description="Port `autofacts serve` listens on.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes.")
    event_loop: Literal["asyncio", "uvloop"] = Field(
        default="asyncio",
        description="The event loop `autofacts serve` runs. asyncio's, because a saturated "
        "uvloop worker starved some connections for seconds (docs/operations.md, Event loop).",
    )
    cors_origins: list[str] = Field(
        default=["http://localhost:3000"],
        description="Origins allowed to call the API from a browser (JSON list).",
    )
    cache_max_age: int = Field(
        default=60, ge=0, description="Seconds a client may cache a GET response."
    )
    response_cache_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="Bytes of GET answers each worker keeps while the database is unchanged "
        "(any commit empties it); 0 turns the response cache off.",
    )
    compiled_routing: bool = Field(
        default=True,
        description="Answer GET routes through dependency plans compiled once per route, and "
        "match routers by their paths' literal prefixes (app/core/routing.py); false leaves "
        "both to FastAPI (docs/decisions/0001-routing.md).",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body accepted, in bytes (413 above)."
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size.")
    db_threads: int = Field(
        default=4,
        ge=1,
        description="Threads a worker runs requests' database work in, off the event loop; "
        "each holds a connection while it works.",
    )
    search_threads: int = Field(
        default=1,
        ge=1,
        description="Threads of their own that searches run in, so that searches never hold "
        "every thread of the shared pool (app/core/threads.py).",
    )
    search_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Scheduling priority (nice) of the search threads: above 0, a lookup's "
        "thread gets the core before a search's (app/core/threads.py).",
    )
    db_statement_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="PostgreSQL: milliseconds a request's statement may run (or wait for a "
        "lock) before the server cancels it and the request gets a 503; 0 for no limit.",
    )
    log_level: str = Field(default="info", description="Log level of the server.")
    rate_limit: str = Field(
        default="",
        description='Reads (GET) allowed per client, e.g. "600/minute"; empty turns it off.',
    )
    write_rate_limit: str = Field(
        default="",
        description='Writes (POST, PATCH, DELETE) allowed per API key or client, e.g. "60/minute";'
        " empty turns it off.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counts live: memory:// (per worker) or a shared store "
        "such as redis://host:6379.",
    )
    rate_limit_strategy: RateLimitStrategy = Field(
        default="moving-window", description="How requests are counted in a window."
    )
    rate_limit_key_prefix: str = Field(
        default="autofacts",
        description="Prefix of the rate-limit keys in a shared store (one per deployment).",
    )
    proxy_hops: int = Field(
        default=0,
        ge=0,
        description="Trusted proxies in front of the app: the client IP is read that many "
        "entries from the right of X-Forwarded-For (0: the peer address, header ignored).",
    )
    hsts: bool = Field(
        default=False,
        description="Send Strict-Transport-Security (only when served over HTTPS).",
    )
    graceful_shutdown_seconds: int = Field(
        default=20,
        ge=0,
        description="Seconds `autofacts serve` lets in-flight requests finish on SIGTERM.",
    )
    log_json: bool = Field(
        default=True, description="Log one JSON object per line (else plain text lines)."
    )
    access_log: bool = Field(
        default=True,
        description="Log one line per request (method, route, status, duration, request id); "
        "uvicorn's own access log is off while it is on.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
