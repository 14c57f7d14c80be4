"""``Stream``: IO::Async-style buffered reading and queued writing on a socket."""
from __future__ import annotations

import errno
import socket as _std
from _socket import socket as _c_socket
from collections import deque
from typing import Any

from .. import socket as gsocket
from ..hub import get_hub
from .fdwatcher import FdWatcher
from .types import Handler

_recv = _c_socket.recv
_send = _c_socket.send
_MSG_MORE = getattr(gsocket, "MSG_MORE", 0)


def _callable_or_none(value, name: str):
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable, not {type(value).__name__}")
    return value


def _positive_int(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, not {value!r}")
    return value


class Stream:
    """Reads into a buffer for ``on_read``; writes from a queue. Reads once ``loop.add``-ed.

    ``on_read(stream, buffer, eof)`` gets a ``bytearray``; it deletes what it consumed. A
    true return means "call me again now" (if the buffer still holds data or EOF was
    seen), false "wait for more data".
    """

    def __init__(self, *, handle: _std.socket, on_read: Handler, on_read_eof: Handler | None = None,
                 on_closed: Handler | None = None, on_read_error: Handler | None = None,
                 on_write_error: Handler | None = None, read_len: int = 8192, write_len: int = 8192,
                 close_on_read_eof: bool = True, autoflush: bool = False) -> None:
        if not isinstance(handle, gsocket.StdSocket):
            raise TypeError(f"handle must be a socket, not {type(handle).__name__}")
        if hasattr(handle, "_sslobj"):
            raise TypeError("handle must be a plain socket: TLS sockets are not supported by Stream yet")
        if not callable(on_read):
            raise TypeError(f"on_read must be callable, not {type(on_read).__name__}")
        self.handle = handle if isinstance(handle, gsocket.socket) else gsocket.adopt(handle)
        self._on_read = on_read
        self._on_read_eof = _callable_or_none(on_read_eof, "on_read_eof")
        self.on_closed = _callable_or_none(on_closed, "on_closed")
        self._on_read_error = _callable_or_none(on_read_error, "on_read_error")
        self._on_write_error = _callable_or_none(on_write_error, "on_write_error")
        self.read_len = _positive_int(read_len, "read_len")
        self.write_len = _positive_int(write_len, "write_len")
        self.close_on_read_eof = bool(close_on_read_eof)
        self.autoflush = bool(autoflush)
        self.buffer = bytearray()
        self._queue: deque = deque()  # [view, on_write, on_flush, on_error]
        self._hub = get_hub()
        self._watcher = FdWatcher(self.handle, on_readable=self._read_ready, on_writable=self._write_ready,
                                  on_closed=self._read_failed)
        self.loop = None
        self.closed = False
        self._closing = False
        self._eof = False
        self._flush_scheduled = False

    # -- being part of a loop (what ``Loop.add``/``remove`` call) ---------------------------
    def added_to_loop(self, loop: Any) -> None:
        if self.closed:
            raise RuntimeError("cannot add a closed Stream")
        self.loop = loop
        self._watcher.want_read(True)
        if self._queue:
            self._schedule_flush()

    def removed_from_loop(self) -> None:
        self.loop = None
        self._watcher.stop()

    # -- reading -------------------------------------------------------------------------
    def _read_ready(self) -> None:
        sock = self.handle
        try:
            data = _recv(sock, self.read_len)
        except BlockingIOError:
            sock.fd_state.readable = False
            return
        except OSError as e:
            self._read_failed(e)
            return
        if data:
            if len(data) < self.read_len and sock.fd_state.readable is True:
                sock.fd_state.readable = False  # drained; the next edge brings more (unless a hang-up)
            else:
                self._watcher.kick_read()  # maybe more (or EOF): read again next turn
            self.buffer += data
            self._invoke_on_read(False)
        else:
            self._eof = True
            self._watcher.want_read(False)
            self._invoke_on_read(True)
            if self.closed:
                return
            if self._on_read_eof is not None:
                self._on_read_eof(self)
            if self.close_on_read_eof and not self.closed:
                self.close_now()

    def _invoke_on_read(self, eof: bool) -> None:
        buffer = self.buffer
        on_read = self._on_read
        while on_read(self, buffer, eof) and (buffer or eof) and not self.closed:
            pass

    def _read_failed(self, err: OSError) -> None:
        self._watcher.want_read(False)
        if self._on_read_error is not None:
            self._on_read_error(self, err)
        else:
            self.close_now()

    # -- writing -------------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview, on_write: Handler | None = None,
              on_flush: Handler | None = None, on_error: Handler | None = None) -> None:
        """Queue ``data``; ``on_write(stream, n)`` per chunk sent, ``on_flush(stream)`` when all sent."""
        if self.closed or self._closing:
            raise RuntimeError("write() on a Stream that is closed or closing")
        if isinstance(data, str):
            raise TypeError("data must be bytes-like, not str (encode it first)")
        view = memoryview(data).cast("B")
        for value, name in ((on_write, "on_write"), (on_flush, "on_flush"), (on_error, "on_error")):
            _callable_or_none(value, name)
        self._queue.append([view, on_write, on_flush, on_error])
        if self.loop is None:
            return  # written once the stream is added to a loop
        if self.autoflush and not self._watcher.writing:
            self._flush(defer_callbacks=True)
        else:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and not self._watcher.writing:
            self._flush_scheduled = True
            self._hub.run_callback(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        if not self.closed:
            self._flush(defer_callbacks=False)

    def _write_ready(self) -> None:
        self._flush(defer_callbacks=False)

    def _call(self, defer: bool, callback, *args) -> None:
        if defer:
            self._hub.run_callback(callback, *args)
        else:
            callback(*args)

    def _flush(self, defer_callbacks: bool) -> None:
        sock = self.handle
        queue = self._queue
        write_len = self.write_len
        while queue:
            entry = queue[0]
            view = entry[0]
            try:
                if len(view) > write_len or len(queue) > 1:
                    # More follows at once: MSG_MORE keeps Nagle from holding the next chunk
                    # back until the peer's delayed ACK (a 40 ms stall per message).
                    n = _send(sock, view[:write_len], _MSG_MORE)
                else:
                    n = _send(sock, view)
            except BlockingIOError:
                sock.fd_state.writable = False
                self._watcher.want_write(True)
                return
            except OSError as e:
                self._write_failed(e, defer_callbacks)
                return
            done = n == len(view)
            if done:
                queue.popleft()
            else:
                entry[0] = view[n:]
            if entry[1] is not None:
                self._call(defer_callbacks, entry[1], self, n)
            if done and entry[2] is not None:
                self._call(defer_callbacks, entry[2], self)
        self._watcher.want_write(False)
        if self._closing:
            self._close(defer_callbacks)

    def _write_failed(self, err: OSError, defer: bool) -> None:
        entry = self._queue.popleft()
        if entry[3] is not None:
            self._call(defer, entry[3], self, err)
        if self._on_write_error is not None:
            self._watcher.want_write(False)
            self._call(defer, self._on_write_error, self, err)
        else:
            self._close(defer)

    @property
    def write_pending(self) -> int:
        """Bytes queued and not yet written."""
        return sum(len(entry[0]) for entry in self._queue)

    # -- closing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close once every queued write has been sent."""
        if self.closed:
            return
        if not self._queue or self.loop is None:
            self._close(defer=True)
        else:
            self._closing = True
            self._schedule_flush()

    def close_now(self) -> None:
        """Close at once, dropping queued writes (each one's ``on_error`` hears why)."""
        self._close(defer=True)

    def _close(self, defer: bool) -> None:
        if self.closed:
            return
        self.closed = True
        self._watcher.stop()
        dropped = OSError(errno.ECANCELED, "stream closing")
        while self._queue:
            on_error = self._queue.popleft()[3]
            if on_error is not None:
                self._call(defer, on_error, self, dropped)
        loop, self.loop = self.loop, None
        if loop is not None:
            loop.discard(self)
        self.handle.close()
        if self.on_closed is not None:
            self._call(defer, self.on_closed, self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("closing" if self._closing else "open")
        return f"<Stream fd={self.handle.fileno()} {state} buffered={len(self.buffer)} queued={len(self._queue)}>"
