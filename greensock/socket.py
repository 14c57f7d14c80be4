"""A cooperative drop-in for the standard ``socket`` module, name for name.

``socket`` subclasses the standard class and overrides only the calls that block.
The OS socket is always non-blocking; the timeout the user sets is kept here and
applied while the greenlet waits, with the standard library's exact semantics
(``None`` waits, ``0.0`` raises ``BlockingIOError``, a number raises ``TimeoutError``).
"""
from __future__ import annotations

import _socket
import errno
import os
import socket as _std
from socket import *  # noqa: F403 - mirror every public name of the standard module
from socket import (  # noqa: F401 - names that ``*`` does not bring but users reach for
    _GLOBAL_DEFAULT_TIMEOUT,
    SocketIO,
    has_dualstack_ipv6,
)
from time import monotonic

from .fdwait import wait_read, wait_write
from .hub import get_hub
from .resolver import (  # noqa: F401 - the resolving functions are part of this module's API
    getaddrinfo,
    getfqdn,
    gethostbyaddr,
    gethostbyname,
    gethostbyname_ex,
    getnameinfo,
    is_numeric_host,
)

__all__ = [*_std.__all__, "wait_read", "wait_write", "adopt"]

_ss = _socket.socket
# The standard class, captured before monkey patching can replace ``socket.socket``.
StdSocket = _std.socket
_recv = _ss.recv
_recv_into = _ss.recv_into
_send = _ss.send
# Standard-library internals this module builds on (the C accept returns an fd).
_c_accept = _ss._accept  # noqa: SLF001
_GiveUp = _std._GiveupOnSendfile  # noqa: SLF001
_EAGAIN = (errno.EAGAIN, errno.EWOULDBLOCK)
_DONTWAIT = getattr(_std, "MSG_DONTWAIT", 0)
_CONNECTING = (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK, errno.EAGAIN)
_INET = (_std.AF_INET, getattr(_std, "AF_INET6", -1))


def _would_block(op: str) -> BlockingIOError:
    return BlockingIOError(errno.EAGAIN, f"{op} would block on a non-blocking socket")


class socket(_std.socket):
    """A cooperative socket: blocking calls park only the current greenlet."""

    __slots__ = ("_hub", "fd_state", "_timeout", "_stream")

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None) -> None:
        StdSocket.__init__(self, family, type, proto, fileno)
        self._timeout = _ss.gettimeout(self)
        _ss.settimeout(self, 0.0)
        self._hub = hub = get_hub()
        self.fd_state = hub.fd_state(_ss.fileno(self))
        self._stream = _ss.type.__get__(self) == _std.SOCK_STREAM

    # -- timeouts, as the standard library defines them ---------------------------------
    def settimeout(self, value) -> None:
        if value is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise TypeError(f"timeout must be a number or None, not {type(value).__name__}")
            if value < 0:
                raise ValueError("Timeout value out of range")
            value = float(value)
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    @property
    def timeout(self):
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        _ss.setblocking(self, False)  # the fd stays non-blocking; an invalid fd raises, as in C
        self._timeout = None if flag else 0.0

    def getblocking(self) -> bool:
        return self._timeout != 0.0

    # -- the hot paths: syscall first, wait only when the socket is known not ready ------
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        w = self.fd_state
        while True:
            if w.readable or self._timeout == 0.0 or flags:
                try:
                    data = _recv(self, bufsize, flags)
                except BlockingIOError:
                    if flags & _DONTWAIT:
                        raise
                    w.readable = False
                else:
                    if 0 < len(data) < bufsize and self._stream and not flags and w.readable is True:
                        w.readable = False  # drained: the next edge says when more arrives
                    return data
            if self._timeout is not None:
                return self._read_slow(_recv, bufsize, flags)
            # No timeout (the common case): wait here, not in helper frames a parked
            # greenlet would keep alive.
            self._hub.wait_readable(w)

    def recv_into(self, buffer, nbytes: int = 0, flags: int = 0) -> int:
        w = self.fd_state
        while True:
            if w.readable or self._timeout == 0.0 or flags:
                try:
                    n = _recv_into(self, buffer, nbytes, flags)
                except BlockingIOError:
                    if flags & _DONTWAIT:
                        raise
                    w.readable = False
                else:
                    if 0 < n < (nbytes or len(buffer)) and self._stream and not flags and w.readable is True:
                        w.readable = False
                    return n
            if self._timeout is not None:
                return self._read_slow(_recv_into, buffer, nbytes, flags)
            self._hub.wait_readable(w)

    def send(self, data, flags: int = 0) -> int:
        w = self.fd_state
        if w.writable or self._timeout == 0.0 or flags:
            try:
                return _send(self, data, flags)
            except BlockingIOError:
                if flags & _DONTWAIT:
                    raise
                w.writable = False
        return self._write_slow(_send, data, flags)

    def sendall(self, data, flags: int = 0) -> None:
        w = self.fd_state
        sent = 0
        if w.writable or self._timeout == 0.0:
            try:
                sent = _send(self, data, flags)
            except BlockingIOError:
                w.writable = False
            else:
                if sent == len(data):
                    return None
        self._sendall_slow(data, flags, sent)

    # -- slow paths ----------------------------------------------------------------------------
    def _read_slow(self, op, *args):
        """Wait until readable, then retry ``op`` (the caller has just seen EAGAIN)."""
        return self._wait_and_retry(self._hub.wait_readable, "readable", op, args)

    def _write_slow(self, op, *args):
        """Wait until writable, then retry ``op``."""
        return self._wait_and_retry(self._hub.wait_writable, "writable", op, args)

    def _wait_and_retry(self, wait, flag: str, op, args):
        timeout = self._timeout
        if timeout == 0.0:
            raise _would_block(op.__name__)
        w = self.fd_state
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            wait(w, None if deadline is None else max(0.0, deadline - monotonic()))
            try:
                return op(self, *args)
            except BlockingIOError:
                setattr(w, flag, False)  # a stale edge: wait again

    def _sendall_slow(self, data, flags: int, sent: int) -> None:
        timeout = self._timeout
        if timeout == 0.0:
            raise _would_block("sendall")
        w = self.fd_state
        deadline = None if timeout is None else monotonic() + timeout
        with memoryview(data) as view, view.cast("B") as buf:
            total = len(buf)
            while sent < total:
                if not w.writable:
                    self._hub.wait_writable(w, None if deadline is None else max(0.0, deadline - monotonic()))
                try:
                    sent += _send(self, buf[sent:], flags)
                except BlockingIOError:
                    w.writable = False

    def _read_op(self, op, flags: int, *args):
        """Any read-like call: try it, wait on EAGAIN (unless ``flags`` has MSG_DONTWAIT)."""
        w = self.fd_state
        if w.readable or self._timeout == 0.0 or flags:
            try:
                return op(self, *args)
            except BlockingIOError:
                if flags & _DONTWAIT:
                    raise
                w.readable = False
        return self._read_slow(op, *args)

    def _write_op(self, op, flags: int, *args):
        """Any write-like call: try it, wait on EAGAIN (unless ``flags`` has MSG_DONTWAIT)."""
        w = self.fd_state
        if w.writable or self._timeout == 0.0 or flags:
            try:
                return op(self, *args)
            except BlockingIOError:
                if flags & _DONTWAIT:
                    raise
                w.writable = False
        return self._write_slow(op, *args)

    def recvfrom(self, bufsize: int, flags: int = 0):
        return self._read_op(_ss.recvfrom, flags, bufsize, flags)

    def recvfrom_into(self, buffer, nbytes: int = 0, flags: int = 0):
        return self._read_op(_ss.recvfrom_into, flags, buffer, nbytes, flags)

    def sendto(self, data, *args) -> int:
        if len(args) == 1:
            args = (0, self._resolved(args[0]))
        elif len(args) == 2:
            args = (args[0], self._resolved(args[1]))
        return self._write_op(_ss.sendto, args[0] if len(args) == 2 else 0, data, *args)

    if hasattr(_ss, "recvmsg"):
        def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0):
            return self._read_op(_ss.recvmsg, flags, bufsize, ancbufsize, flags)

        def recvmsg_into(self, buffers, ancbufsize: int = 0, flags: int = 0):
            return self._read_op(_ss.recvmsg_into, flags, buffers, ancbufsize, flags)

        def sendmsg(self, buffers, ancdata=(), flags: int = 0, address=None) -> int:
            if address is None:
                return self._write_op(_ss.sendmsg, flags, buffers, ancdata, flags)
            return self._write_op(_ss.sendmsg, flags, buffers, ancdata, flags, self._resolved(address))

    # -- accept and connect ---------------------------------------------------------------------
    def _accept(self):
        return self._read_op(_c_accept, 0)

    def accept(self):
        """Wait for a connection; return ``(socket, address)`` like the standard library."""
        fd, addr = self._accept()
        sock = socket(self.family, self.type, self.proto, fileno=fd)
        if _std.getdefaulttimeout() is None and self._timeout:
            sock.setblocking(True)
        return sock, addr

    def _resolved(self, address):
        """Resolve a non-numeric host off the hub so the C call never does it."""
        if self.family in _INET and isinstance(address, tuple) and len(address) >= 2:
            host = address[0]
            if not is_numeric_host(host):
                info = getaddrinfo(host, address[1], self.family, self.type, self.proto)
                return info[0][4][:2] + tuple(address[2:])
        return address

    def connect(self, address) -> None:
        """Connect, parking the greenlet until the handshake completes or times out."""
        address = self._resolved(address)
        timeout = self._timeout
        err = _ss.connect_ex(self, address)
        if err == 0 or err == errno.EISCONN:
            return
        if err not in _CONNECTING:
            raise OSError(err, os.strerror(err))
        if timeout == 0.0:
            raise BlockingIOError(err, os.strerror(err))
        deadline = None if timeout is None else monotonic() + timeout
        w = self.fd_state
        while True:
            w.writable = False
            try:
                self._hub.wait_writable(w, None if deadline is None else max(0.0, deadline - monotonic()))
            except TimeoutError:
                raise TimeoutError("timed out") from None
            err = _ss.getsockopt(self, _std.SOL_SOCKET, _std.SO_ERROR)
            if err in _EAGAIN and self.family == getattr(_std, "AF_UNIX", None):
                err = _ss.connect_ex(self, address)  # a full AF_UNIX backlog: try again
                if err in _EAGAIN:
                    continue
            if err == 0 or err == errno.EISCONN:
                return
            if err not in _CONNECTING:
                raise OSError(err, os.strerror(err))

    def connect_ex(self, address) -> int:
        address = self._resolved(address)  # a name that does not resolve raises, as in C
        try:
            socket.connect(self, address)  # not self.connect: SSLSocket.connect calls this
        except TimeoutError:
            return errno.ETIMEDOUT
        except OSError as e:
            if e.errno is None:
                raise
            return e.errno
        return 0

    # -- sendfile without blocking the hub --------------------------------------------------------
    def _sendfile_use_sendfile(self, file, offset: int = 0, count: int | None = None) -> int:
        self._check_sendfile_params(file, offset, count)
        try:
            fileno = file.fileno()
        except (AttributeError, OSError) as e:
            raise _GiveUp(e)
        try:
            fsize = os.fstat(fileno).st_size
        except OSError as e:
            raise _GiveUp(e)
        if not fsize:
            return 0
        if self._timeout == 0.0:
            raise ValueError("non-blocking sockets are not supported")
        blocksize = min(count or fsize, 2 ** 30)
        total = 0
        w = self.fd_state
        try:
            while True:
                if count:
                    blocksize = min(count - total, blocksize)
                    if blocksize <= 0:
                        break
                try:
                    sent = os.sendfile(_ss.fileno(self), fileno, offset, blocksize)
                except BlockingIOError:
                    w.writable = False
                    self._hub.wait_writable(w, self._timeout)
                    continue
                except OSError as e:
                    if total == 0:
                        raise _GiveUp(e)
                    raise
                if sent == 0:
                    break
                offset += sent
                total += sent
            return total
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset)

    # -- closing: wake waiters with EBADF, drop the registration, then close --------------------
    def _real_close(self, _ss=_ss) -> None:
        self._hub.close_fd_state(self.fd_state)
        _ss.close(self)

    def detach(self) -> int:
        self._hub.close_fd_state(self.fd_state)
        return StdSocket.detach(self)


SocketType = socket


def socketpair(family=None, type=_std.SOCK_STREAM, proto=0):
    """Two connected cooperative sockets."""
    if family is None:
        family = getattr(_std, "AF_UNIX", _std.AF_INET)
    a, b = _socket.socketpair(family, type, proto)
    return (socket(family, type, proto, a.detach()), socket(family, type, proto, b.detach()))


def fromfd(fd: int, family, type, proto: int = 0) -> socket:
    """A cooperative socket on a duplicate of ``fd``."""
    return socket(family, type, proto, os.dup(fd))


def adopt(sock: StdSocket) -> socket:
    """Turn a standard socket into a cooperative one on the same fd, keeping its timeout.

    ``sock`` is detached: use the returned socket from now on.
    """
    if not isinstance(sock, StdSocket):
        raise TypeError(f"sock must be a socket, not {type(sock).__name__}")
    timeout = sock.gettimeout()
    new = socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    new.settimeout(timeout)
    return new


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors: bool = False):
    """Connect to ``(host, port)``, trying every resolved address in turn."""
    host, port = address
    errors = []
    for family, type_, proto, _, sockaddr in getaddrinfo(host, port, 0, _std.SOCK_STREAM):
        sock = None
        try:
            sock = socket(family, type_, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            errors.clear()
            return sock
        except OSError as e:
            errors.append(e)
            if sock is not None:
                sock.close()
    if not errors:
        raise OSError("getaddrinfo returns an empty list")
    try:
        if all_errors:
            raise ExceptionGroup("create_connection failed", errors)  # noqa: F405, F821 - exists from 3.11, like all_errors
        raise errors[-1]
    finally:
        errors = None


def create_server(address, *, family=_std.AF_INET, backlog=None, reuse_port: bool = False,
                  dualstack_ipv6: bool = False) -> socket:
    """A listening cooperative socket bound to ``address`` (see ``socket.create_server``)."""
    host, port = address[0], address[1]
    if not is_numeric_host(host):
        host = getaddrinfo(host, port, family, _std.SOCK_STREAM)[0][4][0]
    address = (host, port, *address[2:])
    return adopt(_std.create_server(address, family=family, backlog=backlog, reuse_port=reuse_port,
                                    dualstack_ipv6=dualstack_ipv6))
