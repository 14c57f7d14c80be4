"""``Loop.listen``: one listening socket per address, ``on_accept`` per connection."""
from __future__ import annotations

import logging
import socket as _std
from typing import Any

from .. import socket as gsocket
from ..greenlet import Greenlet
from ..hub import get_hub
from ..resolver import is_numeric_host
from .acceptor import Acceptor
from .types import Handler, Host, Service

log = logging.getLogger("greensock.callback")
# Which failure explains an unsuccessful listen best.
_SIGNIFICANCE = {"listen": 4, "bind": 3, "sockopt": 2, "socket": 1}


class Listener:
    """The listening sockets of one ``Loop.listen`` call."""

    def __init__(self, *, on_accept: Handler, on_listen: Handler | None, on_listen_error: Handler | None,
                 on_resolve_error: Handler | None, on_fail: Handler | None,
                 queuesize: int, reuseaddr: bool) -> None:
        self._hub = get_hub()
        self._on_accept = on_accept
        self._on_listen = on_listen
        self._on_listen_error = on_listen_error
        self._on_resolve_error = on_resolve_error
        self._on_fail = on_fail
        self._queuesize = queuesize
        self._reuseaddr = reuseaddr
        self.sockets: list = []
        self._acceptors: list[Acceptor] = []
        self._errors: dict[str, OSError] = {}
        self._paused = False
        self._closed = False
        self._resolver: Greenlet | None = None

    # -- public -----------------------------------------------------------------------
    def sockname(self) -> Any:
        """The first listening socket's address (None until one exists)."""
        return self.sockets[0].getsockname() if self.sockets else None

    @property
    def error(self) -> OSError | None:
        """The most significant failure (listen > bind > sockopt > socket), if any."""
        if not self._errors:
            return None
        return self._errors[max(self._errors, key=_SIGNIFICANCE.__getitem__)]

    def pause(self) -> None:
        """Stop accepting; connections wait in the kernel's backlog."""
        self._paused = True
        for a in self._acceptors:
            a.pause()

    def resume(self) -> None:
        """Accept again after ``pause()``."""
        self._paused = False
        if not self._closed:
            for a in self._acceptors:
                a.resume()

    def close(self) -> None:
        """Stop listening and close every listening socket."""
        self._closed = True
        if self._resolver is not None:
            self._resolver.kill(block=False)
        for a in self._acceptors:
            a.close()
        self._acceptors = []
        for s in self.sockets:
            s.close()

    # -- setting up ------------------------------------------------------------------------
    def _emit(self, callback, *args) -> None:
        if callback is not None:
            self._hub.run_callback(callback, *args)

    def _fail(self, op: str, err: OSError, *args) -> None:
        self._errors[op] = err
        self._emit(self._on_fail, op, *args, err)

    def adopt(self, sock: _std.socket) -> None:
        """Start accepting on a listening socket (``Loop.listen(handle=...)``)."""
        if not isinstance(sock, gsocket.socket):
            sock = gsocket.adopt(sock)
        self.sockets.append(sock)
        self._emit(self._on_listen, sock)  # queued before any on_accept can be
        acceptor = Acceptor(sock, on_client=lambda client, peer: self._on_accept(client),
                            on_error=lambda err: log.warning("accept() on %s failed: %s", sock, err))
        self._acceptors.append(acceptor)
        if not self._paused:
            acceptor.resume()

    def listen_all(self, addrs: list) -> None:
        """Create, bind and listen on every address; report failures through the callbacks."""
        port = None
        dual = len(addrs) > 1
        for family, socktype, protocol, sockaddr in addrs:
            if port is not None and isinstance(sockaddr, tuple) and sockaddr[1] == 0:
                sockaddr = (sockaddr[0], port, *sockaddr[2:])
            sock = self._listen_one(family, socktype, protocol, sockaddr, dual)
            if sock is not None:
                if port is None and isinstance(sockaddr, tuple):
                    port = sock.getsockname()[1]
                self.adopt(sock)
        if not self.sockets:
            self._emit(self._on_listen_error)

    def _listen_one(self, family, socktype, protocol, sockaddr, dual: bool):
        try:
            sock = gsocket.socket(family, socktype, protocol)
        except OSError as e:
            self._fail("socket", e, family, socktype, protocol)
            return None
        options = []
        if self._reuseaddr:
            options.append((_std.SOL_SOCKET, _std.SO_REUSEADDR, 1))
        if dual and family == _std.AF_INET6:
            options.append((_std.IPPROTO_IPV6, _std.IPV6_V6ONLY, 1))
        for level, optname, value in options:
            try:
                sock.setsockopt(level, optname, value)
            except OSError as e:
                sock.close()
                self._fail("sockopt", e, sock, optname, value)
                return None
        op, arg = "bind", sockaddr
        try:
            sock.bind(sockaddr)
            op, arg = "listen", self._queuesize
            sock.listen(self._queuesize)
        except OSError as e:
            sock.close()
            self._fail(op, e, sock, arg)
            return None
        return sock

    def resolve_then_listen(self, host: Host | None, service: Service | None, family: int, socktype: int,
                            protocol: int, flags: int) -> None:
        """Resolve in a greenlet (names may need the resolver), then listen."""
        def run():
            try:
                infos = gsocket.getaddrinfo(host, service, family, socktype, protocol, flags | _std.AI_PASSIVE)
            except (OSError, UnicodeError) as e:
                self._emit(self._on_resolve_error, str(e))
                return
            if not self._closed:
                self.listen_all(_unique([(f, t, p, a) for f, t, p, _, a in infos]))
        if is_numeric_host(host) and (service is None or str(service).isdigit()):
            run()
        else:
            self._resolver = Greenlet.spawn(run)


def _unique(addrs: list) -> list:
    seen, out = set(), []
    for a in addrs:
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out
