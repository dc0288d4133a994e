"""The write contract: a key is checked before anything waits, what the API serves can be
sent back, and identifiers and headers cannot be read two ways. Each test writes to a
seeded database of its own."""

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlmodel import Session

from app.core.db import begin_write
from tests.conftest import Curator
from tests.helpers import assert_problem, changes_since, feed_end

SOURCE = "2025-11-14-honda-nissan"
BYD_QUOTE = "Chinese manufacturers like BYD are gaining ground with aggressive pricing"
AVENUES_QUOTE = "Among the avenues mentioned are co-development of platforms"
# A write that waits for the lock on SQLite gives up after the busy timeout (5 s); one
# refused before the lock answers in well under a second even on a loaded machine.
PROMPT_SECONDS = 2.0


def _company(slug: str = "chinese-manufacturers", **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "slug": slug,
        "name": "Chinese manufacturers",
        "country": "CN",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [{"source": SOURCE, "quote": BYD_QUOTE}],
    }
    return body | overrides


@contextmanager
def write_lock_held(curator: Curator) -> Iterator[Session]:
    """Another writer, holding the write lock (``begin_write``) until the block ends."""
    with Session(curator.engine) as other:
        begin_write(other)
        try:
            yield other
        finally:
            other.rollback()


# -- authentication first ----------------------------------------------------------------------


def test_a_keyless_write_is_refused_without_waiting_for_the_lock(curator: Curator) -> None:
    with write_lock_held(curator):
        for headers in ({}, {"Authorization": "Bearer af_000000000000_forged"}):
            started = time.monotonic()
            response = curator.client.post("/v1/companies", json=_company(), headers=headers)
            assert_problem(response, 401)
            assert time.monotonic() - started < PROMPT_SECONDS
        # Nor does a body the route would refuse, nor one a NUL makes unstorable: the key
        # is checked first.
        for body in ({"slug": 1}, {"slug": "a\u0000b"}):
            response = curator.client.post("/v1/companies", json=body)
            assert_problem(response, 401)
        response = curator.client.patch("/v1/companies/nissan", json={"name": "N"})
        assert_problem(response, 401)


def test_a_keyed_write_still_waits_for_the_lock(curator: Curator) -> None:
    answers: list[httpx.Response] = []

    def write() -> None:
        answers.append(
            curator.client.post("/v1/companies", json=_company(), headers=curator.headers)
        )

    with write_lock_held(curator):
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the keyed write did not wait for the lock"
    writer.join(30)
    assert [a.status_code for a in answers] == [201], answers[0].text if answers else None


# -- a body is JSON, and says so ---------------------------------------------------------------

# (path, body, what it writes to) of writes of several resources: each body one the write
# takes as JSON.
POSTS = [
    ("/v1/companies", _company(), "/v1/companies"),
    ("/v1/sources", {"slug": "a-note", "title": "A note", "published_on": "2025-12-01",
     "text": "An article filed as a note."}, "/v1/sources"),
    ("/v1/partnerships/1/scope", {"area": "platform co-development", "certainty": "reported",
     "citations": [{"source": SOURCE, "quote": AVENUES_QUOTE}]}, "/v1/partnerships/1"),
]  # fmt: skip
PATCHES = [
    (path, body, path)
    for path, body in (
        ("/v1/companies/nissan", {"name": "Nissan Motor"}),
        ("/v1/sources/2025-11-14-honda-nissan", {"title": "Honda and Nissan, again"}),
        ("/v1/partnerships/1", {"notes": "Corrected."}),
    )
]
NOT_DECLARED_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",  # what curl sends with -d
    "text/json",
    "application/jsonx",
    None,  # a body with no Content-Type
]


def _send(
    curator: Curator, method: str, path: str, body: object, content_type: str | None
) -> httpx.Response:
    headers = dict(curator.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return curator.client.request(method, path, content=json.dumps(body), headers=headers)


def _refused_unwritten(
    curator: Curator,
    method: str,
    path: str,
    body: object,
    content_type: str | None,
    written: str,
) -> httpx.Response:
    """``body`` sent as ``content_type``: a 415 that changes nothing (``written``, the
    resource or list the write would change, reads the same)."""
    since = feed_end(curator.client)
    before, counts = curator.client.get(written), curator.counts()
    assert before.status_code == 200
    response = _send(curator, method, path, body, content_type)
    problem = assert_problem(response, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert problem["instance"] == path
    assert repr(content_type) in problem["detail"] if content_type else "none" in problem["detail"]
    assert curator.counts() == counts
    assert changes_since(curator.client, since) == []
    assert curator.client.get(written).json() == before.json()
    return response


@pytest.mark.parametrize("content_type", NOT_DECLARED_JSON)
@pytest.mark.parametrize(("path", "body", "written"), POSTS)
def test_a_post_whose_body_is_not_declared_json_is_415(
    curator: Curator, path: str, body: object, written: str, content_type: str | None
) -> None:
    """The body may be right in every field: what is wrong is how it is labelled, which
    FastAPI's 422 ("Input should be a valid dictionary") does not say."""
    response = _refused_unwritten(curator, "POST", path, body, content_type, written)
    assert response.headers["Accept-Post"] == "application/json"
    assert "Accept-Patch" not in response.headers
    # Labelled as what it is, the same bytes are taken.
    assert _send(curator, "POST", path, body, "application/json").status_code == 201


@pytest.mark.parametrize("content_type", NOT_DECLARED_JSON)
@pytest.mark.parametrize(("path", "body", "written"), PATCHES)
def test_a_patch_whose_body_is_not_declared_json_is_415(
    curator: Curator, path: str, body: object, written: str, content_type: str | None
) -> None:
    response = _refused_unwritten(curator, "PATCH", path, body, content_type, written)
    accepted = "application/merge-patch+json, application/json"
    assert response.headers["Accept-Patch"] == accepted  # RFC 5789 §2.2
    assert "Accept-Post" not in response.headers
    assert accepted.split(", ")[0] in response.json()["detail"]
    assert _send(curator, "PATCH", path, body, "application/merge-patch+json").status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json;charset=utf-8",
        "application/json; charset=UTF-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/merge-patch+json; charset=utf-8",
        "application/vnd.autofacts+json",
    ],
)
def test_json_is_taken_as_any_json_media_type(curator: Curator, content_type: str) -> None:
    since = feed_end(curator.client)
    slug = "chinese-manufacturers"
    created = _send(curator, "POST", "/v1/companies", _company(slug), content_type)
    assert created.status_code == 201, created.text
    renamed = {"name": "Chinese automakers"}
    patched = _send(curator, "PATCH", f"/v1/companies/{slug}", renamed, content_type)
    assert patched.status_code == 200, patched.text
    assert curator.client.get(f"/v1/companies/{slug}").json()["name"] == renamed["name"]
    assert [c["operation"] for c in changes_since(curator.client, since)] == ["create", "update"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_a_write_without_a_body_is_still_the_422_naming_it(
    curator: Curator, content_type: str | None
) -> None:
    """No body has no media type to refuse: the route's 422 says that one is required."""
    before = curator.counts()
    headers = dict(curator.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    for method, path in (("POST", "/v1/companies"), ("PATCH", "/v1/companies/nissan")):
        response = curator.client.request(method, path, headers=headers)
        problem = assert_problem(response, 422, field="body")
        assert problem["errors"][0]["type"] == "missing"
    assert curator.counts() == before


def test_the_key_is_checked_before_the_media_type(curator: Curator) -> None:
    for method, (path, body, _) in (("POST", POSTS[0]), ("PATCH", PATCHES[0])):
        response = curator.client.request(
            method, path, content=json.dumps(body), headers={"Content-Type": "text/plain"}
        )
        assert_problem(response, 401)


def test_every_operation_with_a_body_declares_its_415(curator: Curator) -> None:
    document = curator.client.get("/openapi.json").json()
    declared = document["components"]["responses"]["UnsupportedMediaType"]
    assert set(declared["headers"]) == {"Accept-Post", "Accept-Patch"}
    bodies = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert {method for _, method, _ in bodies} == {"post", "patch"}
    for path, method, operation in bodies:
        reference = operation["responses"].get("415")
        assert reference == {"$ref": "#/components/responses/UnsupportedMediaType"}, (
            method,
            path,
        )
    without = [op for item in document["paths"].values() for op in item.values()]
    assert all("415" not in op["responses"] for op in without if "requestBody" not in op)


# -- Idempotency-Key ---------------------------------------------------------------------------


def test_an_empty_idempotency_key_is_refused_naming_the_header(curator: Curator) -> None:
    before = curator.counts()
    for blank in ("", " "):
        headers = curator.headers | {"Idempotency-Key": blank}
        response = curator.client.post("/v1/companies", json=_company(), headers=headers)
        body = assert_problem(response, 422)
        assert [e["loc"] for e in body["errors"]] == [["header", "Idempotency-Key"]], body
    assert curator.counts() == before
    # A key is still a key.
    headers = curator.headers | {"Idempotency-Key": "k1"}
    first = curator.client.post("/v1/companies", json=_company(), headers=headers)
    again = curator.client.post("/v1/companies", json=_company(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()


def test_the_idempotency_key_is_documented_as_non_empty(curator: Curator) -> None:
    document = curator.client.get("/openapi.json").json()
    operation = document["paths"]["/v1/companies"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    schema = header["schema"]
    variants = schema.get("anyOf", [schema])
    [string] = [v for v in variants if v.get("type") == "string"]
    assert (string["minLength"], string["maxLength"]) == (1, 255)


# -- slugs that could be read as ids -----------------------------------------------------------


def _article(slug: str) -> dict[str, object]:
    return {
        "slug": slug,
        "title": "A note",
        "published_on": "2025-12-01",
        "text": f"An article filed as {slug}.",
    }


@pytest.mark.parametrize("slug", ["1", "2025", "0042"])
def test_a_source_slug_of_digits_alone_is_refused(curator: Curator, slug: str) -> None:
    """/v1/sources/{id-or-slug} reads digits as an id: a source named "1" would be hidden
    behind source 1, and search would link it there."""
    before = curator.counts()
    response = curator.client.post("/v1/sources", json=_article(slug), headers=curator.headers)
    body = assert_problem(response, 422, field="slug")
    assert "reads as a source id" in response.text, body
    assert curator.counts() == before


@pytest.mark.parametrize("slug", ["1-2", "2025-12-01-note", "v2", "a"])
def test_a_source_slug_with_a_letter_or_a_hyphen_is_taken(curator: Curator, slug: str) -> None:
    response = curator.client.post("/v1/sources", json=_article(slug), headers=curator.headers)
    assert response.status_code == 201, response.text
    source = curator.client.get(f"/v1/sources/{slug}").json()
    assert (source["slug"], source["id"]) == (slug, response.json()["id"])


def test_a_source_slug_cannot_be_changed_by_a_patch(curator: Curator) -> None:
    response = curator.client.patch(
        f"/v1/sources/{SOURCE}", json={"slug": "1"}, headers=curator.headers
    )
    assert_problem(response, 422, field="slug")


def test_the_source_slug_pattern_is_documented_and_refuses_digits(curator: Curator) -> None:
    schemas = curator.client.get("/openapi.json").json()["components"]["schemas"]
    documented = schemas["SourceCreate"]["properties"]["slug"]["pattern"]
    # JSON Schema patterns are ECMA-262: there `$` is the end of the text, Python's `\Z`.
    pattern = re.compile(documented.removesuffix("$") + r"\Z")
    assert [
        s for s in ("1", "2025", "a", "1-2", "2025-11-14-honda-nissan") if pattern.search(s)
    ] == [
        "a",
        "1-2",
        "2025-11-14-honda-nissan",
    ]
    assert not pattern.search("Honda") and not pattern.search("a-") and not pattern.search("a\n")
    response = curator.client.post("/v1/sources", json=_article("a\n"), headers=curator.headers)
    assert_problem(response, 422, field="slug")


# -- citations as served -----------------------------------------------------------------------


def _nissan_citations(curator: Curator) -> list[dict[str, object]]:
    """Nissan's citations as served: a company's detail embeds them, a list on request."""
    response = curator.client.get("/v1/companies/nissan")
    assert response.status_code == 200, response.text
    citations: list[dict[str, object]] = response.json()["citations"]
    assert citations and all("source_id" in c and "source" not in c for c in citations)
    listed = curator.client.get(
        "/v1/companies", params={"include": "citations", "limit": 200}
    ).json()["data"]
    assert [c["citations"] for c in listed if c["slug"] == "nissan"] == [citations]
    return citations


def test_a_companys_citations_as_served_are_taken_back(curator: Curator) -> None:
    """The round trip a client makes: read a fact with its citations, post them back."""
    served = _nissan_citations(curator)
    body = _company("nissan-again", name="Nissan again", citations=served)
    response = curator.client.post("/v1/companies", json=body, headers=curator.headers)
    assert response.status_code == 201, response.text
    assert response.json()["citations"] == served
    # And as a PATCH: the company's own citations, sent back, are taken as they are.
    etag = curator.client.get("/v1/companies/nissan").headers["ETag"]
    response = curator.client.patch(
        "/v1/companies/nissan",
        json={"citations": served},
        headers=curator.headers | {"If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert _nissan_citations(curator) == served


def _source_id(curator: Curator) -> int:
    source_id: int = curator.client.get(f"/v1/sources/{SOURCE}").json()["id"]
    return source_id


@pytest.mark.parametrize(
    "naming",
    [
        pytest.param(lambda i: {"source": SOURCE}, id="source-slug"),
        pytest.param(lambda i: {"source": i}, id="source-integer"),
        pytest.param(lambda i: {"source": str(i)}, id="source-digits"),
        pytest.param(lambda i: {"source_id": i}, id="source_id"),
        pytest.param(lambda i: {"source": SOURCE, "source_id": i}, id="both-agreeing"),
    ],
)
def test_a_citation_names_its_source_by_slug_or_id(curator: Curator, naming: object) -> None:
    source_id = _source_id(curator)
    citation = naming(source_id) | {"quote": BYD_QUOTE}  # type: ignore[operator]
    response = curator.client.post(
        "/v1/companies", json=_company(citations=[citation]), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    [stored] = response.json()["citations"]
    assert (stored["source_id"], stored["quote"]) == (source_id, BYD_QUOTE)


def test_a_citation_naming_two_sources_is_refused(curator: Curator) -> None:
    other = curator.client.post(
        "/v1/sources", json=_article("2025-12-01-note"), headers=curator.headers
    )
    assert other.status_code == 201, other.text
    before = curator.counts()
    for citation in (
        {"source": SOURCE, "source_id": other.json()["id"]},
        {"source": _source_id(curator), "source_id": other.json()["id"]},
    ):
        body = _company(citations=[citation | {"quote": BYD_QUOTE}])
        response = curator.client.post("/v1/companies", json=body, headers=curator.headers)
        problem = assert_problem(response, 422, field="source_id")
        assert "differ" in response.text, problem
    assert curator.counts() == before


@pytest.mark.parametrize(
    ("citation", "field"),
    [
        pytest.param({"quote": BYD_QUOTE}, "citations", id="no-source"),
        pytest.param({"source_id": 999_999, "quote": BYD_QUOTE}, "source_id", id="no-such-id"),
        pytest.param({"source": "999999", "quote": BYD_QUOTE}, "source", id="no-such-digits"),
        pytest.param({"source_id": "1", "quote": BYD_QUOTE}, "source_id", id="id-as-string"),
        pytest.param({"source": True, "quote": BYD_QUOTE}, "source", id="boolean"),
        pytest.param({"source": None, "quote": BYD_QUOTE}, "source", id="null"),
        pytest.param(
            {"source": SOURCE, "quote": BYD_QUOTE, "start_offset": 0}, "citations", id="half-span"
        ),
    ],
)
def test_a_citation_without_a_source_is_refused(
    curator: Curator, citation: dict[str, object], field: str
) -> None:
    response = curator.client.post(
        "/v1/companies", json=_company(citations=[citation]), headers=curator.headers
    )
    body = assert_problem(response, 422)
    assert any(field in error["loc"] for error in body["errors"]), body


def test_offsets_given_must_be_where_the_quote_is(curator: Curator) -> None:
    """A citation points at its quote's first occurrence (the facts file, which holds no
    offsets, re-creates it there): offsets sent back as served confirm it, others are
    refused rather than silently moved."""
    text = curator.client.get(f"/v1/sources/{SOURCE}").json()["text"]
    first = text.index("Nissan")
    second = text.index("Nissan", first + 1)
    cited = {"source": SOURCE, "quote": "Nissan"}
    span = {"start_offset": first, "end_offset": first + len("Nissan")}
    response = curator.client.post(
        "/v1/companies", json=_company(citations=[cited | span]), headers=curator.headers
    )
    assert response.status_code == 201, response.text
    [stored] = response.json()["citations"]
    assert (stored["start_offset"], stored["end_offset"]) == (first, first + len("Nissan"))
    before = curator.counts()
    for wrong in ((second, second + len("Nissan")), (first, first + 3)):
        offsets = {"start_offset": wrong[0], "end_offset": wrong[1]}
        response = curator.client.post(
            "/v1/companies",
            json=_company("elsewhere", citations=[cited | offsets]),
            headers=curator.headers,
        )
        assert_problem(response, 422, field="start_offset")
    assert curator.counts() == before


def test_the_citation_schema_says_what_is_taken(curator: Curator) -> None:
    schemas = curator.client.get("/openapi.json").json()["components"]["schemas"]
    citation = schemas["CitationIn"]
    # Not neither of source and source_id: one of them at least.
    assert citation["not"] == {"properties": {"source": {"not": {}}, "source_id": {"not": {}}}}
    assert citation["dependentRequired"] == {
        "start_offset": ["end_offset"],
        "end_offset": ["start_offset"],
    }
    assert citation["required"] == ["quote"]
    properties = citation["properties"]
    assert set(properties) == {"source", "source_id", "quote", "start_offset", "end_offset"}
    source_types = [variant["type"] for variant in properties["source"]["anyOf"]]
    assert source_types == ["integer", "string"]  # never null: a field is left out instead
    assert properties["source_id"]["type"] == "integer"
    # What the schema accepts is what the server accepts, judged by a JSON Schema validator.
    validator = Draft202012Validator(citation)
    accepted = [
        {"source": SOURCE, "quote": "q"},
        {"source": 1, "quote": "q"},
        {"source_id": 1, "quote": "q", "start_offset": 0, "end_offset": 1},
    ]
    refused = [
        {"quote": "q"},
        {"source": None, "quote": "q"},
        {"source_id": 1, "quote": "q", "start_offset": 0},
        {"source_id": 1, "quote": "q", "page": 2},
    ]
    assert [validator.is_valid(c) for c in accepted + refused] == [True] * 3 + [False] * 4


# -- a patch that restates the resource --------------------------------------------------------

# (the resource's URL, the URL a PATCH goes to, the fields of the GET a patch sends back)
RESTATED = [
    ("/v1/companies/honda", None, ("name", "country", "kind", "description", "certainty")),
    ("/v1/partnerships/3", None, ("title", "notes", "certainty", "citations")),
    ("/v1/companies/honda/plants/1", None, ("name", "city", "region", "country", "citations")),
    ("/v1/partnerships/3", "/v1/partnerships/3/scope/3", ()),
    ("/v1/statements/1", None, ("quote", "speech", "about_partnership", "citations")),
    ("/v1/executives/ivan-espinosa", None, ("name", "certainty")),
    ("/v1/tariffs/1", None, ("rate_pct", "previous_rate_pct", "certainty", "citations")),
]


@pytest.mark.parametrize(("path", "patched", "fields"), RESTATED)
def test_a_patch_that_restates_the_resource_changes_nothing(
    curator: Curator, path: str, patched: str | None, fields: tuple[str, ...]
) -> None:
    """A merge patch that leaves the representation as it is is no correction: no new
    version, no change-log entry, and the same ETag, so a client holding it is not told
    its copy is stale."""
    old = curator.client.get(path)
    assert old.status_code == 200, old.text
    body = {name: old.json()[name] for name in fields}
    if patched is not None:  # a scope row, as its partnership shows it
        scope = next(row for row in old.json()["scope"] if row["id"] == 3)
        body = {name: scope[name] for name in ("area", "certainty", "citations")}
    before = curator.counts()
    since = feed_end(curator.client)
    headers = curator.headers | {"If-Match": old.headers["ETag"]}
    for _ in range(2):
        response = curator.client.patch(patched or path, json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == old.headers["ETag"]
        assert response.json() == old.json()
    assert curator.counts() == before
    assert changes_since(curator.client, since) == []
    again = curator.client.get(path)
    assert again.headers["ETag"] == old.headers["ETag"] and again.json() == old.json()


def test_a_patch_restating_some_fields_corrects_only_the_others(curator: Curator) -> None:
    path = "/v1/companies/honda/plants/1"
    old = curator.client.get(path)
    since = feed_end(curator.client)
    body = {"city": "Marysville", "region": "Central Ohio"}
    response = curator.client.patch(path, json=body, headers=curator.headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] != old.headers["ETag"]
    [change] = changes_since(curator.client, since)
    changed = {
        name
        for name, value in change["after"].items()
        if change["before"].get(name) != value and name != "recorded_from"
    }
    assert changed == {"region"}


# -- create and update take the same values ----------------------------------------------------

# Each create body with the patch that corrects what it made, by their OpenAPI names.
CREATE_AND_UPDATE = [
    ("CompanyIn", "CompanyUpdate"),
    ("PlanIn", "RestructuringPlanUpdate"),
    ("ResultIn", "FinancialResultUpdate"),
    ("PlantIn", "PlantUpdate"),
    ("ExecutiveIn", "ExecutiveUpdate"),
    ("RoleIn", "ExecutiveRoleUpdate"),
    ("PartnershipIn", "PartnershipUpdate"),
    ("ScopeIn", "PartnershipScopeUpdate"),
    ("SourceCreate", "SourceUpdate"),
    ("StatementIn", "StatementUpdate"),
    ("TariffIn", "TariffUpdate"),
    ("ImpactIn", "TariffImpactUpdate"),
]
_CONSTRAINTS = ("maxLength", "minLength", "pattern", "minimum", "maximum", "minItems", "format")


def _constraints(schema: dict[str, object]) -> dict[str, object]:
    """What a property's schema requires of a value, whatever null or default it allows."""
    found = {key: schema[key] for key in _CONSTRAINTS if key in schema}
    for branch in schema.get("anyOf", ()):  # type: ignore[attr-defined]
        if branch != {"type": "null"}:
            found |= _constraints(branch)
    return found


@pytest.mark.parametrize(("create", "update"), CREATE_AND_UPDATE)
def test_a_patch_takes_what_a_create_takes(curator: Curator, create: str, update: str) -> None:
    """A client that reads a resource and sends a field back must not be refused a value
    the resource was created with, nor create one it could never send back."""
    schemas = curator.client.get("/openapi.json").json()["components"]["schemas"]
    created, patched = schemas[create]["properties"], schemas[update]["properties"]
    for name in created.keys() & patched.keys():
        if name in ("citations", "amount"):  # their item schemas are compared by name
            continue
        assert _constraints(created[name]) == _constraints(patched[name]), (create, name)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/companies", _company(), "description"),
        (
            "/v1/partnerships",
            {
                "slug": "long-notes",
                "title": "Long notes",
                "members": ["honda"],
                "certainty": "reported",
                "citations": [{"source": SOURCE, "quote": BYD_QUOTE}],
                "statuses": [
                    {
                        "status": "proposed",
                        "certainty": "reported",
                        "citations": [{"source": SOURCE, "quote": BYD_QUOTE}],
                    }
                ],
            },
            "notes",
        ),
    ],
)
def test_a_create_refuses_the_text_a_patch_refuses(
    curator: Curator, path: str, body: dict[str, object], field: str
) -> None:
    before = curator.counts()
    too_long = curator.client.post(path, json=body | {field: "x" * 10_001}, headers=curator.headers)
    assert_problem(too_long, 422, field=field)
    assert curator.counts() == before
    # The longest text taken is sent back unchanged by a read-modify-write.
    created = curator.client.post(path, json=body | {field: "x" * 10_000}, headers=curator.headers)
    assert created.status_code == 201, created.text
    read = curator.client.get(created.headers["Location"])
    sent_back = curator.client.patch(
        created.headers["Location"],
        json={field: read.json()[field]},
        headers=curator.headers | {"If-Match": read.headers["ETag"]},
    )
    assert sent_back.status_code == 200, sent_back.text
