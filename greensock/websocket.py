"""``WebSocket`` (RFC 6465 over wsproto) for ``greensock.wsgi``: ``environ['wsgi.websocket']``.

The names are gevent-websocket's, so its applications port unchanged::

    def app(environ, start_response):
        ws = environ["wsgi.websocket"]
        while (message := ws.receive()) is not None:
            ws.send(message)

The handshake happens at the first use of the object. An application may instead hand
the raw socket (``environ['werkzeug.socket']``) to a library that speaks WebSocket itself,
such as simple-websocket (flask-sock). Either way no HTTP response follows the upgrade.
"""
from __future__ import annotations

try:
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (
        AcceptConnection,
        BytesMessage,
        CloseConnection,
        Message,
        Ping,
        Request,
        TextMessage,
    )
    from wsproto.utilities import RemoteProtocolError
except ImportError as e:  # pragma: no cover - depends on what is installed
    raise ImportError("greensock.websocket needs the 'http' extra: pip install 'greensock[http]' "
                      "(httptools and wsproto)") from e


from .socket import StdSocket
from .wsgi.connection import Connection
from .wsgi.reader import Request as HTTPRequest

__all__ = ["WebSocket", "MAX_MESSAGE_SIZE"]

MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_RECV_SIZE = 65536


class WebSocket:
    """One server-side WebSocket: ``receive()``, ``send(data)``, ``close(code, reason)``."""

    def __init__(self, connection: Connection, request: HTTPRequest, path: str,
                 max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        self._connection = connection
        self._request = request
        self._sock = connection.sock
        self._ws = WSConnection(ConnectionType.SERVER)
        self._open = False
        self.closed = False
        self.path = path
        self.max_message_size = max_message_size
        self._parts: list = []
        self._size = 0

    # -- the handshake, at first use -------------------------------------------------------------
    def _accept(self) -> None:
        if self._open or self.closed:
            return
        self._connection.take_over()
        request = self._request
        head = [f"{request.method.decode('latin-1')} {request.url.decode('latin-1')} HTTP/1.1\r\n".encode("latin-1")]
        head += [name + b": " + value + b"\r\n" for name, value in request.headers]
        self._ws.receive_data(b"".join(head) + b"\r\n")
        leftover = self._connection.leftover()
        for event in self._ws.events():
            if isinstance(event, Request):
                self._sock.sendall(self._ws.send(AcceptConnection()))
                self._open = True
        if not self._open:
            self.closed = True
            raise ConnectionError("the upgrade request is not a valid WebSocket handshake")
        if leftover:
            self._ws.receive_data(leftover)

    # -- messages -------------------------------------------------------------------------------------
    def receive(self) -> str | bytes | None:
        """The next message (``str`` or ``bytes``); ``None`` once the connection is closed."""
        self._accept()
        while not self.closed:
            for event in self._ws.events():
                message = self._handle(event)
                if message is not None:
                    return message
                if self.closed:
                    return None
            try:
                data = self._sock.recv(_RECV_SIZE)
            except OSError:
                self.closed = True
                return None
            try:
                self._ws.receive_data(data or None)
            except RemoteProtocolError:
                self._fail(1002, "protocol error")
        return None

    def _handle(self, event):
        if isinstance(event, Message):
            self._parts.append(event.data)
            self._size += len(event.data)
            if self._size > self.max_message_size:
                self._fail(1009, f"message over {self.max_message_size} bytes")
                return None
            if not event.message_finished:
                return None
            parts, self._parts, self._size = self._parts, [], 0
            return ("" if isinstance(event, TextMessage) else b"").join(parts)
        if isinstance(event, Ping):
            self._sendall(self._ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            if self._ws.state.name != "CLOSED":
                self._sendall(self._ws.send(event.response()))
            self.closed = True
        return None

    def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send a text (``str``) or binary (bytes-like) message."""
        self._accept()
        if self.closed:
            raise ConnectionError("the WebSocket is closed")
        event: TextMessage | BytesMessage
        if isinstance(data, str):
            event = TextMessage(data=data)
        elif isinstance(data, (bytes, bytearray, memoryview)):
            event = BytesMessage(data=bytes(data))
        else:
            raise TypeError(f"data must be str or bytes, not {type(data).__name__}")
        self._sock.sendall(self._ws.send(event))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (the peer's answer is read by ``receive``)."""
        if not isinstance(code, int) or isinstance(code, bool):
            raise TypeError(f"code must be an int, not {type(code).__name__}")
        self._accept()
        if self.closed:
            return
        self._sendall(self._ws.send(CloseConnection(code=code, reason=reason)))
        self.closed = True

    def _fail(self, code: int, reason: str) -> None:
        try:
            self._sendall(self._ws.send(CloseConnection(code=code, reason=reason)))
        except Exception:  # noqa: BLE001 - the state machine may refuse: we close regardless
            pass
        self.closed = True

    def _sendall(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self.closed = True

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {'closed' if self.closed else 'open'}>"


class _TakenSocket:
    """The connection's socket for a library that speaks WebSocket itself: using it tells
    the server that no HTTP response must follow."""

    def __init__(self, sock: StdSocket, connection: Connection) -> None:

        self._sock = sock
        self._connection = connection

    def __getattr__(self, name):
        if name in ("send", "sendall", "recv", "recv_into", "makefile", "dup", "detach"):
            self._connection.take_over()
        return getattr(self._sock, name)

    def fileno(self) -> int:
        return self._sock.fileno()


def offer(environ: dict, connection: Connection, request: HTTPRequest) -> None:
    """Make an upgrade request's environ hold the ways to speak WebSocket."""
    environ["wsgi.websocket"] = WebSocket(connection, request, environ["PATH_INFO"])
    environ["wsgi.websocket_version"] = environ.get("HTTP_SEC_WEBSOCKET_VERSION", "")
    environ["werkzeug.socket"] = _TakenSocket(connection.sock, connection)
