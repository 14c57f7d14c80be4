"""``Acceptor``: accept connections on one listening socket from the hub.

Shared by ``Loop.listen`` and ``SocketFactory``: a batch of accepts per readiness event,
pause/resume, and a back-off (doubling to 1 s) when descriptors or memory run out, so an
EMFILE never turns into a busy loop or a dead listener.
"""
from __future__ import annotations

import errno
import logging
from _socket import socket as _c_socket

from .. import socket as gsocket
from ..hub import Timer, get_hub
from .fdwatcher import FdWatcher

_c_accept = _c_socket._accept  # type: ignore[attr-defined] # noqa: SLF001 - the C accept, which returns the fd
log = logging.getLogger("greensock.callback")

ACCEPTS_PER_EVENT = 64
MAX_BACKOFF = 1.0
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# A connection that died before it was accepted: nothing to report.
IGNORED_ERRORS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.ESPIPE})


class Acceptor:
    """Calls ``on_client(client, peer)`` per connection and ``on_error(err)`` for other failures."""

    def __init__(self, sock: gsocket.socket, on_client, on_error) -> None:
        self.sock = sock
        self._on_client = on_client
        self._on_error = on_error
        self._hub = get_hub()
        self._watcher = FdWatcher(sock, on_readable=self._ready, on_closed=on_error)
        self._paused = True
        self._closed = False
        self._backoff = 0.0
        self._backoff_timer: Timer | None = None

    def resume(self) -> None:
        """Start (or restart) accepting."""
        self._paused = False
        if self._backoff_timer is None and not self._closed:
            self._watcher.want_read(True)

    def pause(self) -> None:
        """Stop accepting; connections wait in the kernel's backlog."""
        self._paused = True
        self._watcher.want_read(False)

    def close(self) -> None:
        """Stop for good (the socket is left to its owner)."""
        self._closed = True
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
            self._backoff_timer = None
        self._watcher.stop()

    def _ready(self) -> None:
        sock = self.sock
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                fd, peer = _c_accept(sock)
            except BlockingIOError:
                sock.fd_state.readable = False
                return
            except OSError as e:
                if e.errno in RESOURCE_ERRORS:
                    self._back_off(e)
                    return
                if e.errno not in IGNORED_ERRORS:
                    self._on_error(e)
                continue
            self._backoff = 0.0
            self._on_client(gsocket.socket(sock.family, sock.type, sock.proto, fileno=fd), peer)
            if self._paused or self._closed:
                return
        self._watcher.kick_read()  # more may be waiting: continue next turn, after others ran

    def _back_off(self, err: OSError) -> None:
        if not self._backoff:
            log.error("accept() on %s failed: %s; backing off until descriptors free up", self.sock, err)
        self._backoff = min(MAX_BACKOFF, self._backoff * 2 or 0.01)
        self._watcher.want_read(False)
        self._backoff_timer = self._hub.call_later(self._backoff, self._end_backoff)

    def _end_backoff(self) -> None:
        self._backoff_timer = None
        if not self._paused and not self._closed:
            self._watcher.want_read(True)
