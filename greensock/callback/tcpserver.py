"""``TCPServer``: POE::Component::Server::TCP — one session object per connection."""
from __future__ import annotations

import errno
import logging
import socket as _std
from collections.abc import Callable
from itertools import count
from typing import Any

from .loop import Loop
from .readwrite import ReadWrite
from .socketfactory import SocketFactory
from .tcpclient import check_filter
from .types import Filter, Handler, Host, Kind, Service

log = logging.getLogger("greensock.callback")
_session_ids = count(1)

_CALLBACKS = ("client_input", "client_connected", "client_disconnected", "client_error", "client_flushed",
              "client_pre_connect", "started", "error")


class Session:
    """One client connection of a TCPServer."""

    def __init__(self, server: TCPServer, remote_address: str | None, remote_port: int | None,
                 on_closed: Callable[[Session], Any]) -> None:
        self.server = server
        self._on_closed = on_closed
        self.remote_address = remote_address
        self.remote_port = remote_port
        self.id = next(_session_ids)
        self.connected = True
        self.shutting_down = False
        self._got_error = False
        self._rw: ReadWrite | None = None

    def put(self, record: Any) -> bool:
        """Send one record through the session's filter."""
        if self._rw is None or not self.connected:
            raise RuntimeError("put() on a session that is closed")
        return self._rw.put(record)

    def shutdown(self) -> None:
        """Flush pending output, then close (``client_disconnected`` follows)."""
        if self.shutting_down or self._rw is None:
            return
        self.shutting_down = True
        if self._got_error or not self._rw.pending_octets:
            rw, self._rw = self._rw, None
            rw.close_now()
            self.server.loop.call_soon(self._on_closed, self)  # later, in the hub
        else:
            self._rw.close_when_flushed(lambda: self._closed_after_flush())

    def _closed_after_flush(self) -> None:
        self._rw = None
        self._on_closed(self)

    def attach(self, rw: ReadWrite) -> None:
        """Start exchanging records over ``rw`` (the server does this once connected)."""
        self._rw = rw

    def shutdown_after_error(self) -> None:
        """Close without waiting for pending output (it cannot be sent), from the hub."""
        self._got_error = True
        self.server.loop.call_soon(self.shutdown)

    def __repr__(self) -> str:
        return f"<Session id={self.id} {self.remote_address}:{self.remote_port}>"


class TCPServer:
    """Listens at once; each accepted connection becomes a ``Session``."""

    def __init__(self, *, port: Service = 0, address: Host = "0.0.0.0", domain: Kind = _std.AF_INET,
                 client_input: Handler, client_connected: Handler | None = None,
                 client_disconnected: Handler | None = None, client_error: Handler | None = None,
                 client_flushed: Handler | None = None, client_pre_connect: Handler | None = None,
                 client_filter: Filter | None = None, client_args: tuple | list = (), concurrency: int = -1,
                 started: Handler | None = None, error: Handler | None = None) -> None:
        given: dict[str, Any] = dict(client_input=client_input, client_connected=client_connected,
                     client_disconnected=client_disconnected, client_error=client_error,
                     client_flushed=client_flushed, client_pre_connect=client_pre_connect, started=started,
                     error=error)
        if client_input is None:
            raise TypeError("client_input is required")
        for name in _CALLBACKS:
            if given[name] is not None and not callable(given[name]):
                raise TypeError(f"{name} must be callable, not {type(given[name]).__name__}")
        if not isinstance(client_args, (tuple, list)):
            raise TypeError(f"client_args must be a tuple or list, not {type(client_args).__name__}")
        self._check_concurrency(concurrency)
        self._filter = check_filter(client_filter, "client_filter")
        self._cb = given
        self._client_args = tuple(client_args)
        self.concurrency = concurrency
        self.sessions: set[Session] = set()
        self.loop = Loop()
        self._listener: SocketFactory | None = SocketFactory(
            bind_address=address, bind_port=port, socket_domain=domain, reuse=True,
            on_success=self._accepted, on_failure=self._listener_failed)
        if started is not None:
            self.loop.call_soon(started, self)

    @staticmethod
    def _check_concurrency(n) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n == 0 or n < -1:
            raise ValueError(f"concurrency must be -1 (unlimited) or an int >= 1, not {n!r}")

    @property
    def port(self) -> int | None:
        """The bound port (valid as soon as the constructor returns, for numeric addresses)."""
        name = self._listener.getsockname() if self._listener is not None else None
        return name[1] if isinstance(name, tuple) else None

    @property
    def address(self) -> Any:
        return self._listener.getsockname() if self._listener is not None else None

    def set_concurrency(self, n: int) -> None:
        """Change the connection limit; accepting pauses while it is reached."""
        self._check_concurrency(n)
        self.concurrency = n
        self._apply_concurrency()

    def shutdown(self) -> None:
        """Stop listening; sessions already open carry on."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    # -- internals -----------------------------------------------------------------------
    def _apply_concurrency(self) -> None:
        if self._listener is None:
            return
        if self.concurrency != -1 and len(self.sessions) >= self.concurrency:
            self._listener.pause_accept()
        else:
            self._listener.resume_accept()

    def _accepted(self, sock, address, port, wheel_id) -> None:
        session = Session(self, address, port, self._session_closed)
        if self._cb["client_pre_connect"] is not None:
            sock = self._cb["client_pre_connect"](session, sock)
            if sock is None:
                return
        self.sessions.add(session)
        session.attach(ReadWrite(self.loop, sock, self._filter.clone(),
                                 on_input=lambda record: self._input(session, record),
                                 on_error=lambda op, num, text: self._client_error(session, op, num, text),
                                 on_flushed=lambda: self._flushed(session)))
        self._apply_concurrency()
        if self._cb["client_connected"] is not None:
            self._cb["client_connected"](session, *self._client_args)

    def _input(self, session: Session, record) -> None:
        if not session.shutting_down:
            self._cb["client_input"](session, record)

    def _flushed(self, session: Session) -> None:
        if self._cb["client_flushed"] is not None:
            self._cb["client_flushed"](session)

    def _client_error(self, session: Session, operation, errnum, errstr) -> None:
        if self._cb["client_error"] is not None:
            self._cb["client_error"](session, operation, errnum, errstr)
        elif not (operation == "read" and errnum in (0, errno.ECONNRESET)):
            log.warning("Client session %d got %s error %d (%s)", session.id, operation, errnum, errstr)
        session.shutdown_after_error()

    def _session_closed(self, session: Session) -> None:
        session.connected = False
        if session in self.sessions:
            self.sessions.discard(session)
            if self._cb["client_disconnected"] is not None:
                self._cb["client_disconnected"](session)
            self._apply_concurrency()

    def _listener_failed(self, operation, errnum, errstr, wheel_id) -> None:
        if self._cb["error"] is not None:
            self._cb["error"](self, operation, errnum, errstr)
        else:
            log.warning("Server %s got %s error %d (%s)", self.address, operation, errnum, errstr)
            self.shutdown()

    def __repr__(self) -> str:
        return f"<TCPServer port={self.port} sessions={len(self.sessions)}>"
