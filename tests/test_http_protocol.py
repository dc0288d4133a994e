"""``autofacts serve`` answers without Nagle's delay, on one worker or several
(app/core/http_protocol.py): several workers accept on a socket asyncio does not know for
TCP, and their connections had no TCP_NODELAY."""

import http.client
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.live_server import live_server

REQUESTS = 10
# With Nagle's algorithm on, each answer waited for the client's delayed ACK (40 ms on
# Linux): ten took over 400 ms. Answered from the cache they take about a millisecond
# each; the margin is for a busy host.
WITHIN_SECONDS = 0.2


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_answers_on_a_kept_alive_connection_never_wait_for_a_delayed_ack(
    tmp_path: Path, workers: str
) -> None:
    with live_server(tmp_path, f"nodelay{workers}", AUTOFACTS_WORKERS=workers) as server:
        address = urllib.parse.urlsplit(server.base_url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)

        def get() -> None:
            connection.request("GET", "/v1/companies/honda")
            response = connection.getresponse()
            response.read()
            assert response.status == 200

        get()  # the first answer is computed, then kept
        started = time.perf_counter()
        for _ in range(REQUESTS):
            get()
        elapsed = time.perf_counter() - started
        connection.close()
    assert elapsed < WITHIN_SECONDS, f"{REQUESTS} answers took {elapsed * 1000:.0f} ms"
