"""Settings, read from the environment (prefix ``AUTOFACTS_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


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
    cors_origins: list[str] = Field(
        default=["http://localhost:3000"],
        description="Origins allowed to call the API from a browser (JSON list).",
    )
    cache_max_age: int = Field(
        default=60, ge=0, description="Seconds a client may cache a GET response."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body accepted, in bytes (413 above)."
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size.")
    log_level: str = Field(default="info", description="Log level of the server.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
