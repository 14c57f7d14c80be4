"""``WSGIServer``: a ``StreamServer`` that serves a WSGI application over HTTP/1.x."""
from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from ..server import Listener, SpawnPolicy, StreamServer
from .connection import Connection, access_line
from .filewrapper import FileWrapper
from .reader import Request

if TYPE_CHECKING:
    from ssl import SSLContext  # imported for real only when a context is given

# Where log lines go: a logger, or a file-like object written line by line.
LogSink = logging.Logger | IO[str]

_error_logger = logging.getLogger("greensock.wsgi")


def _number(value, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a number > 0, not {value!r}")
    return float(value)


def _count(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, not {value!r}")
    return value


def _sink(value, name: str, default):
    """A log destination: a Logger, a file-like object with write(), or None."""
    if value == "default":
        return default
    if value is None or isinstance(value, logging.Logger) or callable(getattr(value, "write", None)):
        return value
    raise TypeError(f"{name} must be a logging.Logger, a file-like object, None or 'default', "
                    f"not {type(value).__name__}")


class WSGIServer(StreamServer):
    """Serve ``application`` (PEP 3333) on ``listener``; see ``docs/http.rst``."""

    def __init__(self, listener: Listener, application: Callable[..., Any], *, spawn: SpawnPolicy = "default",
                 backlog: int | None = None, ssl_context: SSLContext | None = None,
                 log: LogSink | str | None = "default", error_log: LogSink | str | None = "default",
                 environ: dict[str, Any] | None = None, keepalive_timeout: float = 5.0,
                 header_timeout: float = 10.0, max_request_line: int = 8190, max_header_bytes: int = 65536,
                 max_headers: int = 100) -> None:
        if not callable(application):
            raise TypeError(f"application must be callable, not {type(application).__name__}")
        if environ is not None and not isinstance(environ, dict):
            raise TypeError(f"environ must be a dict, not {type(environ).__name__}")
        self.keepalive_timeout = _number(keepalive_timeout, "keepalive_timeout")
        self.header_timeout = _number(header_timeout, "header_timeout")
        self.max_request_line = _count(max_request_line, "max_request_line")
        self.max_header_bytes = _count(max_header_bytes, "max_header_bytes")
        self.max_headers = _count(max_headers, "max_headers")
        self.log = _sink(log, "log", sys.stderr)
        self.error_log = _sink(error_log, "error_log", _error_logger)
        StreamServer.__init__(self, listener, self._serve_connection, backlog=backlog, spawn=spawn,
                              ssl_context=ssl_context)
        self.application = application
        self.extra_environ = dict(environ or {})
        self.draining = False
        self._connections: set[Connection] = set()
        self.base_environ: dict = {}

    def init_socket(self) -> None:
        StreamServer.init_socket(self)
        address = self.address
        host, port = (address[0], str(address[1])) if isinstance(address, tuple) else (str(address), "")
        self.base_environ = {
            "SCRIPT_NAME": "", "SERVER_NAME": host, "SERVER_PORT": port, "SERVER_SOFTWARE": "greensock",
            "GATEWAY_INTERFACE": "CGI/1.1", "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.ssl_context is not None else "http",
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.input_terminated": True, "wsgi.file_wrapper": FileWrapper,
            **self.extra_environ,
        }

    def start(self) -> None:
        self.draining = False
        StreamServer.start(self)

    def stop(self, timeout: float | None = None) -> None:
        """Stop accepting; idle keep-alive connections close now, requests in flight get
        up to ``timeout`` seconds (default 1) to finish, then their connections close."""
        self.draining = True
        for connection in list(self._connections):
            if connection.idle:
                connection.sock.close()
        StreamServer.stop(self, timeout)

    def _serve_connection(self, sock, address) -> None:
        connection = Connection(self, sock, address)
        self._connections.add(connection)
        try:
            connection.serve()
        finally:
            self._connections.discard(connection)

    def offer_websocket(self, environ: dict, connection: Connection, request: Request) -> None:
        """Put ``wsgi.websocket`` (and the raw socket for simple-websocket) into ``environ``."""
        from ..websocket import offer
        offer(environ, connection, request)

    # -- logs ----------------------------------------------------------------------------------------------
    def log_access(self, address: Any, request: Request, status: int, length: int, duration: float) -> None:
        sink = self.log
        if sink is None:
            return
        line = access_line(address, request, status, length, duration)
        if isinstance(sink, logging.Logger):
            sink.info(line)
        else:
            sink.write(line + "\n")

    def log_error(self, message: str, exc_info: tuple | None) -> None:
        sink = self.error_log
        if sink is None:
            return
        if isinstance(sink, logging.Logger):
            sink.error(message, exc_info=exc_info)
        else:
            text = message + "\n"
            if exc_info is not None:
                text += "".join(traceback.format_exception(*exc_info))
            sink.write(text)
