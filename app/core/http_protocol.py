"""uvicorn's HTTP protocol, with TCP_NODELAY set on every connection it accepts.

asyncio turns Nagle's algorithm off for a TCP connection only when the socket says it is
one (``proto == IPPROTO_TCP``). uvicorn's single process listens on sockets asyncio opens,
which do; with ``AUTOFACTS_WORKERS`` above one, uvicorn opens the listening socket itself
(``proto`` 0) and the workers inherit it, so no connection they accept gets TCP_NODELAY.
An answer written in two parts (its head, then its body) then waited for the client's
delayed ACK: 40 ms or more for every request, however cheap (at two connections, p50 went
from 1 ms to 44 ms). uvloop sets the option whatever the socket says; this does the same
on asyncio's loop, the one ``autofacts serve`` runs by default.
"""

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

NAME = "app.core.http_protocol:NoDelayHttpToolsProtocol"  # uvicorn's `http` setting


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
