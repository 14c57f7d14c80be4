"""``Loop.listen``: one listening socket per address, ``on_accept`` per connection."""
from __future__ import annotations

import errno
import logging
import socket as _std

from .. import socket as gsocket
from ..greenlet import Greenlet
from ..hub import get_hub
from ..resolver import is_numeric_host
from .watcher import FdWatcher

log = logging.getLogger("greensock.callback")

ACCEPTS_PER_EVENT = 64
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
TRANSIENT_ERRORS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EPERM})
MAX_BACKOFF = 1.0
# Which failure explains an unsuccessful listen best.
_SIGNIFICANCE = {"listen": 4, "bind": 3, "sockopt": 2, "socket": 1}


class Listener:
    """The listening sockets of one ``Loop.listen`` call."""

    def __init__(self, *, on_accept, on_listen, on_listen_error, on_resolve_error, on_fail,
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
        self._watchers: list[FdWatcher] = []
        self._errors: dict[str, OSError] = {}
        self._paused = False
        self._closed = False
        self._backoff = 0.0
        self._backoff_timer = None
        self._resolver: Greenlet | None = None

    # -- public -----------------------------------------------------------------------
    def sockname(self):
        """The first listening socket's address (None until one exists)."""
        return self.sockets[0].getsockname() if self.sockets else None

    @property
    def error(self) -> OSError | None:
        """The most significant failure (listen > bind > sockopt > socket), if any."""
        if not self._errors:
            return None
        return self._errors[max(self._errors, key=_SIGNIFICANCE.get)]

    def pause(self) -> None:
        """Stop accepting; connections wait in the kernel's backlog."""
        self._paused = True
        for w in self._watchers:
            w.want_read(False)

    def resume(self) -> None:
        """Accept again after ``pause()``."""
        self._paused = False
        if self._backoff_timer is None and not self._closed:
            for w in self._watchers:
                w.want_read(True)

    def close(self) -> None:
        """Stop listening and close every listening socket."""
        self._closed = True
        if self._resolver is not None:
            self._resolver.kill(block=False)
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
            self._backoff_timer = None
        for w in self._watchers:
            w.stop()
        self._watchers = []
        for s in self.sockets:
            s.close()

    # -- setting up ------------------------------------------------------------------------
    def _emit(self, callback, *args) -> None:
        if callback is not None:
            self._hub.run_callback(callback, *args)

    def _fail(self, op: str, err: OSError, *args) -> None:
        self._errors[op] = err
        self._emit(self._on_fail, op, *args, err)

    def _adopt(self, sock) -> None:
        """Start accepting on a listening socket."""
        if not isinstance(sock, gsocket.socket):
            sock = gsocket._adopt(sock)
        self.sockets.append(sock)
        self._emit(self._on_listen, sock)  # queued before any on_accept can be
        w = FdWatcher(sock, on_readable=lambda: self._accept_ready(sock, w))
        self._watchers.append(w)
        if not self._paused:
            w.want_read(True)

    def _listen_all(self, addrs: list) -> None:
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
                self._adopt(sock)
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
        for op, call, arg in (("bind", sock.bind, sockaddr), ("listen", sock.listen, self._queuesize)):
            try:
                call(arg)
            except OSError as e:
                sock.close()
                self._fail(op, e, sock, arg)
                return None
        return sock

    def _resolve_then_listen(self, host, service, family, socktype, protocol, flags) -> None:
        """Resolve in a greenlet (names may need the resolver), then listen."""
        def run():
            try:
                infos = gsocket.getaddrinfo(host, service, family, socktype, protocol, flags | _std.AI_PASSIVE)
            except (OSError, UnicodeError) as e:
                self._emit(self._on_resolve_error, str(e))
                return
            if not self._closed:
                self._listen_all(_unique([(f, t, p, a) for f, t, p, _, a in infos]))
        if is_numeric_host(host) and (service is None or str(service).isdigit()):
            run()
        else:
            self._resolver = Greenlet.spawn(run)

    # -- accepting ------------------------------------------------------------------------
    def _accept_ready(self, sock, watcher: FdWatcher) -> None:
        w = sock._watch
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                fd, _addr = gsocket._ss._accept(sock)
            except BlockingIOError:
                w.readable = False
                return
            except OSError as e:
                if e.errno in RESOURCE_ERRORS:
                    self._back_off(e)
                    return
                if e.errno not in TRANSIENT_ERRORS:
                    log.warning("accept() on %s failed: %s", sock, e)
                continue
            self._backoff = 0.0
            client = gsocket.socket(sock.family, sock.type, sock.proto, fileno=fd)
            self._on_accept(client)
            if self._paused or self._closed:
                return
        watcher.kick_read()  # more may be waiting: continue next turn, after others ran

    def _back_off(self, err: OSError) -> None:
        """Out of descriptors: stop accepting for a while (doubling up to 1 s)."""
        if not self._backoff:
            log.error("accept() failed: %s; backing off until descriptors free up", err)
        self._backoff = min(MAX_BACKOFF, self._backoff * 2 or 0.01)
        for w in self._watchers:
            w.want_read(False)
        self._backoff_timer = self._hub.call_later(self._backoff, self._end_backoff)

    def _end_backoff(self) -> None:
        self._backoff_timer = None
        if not self._paused and not self._closed:
            for w in self._watchers:
                w.want_read(True)


def _unique(addrs: list) -> list:
    seen, out = set(), []
    for a in addrs:
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out
