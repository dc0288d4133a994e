"""Domain errors and their RFC 9457 ``application/problem+json`` rendering, in one place."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg.errors import QueryCanceled
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.core.accept import media_ranges, quality
from app.core.surfaces import is_page

logger = logging.getLogger("autofacts")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://autofacts.dev/problems/"


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where the error is: `query`, `path` or `body`, then the field."
    )
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No company with slug 'tesla'."])
    instance: str = Field(examples=["/v1/companies/tesla"])
    errors: list[FieldError] | None = Field(
        default=None,
        description="Field-level errors: on 422 responses, and on 409s that name a field.",
    )


class DomainError(Exception):
    status: int = 500
    slug: str = "internal-error"
    # Headers every error of the kind carries (a 401's challenge).
    kind_headers: ClassVar[dict[str, str] | None] = None

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = {**(self.kind_headers or {}), **(headers or {})} or None


class NotFound(DomainError):
    status, slug = 404, "not-found"


class Conflict(DomainError):
    status, slug = 409, "conflict"


class PreconditionFailed(DomainError):
    """A write whose ``If-Match`` names an ETag the resource no longer has."""

    status, slug = 412, "precondition-failed"


class InvalidParameter(DomainError):
    """A query parameter that passed type checks but makes no sense (a bad cursor, an
    unknown sort key). Reported like FastAPI's own validation errors."""

    status, slug = 422, "validation-error"

    def __init__(self, detail: str, *, loc: list[str | int], type_: str = "value_error") -> None:
        super().__init__(detail, errors=[{"loc": loc, "msg": detail, "type": type_}])


class Unauthorized(DomainError):
    status, slug = 401, "unauthorized"
    kind_headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer realm="autofacts"'}


class BodyInvalid(DomainError):
    """A request body that is well-formed but wrong (a quote not in its source, a company
    that does not exist), reported like FastAPI's own validation errors."""

    status, slug = 422, "validation-error"

    def __init__(self, errors: list[tuple[list[str | int], str]]) -> None:
        super().__init__(
            "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors),
            errors=[
                {"loc": ["body", *loc], "msg": msg, "type": "value_error"} for loc, msg in errors
            ],
        )


class BodyConflicts(BodyInvalid):
    """A body valid on its own that does not fit what is stored: a bound against the other
    bound the row keeps, a status against the stored history. A conflict with the resource's
    state (RFC 9110 §15.5.10), which no check of the body alone can foresee; its fields are
    named as a 422's are."""

    status, slug = 409, "conflict"


class UnsupportedMediaType(DomainError):
    """A body in a media type the operation does not read (RFC 9110 §15.5.16); its
    headers name the ones it does."""

    status, slug = 415, "unsupported-media-type"


class ServiceUnavailable(DomainError):
    status, slug = 503, "service-unavailable"


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    page = _problem_page(request)
    if page is not None:
        # On the explorer's paths a problem is a page or JSON, as Accept prefers.
        headers = {**(headers or {}), "Vary": "Accept"}
        if _prefers_html(request.headers.get("accept", "")):
            return page(request, body, headers)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Draws a problem as an HTML page; set on ``app.state`` by the explorer (app/web/pages.py).
ProblemPage = Callable[[Request, dict[str, Any], dict[str, str] | None], Response]


def _problem_page(request: Request) -> ProblemPage | None:
    """The explorer's problem page, when the request is for one of its paths."""
    app = request.scope.get("app")
    page: ProblemPage | None = getattr(getattr(app, "state", None), "problem_page", None)
    return page if page is not None and is_page(request.url.path) else None


def _prefers_html(accept: str) -> bool:
    """Whether ``Accept`` names ``text/html`` and ranks it at least as high as JSON: a
    browser. Anything else (curl's ``*/*`` included) gets problem+json, as the API does."""
    if "html" not in accept:
        return False
    ranges = media_ranges(accept)
    html = max((q for kind, sub, q in ranges if (kind, sub) == ("text", "html")), default=0.0)
    return html > 0 and html >= quality("application/json", ranges)


def domain_error_response(request: Request, exc: DomainError) -> Response:
    return problem_response(
        request, exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
    )


# What a problem repeats of the request (a parameter's name, a key of the body, a value) is
# cut to this many characters: names of any length would otherwise come back in full.
ECHO_LIMIT = 100


def echo(text: str) -> str:
    """``text``, from the request, as a problem may repeat it: cut with an ellipsis."""
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "\u2026"


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    # pydantic's `input` and `ctx` can hold arbitrary objects and echo hostile input back;
    # a name in `loc` may be a query parameter's or a body key's, anything the client sent.
    return [
        {
            "loc": [echo(str(p)) if not isinstance(p, int) else p for p in e["loc"]],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return domain_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = _clean_errors(exc.errors())
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        if any(e["type"] == "json_invalid" for e in errors):
            # A body that cannot be read as JSON is not a value to correct but a request
            # to mend: the 400 the document declares, as GitHub and Stripe answer it.
            return problem_response(request, 400, detail, errors=errors)
        return problem_response(request, 422, detail, slug="validation-error", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Imported here: http_semantics renders its own problems with this module.
            from app.core.http_semantics import allowed_methods

            detail = f"{request.method} is not allowed on {request.url.path}."
            # The router's Allow names the methods of the one route it matched; the path
            # may have others in other routes.
            allow = allowed_methods(request.scope)
            if allow:
                headers = {**(headers or {}), "Allow": ", ".join(allow)}
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> Response:
        logger.error("database error on %s %s: %s", request.method, request.url.path, exc.orig)
        detail = (
            "The request took longer than the database allows (a statement timeout); "
            "try again shortly."
            if isinstance(exc.orig, QueryCanceled)
            else "The database is unavailable; try again shortly."
        )
        return problem_response(
            request, 503, detail, slug="service-unavailable", headers={"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "An unexpected error occurred.")


@dataclass(frozen=True)
class _ProblemResponse:
    """An error answer as the OpenAPI document declares it, once, under
    ``components/responses``; every operation refers to it."""

    name: str
    description: str
    example: str  # the detail of its example
    headers: tuple[tuple[str, str], ...] = ()  # (header, what it says)
    instance: str = "/v1/companies/nissan"  # the path its example answers


_RETRY_AFTER = ("Retry-After", "Seconds to wait before trying again.")
_PROBLEMS: dict[int, _ProblemResponse] = {
    400: _ProblemResponse(
        "BadRequest",
        "The request cannot be read: a body that is not JSON, a malformed header.",
        "The body is not valid JSON.",
    ),
    401: _ProblemResponse(
        "Unauthorized",
        "A write without a valid API key (`Authorization: Bearer <key>`).",
        "A valid API key is required: Authorization: Bearer <key>.",
        (("WWW-Authenticate", 'The scheme to use: `Bearer realm="autofacts"`.'),),
    ),
    404: _ProblemResponse(
        "NotFound",
        "No such resource.",
        "No company with slug 'tesla'.",
        instance="/v1/companies/tesla",
    ),
    405: _ProblemResponse(
        "MethodNotAllowed",
        "The path does not take this method.",
        "PUT is not allowed on /v1/companies/nissan.",
        (("Allow", "Every method the path takes."),),
    ),
    406: _ProblemResponse(
        "NotAcceptable",
        "None of the media types the `Accept` header allows can be served.",
        "Cannot answer with any of: application/xml.",
    ),
    409: _ProblemResponse(
        "Conflict",
        "The write contradicts what is stored (a duplicate, a dependent row).",
        "A company with slug 'nissan' already exists.",
    ),
    412: _ProblemResponse(
        "PreconditionFailed",
        "`If-Match` names an ETag the resource no longer has.",
        "The resource has changed since the ETag you sent.",
    ),
    413: _ProblemResponse(
        "ContentTooLarge", "The body is larger than the API accepts.", "The body is too large."
    ),
    415: _ProblemResponse(
        "UnsupportedMediaType",
        "The body is not declared JSON: its `Content-Type` is neither `application/json` "
        "nor an `application/…+json` type (a PATCH's `application/merge-patch+json`), or "
        "there is none.",
        "The body must be JSON: application/json (any application/…+json type is read as "
        "JSON); its Content-Type is 'text/plain'.",
        (
            ("Accept-Post", "On a POST: the media types its body may be."),
            ("Accept-Patch", "On a PATCH: the media types its body may be."),
        ),
    ),
    422: _ProblemResponse(
        "ValidationError",
        "A parameter or the body is not valid; `errors` says where and why.",
        "query.limit: Input should be less than or equal to 200",
        instance="/v1/companies",
    ),
    429: _ProblemResponse(
        "TooManyRequests", "Over the rate limit.", "Too many requests.", (_RETRY_AFTER,)
    ),
    503: _ProblemResponse(
        "ServiceUnavailable",
        "The database is unavailable or busy; try again shortly.",
        "The database is unavailable; try again shortly.",
        (_RETRY_AFTER,),
    ),
}
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
_RESPONSE_REF = "#/components/responses/"


def _problem_of(status: int) -> _ProblemResponse:
    phrase = HTTPStatus(status).phrase
    return _PROBLEMS.get(status) or _ProblemResponse(
        phrase.title().replace(" ", "").replace("-", ""), phrase, phrase + "."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for problem+json errors: references to the responses
    ``document_problems`` declares once."""
    return {status: {"$ref": _RESPONSE_REF + _problem_of(status).name} for status in statuses}


# The API proper: rate-limited, and answered from the database.
_EVERYWHERE_UNDER = "/v1/"


def document_problems(schema: dict[str, Any]) -> None:
    """Declare ``Problem`` (and ``FieldError``) under ``components/schemas`` and each error
    response operations refer to under ``components/responses``, in an OpenAPI document
    FastAPI made; an error response declared inline is made a reference too."""
    components = schema.setdefault("components", {})
    # pydantic nests FieldError under Problem's `$defs`, which no `$ref` of the document can
    # reach; generated with the document's ref template, every model lands at the top.
    _, definitions = models_json_schema(
        [(Problem, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components.setdefault("schemas", {}).update(definitions["$defs"])
    used: set[int] = set()
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if path.startswith(_EVERYWHERE_UNDER):
                # Any /v1 request may meet the rate limit or a database that is down.
                for status in (429, 503):
                    operation["responses"].setdefault(
                        str(status), problem_responses(status)[status]
                    )
            for code, response in operation.get("responses", {}).items():
                if not code.isdigit() or int(code) < 400:
                    continue
                if "$ref" in response or PROBLEM_JSON in response.get("content", {}):
                    status = int(code)
                    used.add(status)
                    # FastAPI sets a description beside every `$ref`; the target has its own.
                    operation["responses"][code] = {
                        "$ref": _RESPONSE_REF + _problem_of(status).name
                    }
    responses = components.setdefault("responses", {})
    for status in sorted(used):
        responses[_problem_of(status).name] = _response_component(status)


def _response_component(status: int) -> dict[str, Any]:
    problem, phrase = _problem_of(status), HTTPStatus(status).phrase
    example: dict[str, Any] = {
        "type": PROBLEM_BASE
        + ("validation-error" if status == 422 else phrase.lower().replace(" ", "-")),
        "title": phrase,
        "status": status,
        "detail": problem.example,
        "instance": problem.instance,
    }
    if status == 422:
        example["errors"] = [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 200",
                "type": "less_than_equal",
            }
        ]
    component: dict[str, Any] = {
        "description": problem.description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}, "example": example}},
    }
    if problem.headers:
        component["headers"] = {
            name: {"description": what, "schema": {"type": "string"}}
            for name, what in problem.headers
        }
    return component
