"""The explorer's pages under ``make bench``: per page, the bytes a browser is sent and
how long the server takes to answer, from the response cache and computed.

``measure(base_url)`` finds one item of each resource through the API (the data set is
whatever the server holds), then asks each page 20 times in a row: the same URL (a cache
hit after the first) and, for the computed time, the URL with a query parameter the page
ignores and no two requests share (the response cache is keyed by the query, so each
misses). Times are medians in ms on the loopback: what the server takes, plus a local
round trip.
"""

import json
import statistics
import sys
import time
import urllib.parse
import urllib.request
from typing import Any

SAMPLES = 20


def _fetch(url: str) -> tuple[int, int]:
    """The status, and the bytes sent: the body and the header lines."""
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        head = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
        return response.status, len(body) + head


def _first(base_url: str, path: str, key: str) -> Any:
    """The ``key`` of the first item of the list at ``path``; None when it is empty."""
    with urllib.request.urlopen(f"{base_url}{path}?limit=1", timeout=30) as response:
        data = json.load(response)["data"]
        return data[0][key] if data else None


def _median_ms(urls: list[str]) -> float:
    samples = []
    for url in urls:
        started = time.perf_counter()
        _fetch(url)
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


# Each page measured: the list its item is taken from, the item's key, its page.
_ITEMS = (
    ("company", "/v1/companies", "slug", "/companies/{}"),
    ("source", "/v1/sources", "slug", "/sources/{}"),
    ("partnership", "/v1/partnerships", "id", "/partnerships/{}"),
    ("executive", "/v1/executives", "slug", "/executives/{}"),
    ("tariff", "/v1/tariffs", "id", "/tariffs/{}"),
    ("plan", "/v1/restructuring-plans", "id", "/restructuring-plans/{}"),
    ("statement", "/v1/statements", "id", "/statements/{}"),
)


def page_paths(base_url: str) -> dict[str, str]:
    """One page of each kind the server holds an item of (a data set may have none)."""
    paths = {"home": "/"}
    for name, api, key, page in _ITEMS:
        item = _first(base_url, api, key)
        if item is not None:
            paths[name] = page.format(item)
    company = _first(base_url, "/v1/companies", "name")
    if company:
        paths["search"] = f"/search?q={urllib.parse.quote(company.split()[0])}"
    return paths


def measure(base_url: str) -> dict[str, dict[str, float]]:
    """Per page: ``bytes`` sent, ``cached_ms`` and ``uncached_ms`` (medians)."""
    results = {}
    for name, path in page_paths(base_url).items():
        url = base_url + path
        status, size = _fetch(url)
        assert status == 200, (url, status)
        joiner = "&" if "?" in path else "?"
        results[name] = {
            "bytes": size,
            "cached_ms": _median_ms([url] * SAMPLES),
            "uncached_ms": _median_ms(
                [f"{url}{joiner}bench={time.time_ns()}-{i}" for i in range(SAMPLES)]
            ),
        }
    return results


if __name__ == "__main__":
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    print(json.dumps(measure(base), indent=1))
