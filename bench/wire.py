"""A window terminal's keep-alive HTTP/1.1 connection, reduced to what the load needs.

Why not httpx here: the generator shares 2 cores with the server and PostgreSQL, so every
millisecond it spends per request is taken from what it measures.  Profiled with py-spy,
``httpx.AsyncClient`` cost 2-3 ms of CPU per request (a shared pool of 32 connections: several
times that, as httpcore checks every pooled connection's expiry on each request).  Writing
prepared bytes and reading ``Content-Length`` bytes back costs a small fraction of that.
httpx still does the setup requests, where speed does not matter.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class ProtocolError(Exception):
    """The server answered something this minimal client does not handle."""


class Terminal:
    """``async with Terminal(host, port, token) as t: status, body = await t.post(path, json)``."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def __aenter__(self) -> Terminal:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = b"POST %s HTTP/1.1\r\n%s%d\r\n\r\n" % (path.encode(), self.head, len(body))
        self.writer.write(request + body)
        await self.writer.drain()  # flow control for the 200 KB batch bodies
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, length = int(head[9:12]), None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" or (
                name == b"connection" and value.strip().lower() == b"close"
            ):
                raise ProtocolError(f"unexpected header {line!r}")
        if length is None:
            raise ProtocolError(f"no Content-Length in {head!r}")
        return status, await self.reader.readexactly(length)
