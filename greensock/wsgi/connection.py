"""``Connection``: serve the requests of one client connection, one after another."""
from __future__ import annotations

__all__ = ["Connection", "access_line"]

import socket as _std
import sys
from time import monotonic, strftime
from urllib.parse import unquote_to_bytes

from greenlet import GreenletExit

from ..hub import sleep
from .body import Body
from .reader import RequestReader
from .response import Response, error_page

# Headers whose repeats are joined with "; " rather than ", " (RFC 6265).
_JOIN = {b"cookie": "; "}


class Connection:
    """One client: read a request, run the application, send the response, repeat."""

    def __init__(self, server, sock, address) -> None:
        self.server = server
        self.sock = sock
        self.address = address
        self.reader = RequestReader(sock, server.max_request_line, server.max_header_bytes, server.max_headers)
        self.idle = True  # waiting for a request: stop() may close it at once
        self.taken_over = False  # the application took the socket (a WebSocket)

    def serve(self) -> None:
        server = self.server
        reader = self.reader
        try:
            self.sock.setsockopt(_std.IPPROTO_TCP, _std.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP (AF_UNIX)
        first = True
        opened = monotonic()
        while not server.draining:
            request = self._next_request(opened if first else None)
            first = False
            if request is None:
                return
            if request.error:
                self._refuse(request)
                return
            if not self._respond(request) or reader.broken or server.draining:
                return
            request.discard = True
            request.chunks.clear()
            try:
                while not request.complete:  # the unread rest of the body
                    if not reader.read_more(server.keepalive_timeout):
                        return
                    request.chunks.clear()
            except (TimeoutError, OSError):
                return

    # -- reading requests ---------------------------------------------------------------------------
    def _next_request(self, opened: float | None):
        """The next request's head; None when the client closes or goes idle too long."""
        reader = self.reader
        server = self.server
        if opened is None:
            sleep(0)  # let other connections have a turn: a busy client cannot starve the rest
        idle_since = monotonic()
        self.idle = True
        try:
            while not reader.ready:
                if reader.eof or reader.broken:
                    return None
                if reader.current is not None and reader.received_any:
                    deadline = reader.current.started + server.header_timeout
                elif opened is not None:
                    deadline = opened + server.header_timeout
                else:
                    deadline = idle_since + server.keepalive_timeout
                remaining = deadline - monotonic()
                try:
                    if remaining <= 0:
                        raise TimeoutError
                    if not reader.read_more(remaining):
                        return None
                except TimeoutError:
                    if reader.received_any or opened is not None:
                        self._send(error_page(408))
                    return None
        except OSError:
            return None  # reset, or closed by stop()
        finally:
            self.idle = False
        return reader.ready.popleft()

    def fill(self, request) -> None:
        """For ``wsgi.input``: receive more of ``request``'s body."""
        reader = self.reader
        if request.expect_continue:
            request.expect_continue = False
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if reader.broken and not request.chunks:
            raise OSError(f"malformed request body: {reader.ready[-1].error_reason if reader.ready else ''}")
        if not reader.read_more(None):
            raise ConnectionResetError("the client closed the connection before sending the whole body")

    # -- answering -----------------------------------------------------------------------------------
    def _refuse(self, request) -> None:
        self._send(error_page(request.error))
        self.server.log_access(self.address, request, request.error, 0, 0.0)

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def _respond(self, request) -> bool:
        """Run the application for ``request``; True to keep the connection for another."""
        server = self.server
        started = monotonic()
        response = Response(self.sock, request.method, request.version,
                            request.keep_alive and not request.upgrade)
        environ = self.environ(request)
        try:
            result = server.application(environ, response.start_response)
            try:
                if self.taken_over:
                    return False
                if server.draining:
                    response.keep_alive = False  # stop() came while the application ran: say so
                response.send_iterable(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except (GreenletExit, KeyboardInterrupt, SystemExit):
            raise
        except OSError as e:
            if not self.taken_over:
                server.log_error(f"{self._request_line(request)}: the connection failed: {e}", None)
            return False
        except Exception:
            if self.taken_over:
                return False
            server.log_error(f"{self._request_line(request)}: the application failed", sys.exc_info())
            if not response.headers_sent:
                self._send(error_page(500))
                server.log_access(self.address, request, 500, 0, monotonic() - started)
            return False
        if self.taken_over:
            return False
        server.log_access(self.address, request, response.code, response.sent, monotonic() - started)
        return response.keep_alive

    @staticmethod
    def _request_line(request) -> str:
        return f"{request.method.decode('latin-1')} {request.url.decode('latin-1')} HTTP/{request.version}"

    def environ(self, request) -> dict:
        """PEP 3333's environ for ``request``."""
        server = self.server
        url = bytes(request.url)
        path, _, query = url.partition(b"?")
        path = path.partition(b"#")[0]
        if path.startswith((b"http://", b"https://")):  # absolute form
            path = b"/" + path.split(b"/", 3)[3] if path.count(b"/") >= 3 else b"/"
        env = dict(server.base_environ)
        env["REQUEST_METHOD"] = request.method.decode("latin-1")
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
        env["QUERY_STRING"] = query.decode("latin-1")
        env["RAW_URI"] = url.decode("latin-1")
        env["SERVER_PROTOCOL"] = f"HTTP/{request.version}"
        if isinstance(self.address, tuple):
            env["REMOTE_ADDR"] = self.address[0]
            env["REMOTE_PORT"] = str(self.address[1])
        else:
            env["REMOTE_ADDR"] = ""
        env["wsgi.input"] = Body(self.fill, request)
        env["greensock.socket"] = self.sock
        seen: dict[str, str] = {}
        for name, value in request.headers:
            lower = name.lower()
            if b"_" in name:
                continue  # X_Forwarded_For could pose as X-Forwarded-For: dropped, as gunicorn does
            text = value.decode("latin-1")
            if lower == b"content-type":
                key = "CONTENT_TYPE"
            elif lower == b"content-length":
                key = "CONTENT_LENGTH"
            else:
                key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            if key in seen:
                text = seen[key] + _JOIN.get(lower, ",") + text
            seen[key] = text
        env.update(seen)
        if request.upgrade and seen.get("HTTP_UPGRADE", "").lower() == "websocket":
            server.offer_websocket(env, self, request)
        return env

    def take_over(self) -> None:
        """The application takes the socket (an upgrade): no HTTP response follows."""
        self.taken_over = True

    def leftover(self) -> bytes:
        """Bytes the client sent after an upgrade request's head."""
        data, self.reader.upgrade_data = self.reader.upgrade_data, b""
        return data


def access_line(address, request, status: int, length: int, duration: float) -> str:
    """``client - - [time] "request line" status length duration``."""
    client = address[0] if isinstance(address, tuple) else (address or "-")
    line = f"{request.method.decode('latin-1')} {request.url.decode('latin-1')} HTTP/{request.version}" \
        if request.method else "-"
    return f'{client} - - [{strftime("%d/%b/%Y:%H:%M:%S %z")}] "{line}" {status} {length} {duration:.6f}'
