"""``Response``: ``start_response``, ``write`` and the framing of one response.

The head is held back until the first non-empty body bytes (or the end of the body), as
PEP 3333 asks, and goes out in the same ``send`` as them. The framing is chosen then:
the application's Content-Length; else a Content-Length the server can count (a body of
one piece); else chunked on HTTP/1.1; else the body ends when the connection closes.
"""
from __future__ import annotations

import os
import re
from email.utils import formatdate
from http import HTTPStatus
from time import time

from .filewrapper import FileWrapper

_STATUS = re.compile(r"[1-9]\d\d( [^\r\n\x00]*)?\Z")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_HOP_BY_HOP = {"transfer-encoding", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"}

_date: list = [0, b""]


def http_date() -> bytes:
    """The Date header's value, made once per second."""
    now = int(time())
    if _date[0] != now:
        _date[0] = now
        _date[1] = formatdate(now, usegmt=True).encode("latin-1")
    return _date[1]


def error_page(status: int, reason: str = "") -> bytes:
    """A short plain-text response that closes the connection (it reveals nothing else)."""
    phrase = HTTPStatus(status).phrase
    body = f"{status} {phrase}\n".encode()
    return (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode("latin-1") + \
        b"Date: " + http_date() + b"\r\n\r\n" + body


class Response:
    """One response on a connection; ``start_response`` and ``write`` are PEP 3333's."""

    __slots__ = ("sock", "head_only", "version", "status", "code", "headers", "headers_sent", "chunked",
                 "length", "sent", "keep_alive", "no_body")

    def __init__(self, sock, method: bytes, version: str, keep_alive: bool) -> None:
        self.sock = sock
        self.head_only = method == b"HEAD"
        self.version = version
        self.status: str | None = None
        self.code = 0
        self.headers: list = []
        self.headers_sent = False
        self.chunked = False
        self.length: int | None = None
        self.sent = 0
        self.keep_alive = keep_alive
        self.no_body = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response() was called a second time without exc_info")
        if not isinstance(status, str) or not _STATUS.match(status):
            raise ValueError(f"status must be a str such as '200 OK', not {status!r}")
        if not isinstance(headers, list):
            raise TypeError(f"headers must be a list of (name, value) tuples, not {type(headers).__name__}")
        for header in headers:
            if not (isinstance(header, tuple) and len(header) == 2 and isinstance(header[0], str)
                    and isinstance(header[1], str)):
                raise TypeError(f"each header must be a (str, str) tuple, not {header!r}")
            name, value = header
            if not _TOKEN.match(name):
                raise ValueError(f"header name {name!r} is not a valid token")
            if _BAD_VALUE.search(value):
                raise ValueError(f"header {name!r} has a CR, LF or NUL in its value")
            if name.lower() in _HOP_BY_HOP:
                raise ValueError(f"header {name!r} is hop-by-hop: the server sets it, not the application")
        self.status = status
        self.code = int(status[:3])
        self.headers = headers
        return self.write

    # -- the body ------------------------------------------------------------------------------------
    def write(self, data) -> None:
        """PEP 3333's ``write()`` callable, and every body piece the application yields."""
        if self.status is None:
            raise AssertionError("write() was called before start_response()")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"response body data must be bytes, not {type(data).__name__}")
        if not self.headers_sent:
            self._send_head(data, complete=False)
        elif data and not self.no_body:
            self._send_piece(data)

    def _send_piece(self, data) -> None:
        n = len(data)
        if self.chunked:
            self.sock.sendall(b"%x\r\n%b\r\n" % (n, data))
        else:
            if self.length is not None and self.sent + n > self.length:
                data = data[:max(0, self.length - self.sent)]
                n = len(data)
                self.keep_alive = False  # the application said less than it sent
            self.sock.sendall(data)
        self.sent += n

    def send_iterable(self, result) -> None:
        """Send what the application returned, then end the body."""
        if type(result) is FileWrapper and self._sendfile(result):
            return
        complete = isinstance(result, (list, tuple)) and len(result) == 1
        for data in result:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(f"the application must yield bytes, not {type(data).__name__}")
            if not data:
                continue
            if self.status is None:
                raise AssertionError("the application returned a body without calling start_response()")
            if self.headers_sent:
                if not self.no_body:
                    self._send_piece(data)
            else:
                self._send_head(data, complete=complete)
        self.finish()

    def finish(self) -> None:
        if self.status is None:
            raise AssertionError("the application returned without calling start_response()")
        if not self.headers_sent:
            self._send_head(b"", complete=True)
        elif self.chunked:
            self.sock.sendall(b"0\r\n\r\n")
        if self.length is not None and self.sent < self.length and not self.no_body:
            self.keep_alive = False  # the client waits for bytes that will never come

    def _sendfile(self, wrapper: FileWrapper) -> bool:
        """Send a real file with ``sendfile``; False to iterate it instead."""
        f = wrapper.filelike
        if self.status is None or self.headers_sent or not hasattr(f, "fileno"):
            return False
        try:
            fd = f.fileno()
            offset = f.tell() if hasattr(f, "tell") else 0
            size = os.fstat(fd).st_size - offset
        except (OSError, ValueError):
            return False
        self._send_head(b"", complete=False, length=size)
        if not self.no_body:
            count = self.length if self.length is not None else size
            self.sent = self.sock.sendfile(f, offset, count)
        self.finish()
        return True

    # -- the head --------------------------------------------------------------------------------------
    def _send_head(self, first, complete: bool, length: int | None = None) -> None:
        code = self.code
        self.no_body = self.head_only or code in (204, 304) or code < 200
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        connection = None
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                try:
                    self.length = int(value)
                except ValueError:
                    raise ValueError(f"Content-Length must be a number, not {value!r}") from None
                continue  # written once, below
            elif lower == "connection":
                connection = value.lower()
                if connection == "close":
                    self.keep_alive = False
                continue
            lines.append(f"{name}: {value}\r\n")
        if self.length is not None:
            lines.append(f"Content-Length: {self.length}\r\n")
        elif code in (204, 304) or code < 200:
            pass
        elif complete or length is not None:
            self.length = len(first) if length is None else length
            lines.append(f"Content-Length: {self.length}\r\n")
        elif self.version == "1.1":
            self.chunked = not self.no_body
            if self.chunked:
                lines.append("Transfer-Encoding: chunked\r\n")
        else:
            self.keep_alive = False  # HTTP/1.0 without a length: the close ends the body
        if not self.keep_alive:
            lines.append("Connection: close\r\n")
        elif self.version == "1.0":
            lines.append("Connection: keep-alive\r\n")
        head = "".join(lines).encode("latin-1") + b"Date: " + http_date() + b"\r\n\r\n"
        self.headers_sent = True
        if self.no_body or not first:
            self.sock.sendall(head)
            return
        if self.chunked:
            self.sock.sendall(head + b"%x\r\n%b\r\n" % (len(first), first))
            self.sent = len(first)
        else:
            if self.length is not None and len(first) > self.length:
                first = first[:self.length]
                self.keep_alive = False
            self.sock.sendall(head + first)
            self.sent = len(first)
