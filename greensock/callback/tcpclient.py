"""``TCPClient``: POE::Component::Client::TCP — a reconnectable line (or record) client."""
from __future__ import annotations

import errno
import logging
import os
import socket as _std
import sys
from itertools import count
from typing import Any

from ..hub import Callback, Timer, get_hub
from .addresses import family_arg, host_or_path_arg, port_arg
from .filters import LineFilter
from .loop import Loop
from .readwrite import ReadWrite
from .socketfactory import SocketFactory, check_domain_and_port
from .types import Filter, Handler, Host, Kind, Service

log = logging.getLogger("greensock.callback")
_ids = count(1)

_CALLBACKS = ("server_input", "connected", "connect_error", "disconnected", "server_error", "server_flushed",
              "pre_connect", "started", "server_high", "server_low")


def check_filter(value, name: str):
    """A filter instance (anything with get/put/clone), a filter class or ``(class, *args)``
    (an instance is made), or a new LineFilter for None."""
    if value is None:
        return LineFilter()
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], type):
        value = value[0](*value[1:])  # POE's [Class, args...] form
    elif isinstance(value, type):
        value = value()  # POE's class-name form
    if not all(callable(getattr(value, m, None)) for m in ("get", "put", "clone")):
        raise TypeError(f"{name} must be a filter with get(), put() and clone(), not {type(value).__name__}")
    return value


def check_watermarks(high_mark, low_mark, on_high, on_low, names: tuple[str, str, str, str]) -> None:
    """All four watermark arguments or none, with sensible marks; ValueError otherwise."""
    given = [v is not None for v in (high_mark, low_mark, on_high, on_low)]
    if any(given) and not all(given):
        raise ValueError(f"{', '.join(names)}: give all four watermark arguments or none")
    if all(given):
        for value, name in ((high_mark, names[0]), (low_mark, names[1])):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        if low_mark > high_mark:
            raise ValueError(f"{names[1]} must not exceed {names[0]}")


class TCPClient:
    """Connects at once (after ``started``); every callback gets the client first."""

    def __init__(self, *, remote_address: Host | None, remote_port: Service | None, server_input: Handler,
                 connected: Handler | None = None, connect_error: Handler | None = None,
                 disconnected: Handler | None = None, server_error: Handler | None = None,
                 server_flushed: Handler | None = None, pre_connect: Handler | None = None,
                 started: Handler | None = None, args: tuple | list = (), connect_timeout: float | None = None,
                 domain: Kind = _std.AF_INET, bind_address: Host | None = None, bind_port: Service | None = None,
                 filter: Filter | None = None, high_mark: int | None = None, low_mark: int | None = None,
                 server_high: Handler | None = None, server_low: Handler | None = None) -> None:
        given: dict[str, Any] = dict(server_input=server_input, connected=connected, connect_error=connect_error,
                     disconnected=disconnected, server_error=server_error, server_flushed=server_flushed,
                     pre_connect=pre_connect, started=started, server_high=server_high, server_low=server_low)
        if server_input is None:
            raise TypeError("server_input is required")
        for name in _CALLBACKS:
            if given[name] is not None and not callable(given[name]):
                raise TypeError(f"{name} must be callable, not {type(given[name]).__name__}")
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"args must be a tuple or list, not {type(args).__name__}")
        if connect_timeout is not None and (not isinstance(connect_timeout, (int, float)) or connect_timeout <= 0):
            raise ValueError(f"connect_timeout must be a number > 0, not {connect_timeout!r}")
        check_watermarks(high_mark, low_mark, server_high, server_low,
                         ("high_mark", "low_mark", "server_high", "server_low"))
        self._filter = check_filter(filter, "filter")
        self._cb = given
        self._high_mark, self._low_mark = high_mark, low_mark
        domain = family_arg(domain, "domain")
        remote_address = host_or_path_arg(remote_address, "remote_address", domain)
        remote_port = port_arg(remote_port, "remote_port")
        self._address = "127.0.0.1" if remote_address is None else remote_address
        self._port = remote_port
        self._domain = domain
        self._bind = (host_or_path_arg(bind_address, "bind_address", domain), port_arg(bind_port, "bind_port"))
        self._connect_timeout = connect_timeout
        self._args = tuple(args)
        self.id = next(_ids)
        self.loop = Loop()
        self.connected = False
        self.shutting_down = False
        self.shutdown_on_error = True  # POE's heap flag: set False to stay connected after errors
        self._got_error = False
        self._factory: SocketFactory | None = None
        self._rw: ReadWrite | None = None
        self._timer: Timer | None = None
        self._reconnect_timer: Timer | Callback | None = None
        # Validate the address now: a bad domain or port raises here, not later.
        check_domain_and_port(domain, remote_port)
        self.loop.call_soon(self._start)

    # -- commands ------------------------------------------------------------------------
    def put(self, record: Any) -> bool:
        """Send one record through the filter; RuntimeError unless connected."""
        if not self.connected or self._rw is None:
            raise RuntimeError("put() on a TCPClient that is not connected")
        return self._rw.put(record)

    def connect(self, address: Host | None = None, port: Service | None = None) -> None:
        """(Re)connect, to a new address and port if given (remembered for later reconnects)."""
        if address is not None:
            self._address = host_or_path_arg(address, "address", self._domain)
        if port is not None:
            self._port = port_arg(port, "port")
        self.reconnect()

    def reconnect(self, delay: float | None = None) -> None:
        """Drop the connection (no ``disconnected``; buffered I/O is lost) and connect again."""
        if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
            raise ValueError(f"delay must be None or a number >= 0, not {delay!r}")
        self._drop()
        if self._reconnect_timer is not None:
            self._reconnect_timer.cancel()
        if delay:
            self._reconnect_timer = self.loop.call_later(delay, self._reconnect)
        else:
            self._reconnect_timer = self.loop.call_soon(self._reconnect)

    def shutdown(self) -> None:
        """Flush pending output, then disconnect (``disconnected``); while connecting, just stop."""
        self.shutting_down = True
        self._cancel_timers()
        if self.connected:
            self.connected = False
            rw = self._rw
            if rw is not None:
                if self._got_error or not rw.pending_octets:
                    self._rw = None
                    rw.close_now()
                    self.loop.call_soon(self._call, "disconnected")  # later, in the hub
                else:
                    rw.close_when_flushed(self._closed_after_flush)
        else:
            self._drop()

    # -- internals -----------------------------------------------------------------------
    def _call(self, name: str, *args):
        callback = self._cb[name]
        if callback is not None:
            return callback(self, *args)
        return None

    def _start(self) -> None:
        self._call("started", *self._args)
        if not self.shutting_down and self._factory is None and not self.connected:
            self._reconnect()

    def _cancel_timers(self) -> None:
        for timer in (self._timer, self._reconnect_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._reconnect_timer = None

    def _drop(self) -> None:
        """Forget any connection or attempt, silently."""
        if self._factory is not None:
            self._factory.close()
            self._factory = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._rw is not None:
            rw, self._rw = self._rw, None
            rw.close_now()
        self.connected = False

    def _reconnect(self) -> None:
        self._reconnect_timer = None
        self._drop()
        self.shutting_down = False
        self._got_error = False
        bind_address, bind_port = self._bind
        self._factory = SocketFactory(remote_address=self._address, remote_port=self._port,
                                      socket_domain=self._domain, bind_address=bind_address,
                                      bind_port=bind_port or 0, on_success=self._on_connect,
                                      on_failure=self._on_connect_failure)
        if self._connect_timeout is not None:
            self._timer = self.loop.call_later(self._connect_timeout, self._on_timeout)

    def _on_connect(self, sock, address, port, wheel_id) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._factory = None
        if self._cb["pre_connect"] is not None:
            sock = self._pre_connect(sock)
            if sock is None:
                return
        self._rw = ReadWrite(self.loop, sock, self._filter.clone(), on_input=self._on_input,
                             on_error=self._on_server_error, on_flushed=self._on_flushed,
                             high_mark=self._high_mark, low_mark=self._low_mark,
                             on_high=lambda: self._call("server_high"), on_low=lambda: self._call("server_low"))
        self.connected = True
        self._call("connected", sock, address, port)

    def _pre_connect(self, sock):
        """``pre_connect`` must give back a socket; anything else (or an exception) means
        disconnect: the socket is closed and the client stays not connected, as in POE."""
        try:
            result = self._call("pre_connect", sock)
        except Exception:
            sock.close()
            get_hub().handle_error(self._cb["pre_connect"], *sys.exc_info())
            return None
        if isinstance(result, _std.socket):
            return result
        sock.close()
        if result is not None:
            log.warning("TCPClient %d: pre_connect returned %r, not a socket; disconnected", self.id, result)
        return None

    def _on_connect_failure(self, operation, errnum, errstr, wheel_id) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.connected = False
        self._factory = None
        self._connect_error(operation, errnum, errstr)

    def _on_timeout(self) -> None:
        self._timer = None
        if self._factory is not None:
            self._factory.close()
            self._factory = None
        self.connected = False
        self._connect_error("connect", errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))

    def _connect_error(self, operation, errnum, errstr) -> None:
        if self._cb["connect_error"] is not None:
            self._call("connect_error", operation, errnum, errstr)
        else:
            log.warning("Client %d got %s error %d (%s)", self.id, operation, errnum, errstr)

    def _on_input(self, record) -> None:
        if not self.shutting_down:
            self._cb["server_input"](self, record)

    def _on_server_error(self, operation, errnum, errstr) -> None:
        if self._cb["server_error"] is not None:
            self._call("server_error", operation, errnum, errstr)
        else:
            log.warning("Client %d got %s error %d (%s)", self.id, operation, errnum,
                        errstr or "Normal disconnection")
        if self.shutdown_on_error and self._rw is not None:
            self._got_error = True
            self.loop.call_soon(self._shutdown_after_error, self._rw)

    def _shutdown_after_error(self, rw) -> None:
        if rw is self._rw and not self.shutting_down:
            self.shutdown()

    def _on_flushed(self) -> None:
        self._call("server_flushed")

    def _closed_after_flush(self) -> None:
        self._rw = None
        self._call("disconnected")

    def __repr__(self) -> str:
        state = "connected" if self.connected else ("shutting down" if self.shutting_down else "idle")
        return f"<TCPClient id={self.id} {self._address!s}:{self._port} {state}>"
