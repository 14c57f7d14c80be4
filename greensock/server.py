"""``StreamServer`` and ``DatagramServer``: a handler greenlet per connection or datagram."""
from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from . import socket as gsocket
from .greenlet import Greenlet
from .hub import get_hub, sleep
from .pool import Group, Pool
from .serve import serve_processes

if TYPE_CHECKING:
    from ssl import SSLContext  # imported for real only when a context is given

__all__ = ["StreamServer", "DatagramServer", "ServerError", "parse_address"]

# What a server listens on: an address tuple, "host:port", a port number, or a socket.
Listener = tuple | str | int | gsocket.StdSocket
# How a server runs handlers: "default"/None (unbounded), a pool size, a Pool or Group, a spawn function.
SpawnPolicy = str | int | Group | Callable[..., Any] | None


log = logging.getLogger("greensock.server")

# Accept errors that mean "out of resources": back off instead of spinning.
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Errors that only concern the connection being accepted (accept(2) says to retry).
TRANSIENT_ERRORS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EPERM, errno.ENETDOWN,
                              errno.ENOPROTOOPT, errno.EHOSTDOWN, errno.ENONET, errno.EHOSTUNREACH,
                              errno.ENETUNREACH, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED})
MAX_BACKOFF = 1.0
ACCEPTS_PER_WAKEUP = 64


class ServerError(RuntimeError):
    """The listening socket failed for good (not a resource shortage): the server stopped."""


def parse_address(listener: tuple | str | int) -> tuple:
    """``(host, port)`` from a tuple, a ``"host:port"`` / ``":port"`` string or a port number."""
    if isinstance(listener, int) and not isinstance(listener, bool):
        return ("0.0.0.0", listener)
    if isinstance(listener, str):
        host, sep, port = listener.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"listener must look like 'host:port', not {listener!r}")
        host = host.strip("[]") or "0.0.0.0"
        return (host, int(port))
    if isinstance(listener, tuple) and len(listener) >= 2:
        return listener
    raise TypeError(f"listener must be an address tuple, a 'host:port' string or a socket, "
                    f"not {type(listener).__name__}")


def _spawner(spawn) -> tuple[Callable, Group]:
    """Turn the ``spawn`` argument into (spawn function, group that tracks handlers)."""
    if spawn == "default" or spawn is None:
        group = Group()
        return group.spawn, group
    if isinstance(spawn, int) and not isinstance(spawn, bool):
        if spawn < 1:
            raise ValueError(f"spawn must be a pool size >= 1, not {spawn}")
        pool = Pool(spawn)
        return pool.spawn, pool
    if isinstance(spawn, Group):
        return spawn.spawn, spawn
    if callable(spawn):
        group = Group()

        def spawn_and_track(fn, *args):
            g = spawn(fn, *args)
            if isinstance(g, Greenlet):
                group.add(g)
            return g
        return spawn_and_track, group
    raise TypeError(f"spawn must be 'default', None, an int, a Pool or a callable, not {spawn!r}")


class BaseServer:
    """What both servers share: listener, spawn policy, start/stop/serve_forever."""

    socket_type = gsocket.SOCK_STREAM
    # Each kind of server binds its own kind of socket and runs its own receiving loop.
    _make_socket: Callable[[Any], gsocket.socket]
    _serve: Callable[[], None]


    def __init__(self, listener: Listener, handle: Callable, spawn: SpawnPolicy = "default") -> None:
        if not callable(handle):
            raise TypeError(f"handle must be callable, not {type(handle).__name__}")
        self.handle = handle
        self._spawn, self.pool = _spawner(spawn)
        self.socket: gsocket.socket | None = None
        self._address: tuple | None = None  # the address to bind, when not given a socket
        if isinstance(listener, gsocket.StdSocket):
            self.socket = listener if isinstance(listener, gsocket.socket) else gsocket.adopt(listener)
        else:
            self._address = parse_address(listener)
        self._loop: Greenlet | None = None
        self._stopping = False

    # -- addresses --------------------------------------------------------------------
    @property
    def address(self) -> Any:
        """The bound address once the socket exists (a path for AF_UNIX), else the one asked for."""
        return self.socket.getsockname() if self.socket is not None else self._address

    @property
    def server_host(self) -> str:
        return self.address[0]

    @property
    def server_port(self) -> int:
        return self.address[1]

    @property
    def started(self) -> bool:
        return self._loop is not None and not self._loop.dead

    # -- life cycle -----------------------------------------------------------------------
    def init_socket(self) -> None:
        """Create and bind the socket if it was given as an address."""
        if self.socket is None:
            self.socket = self._make_socket(self._address)


    def start(self) -> None:
        """Bind (if needed) and start serving in a background greenlet."""
        if self.started:
            return
        self.init_socket()
        self._stopping = False
        self._loop = Greenlet.spawn(self._serve)

    def serve_forever(self, processes: int | None = None, **options) -> None:
        """Serve until ``stop()``; with ``processes=N``, fork N workers (see greensock.serve).

        Interrupted (Ctrl-C, or any exception thrown into the waiting greenlet), it stops
        the server as ``stop()`` does (1 s for handlers to finish, then they are killed)
        and re-raises. A ``stop(timeout)`` already called is left to finish its own way.
        Raises ``ServerError`` if the listening socket fails for good.
        """
        if processes is not None:
            serve_processes(self, processes, **options)
            return
        self.start()
        loop = self._loop
        assert loop is not None  # start() spawned it
        try:
            loop.join()
        finally:
            if getcurrent() is not get_hub() and self.socket is not None and not self._stopping:
                self.stop()
        error = loop.exception  # None unless it ended by raising
        if error is not None:
            raise error


    def stop(self, timeout: float | None = None) -> None:
        """Close the listener now; let handlers finish for ``timeout`` (1 s), then kill the rest."""
        self._stopping = True
        self.close()
        if getcurrent() is get_hub():
            self.pool.kill(block=False)
            return
        if not self.pool.join(timeout=1.0 if timeout is None else timeout):
            self.pool.kill(block=True, timeout=1.0)

    def _fail(self, call: str, error: OSError) -> None:
        """In the serving greenlet: an error that would repeat forever stops the server."""
        address = self.address
        log.error("%s on %s failed: %s; the server stops", call, address, error)
        self.close()
        raise ServerError(f"{call} on {address} failed: {error}; the server stopped "
                          "(is the socket listening?)") from error

    def close(self) -> None:
        """Stop accepting and close the listening socket (handlers keep running)."""
        loop, self._loop = self._loop, None
        if loop is not None and getcurrent() is not loop:
            loop.kill(block=False)
        if self.socket is not None:
            self.socket.close()

    @property
    def closed(self) -> bool:
        return self.socket is None or self.socket.fileno() < 0

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address} handlers={len(self.pool)}>"


class StreamServer(BaseServer):
    """A TCP (or AF_UNIX) server: ``handle(sock, address)`` runs in a greenlet per connection.

    The connection is closed when ``handle`` returns. ``ssl_context`` wraps every accepted
    socket (the handshake runs in the handler's greenlet, never in the accept loop).
    """

    def __init__(self, listener: Listener, handle: Callable, backlog: int | None = None,
                 spawn: SpawnPolicy = "default", ssl_context: SSLContext | None = None) -> None:
        if backlog is not None and (not isinstance(backlog, int) or backlog < 0):
            raise ValueError(f"backlog must be None or an int >= 0, not {backlog!r}")
        if ssl_context is not None:
            import ssl as _ssl
            if not isinstance(ssl_context, _ssl.SSLContext):
                raise TypeError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context).__name__}")
        BaseServer.__init__(self, listener, handle, spawn)
        self.backlog = backlog
        self.ssl_context = ssl_context
        self._backoff_logged = False

    def _make_socket(self, address) -> gsocket.socket:
        family = gsocket.AF_INET6 if ":" in address[0] else gsocket.AF_INET
        return gsocket.create_server(address, family=family, backlog=self.backlog or 128)

    def _serve(self) -> None:
        listener = self.socket
        assert listener is not None  # init_socket() made it
        accept = listener._accept  # noqa: SLF001 - the standard socket API's fd-returning accept
        family, type_, proto = listener.family, listener.type, listener.proto
        pool = self.pool
        spawn = self._spawn
        handle_one = self._handle_one
        delay = 0.0
        while True:
            if pool.full():
                pool.wait_available()
            for _ in range(ACCEPTS_PER_WAKEUP):
                try:
                    fd, address = accept()
                except OSError as e:
                    if e.errno in RESOURCE_ERRORS:
                        delay = self._back_off(e, delay)
                        break
                    if e.errno == errno.EBADF and self.closed:
                        return
                    if e.errno in TRANSIENT_ERRORS:
                        continue  # that connection failed; the next one may not
                    self._fail("accept()", e)
                delay = 0.0
                self._backoff_logged = False
                spawn(handle_one, gsocket.socket(family, type_, proto, fileno=fd), address)
                if pool.full():
                    break
            else:
                sleep(0)  # a flood of connections still lets handlers run

    def _back_off(self, error: OSError, delay: float) -> float:
        """Sleep after a resource error; the delay doubles up to MAX_BACKOFF."""
        delay = min(MAX_BACKOFF, delay * 2 if delay else 0.01)
        if not self._backoff_logged:
            self._backoff_logged = True
            log.error("accept() on %s: %s; backing off (up to %.1fs) until resources free up",
                      self.address, error, MAX_BACKOFF)
        sleep(delay)
        return delay

    def _handle_one(self, sock: gsocket.socket, address) -> None:
        conn: gsocket.StdSocket = sock
        try:
            if self.ssl_context is not None:
                from .ssl import wrap
                conn = wrap(self.ssl_context, sock, server_side=True)
            self.handle(conn, address)
        finally:
            conn.close()


class DatagramServer(BaseServer):
    """A UDP server: ``handle(data, address)`` runs in a greenlet per datagram."""

    socket_type = gsocket.SOCK_DGRAM
    max_datagram = 65536

    def _make_socket(self, address) -> gsocket.socket:
        family = gsocket.AF_INET6 if ":" in address[0] else gsocket.AF_INET
        sock = gsocket.socket(family, gsocket.SOCK_DGRAM)
        try:
            sock.bind(address)
        except BaseException:
            sock.close()
            raise
        return sock

    def _serve(self) -> None:
        listener = self.socket
        assert listener is not None  # init_socket() made it
        recvfrom = listener.recvfrom
        spawn = self._spawn
        pool = self.pool
        while True:
            if pool.full():
                pool.wait_available()
            try:
                data, address = recvfrom(self.max_datagram)
            except OSError as e:
                if e.errno == errno.EBADF and self.closed:
                    return
                if e.errno in RESOURCE_ERRORS:
                    sleep(0.01)
                    continue
                if e.errno in TRANSIENT_ERRORS or e.errno == errno.EMSGSIZE:
                    continue  # an ICMP error for an earlier datagram: the socket is fine
                self._fail("recvfrom()", e)
            spawn(self.handle, data, address)

    def sendto(self, data: bytes, address: Any) -> int:
        """Send a datagram from the server's socket."""
        if self.socket is None:
            raise OSError(errno.EBADF, "the server has no socket yet: start() it first")
        return self.socket.sendto(data, address)


