"""``RequestReader``: turn a connection's bytes into requests, with httptools (llhttp).

The parser is fed only when someone needs more: the next request's head, or more of
the current request's body. Pipelined requests queue up in order. Every protocol error
becomes a ``Request`` carrying the status to answer with, so the connection answers it
in its turn and closes.
"""
from __future__ import annotations

from collections import deque
from time import monotonic

import httptools

# Transfer-codings a request may use: anything else is 501 (RFC 9112, 6.1).
_KNOWN_CODINGS = {b"chunked"}


class Request:
    """One request's head, and its body as it arrives."""

    __slots__ = ("method", "url", "version", "headers", "header_bytes", "keep_alive", "upgrade", "chunks",
                 "complete", "error", "error_reason", "expect_continue", "discard", "started")

    def __init__(self) -> None:
        self.method = b""
        self.url = bytearray()
        self.version = "1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.keep_alive = False
        self.upgrade = False
        self.chunks: deque[bytes] = deque()
        self.complete = False
        self.error = 0  # an HTTP status to answer instead of running the application
        self.error_reason = ""
        self.expect_continue = False
        self.discard = False  # the application is done with it: drop the rest of the body
        self.started = monotonic()


class ProtocolError(Exception):
    """Raised inside a parser callback to stop parsing with a status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RequestReader:
    """Reads requests from ``sock``; see the module docstring."""

    def __init__(self, sock, max_request_line: int, max_header_bytes: int, max_headers: int) -> None:
        self.sock = sock
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.parser = httptools.HttpRequestParser(self)
        self.ready: deque[Request] = deque()  # heads complete, in order
        self.current: Request | None = None  # the request the parser is in
        self.broken = False  # a parse error: no more requests after the queued ones
        self.eof = False
        self.upgrade_data = b""  # bytes after an upgrade request's head
        self.buffer = bytearray(65536)
        self.received_any = False  # bytes of a request that is not yet queued

    # -- parser callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.current = Request()
        self.received_any = True

    def on_url(self, url: bytes) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        request.url += url
        if len(request.url) > self.max_request_line:
            raise ProtocolError(414, "request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        request.headers.append((name, value))
        request.header_bytes += len(name) + len(value) + 4
        if len(request.headers) > self.max_headers:
            raise ProtocolError(431, f"more than {self.max_headers} headers")
        if request.header_bytes > self.max_header_bytes:
            raise ProtocolError(431, f"headers over {self.max_header_bytes} bytes")
        lower = name.lower()
        if lower == b"transfer-encoding":
            codings = [c.strip().lower() for c in value.split(b",")]
            if any(c not in _KNOWN_CODINGS for c in codings):
                raise ProtocolError(501, f"Transfer-Encoding {value.decode('latin-1')!r} is not implemented")
        elif lower == b"expect" and value.lower() == b"100-continue":
            request.expect_continue = True

    def on_headers_complete(self) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        parser = self.parser
        request.method = parser.get_method()
        request.version = parser.get_http_version()
        request.keep_alive = parser.should_keep_alive()
        request.upgrade = parser.should_upgrade()
        if not request.version.startswith("1."):
            raise ProtocolError(505, f"HTTP/{request.version} is not supported")
        self.ready.append(request)
        self.received_any = False

    def on_body(self, body: bytes) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        if not request.discard:
            request.chunks.append(body)

    def on_message_complete(self) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        request.complete = True

    # -- reading ---------------------------------------------------------------------------------
    def feed(self, data) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as e:
            self.upgrade_data = bytes(data[e.args[0]:]) if e.args else b""
        except httptools.HttpParserCallbackError as e:
            cause = e.__context__
            if isinstance(cause, ProtocolError):
                self._fail(cause.status, cause.reason)
            else:
                raise
        except httptools.HttpParserError as e:
            text = str(e)
            status = 505 if "HTTP version" in text else 400
            self._fail(status, text)

    def _fail(self, status: int, reason: str) -> None:
        request = self.current
        assert request is not None  # the parser calls on_message_begin first
        if request is None or request.complete:
            request = Request()  # the error is in bytes after the last complete request
        request.error, request.error_reason = status, reason
        if request not in self.ready:
            self.ready.append(request)
        self.broken = True

    def read_more(self, timeout: float | None) -> bool:
        """Receive once and feed the parser; False at EOF. Raises TimeoutError."""
        sock = self.sock
        sock.settimeout(timeout)
        n = sock.recv_into(self.buffer)
        if not n:
            self.eof = True
            return False
        self.feed(memoryview(self.buffer)[:n])
        return True
