"""A lean HTTP/1.1 client for the load generators: keep-alive, one request at a time per
connection, Content-Length bodies. A general client (httpx) spends more CPU per request than
the server under test, on the same cores, and would measure itself."""

from __future__ import annotations

import asyncio


class Http(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, Content-Length bodies."""

    def __init__(self) -> None:
        self.transport = None
        self.buffer = bytearray()
        self.waiting: asyncio.Future | None = None
        self.need = -1  # bytes of the whole response, once the headers are in
        self.status = 0
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.need < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"content-length:")
            if at < 0:
                self.waiting.set_exception(ConnectionError("no content-length"))
                self.transport.close()
                return
            rest = head[at + 15 :]
            line_end = rest.find(b"\r\n")
            length = int(rest if line_end < 0 else rest[:line_end])
            self.need = end + 4 + length
            self.body_at = end + 4
        if len(self.buffer) >= self.need and self.waiting is not None:
            body = bytes(self.buffer[self.body_at : self.need])
            del self.buffer[: self.need]
            self.need = -1
            if not self.waiting.done():
                self.waiting.set_result((self.status, body))

    def send(self, request: bytes) -> asyncio.Future:
        self.waiting = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiting


async def connect(port: int, every: list | None = None, host: str = "127.0.0.1") -> Http:
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(Http, host, port)
    if every is not None:
        every.append(protocol)
    return protocol
