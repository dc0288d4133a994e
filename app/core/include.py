"""``?include=citations,members``: the related objects a list or detail embeds."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query

from app.core.errors import InvalidParameter


def include_param(*allowed: str) -> Callable[..., Awaitable[frozenset[str]]]:
    """A dependency parsing ``include`` into a set, refusing names not in ``allowed``."""

    async def parse(
        include: Annotated[
            str | None,
            Query(
                max_length=200,
                description=f"Comma-separated related objects to embed: {', '.join(allowed)}.",
            ),
        ] = None,
    ) -> frozenset[str]:
        names = frozenset(n.strip() for n in (include or "").split(",") if n.strip())
        unknown = sorted(names - set(allowed))
        if unknown:
            raise InvalidParameter(
                f"Cannot include {', '.join(unknown)}; use: {', '.join(allowed)}.",
                loc=["query", "include"],
            )
        return names

    return parse


def Include(*allowed: str) -> type[frozenset[str]]:
    return Annotated[frozenset[str], Depends(include_param(*allowed))]  # type: ignore[return-value]
