"""``?include=citations&include=members`` (or ``?include=citations,members``): the related
objects a list or detail embeds."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query
from pydantic import WithJsonSchema

from app.core.errors import InvalidParameter

MAX_INCLUDE_VALUES = 20


def include_param(*allowed: str) -> Callable[..., Awaitable[frozenset[str]]]:
    """A dependency parsing ``include`` into a set, refusing names not in ``allowed``.

    The document shows an array of the names (repeat the parameter, each value one name):
    that is what generated clients send and what the types they build say. A value may
    also hold several names joined by commas, the form the API first documented; either
    way every name must be one of ``allowed``, exactly (no blank, no padding), so that what
    the document calls invalid is refused.
    """
    names_schema = {
        "type": "array",
        "items": {"type": "string", "enum": list(allowed)},
        "maxItems": MAX_INCLUDE_VALUES,
        "examples": [[allowed[0]]],
    }

    async def parse(
        include: Annotated[
            list[str] | None,
            WithJsonSchema(names_schema),
            Query(
                max_length=MAX_INCLUDE_VALUES,
                description=f"Related objects to embed: {', '.join(allowed)}. Repeat the "
                "parameter for several, or join them with commas.",
            ),
        ] = None,
    ) -> frozenset[str]:
        names = [name for value in include or [] for name in value.split(",")]
        unknown = sorted({name for name in names if name not in allowed})
        if unknown:
            raise InvalidParameter(
                f"Cannot include {', '.join(map(repr, unknown))}; use: {', '.join(allowed)}.",
                loc=["query", "include"],
            )
        return frozenset(names)

    return parse


def Include(*allowed: str) -> type[frozenset[str]]:
    return Annotated[frozenset[str], Depends(include_param(*allowed))]  # type: ignore[return-value]
