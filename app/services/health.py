from sqlalchemy import text
from sqlmodel import Session


def database_ready(*, session: Session) -> None:
    """Raise if the database does not answer a trivial query."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
