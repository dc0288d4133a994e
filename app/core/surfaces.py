"""Which surface a path belongs to: the JSON API under ``/v1/``, the explorer's HTML pages
(everything the app serves elsewhere, but for the docs, probes and metrics), or neither.

The security headers, ETags, response cache and error rendering each ask here, so that
adding a page never means teaching four middlewares about it.
"""

API_PREFIX = "/v1/"
# Served beside the API and the pages, by neither.
_NEITHER = (
    API_PREFIX,
    "/health/",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static-offline-docs/",
    "/favicon.ico",
)
# The pages' own stylesheet and script: files, not answers from the database.
STATIC_PREFIX = "/static/"


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the explorer's (an unknown one too: its 404 is a page)."""
    return not path.startswith(_NEITHER)


def is_database_answer(path: str) -> bool:
    """Whether a GET of ``path`` is answered from the database alone (the API and the
    pages, not their static files): what the response cache may keep."""
    return path.startswith(API_PREFIX) or (is_page(path) and not path.startswith(STATIC_PREFIX))
