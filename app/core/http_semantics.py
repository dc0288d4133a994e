"""HTTP semantics the framework leaves out: HEAD, OPTIONS, a 405's ``Allow``, one ``Host``,
and no unknown query parameter.

* ``HEAD`` is answered wherever ``GET`` is (RFC 9110 §9.3.2): the request runs as a GET
  through everything inside (rate limit, ETag, response cache, route) and its answer is
  sent with the same status and headers, ``Content-Length`` included, and no body. HEAD is
  left out of the OpenAPI document: a HEAD twin of every operation would give generated
  clients a second operation id for each.
* ``OPTIONS`` on a path the API serves is a 204 whose ``Allow`` lists its methods; on any
  other path a 404 problem. A CORS preflight never gets here: ``CORSMiddleware``, outside,
  answers it.
* A 405's ``Allow`` lists every method of the path (``allowed_methods``), not only those of
  the one route the router happened to match: a path's GET and DELETE may live in two
  routes.
* A request with two ``Host`` headers is a 400 problem (RFC 9112 §3.2): which one a link
  would be built from is not ours to guess.
* A query parameter an operation does not declare is a 422 problem naming it
  (``reject_unknown_query``, an app-wide dependency): a typo such as ``?countrry=ZZ`` would
  otherwise answer the whole list, and ``/v1/changes?cursor=…`` (the feed reads ``since``)
  the feed from its start. The accepted names are read from each route's ``Dependant``
  tree, the one the OpenAPI document is built from, so the rule and the document cannot
  drift apart. Routes outside the document (the docs pages, ``/metrics``, whose scrapers
  may filter with ``name[]=``) are left alone.
* A query parameter that takes one value, given twice (``country=JP&country=CN``), is a
  422 problem naming it, as an unknown one is: "the last one wins" would answer a question
  the client did not ask. Parameters the document declares as arrays (``include``,
  ``facet``) are repeated by design.
* A body that is not declared JSON is a 415 problem (RFC 9110 §15.5.16) naming the media
  types the operation reads, in ``Accept-Patch`` on a PATCH (RFC 5789 §2.2) and
  ``Accept-Post`` on a POST (W3C LDP 1.0 §7.1; RFC 9110 defines none for POST), checked by
  ``require_json_body`` among a write's dependencies, once its key is verified: FastAPI
  would hand the route the bytes, and the 422 it then answers ("Input should be a valid
  dictionary") blames a body that may be right in every field.
* A GET of the API served in JSON alone (every one but the lists, which negotiate NDJSON
  and CSV themselves: app/core/formats.py) is a 406 problem when ``Accept`` allows no
  JSON (``refuse_unacceptable``, an app-wide dependency). Which GETs those are is read
  from what each operation declares its 200 in, as the document says it; the explorer's
  pages, outside ``/v1/``, are HTML and left alone. It costs a request that allows JSON
  one scan of its headers (each ``Accept`` value is read once per process), and comes
  before the route's own work, so the response cache never keeps such an answer: it keeps
  200s, under the ``Accept`` they were asked with.

Each path's methods and each route's query names are read once per app, from its routes,
the first time they are needed.
"""

import email.message
import types
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin
from weakref import WeakKeyDictionary

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import UnsupportedMediaType, echo, problem_response
from app.core.formats import admits_json, json_not_acceptable
from app.core.surfaces import API_PREFIX

# The order methods are listed in an ``Allow`` header.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# The unknown query parameters a 422 names, at most: each error repeats what the operation
# takes, so three hundred of them made a 2 kB request a 119 kB answer.
MAX_UNKNOWN_NAMED = 10


@dataclass(frozen=True)
class _RouteTable:
    # Every route (as included) that a path can match, with the methods it answers.
    methods: tuple[tuple[Any, frozenset[str]], ...]
    # id of a route as routing puts it in ``scope["route"]`` -> the query parameters its
    # operation declares; None for a route outside the OpenAPI document.
    query_names: dict[int, "_Query | None"]
    # ids of the API's GET routes that answer in JSON alone (refuse_unacceptable).
    json_only: frozenset[int]


@dataclass(frozen=True)
class _Query:
    names: frozenset[str]  # every query parameter the operation declares
    lists: frozenset[str]  # those that take several values (the parameter repeated)


_tables: "WeakKeyDictionary[Any, _RouteTable]" = WeakKeyDictionary()


def _table(app: Any, *, stale: bool = False) -> _RouteTable:
    table = _tables.get(app)
    if table is None or stale:
        table = _tables[app] = _read_routes(app)
    return table


def _read_routes(app: Any) -> _RouteTable:
    methods: list[tuple[Any, frozenset[str]]] = []
    query_names: dict[int, _Query | None] = {}
    json_only: set[int] = set()
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        if isinstance(route, Mount):
            # The docs bundle's StaticFiles answers GET and HEAD; other mounts say nothing.
            if isinstance(route.app, StaticFiles):
                methods.append((context, frozenset({"GET", "HEAD"})))
            continue
        if context.methods:
            methods.append((context, frozenset(context.methods)))
        if isinstance(route, APIRoute):
            documented = bool(getattr(context, "include_in_schema", route.include_in_schema))
            declared = dict(_query_parameters(context.dependant))
            query_names[id(route)] = (
                _Query(
                    names=frozenset(declared),
                    lists=frozenset(name for name, is_list in declared.items() if is_list),
                )
                if documented
                else None
            )
            if _serves_json_only(route, getattr(context, "path", route.path)):
                json_only.add(id(route))
    return _RouteTable(tuple(methods), query_names, frozenset(json_only))


def _serves_json_only(route: APIRoute, path: str) -> bool:
    """Whether ``route`` is a GET of the API whose 200 the document gives in JSON alone: a
    list declares its NDJSON and CSV there too."""
    ok = route.responses.get(200) or route.responses.get("200") or {}
    return "GET" in (route.methods or ()) and path.startswith(API_PREFIX) and not ok.get("content")


def _query_parameters(dependant: Any) -> Iterable[tuple[str, bool]]:
    """(name, whether it takes several values) of each query parameter of ``dependant``."""
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            # A parameter model: its fields are the query parameters.
            for name, f in annotation.model_fields.items():
                yield f.alias or name, _takes_several(f.annotation)
        else:
            yield param.alias, _takes_several(annotation)
    for sub in dependant.dependencies:
        yield from _query_parameters(sub)


_SEVERAL = (list, tuple, set, frozenset)


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter of this type reads every value given (``list[str] | None``):
    what FastAPI reads with ``getlist``, and the document declares as an array."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_several(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_several(arg) for arg in get_args(annotation))
    return (origin or annotation) in _SEVERAL


def allowed_methods(scope: Scope) -> list[str]:
    """Every method the path of ``scope`` takes, in the usual order (HEAD wherever GET is,
    OPTIONS wherever any is); empty for a path the app does not serve."""
    # Matched from the request as it came in: a mount the request went through has moved
    # its prefix into ``root_path`` by now (keeping the app's own in ``app_root_path``).
    probe = {
        "type": "http",
        "method": scope["method"],
        "path": scope["path"],
        "root_path": scope.get("app_root_path", scope.get("root_path", "")),
    }
    found: set[str] = set()
    for route, methods in _table(scope["app"]).methods:
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            found |= methods
    if not found:
        return []
    if "GET" in found:
        found.add("HEAD")
    found.add("OPTIONS")
    return [method for method in _METHOD_ORDER if method in found]


async def reject_unknown_query(request: Request) -> None:
    """A 422 naming each query parameter the matched operation does not declare (the
    first ``MAX_UNKNOWN_NAMED``; a problem cuts each name short, see ``echo``), and each
    one that takes a single value but was given more than once."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    names = _table(request.app).query_names
    if id(route) not in names:
        names = _table(request.app, stale=True).query_names  # a route added since
    query = names.get(id(route))
    if query is None:
        return
    given = Counter(name for name, _ in request.query_params.multi_items())
    unknown = [name for name in given if name not in query.names]
    repeated = [
        name
        for name, times in given.items()
        if times > 1 and name in query.names and name not in query.lists
    ]
    if not unknown and not repeated:
        return
    takes = ", ".join(sorted(query.names)) or "none"
    raise RequestValidationError(
        [
            {
                "type": "extra_forbidden",
                "loc": ("query", name),
                "msg": f"Unknown query parameter (this operation takes: {takes}).",
            }
            for name in unknown[:MAX_UNKNOWN_NAMED]
        ]
        + [
            {
                "type": "repeated_parameter",
                "loc": ("query", name),
                "msg": "Given more than once; this parameter takes one value.",
            }
            for name in repeated
        ]
    )


# The media types a write's body may be, by method, and the header a 415 names them in.
# Any ``application/…+json`` is read (``is_json_media_type``); these are the ones to name.
# A PATCH is a JSON merge patch (RFC 7396, app/core/patch.py).
ACCEPTED_BODIES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "POST": ("Accept-Post", ("application/json",)),
    "PATCH": ("Accept-Patch", ("application/merge-patch+json", "application/json")),
}


def is_json_media_type(content_type: str) -> bool:
    """Whether ``content_type`` declares JSON: ``application/json`` or any
    ``application/…+json``, whatever its parameters (a charset). Read as FastAPI reads it
    when it decides whether to parse a body, so that what passes here is what it parses."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def require_json_body(request: Request) -> None:
    """A 415 for a body the matched operation takes that is not declared JSON: another
    ``Content-Type`` (curl's default form encoding, ``text/plain``) or none. A request
    without a body is left to the route, whose 422 says that one is required."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return
    content_type = request.headers.get("content-type")
    if (content_type is not None and is_json_media_type(content_type)) or not (
        await request.body()
    ):
        return
    # No route takes a body by PUT; were one to, no header is defined for it.
    header, accepted = ACCEPTED_BODIES.get(request.method, (None, ("application/json",)))
    said = "none" if content_type is None else repr(echo(content_type))
    raise UnsupportedMediaType(
        f"The body must be JSON: {' or '.join(accepted)} (any application/…+json type is "
        f"read as JSON); its Content-Type is {said}.",
        headers={header: ", ".join(accepted)} if header else None,
    )


async def refuse_unacceptable(request: Request) -> None:
    """A 406 problem for a GET of the API served in JSON alone whose ``Accept`` allows no
    JSON (module docstring). Several ``Accept`` fields are one list (RFC 9110 §5.3)."""
    accept = None
    for name, value in request.scope["headers"]:
        if name == b"accept":
            accept = value if accept is None else accept + b", " + value
    if accept is None or admits_json(accept.decode("latin-1")):
        return
    route = request.scope.get("route")
    table = _table(request.app)
    if id(route) not in table.query_names:
        table = _table(request.app, stale=True)  # a route added since
    if id(route) in table.json_only:
        raise json_not_acceptable()


class HttpSemanticsMiddleware:
    """HEAD, OPTIONS and a single ``Host`` (module docstring). Sits inside CORS, so that
    preflights stay CORSMiddleware's and every answer here carries its headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(1 for name, _ in scope["headers"] if name == b"host") > 1:
            request = Request(scope)
            detail = "The request has more than one Host header."
            await problem_response(request, 400, detail)(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            await self._options(scope, receive, send)
        elif method == "HEAD":
            await self._head(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = allowed_methods(scope)
        if allow:
            answer: Response = Response(status_code=204, headers={"Allow": ", ".join(allow)})
        else:
            request = Request(scope)
            answer = problem_response(request, 404, f"No resource at {request.url.path}.")
        await answer(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = allowed_methods(scope)
        if allow and "GET" not in allow:
            request = Request(scope)
            detail = f"HEAD is not allowed on {request.url.path}."
            headers = {"Allow": ", ".join(allow)}
            await problem_response(request, 405, detail, headers=headers)(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b""})

        # A copy: the server reads the method of its own scope to send a HEAD answer as
        # one (no chunked body). What routing adds to the copy (the route, for the access
        # log outside) is brought back.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, without_body)
        finally:
            scope.update((key, value) for key, value in inner.items() if key != "method")
