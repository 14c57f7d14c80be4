"""``Loop.connect``: try addresses one at a time, reporting each failed syscall."""
from __future__ import annotations

import errno
import os
import socket as _std
from collections.abc import Callable
from typing import Any

from .. import socket as gsocket
from ..event import AsyncResult
from ..greenlet import Greenlet
from ..hub import get_hub
from .addresses import address_arg
from .types import Handler

# Which failure explains an unsuccessful connect best: connect, then bind, then socket.
_SIGNIFICANCE = {"connect": 3, "bind": 2, "socket": 1}


class _Expired(BaseException):
    """Thrown into the attempt's greenlet when ``timeout`` runs out."""


class ConnectHandle:
    """A connection attempt: ``cancel()`` it, or ``get()`` the connected socket."""

    def __init__(self, *, peers: list | None, local: list, resolve: Callable[[], tuple[list, list]] | None,
                 timeout: float | None, on_connected: Handler | None, on_connect_error: Handler | None,
                 on_resolve_error: Handler | None, on_fail: Handler | None) -> None:
        self._hub = get_hub()
        self._callbacks = dict(on_connected=on_connected, on_connect_error=on_connect_error,
                               on_resolve_error=on_resolve_error, on_fail=on_fail)
        self._pending: list = []
        self._result = AsyncResult()
        self._errors: dict[str, OSError] = {}
        self._current: tuple[gsocket.socket, Any] | None = None  # (sock, sockaddr) of the attempt in flight
        self._cancelled = False
        self._greenlet = Greenlet.spawn(self._run, peers, local, resolve)
        self._deadline = None if timeout is None else self._hub.call_later(timeout, self._expire)

    # -- public -----------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop: no further attempt, no further callback."""
        self._cancelled = True
        if self._deadline is not None:
            self._deadline.cancel()
        for h in self._pending:
            h.cancel()
        self._greenlet.kill(block=False)
        if self._current is not None:
            self._current[0].close()
        if not self._result.ready():
            self._result.set_exception(OSError(errno.ECANCELED, "connect was cancelled"))

    def get(self, timeout: float | None = None) -> gsocket.socket:
        """The connected socket, or raise the most significant error (connect > bind > socket)."""
        return self._result.get(timeout=timeout)

    def ready(self) -> bool:
        return self._result.ready()

    @property
    def error(self) -> OSError | None:
        """The most significant failure so far, as modern IO::Async reports it."""
        if not self._errors:
            return None
        op = max(self._errors, key=_SIGNIFICANCE.__getitem__)
        return self._errors[op]

    # -- the attempt ---------------------------------------------------------------------
    def _emit(self, name: str, *args) -> None:
        callback = self._callbacks[name]
        if callback is not None and not self._cancelled:
            self._pending.append(self._hub.run_callback(callback, *args))

    def _expire(self) -> None:
        """In the hub, when the whole attempt's time is up: end it where it waits."""
        g = self._greenlet
        if g.ready():
            return
        if g:
            g.throw(_Expired())  # runs the attempt's clean-up and ``_timed_out`` now
        else:
            g.kill(block=False)  # never got to run
            self._timed_out()

    def _run(self, peers, local, resolve) -> None:
        try:
            if resolve is not None:
                try:
                    peers, local = resolve()
                except (OSError, UnicodeError) as e:
                    self._emit("on_resolve_error", str(e))
                    self._result.set_exception(e)
                    return
            self._try_all(peers, local)
        except _Expired:
            self._timed_out()
        finally:
            if self._deadline is not None:
                self._deadline.cancel()

    def _timed_out(self) -> None:
        err = TimeoutError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))
        if self._current is None:
            self._emit("on_resolve_error", "Timed out")
            self._result.set_exception(err)
            return
        sock, sockaddr = self._current
        self._current = None
        sock.close()
        self._emit("on_fail", "connect", sock, sockaddr, err)
        self._errors["connect"] = err
        self._emit("on_connect_error")
        self._result.set_exception(err)

    def _try_all(self, peers: list, local: list) -> None:
        for family, socktype, protocol, peer_addr, local_addr in _candidates(peers, local):
            try:
                sock = gsocket.socket(family, socktype or _std.SOCK_STREAM, protocol)
            except OSError as e:
                self._fail("socket", e, family, socktype, protocol)
                continue
            if local_addr is not None:
                try:
                    sock.bind(local_addr)
                except OSError as e:
                    sock.close()
                    self._fail("bind", e, sock, local_addr)
                    continue
            self._current = (sock, peer_addr)
            try:
                sock.connect(peer_addr)
            except OSError as e:
                self._current = None
                sock.close()
                self._fail("connect", e, sock, peer_addr)
                continue
            self._current = None
            self._result.set(sock)
            self._emit("on_connected", sock)
            return
        if not self._errors:
            self._errors["connect"] = OSError(errno.EDESTADDRREQ, "no address to connect to")
        self._emit("on_connect_error")
        error = self.error
        assert error is not None  # set just above if nothing else failed
        self._result.set_exception(error)

    def _fail(self, op: str, err: OSError, *args) -> None:
        self._errors[op] = err
        self._emit("on_fail", op, *args, err)


def _candidates(peers: list, local: list):
    """Pair local and peer addresses whose family and socktype agree (local outer)."""
    for lf, lt, lp, laddr in local or [(0, 0, 0, None)]:
        for pf, pt, pp, paddr in peers:
            if lf and pf and lf != pf:
                continue
            if lt and pt and lt != pt:
                continue
            yield (lf or pf, lt or pt, lp or pp, paddr, laddr)


def resolver_for(host, service, local_host, local_service, family: int, socktype: int, protocol: int,
                 flags: int):
    """A function that resolves peer and local addresses (run in the attempt's greenlet)."""
    def resolve():
        peers = [address_arg(ai, "addr") for ai in
                 gsocket.getaddrinfo(host, service, family, socktype, protocol, flags)]
        local = []
        if local_host is not None or local_service is not None:
            local = [address_arg(ai, "local address") for ai in
                     gsocket.getaddrinfo(local_host, local_service or 0, family, socktype, protocol,
                                         flags | _std.AI_PASSIVE)]
        return peers, local
    return resolve
