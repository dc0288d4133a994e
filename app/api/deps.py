"""Dependencies shared by the routers."""

import json
import re
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.core.db import SessionDep, begin_write
from app.core.errors import InvalidParameter, Unauthorized
from app.core.examples import BodyExample
from app.core.fields import MAX_ROW_ID
from app.core.http_semantics import require_json_body
from app.core.limits import is_storable_text
from app.core.ratelimit import VERIFIED_KEY
from app.services import api_keys
from app.services.writing import Idempotency, Written

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


def company_slug(example: str) -> Any:
    """The path parameter of a company's slug; ``example`` names the seed's company the
    operation's example is about."""
    return Path(
        max_length=100, pattern=SLUG_PATTERN, description="The company's slug.", examples=[example]
    )


CompanySlug = Annotated[str, company_slug("nissan")]


def row_id(description: str, *, example: int = 1) -> Any:
    """The path parameter of a row's id, as ``Annotated[int, row_id("…"), UrlInteger]``:
    an INTEGER column's positive range (a larger number cannot be a row id, and SQLite
    refuses to bind it), written in digits."""
    return Path(ge=1, le=MAX_ROW_ID, description=description, examples=[example])


def example_body(model: type[Any]) -> Any:
    """A body parameter, as ``Annotated[CompanyIn, example_body(CompanyIn)]``, declaring
    the model's ``body_example`` as the request body's one OpenAPI example: what Swagger
    UI shows and pre-fills in "Try it out" (app/core/examples.py)."""
    example: BodyExample = model.body_example
    return Body(openapi_examples={"seed": {"summary": example.summary, "value": example.value}})


# \u0000 in JSON, unless its backslash is itself escaped (an even run of backslashes).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# The JSON escape of a UTF-16 surrogate, \ud800 to \udfff: a pair is one character beyond
# U+FFFF (how ASCII-only JSON spells an emoji), a lone one is not Unicode text at all.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def reject_nul_in_body(request: Request) -> None:
    """Refuse a body holding NUL (raw, or as the JSON escape), which PostgreSQL cannot store,
    or a lone surrogate, which neither database can (it is not UTF-8).
    Starlette keeps the body it read, so the route still parses it. Every route that takes
    a body is a write, so this runs among a writer's dependencies: after its key is
    verified, before the write lock is taken and before the body is validated."""
    if request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        if b"\x00" in body or _ESCAPED_NUL.search(body):
            raise InvalidParameter("The body may not contain NUL characters.", loc=["body"])
        if _SURROGATE_ESCAPE.search(body) and _holds_lone_surrogate(body):
            raise InvalidParameter(
                "The body may not contain unpaired surrogates such as \\ud800.", loc=["body"]
            )


def _holds_lone_surrogate(body: bytes) -> bool:
    """Whether the JSON ``body`` decodes to text with a lone surrogate (decoding joins each
    pair into its character, so any surrogate left is a lone one)."""
    try:
        stack = [json.loads(body)]
    except (ValueError, RecursionError):
        return False  # not JSON: the route's own parsing says so
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not is_storable_text(value):
                return True
        elif isinstance(value, dict):
            stack += [*value, *value.values()]
        elif isinstance(value, list):
            stack += value
    return False


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A key from `autofacts create-api-key`, as `Authorization: Bearer <key>`.",
)


def require_writer(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The name of the API key the request carries; 401 without a live one.

    The first thing a write checks: it reads through the request's session before the write
    lock is taken (``get_write_session`` depends on it), so a request without a live key is
    answered at once, never after waiting behind another writer. The rate limiter may have
    verified the key already (it counts writes per verified key): its answer is taken, so
    that a key is looked up once per request."""
    state = request.scope.get("state") or {}
    if VERIFIED_KEY in state:
        name: str | None = state[VERIFIED_KEY]
    elif credentials is not None:
        name = api_keys.authenticate(session=session, key=credentials.credentials)
    else:
        name = None
    if name is None:
        raise Unauthorized("Writes need `Authorization: Bearer <key>` with a live API key.")
    return name


ActorDep = Annotated[str, Depends(require_writer)]


def get_write_session(
    session: SessionDep,
    _actor: ActorDep,
    _json: Annotated[None, Depends(require_json_body)],
    _no_nul: Annotated[None, Depends(reject_nul_in_body)],
) -> Session:
    """The request's session as the only writer (``begin_write``), once the key is verified,
    the body is declared JSON and has no NUL: nothing that will be refused waits for the
    lock. Every route that takes a body is a write, so every body is checked here."""
    begin_write(session)
    return session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        # An empty or blank header is refused, not taken for a key: every later blank-key
        # POST of the caller would otherwise replay (or, with another body, refuse) the
        # first. The pattern is searched, as JSON Schema's are: some character not a space.
        min_length=1,
        max_length=255,
        pattern=r"\S",
        description="Makes a POST safe to retry: the same key with the same body returns "
        "the first response and creates nothing; with another body it is a 422. An empty "
        "or blank key is a 422.",
    ),
]


def idempotency(request: Request, key: IdempotencyKey = None) -> Idempotency | None:
    """The request's Idempotency-Key with its method and path; the write adds its parsed
    body, which a dependency cannot see, to tell a retry from another request."""
    return None if key is None else Idempotency(key, request.method, request.url.path)


IdempotencyDep = Annotated[Idempotency | None, Depends(idempotency)]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="The ETag the change is based on; a stale one is a 412.",
    ),
]


def to_response(written: Written) -> Response:
    media_type = "application/json" if written.body else None
    return Response(
        written.body or None, written.status, headers=written.headers, media_type=media_type
    )
