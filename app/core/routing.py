"""Read routes whose dependencies are solved by a plan compiled once per route.

FastAPI works out, on every request, what each parameter of each dependency is: it
re-reads annotations, aliases and defaults for all of them, and with the rest of its
handler's bookkeeping that cost a 50-row list a quarter of its time (a company by slug
nearly a third). ``ReadRoute`` reads the same ``Dependant`` tree
once, when the route is built, into a plan of plain steps (which callables to await, which
query and path values to take, how each is validated), and on a GET runs that plan.

It changes how a request is answered, never what the answer is:

* values are validated by the very pydantic fields FastAPI built (``ModelField.validate``),
  defaults are copied the same way, and a dependency appearing twice runs once;
* when anything fails validation, the request is handed to FastAPI's own handler, which
  answers it from scratch: a 422 has exactly FastAPI's shape;
* the endpoint, a plain function like every read endpoint, runs in the thread pool as
  FastAPI runs it, so that its database work never holds the event loop (an indexed
  read on SQLite runs on the loop: ``app/core/threads.py``);
* a route whose dependencies need anything the plan does not cover (headers, cookies,
  bodies, security scopes, background tasks, sync dependencies, parameter models), every
  method but GET, and every request while ``dependency_overrides`` are set, go to FastAPI's
  handler unchanged.

The OpenAPI document is built from the route as declared, so it is unaffected. The route
reads how it was included as FastAPI's own ``get_route_handler`` does, through a private
name; tests/test_routing.py compares every kind of answer with FastAPI's handler, so an
upgrade that changes it fails there.

Why it stays, on private names, and on what terms (the FastAPI and Starlette releases
pyproject.toml pins, and ``AUTOFACTS_COMPILED_ROUTING=false`` to hand everything back to
FastAPI): docs/decisions/0001-routing.md.
"""

import inspect
from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, params
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.routing import (
    APIRoute,
    _effective_route_context_var,
    _EffectiveRouteContext,
    _IncludedRouter,
    serialize_response,
)
from pydantic import Json
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from app.core.threads import run_endpoint

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class _Unsupported(Exception):
    """The dependant needs something the compiled plan does not do."""


@dataclass(frozen=True)
class _Param:
    name: str
    alias: str
    in_path: bool
    field: ModelField
    loc: tuple[str, str]
    is_sequence: bool
    required: bool
    default: Any
    copy_default: bool
    validate_default: bool

    def resolve(self, source: Any, values: dict[str, Any]) -> tuple[Any, bool]:
        """The validated value from ``source`` (query or path values), and whether it is
        valid."""
        raw = source.getlist(self.alias) if self.is_sequence else source.get(self.alias)
        if raw is None or (self.is_sequence and len(raw) == 0):
            if self.required:
                return None, False
            value = deepcopy(self.default) if self.copy_default else self.default
            if not self.validate_default:
                return value, True
            raw = value
        value, errors = self.field.validate(raw, values, loc=self.loc)
        return value, not errors


@dataclass
class _Step:
    """One callable of the tree: what it takes, and the steps that feed it."""

    call: Callable[..., Any]
    name: str | None
    is_generator: bool
    # A plain function, as every read endpoint is: it runs in the thread pool, as FastAPI
    # runs one, so that its database work never holds the event loop.
    in_thread: bool
    function_scope: bool
    use_cache: bool
    params: tuple[_Param, ...]  # path parameters first, as FastAPI validates them
    request_name: str | None
    response_name: str | None
    steps: list["_Step"] = field(default_factory=list)


def _compile(dependant: Dependant, *, top: bool) -> _Step:
    if (
        dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or getattr(dependant, "concurrency", None) is not None
    ):
        raise _Unsupported
    call = dependant.call
    assert call is not None
    is_generator = inspect.isasyncgenfunction(call)
    is_coroutine = inspect.iscoroutinefunction(call)
    if inspect.isgeneratorfunction(call) or (top and is_generator):
        raise _Unsupported
    if not (is_generator or is_coroutine or top):
        raise _Unsupported  # a sync dependency runs in the thread pool: FastAPI's handler
    return _Step(
        call=call,
        name=dependant.name,
        is_generator=is_generator,
        in_thread=not (is_generator or is_coroutine),
        function_scope=getattr(dependant, "scope", None) == "function",
        use_cache=dependant.use_cache,
        params=tuple(
            [_param(f, "path") for f in dependant.path_params]
            + [_param(f, "query") for f in dependant.query_params]
        ),
        request_name=dependant.request_param_name,
        response_name=dependant.response_param_name,
        steps=[_compile(sub, top=False) for sub in dependant.dependencies],
    )


def _param(model_field: ModelField, kind: str) -> _Param:
    info = model_field.field_info
    if not isinstance(info, params.Param) or _is_param_model(model_field):
        raise _Unsupported
    if getattr(info, "validation_alias", None) or any(type(m) is Json for m in info.metadata):
        raise _Unsupported  # several accepted names, or JSON in a parameter
    alias = model_field.alias
    default = model_field.default
    return _Param(
        name=model_field.name,
        alias=alias,
        in_path=kind == "path",
        field=model_field,
        loc=(kind, alias),
        is_sequence=kind == "query" and field_annotation_is_sequence(info.annotation),
        required=info.is_required(),
        default=default,
        copy_default=not isinstance(default, str | int | float | bool | type(None)),
        validate_default=bool(info.validate_default),
    )


def _is_param_model(model_field: ModelField) -> bool:
    annotation = model_field.field_info.annotation
    return inspect.isclass(annotation) and hasattr(annotation, "model_fields")


async def _solve(
    step: _Step,
    request: Request,
    response: Response,
    cache: dict[Any, Any],
) -> dict[str, Any] | None:
    """The keyword arguments of ``step.call``; None if a value fails validation."""
    values: dict[str, Any] = {}
    for sub in step.steps:
        if sub.use_cache and sub.call in cache:
            solved = cache[sub.call]
        else:
            arguments = await _solve(sub, request, response, cache)
            if arguments is None:
                return None
            if sub.is_generator:
                stack = request.scope[
                    "fastapi_function_astack" if sub.function_scope else "fastapi_inner_astack"
                ]
                solved = await stack.enter_async_context(asynccontextmanager(sub.call)(**arguments))
            else:
                solved = await sub.call(**arguments)
            cache.setdefault(sub.call, solved)
        if sub.name is not None:
            values[sub.name] = solved
    for param in step.params:
        source = request.path_params if param.in_path else request.query_params
        value, valid = param.resolve(source, values)
        if not valid:
            return None
        values[param.name] = value
    if step.request_name:
        values[step.request_name] = request
    if step.response_name:
        values[step.response_name] = response
    return values


class ReadRoute(APIRoute):
    """An ``APIRoute`` that answers GET through a compiled plan (module docstring)."""

    # The plan the route answers with; None when FastAPI's handler answers it.
    plan: "_Step | None" = None
    # Whether its answers may be kept by the response cache (app/core/response_cache.py):
    # a GET whose answer depends on the request and the database alone.
    cacheable: bool = False

    def get_route_handler(self) -> Handler:
        self.cacheable = self.methods == {"GET"}
        standard = super().get_route_handler()
        # The route as included (prefix, dependencies and overrides of its router's
        # include), as FastAPI's own get_route_handler reads it.
        context = _effective_route_context_var.get()
        route: Any = context if context is not None and context.original_route is self else self
        provider = route.dependency_overrides_provider
        if not getattr(getattr(provider, "state", None), "compiled_routing", True):
            # The app was built with the setting off. ``plan`` is left as it is: the route
            # object is shared by every app that includes it.
            return standard
        self.plan = None
        if (
            self.methods != {"GET"}
            or route.body_field is not None
            or route.response_field is None
            or not isinstance(route.response_class, DefaultPlaceholder)
            or route.is_json_stream
        ):
            return standard
        try:
            plan = _compile(route.dependant, top=True)
        except _Unsupported:
            return standard
        self.plan = plan
        response_field = route.response_field
        status_code = route.status_code
        exclude_unset = route.response_model_exclude_unset
        call = plan.call

        async def handle(request: Request) -> Response:
            if provider is not None and getattr(provider, "dependency_overrides", None):
                return await standard(request)
            response = Response()
            del response.headers["content-length"]
            response.status_code = None  # type: ignore[assignment]
            values = await _solve(plan, request, response, {})
            if values is None:
                # FastAPI's handler answers it again from the start, with its own 422.
                return await standard(request)
            raw = (
                await run_endpoint(call, values, local_database=request.app.state.local_database)
                if plan.in_thread
                else await call(**values)
            )
            if isinstance(raw, Response):
                return raw
            content = await serialize_response(
                field=response_field,
                response_content=raw,
                exclude_unset=exclude_unset,
                dump_json=True,
            )
            answer = Response(
                content=content,
                media_type="application/json",
                status_code=response.status_code or status_code or 200,
            )
            answer.headers.raw.extend(response.headers.raw)
            return answer

        return handle


# -- routing --------------------------------------------------------------------------------


class _PrefixedInclusion(_IncludedRouter):
    """An included router that knows the literal starts of its routes' paths.

    FastAPI matches a request against every route of every included router in turn, each
    a regular expression behind some bookkeeping, and then matches the chosen router's
    routes once more to handle it: a probe in the last router went through some sixty
    routes (docs/decisions/0001-routing.md measures what skipping them saves).
    A path none of a router's routes can start with is no match for the router, so it is
    answered at once; one that can be is matched by FastAPI exactly as before, and the
    match it found is not searched for again when the router handles the request.
    """

    prefixes: tuple[str, ...] = ()
    _patterns: tuple[list[Any], list[tuple[Any, Any]]] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.prefixes):
            return Match.NONE, {}
        return super().matches(scope)

    def _match(self, scope: Scope) -> Any:
        path = get_route_path(scope)
        found = scope.get(_MATCHED)
        if found is not None and found[0] is self and found[1] == path:
            return found[2]
        # FastAPI's search, over only the routes whose path pattern matches: the others
        # would each answer NONE after their share of its bookkeeping.
        narrowed = [
            candidate
            for candidate, pattern in self._candidate_patterns()
            if pattern is None or pattern.match(path)
        ]
        token = _NARROWED.set((self, narrowed))
        try:
            result = super()._match(scope)
        finally:
            _NARROWED.reset(token)
        if result[0] == Match.FULL:
            scope[_MATCHED] = (self, path, result)
        return result

    def effective_candidates(self) -> Any:
        narrowed = _NARROWED.get()
        if narrowed is not None and narrowed[0] is self:
            return narrowed[1]
        return super().effective_candidates()

    def _candidate_patterns(self) -> list[tuple[Any, Any]]:
        """Each route FastAPI searches with its path pattern (None: one it matches otherwise,
        an included router say), kept as long as FastAPI's own list stands."""
        candidates = super().effective_candidates()
        if self._patterns is None or self._patterns[0] is not candidates:
            patterns = [
                (
                    candidate,
                    candidate.path_regex
                    if isinstance(candidate, _EffectiveRouteContext)
                    and isinstance(candidate.original_route, APIRoute)
                    else None,
                )
                for candidate in candidates
            ]
            self._patterns = (candidates, patterns)
        return self._patterns[1]


# Where a router's full match waits for its handling (the same request's scope).
_MATCHED = "autofacts.matched_route"
# The routes a router's search is narrowed to, while it searches.
_NARROWED: ContextVar[tuple[_PrefixedInclusion, list[Any]] | None] = ContextVar(
    "autofacts.narrowed_routes", default=None
)


def index_routes(app: FastAPI) -> None:
    """Give each router ``app`` includes the literal prefixes of its routes' paths (routers
    holding anything but plain routes, mounts say, are left as FastAPI built them)."""
    for route in app.router.routes:
        if type(route) is not _IncludedRouter:
            continue
        included = route.include_context.prefix
        prefixes = set()
        for inner in route.original_router.routes:
            if not isinstance(inner, Route):  # APIRoute is a Route
                break
            prefixes.add(included + inner.path_format.split("{", 1)[0])
        else:
            route.__class__ = _PrefixedInclusion
            route.prefixes = tuple(sorted(prefixes))  # type: ignore[attr-defined]
