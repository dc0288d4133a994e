"""The one example each request body shows in the docs, declared on its model.

Swagger UI's "Try it out" pre-fills a body with its operation's example, or else with a
body it makes up from the schema: one that no pattern, quote or reference of ours would
take. So every body model names a real one as ``body_example``, and the route that takes
it declares it as the OpenAPI example of its request body (``example_body`` in
app/api/deps.py: FastAPI's ``openapi_examples``, the media type's ``examples``, which
Swagger UI shows and pre-fills).

An example is true of the seed article: its quotes are the article's words, verbatim and
whole (app/core/quotes.py), the slugs and ids it names are the seed's, and it states
nothing the article does not. A create names what the seed already holds, so on the seed
it is a 409; an update restates or refines what the seed holds.
tests/api/test_body_examples.py sends each one to the seeded app.
"""

from dataclasses import dataclass
from typing import Any

# The seed's one source, as a citation names it by slug.
SEED_SOURCE = "2025-11-14-honda-nissan"


@dataclass(frozen=True)
class BodyExample:
    """What the docs show: a one-line summary, and the body itself."""

    summary: str
    value: dict[str, Any]


def cited(*quotes: str) -> list[dict[str, str]]:
    """The citations of an example: each quote, verbatim, from the seed article."""
    return [{"source": SEED_SOURCE, "quote": quote} for quote in quotes]
