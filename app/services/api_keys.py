"""API keys: created once (only their hash is kept), listed, revoked, checked per write."""

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.models import ApiKey

KEY_PREFIX = "af"


def _hash(key: str) -> str:
    # Keys are 256 random bits: a fast hash is as safe as a slow one here.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(*, session: Session, name: str) -> str:
    """Store a new key under ``name`` and return it; it cannot be shown again."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(name=name, prefix=prefix, key_hash=_hash(key), created_at=dt.datetime.now(dt.UTC))
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"An API key named {name!r} exists already.") from None
    return key


def list_api_keys(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.name))))


def revoke_api_key(*, session: Session, name: str) -> ApiKey:
    key = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        raise NotFound(f"No API key named {name!r}.")
    if key.revoked_at is None:
        key.revoked_at = dt.datetime.now(dt.UTC)
        session.add(key)
        session.commit()
    return key


def authenticate(*, session: Session, key: str) -> str | None:
    """The name of the live key ``key`` is, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    stored = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if stored is None or stored.revoked_at is not None:
        return None
    if not hmac.compare_digest(stored.key_hash, _hash(key)):
        return None
    return stored.name
