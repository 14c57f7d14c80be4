"""Cooperative TLS: the standard ``ssl`` module with sockets that park only the current greenlet.

``SSLSocket`` combines the standard ``ssl.SSLSocket`` with ``greensock.socket.socket``.
The OS socket is non-blocking, so OpenSSL reports ``SSLWantRead``/``SSLWantWrite``;
those are turned into waits on the socket's watch, honouring the user's timeout.
"""
from __future__ import annotations

import os
import ssl as _std
import sys
from ssl import *  # noqa: F403 - mirror every public name of the standard module
from time import monotonic

from . import socket as _gsocket

__all__ = [name for name in dir(_std) if not name.startswith("_")]

SSLWantReadError = _std.SSLWantReadError
SSLWantWriteError = _std.SSLWantWriteError


class SSLSocket(_std.SSLSocket, _gsocket.socket):
    """A TLS socket whose handshake, reads and writes cooperate with the hub."""

    def _retry(self, op, *args):
        """Run ``op`` until OpenSSL stops asking for the fd to become ready."""
        timeout = self._timeout
        deadline = None if timeout is None else monotonic() + timeout
        w = self.fd_state
        hub = self._hub
        while True:
            try:
                return op(*args)
            except SSLWantReadError:
                if timeout == 0.0:
                    raise
                w.readable = False
                hub.wait_readable(w, None if deadline is None else max(0.0, deadline - monotonic()))
            except SSLWantWriteError:
                if timeout == 0.0:
                    raise
                w.writable = False
                hub.wait_writable(w, None if deadline is None else max(0.0, deadline - monotonic()))

    def do_handshake(self, block: bool = False) -> None:
        self._check_connected()
        self._retry(self._sslobj.do_handshake)

    def read(self, len: int = 1024, buffer=None):
        self._checkClosed()
        if self._sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            if buffer is not None:
                return self._retry(self._sslobj.read, len, buffer)
            return self._retry(self._sslobj.read, len)
        except _std.SSLError as e:
            if e.args[0] == _std.SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data) -> int:
        self._checkClosed()
        if self._sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return self._retry(self._sslobj.write, data)

    def send(self, data, flags: int = 0) -> int:
        self._checkClosed()
        if self._sslobj is None:
            return _gsocket.socket.send(self, data, flags)
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to send() on {type(self)}")
        return self._retry(self._sslobj.write, data)

    def unwrap(self):
        if self._sslobj is None:
            raise ValueError(f"No SSL wrapper around {self}")
        sslobj = self._sslobj
        self._retry(sslobj.shutdown)
        self._sslobj = None
        return self

    def _real_close(self) -> None:
        self._sslobj = None
        _gsocket.socket._real_close(self)  # noqa: SLF001 - the base class's own method


def wrap(context: _std.SSLContext, sock, server_side: bool = False, do_handshake_on_connect: bool = True,
         suppress_ragged_eofs: bool = True, server_hostname=None, session=None) -> SSLSocket:
    """Wrap ``sock`` with any ``ssl.SSLContext`` (standard or greensock) into a cooperative SSLSocket."""
    if not isinstance(context, _std.SSLContext):
        raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
    if not isinstance(sock, _gsocket.socket):
        sock = _gsocket.adopt(sock)
    create = SSLSocket._create  # noqa: SLF001 - how the standard library builds an SSLSocket
    return create(sock=sock, server_side=server_side, do_handshake_on_connect=do_handshake_on_connect,
                  suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname,
                  context=context, session=session)


class SSLContext(_std.SSLContext):
    """An ``ssl.SSLContext`` whose ``wrap_socket`` returns cooperative sockets."""

    sslsocket_class = SSLSocket

    def wrap_socket(self, sock, server_side: bool = False, do_handshake_on_connect: bool = True,
                    suppress_ragged_eofs: bool = True, server_hostname=None, session=None) -> SSLSocket:
        return wrap(self, sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, server_hostname, session)


def create_default_context(purpose=_std.Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None) -> SSLContext:
    """Like ``ssl.create_default_context``, returning a cooperative ``SSLContext``."""
    if not isinstance(purpose, _std._ASN1Object):  # noqa: SLF001 - the standard check
        raise TypeError(f"purpose must be an ssl.Purpose, not {type(purpose).__name__}")
    if purpose == _std.Purpose.SERVER_AUTH:
        context = SSLContext(_std.PROTOCOL_TLS_CLIENT)
    elif purpose == _std.Purpose.CLIENT_AUTH:
        context = SSLContext(_std.PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _std.CERT_NONE:
        context.load_default_certs(purpose)
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and hasattr(context, "keylog_filename") and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context


def _create_unverified_context(protocol=None, *, cert_reqs=_std.CERT_NONE, check_hostname: bool = False,
                               purpose=_std.Purpose.SERVER_AUTH, certfile=None, keyfile=None, cafile=None,
                               capath=None, cadata=None) -> SSLContext:
    """The cooperative twin of the standard library's unverified-context factory."""
    if protocol is None:
        protocol = _std.PROTOCOL_TLS_SERVER if purpose == _std.Purpose.CLIENT_AUTH else _std.PROTOCOL_TLS_CLIENT
    context = SSLContext(protocol)
    if not check_hostname:
        context.check_hostname = False
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if check_hostname:
        context.check_hostname = True
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _std.CERT_NONE:
        context.load_default_certs(purpose)
    return context


_create_default_https_context = create_default_context


def wrap_socket(sock, keyfile=None, certfile=None, server_side: bool = False, cert_reqs=_std.CERT_NONE,
                ssl_version=None, ca_certs=None, do_handshake_on_connect: bool = True,
                suppress_ragged_eofs: bool = True, ciphers=None) -> SSLSocket:
    """The old module-level ``ssl.wrap_socket`` (removed from the standard library in 3.12)."""
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if ssl_version is None:
        ssl_version = _std.PROTOCOL_TLS_SERVER if server_side else _std.PROTOCOL_TLS_CLIENT
    context = SSLContext(ssl_version)
    if not server_side:
        context.check_hostname = False
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context.wrap_socket(sock=sock, server_side=server_side, do_handshake_on_connect=do_handshake_on_connect,
                               suppress_ragged_eofs=suppress_ragged_eofs)
