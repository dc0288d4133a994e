"""OpenAPI links: which value of a response names a resource another operation acts on.

A created resource's 201 links to its item's operations (read, correct, retract), and a
few answers link to the sub-resources they list. Clients and tools follow them from one
call to the next (schemathesis' stateful phase does: created rows are then corrected and
retracted rather than guessed at).
"""

import re
from typing import Any
from urllib.parse import quote

_PARAMETER = re.compile(r"\{([^}]+)\}")
ITEM_METHODS = ("get", "patch", "delete")

# Sub-resources of a partnership are answered with the whole partnership, whose id is not
# theirs.
ANSWERED_WITH_PARENT = frozenset(
    {"/v1/partnerships/{partnership_id}/members", "/v1/partnerships/{partnership_id}/scope"}
)
# Links no path shows: (from path, method, status) -> (to path, {parameter: expression}).
# A link's value must name the row the answer is about: an answer with the parent
# partnership lists its rows in arrays, and no fixed index there is the row just created
# (`scope/0` is the oldest scope row; an exclusion lands in `excluded`), so none is linked.
EXTRA_LINKS: dict[tuple[str, str, str], list[tuple[str, dict[str, str]]]] = {
    ("/v1/partnerships", "post", "201"): [
        (f"/v1/partnerships/{{partnership_id}}/{part}", {"partnership_id": "$response.body#/id"})
        for part in ("members", "scope", "statuses")
    ],
    ("/v1/partnerships/{partnership_id}/members", "post", "201"): [
        (
            "/v1/partnerships/{partnership_id}/members/{company_slug}",
            {
                "partnership_id": "$request.path.partnership_id",
                "company_slug": "$request.body#/company",
            },
        ),
    ],
}


def document_links(document: dict[str, Any]) -> None:
    """Add the links to the OpenAPI ``document`` (in place)."""
    paths: dict[str, Any] = document.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        if path in ANSWERED_WITH_PARENT:
            continue  # the table says what names the new row
        for item_path in _items_of(path, paths):
            name = _PARAMETER.findall(item_path)[-1]
            value = "$response.body#/slug" if "slug" in name else "$response.body#/id"
            _add(created, paths, item_path, {**_same_parameters(path), name: value})
    for (path, method, status), targets in EXTRA_LINKS.items():
        response = paths[path][method]["responses"][status]
        for target, parameters in targets:
            _add(response, paths, target, parameters)


def _items_of(path: str, paths: dict[str, Any]) -> list[str]:
    """``/v1/companies/{slug}`` for ``/v1/companies``: one parameter further."""
    return [
        other
        for other in paths
        if other.startswith(path + "/{") and other.count("/") == path.count("/") + 1
    ]


def _same_parameters(path: str) -> dict[str, str]:
    return {name: f"$request.path.{name}" for name in _PARAMETER.findall(path)}


def _add(
    response: dict[str, Any], paths: dict[str, Any], target: str, parameters: dict[str, str]
) -> None:
    links = response.setdefault("links", {})
    for method in (m for m in ITEM_METHODS if m in paths[target]):
        operation = paths[target][method]
        links[_name(method, target)] = {
            "operationRef": "#/paths/" + _pointer(target) + "/" + method,
            "parameters": parameters,
            "description": f"{operation.get('summary', method.upper())}.",
        }
    if "post" in paths[target] and not any(m in paths[target] for m in ITEM_METHODS):
        links[_name("post", target)] = {
            "operationRef": "#/paths/" + _pointer(target) + "/post",
            "parameters": parameters,
            "description": f"{paths[target]['post'].get('summary', 'POST')}.",
        }


def _name(method: str, path: str) -> str:
    """``DeletePartnershipsScope`` for a DELETE of ``/v1/partnerships/{id}/scope/{id}``."""
    words = [part for part in path.split("/")[2:] if not part.startswith("{")]
    return method.capitalize() + "".join(
        word.replace("-", " ").title().replace(" ", "") for word in words
    )


def _pointer(path: str) -> str:
    """The JSON pointer of ``path`` under ``/paths``, as a URI fragment."""
    return quote(path.replace("~", "~0").replace("/", "~1"), safe="~")
