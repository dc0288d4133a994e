"""The ASGI application: routers, middleware, error handlers."""

import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from app.api.routes import (
    changes,
    companies,
    company_facts,
    executives,
    facts,
    health,
    metrics,
    partnerships,
    restructuring_plans,
    search,
    sources,
    statements,
    tariffs,
)
from app.core.config import get_settings
from app.core.db import bind_engine, get_engine, get_read_engine
from app.core.docs import SWAGGER_UI_PARAMETERS, install_redoc
from app.core.errors import document_problems, install_error_handlers, problem_responses
from app.core.etags import EtagMiddleware, document_etags
from app.core.formats import document_json_only
from app.core.http_semantics import (
    HttpSemanticsMiddleware,
    refuse_unacceptable,
    reject_unknown_query,
)
from app.core.limits import (
    BodySizeLimitMiddleware,
    ControlCharacterMiddleware,
    document_text_limits,
)
from app.core.links import document_links
from app.core.observability import install_observability
from app.core.ratelimit import RATE_LIMIT_HEADERS, RateLimitMiddleware
from app.core.response_cache import ResponseCache
from app.core.response_examples import document_response_examples
from app.core.routing import index_routes
from app.core.security_headers import SecurityHeadersMiddleware
from app.core.threads import size_thread_pool
from app.web.pages import install_pages

DESCRIPTION = """
Automotive-industry facts — companies, executives, partnerships, tariffs and
restructuring plans — each traceable to the verbatim sentence of the news article it
came from.

* Lists return `{"data": [...], "next_cursor": ...}` with keyset cursors and a
  `Link: <…>; rel="next"` header.
* `valid_at=YYYY-MM-DD` answers what was true on a date; `known_at=YYYY-MM-DD` what our
  sources had reported by then; `as_of=<RFC 3339 timestamp or date>` exactly what the
  API served at that instant.
* Errors are RFC 9457 `application/problem+json`.
* A query parameter the operation does not list is a 422 naming it: a misspelt filter
  never widens an answer.
* Lists stream whole as NDJSON or CSV (`?format=`, or `Accept` with q-values; a 406 when
  it allows none of them). In CSV, a cell beginning with `=`, `+`, `-`, `@`, a tab or a
  carriage return is prefixed with `'` so that spreadsheets do not run it (OWASP, CSV
  injection); JSON and NDJSON carry the exact text. Every other GET answers JSON alone:
  a 406 when `Accept` allows no JSON (`application/json`, `application/*`, `*/*`).
* `HEAD` works wherever `GET` does; `OPTIONS` and a 405's `Allow` list every method of
  the path.
"""

ROUTERS = tuple(
    module.router
    for module in (
        companies,
        executives,
        partnerships,
        tariffs,
        restructuring_plans,
        company_facts,
        statements,
        sources,
        facts,
        search,
        changes,
        health,
        metrics,
    )
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What start-up built (modules, routes, schemas, validators: some 150k objects) lives
    # as long as the process. Frozen out of the collector, a full collection no longer walks
    # it: each one stalled every request in flight while it walked objects that never die.
    gc.collect()
    gc.freeze()
    size_thread_pool()  # app/core/threads.py
    try:
        yield
    finally:
        app.state.read_sessions.close()
        if app.state.data_version is not None:
            app.state.data_version.close()
        gc.unfreeze()  # the app is done with it (a test process starts many apps)


def create_app(engine: Engine | None = None) -> FastAPI:
    """The app, serving the database of the settings, or ``engine``."""
    settings = get_settings()
    app = FastAPIOffline(
        redoc_url=None,  # served by install_redoc, with a bundle that loads nothing elsewhere
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        title="Autofacts",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query), Depends(refuse_unacceptable)],
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "companies", "description": "Automakers, suppliers, media."},
            {"name": "executives", "description": "Executives and the roles they hold."},
            {"name": "partnerships", "description": "Partnerships, scope and status history."},
            {"name": "tariffs", "description": "Tariffs and what they cost companies."},
            {"name": "restructuring plans", "description": "Job cuts and plant closures."},
            {"name": "facts", "description": "Every fact as subject, predicate and value."},
            {"name": "sources", "description": "The articles every quote comes from."},
            {"name": "search", "description": "Full-text search across every resource."},
            {"name": "changes", "description": "The change log other services sync from."},
            {"name": "health", "description": "Liveness and readiness probes."},
        ],
    )
    # Innermost: a kept answer still passes every middleware below, as any answer does.
    app.add_middleware(ResponseCache, max_bytes=settings.response_cache_bytes)
    # Added before CORS, so CORS wraps them and 304s and 413s carry its headers too.
    app.add_middleware(ControlCharacterMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(EtagMiddleware, max_age=settings.cache_max_age)
    app.add_middleware(
        RateLimitMiddleware,
        read_limit=settings.rate_limit,
        write_limit=settings.write_rate_limit,
        storage_uri=settings.rate_limit_storage,
        strategy=settings.rate_limit_strategy,
        key_prefix=settings.rate_limit_key_prefix,
        proxy_hops=settings.proxy_hops,
    )
    app.add_middleware(HttpSemanticsMiddleware)  # inside CORS: preflights stay its own
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["*"],
        expose_headers=[
            "Link",
            "ETag",
            "X-Request-ID",
            "Accept-Post",  # a 415's, naming the media types a write's body may be
            "Accept-Patch",
            *RATE_LIMIT_HEADERS,
        ],
    )
    # Outermost, so that every response (CORS preflights, 413s, 429s) carries them.
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.hsts)
    if engine is None:
        bind_engine(app, get_engine(), get_read_engine())
    else:
        bind_engine(app, engine)
    install_error_handlers(app)
    install_observability(app, settings)
    # Read by ReadRoute when it builds each route's handler (app/core/routing.py).
    app.state.compiled_routing = settings.compiled_routing
    for router in ROUTERS:
        app.include_router(router)
    install_redoc(app)
    install_pages(app)  # after the API: its routes match first
    if settings.compiled_routing:
        index_routes(app)
    _register_problem_schema(app)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        # Browsers ask for /favicon.ico whatever the page says; the docs bundle ships one.
        return RedirectResponse("/static-offline-docs/favicon.png", status_code=301)

    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Complete the document FastAPI generates with what it cannot say by itself: the
    problem responses declared once and referenced, reads marked public, the server."""
    original = app.openapi

    def openapi() -> dict:  # type: ignore[type-arg]
        if app.openapi_schema is None:
            schema = original()
            _document_unparseable_bodies(schema)
            document_json_only(schema)
            document_problems(schema)
            _document_public_reads(schema)
            _document_request_defaults(schema)
            document_etags(schema)
            document_text_limits(schema)
            document_links(schema)
            document_response_examples(schema)
            # Served by the API it describes, its paths are relative to where it was fetched
            # (FastAPI names the server only behind a proxy's root path).
            schema.setdefault("servers", [{"url": "/", "description": "This server."}])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_public_reads(schema: dict) -> None:  # type: ignore[type-arg]
    """Reads need no key: an operation that names no scheme says so with an empty list,
    rather than leaving clients to guess."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            operation.setdefault("security", [])


_SCHEMA_REF = "#/components/schemas/"


def _document_request_defaults(schema: dict) -> None:  # type: ignore[type-arg]
    """A property of a request body that has a default is one the client may leave out,
    but generators read a ``default`` as "always there" (openapi-typescript makes such a
    property required, so the smallest body the API takes would not type-check). In the
    schemas only requests use, the default is said in the property's description
    instead; a response's schema keeps it (there it is always sent)."""
    components = schema.get("components", {}).get("schemas", {})

    def reached(node: Any, found: set[str]) -> set[str]:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(_SCHEMA_REF) and ref[len(_SCHEMA_REF) :] not in found:
                found.add(ref[len(_SCHEMA_REF) :])
                reached(components[ref[len(_SCHEMA_REF) :]], found)
            for value in node.values():
                reached(value, found)
        elif isinstance(node, list):
            for value in node:
                reached(value, found)
        return found

    operations = [op for item in schema.get("paths", {}).values() for op in item.values()]
    requests = reached([op.get("requestBody", {}) for op in operations], set())
    responses = reached([op.get("responses", {}) for op in operations], set())
    responses = reached(schema.get("components", {}).get("responses", {}), responses)
    for name in requests - responses:
        for prop in components[name].get("properties", {}).values():
            if "default" in prop:
                value = prop.pop("default")
                default = value if isinstance(value, str) else json.dumps(value)
                said = f"Left out, it is `{default}`."
                prop["description"] = (
                    f"{prop['description']} {said}" if "description" in prop else said
                )


def _document_unparseable_bodies(schema: dict) -> None:  # type: ignore[type-arg]
    """Every operation that takes a body answers 415 to one not declared JSON
    (``require_json_body``), 400 to one declared JSON that is not JSON at all (bytes that
    do not decode); a body that is JSON but not the right shape is a 422."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if "requestBody" in operation:
                for status in (400, 415):
                    operation["responses"].setdefault(
                        str(status), problem_responses(status)[status]
                    )


app = create_app()
