"""``SocketFactory``: POE::Wheel::SocketFactory — create, bind, connect or listen, report by callback."""
from __future__ import annotations

import errno
import os
import socket as _std
from _socket import socket as _c_socket
from itertools import count
from typing import Any

from .. import socket as gsocket
from ..greenlet import Greenlet
from ..hub import get_hub
from ..resolver import is_numeric_host
from .acceptor import Acceptor
from .addresses import errnum_errstr, family_arg, host_or_path_arg, host_port, port_arg, socktype_arg
from .fdwatcher import FdWatcher
from .types import Handler, Host, Kind, Service

_ids = count(1)
_AF_UNIX = getattr(_std, "AF_UNIX", None)
_DOMAINS = {_std.AF_INET, _std.AF_INET6} | ({_AF_UNIX} if _AF_UNIX is not None else set())
_PROTOCOLS = {"tcp": (_std.IPPROTO_TCP, _std.SOCK_STREAM), "udp": (_std.IPPROTO_UDP, _std.SOCK_DGRAM),
              _std.IPPROTO_TCP: (_std.IPPROTO_TCP, _std.SOCK_STREAM),
              _std.IPPROTO_UDP: (_std.IPPROTO_UDP, _std.SOCK_DGRAM)}


def _reuse_arg(reuse) -> bool:
    if isinstance(reuse, str):
        if reuse.lower() in ("yes", "on"):
            return True
        if reuse.lower() in ("no", "off", ""):
            return False
        raise ValueError(f"reuse must be a bool or 'yes'/'no'/'on'/'off', not {reuse!r}")
    return bool(reuse)


def check_domain_and_port(domain, remote_port) -> None:
    """Argument checks a component can run before it creates a factory."""
    if domain not in _DOMAINS:
        raise ValueError(f"domain must be AF_INET, AF_INET6 or AF_UNIX, not {domain!r}")
    if domain != _AF_UNIX and remote_port is None:
        raise ValueError("remote_port is required")


class _Failure(Exception):
    """A step failed: carries POE's operation name and the error."""

    def __init__(self, operation: str, error: OSError) -> None:
        super().__init__(operation)
        self.operation = operation
        self.error = error


class SocketFactory:
    """Connects when ``remote_address`` is given, else listens (stream) or binds (datagram).

    ``on_success(sock, address, port, wheel_id)`` and ``on_failure(operation, errnum,
    errstr, wheel_id)`` always run after the constructor has returned.
    """

    def __init__(self, *, on_success: Handler, on_failure: Handler, socket_domain: Kind = _std.AF_INET,
                 socket_type: Kind | None = None, socket_protocol: Kind | None = None,
                 bind_address: Host | None = None, bind_port: Service | None = 0,
                 remote_address: Host | None = None, remote_port: Service | None = None,
                 listen_queue: int | None = _std.SOMAXCONN, reuse: bool | str = False) -> None:
        for value, name in ((on_success, "on_success"), (on_failure, "on_failure")):
            if not callable(value):
                raise TypeError(f"{name} must be callable, not {type(value).__name__}")
        socket_domain = family_arg(socket_domain, "socket_domain")
        if socket_domain not in _DOMAINS:
            raise ValueError(f"socket_domain must be AF_INET, AF_INET6 or AF_UNIX, not {socket_domain!r}")
        if socket_type is not None:
            socket_type = socktype_arg(socket_type, "socket_type")
            if socket_type not in (_std.SOCK_STREAM, _std.SOCK_DGRAM):
                raise ValueError(f"socket_type must be SOCK_STREAM or SOCK_DGRAM, not {socket_type!r}")
        if socket_domain == _AF_UNIX:
            protocol, default_type = 0, _std.SOCK_STREAM
        elif socket_protocol is None:  # from the type, else TCP (POE's default)
            protocol, default_type = _PROTOCOLS["udp" if socket_type == _std.SOCK_DGRAM else "tcp"]
        else:
            if not isinstance(socket_protocol, (str, int)) or isinstance(socket_protocol, bool):
                raise TypeError(f"socket_protocol must be 'tcp', 'udp' or their numbers, "
                                f"not {type(socket_protocol).__name__}")
            key = socket_protocol.lower() if isinstance(socket_protocol, str) else socket_protocol
            if key not in _PROTOCOLS:
                raise ValueError(f"socket_protocol must be 'tcp' or 'udp' (or their numbers), not {socket_protocol!r}")
            protocol, default_type = _PROTOCOLS[key]
            if socket_type is not None and socket_type != default_type:
                raise ValueError(f"socket_type {_std.SocketKind(socket_type).name} does not go with "
                                 f"socket_protocol {socket_protocol!r}")
        if socket_type is None:
            socket_type = default_type
        if not isinstance(listen_queue, int) or isinstance(listen_queue, bool) or listen_queue < 0:
            raise ValueError(f"listen_queue must be an int >= 0, not {listen_queue!r}")
        bind_address = host_or_path_arg(bind_address, "bind_address", socket_domain)
        remote_address = host_or_path_arg(remote_address, "remote_address", socket_domain)
        bind_port = port_arg(bind_port, "bind_port") or 0
        remote_port = port_arg(remote_port, "remote_port")
        if remote_port is not None and remote_address is None:
            raise ValueError("remote_port was given without remote_address: give both to connect")
        if remote_address is not None and socket_domain != _AF_UNIX and remote_port is None:
            raise ValueError("remote_port is required to connect an internet socket")
        if socket_domain == _AF_UNIX and remote_address is None and socket_type == _std.SOCK_STREAM \
                and bind_address is None:
            raise ValueError("bind_address (a path) is required for a listening AF_UNIX socket")
        self.id = next(_ids)
        self._hub = get_hub()
        self._on_success = on_success
        self._on_failure = on_failure
        self._domain = socket_domain
        self._type = socket_type
        self._protocol = protocol
        self._reuse = _reuse_arg(reuse)
        self._queue = min(listen_queue or _std.SOMAXCONN, _std.SOMAXCONN)
        self._bind = (bind_address, bind_port)
        self._remote = (remote_address, remote_port)
        self.sock: gsocket.socket | None = None
        self._watcher: FdWatcher | None = None  # while connecting
        self._acceptor: Acceptor | None = None  # while listening
        self._paused = False
        self._closed = False
        self._setup_greenlet = None
        if self._needs_resolution():
            self._setup_greenlet = Greenlet.spawn(self._setup)
        else:
            self._setup()

    # -- public -------------------------------------------------------------------------
    def ID(self) -> int:  # noqa: N802 - POE's spelling: ``w.ID()`` is ``w.id``
        return self.id

    def event(self, *, on_success: Handler | None = None, on_failure: Handler | None = None) -> None:
        """Change the callbacks (POE's ``event(SuccessEvent => ..., FailureEvent => ...)``);
        the ones not given stay as they are."""
        for value, name in ((on_success, "on_success"), (on_failure, "on_failure")):
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable, not {type(value).__name__}")
        if on_success is not None:
            self._on_success = on_success
        if on_failure is not None:
            self._on_failure = on_failure

    def getsockname(self) -> Any:
        """The bound local address, or None before the socket exists."""
        if self.sock is None or self.sock.fileno() < 0:
            return None
        return self.sock.getsockname()

    def pause_accept(self) -> None:
        """Stop accepting (a listening factory keeps listening)."""
        self._paused = True
        if self._acceptor is not None:
            self._acceptor.pause()

    def resume_accept(self) -> None:
        """Accept again after ``pause_accept()``."""
        self._paused = False
        if self._acceptor is not None and not self._closed:
            self._acceptor.resume()

    def close(self) -> None:
        """Stop: a pending connect is abandoned, a listener stops; handed-out sockets stay open."""
        self._closed = True
        if self._setup_greenlet is not None:
            self._setup_greenlet.kill(block=False)
        if self._acceptor is not None:
            self._acceptor.close()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self.sock is not None and not getattr(self, "_handed_out", False):
            self.sock.close()

    # -- setting up ---------------------------------------------------------------------
    def _needs_resolution(self) -> bool:
        if self._domain == _AF_UNIX:
            return False
        return any(host is not None and not isinstance(host, (bytes, bytearray)) and not is_numeric_host(host)
                   for host in (self._bind[0], self._remote[0]))

    def _post_failure(self, operation: str, error: BaseException) -> None:
        num, text = errnum_errstr(error)
        self._hub.run_callback(self._failure_callback, operation, num, text)

    def _failure_callback(self, operation: str, num: int, text: str) -> None:
        if not self._closed:
            self._on_failure(operation, num, text, self.id)

    def _success_callback(self, sock, address, port) -> None:
        if not self._closed or getattr(self, "_handed_out", False):
            self._on_success(sock, address, port, self.id)

    def _sockaddr(self, host, port):
        """A sockaddr to bind or connect to; raises _Failure with POE's operation names."""
        if self._domain == _AF_UNIX:
            return host
        proto_name = "udp" if self._protocol == _std.IPPROTO_UDP else "tcp"
        if isinstance(port, str) and not port.isdigit():
            try:
                port = _std.getservbyname(port, proto_name)
            except OSError:
                raise _Failure("getservbyname", OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL)))
        port = int(port or 0)
        if host is None:
            host = "::" if self._domain == _std.AF_INET6 else "0.0.0.0"
        if isinstance(host, (bytes, bytearray)):
            host = _std.inet_ntop(self._domain, bytes(host))
        try:
            info = gsocket.getaddrinfo(host, port, self._domain, self._type, self._protocol)
        except (OSError, UnicodeError):
            op = "getaddrinfo" if self._domain == _std.AF_INET6 else "inet_aton"
            raise _Failure(op, OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL)))
        return info[0][4]

    def _setup(self) -> None:
        try:
            self._create()
        except _Failure as f:
            if self.sock is not None:
                self.sock.close()
            self._post_failure(f.operation, f.error)

    def _step(self, operation: str, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise _Failure(operation, e)

    def _create(self) -> None:
        bind_address, bind_port = self._bind
        remote_address, remote_port = self._remote
        bind_to = None
        if bind_address is not None or (self._domain != _AF_UNIX and bind_port):
            bind_to = self._sockaddr(bind_address, bind_port)
        elif self._remote[0] is None and self._domain != _AF_UNIX:
            bind_to = self._sockaddr(None, bind_port)
        connect_to = self._sockaddr(remote_address, remote_port) if remote_address is not None else None
        sock = self.sock = self._step("socket", gsocket.socket, self._domain, self._type, self._protocol)
        if self._reuse:
            self._step("setsockopt", sock.setsockopt, _std.SOL_SOCKET, _std.SO_REUSEADDR, 1)
        if bind_to is not None:
            self._step("bind", sock.bind, bind_to)
        if connect_to is not None:
            self._start_connect(sock, connect_to)
        elif self._type == _std.SOCK_STREAM:
            self._step("listen", sock.listen, self._queue)
            self._acceptor = Acceptor(sock, on_client=self._accepted, on_error=self._accept_failed)
            if not self._paused:
                self._acceptor.resume()
        else:
            self._handed_out = True
            self._hub.run_callback(self._success_callback, sock, None, None)

    # -- connecting ----------------------------------------------------------------------
    def _start_connect(self, sock: gsocket.socket, address) -> None:
        err = _c_socket.connect_ex(sock, address)
        if err == 0:
            self._connected(sock)
        elif err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            sock.fd_state.writable = False
            self._watcher = FdWatcher(sock, on_writable=self._connect_ready)
            self._watcher.want_write(True)
        else:
            raise _Failure("connect", OSError(err, os.strerror(err)))

    def _connect_ready(self) -> None:
        sock, watcher = self.sock, self._watcher
        assert sock is not None and watcher is not None  # _start_connect() made them
        watcher.stop()
        self._watcher = None
        err = sock.getsockopt(_std.SOL_SOCKET, _std.SO_ERROR)
        if err:
            sock.close()
            self._post_failure("connect", OSError(err, os.strerror(err)))
            return
        try:
            self._connected(sock)
        except _Failure as f:
            sock.close()
            self._post_failure(f.operation, f.error)

    def _connected(self, sock: gsocket.socket) -> None:
        peer = self._step("getpeername", sock.getpeername)
        address, port = host_port(peer)
        if self._domain == _AF_UNIX and address is None:
            address = self._remote[0]
        self._handed_out = True
        self._hub.run_callback(self._success_callback, sock, address, port)

    def _accepted(self, client, peer) -> None:
        address, port = host_port(peer)
        self._on_success(client, address, port, self.id)

    def _accept_failed(self, err: OSError) -> None:
        num, text = errnum_errstr(err)
        self._on_failure("accept", num, text, self.id)

    def __repr__(self) -> str:
        return f"<SocketFactory id={self.id} sock={self.sock!r}>"
