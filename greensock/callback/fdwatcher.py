"""``FdWatcher``: call functions from the hub when a socket becomes readable or writable.

It puts a ``CallbackWaiter`` into the same per-fd record that green sockets park in:
the hub calls ``waiter.switch()``, and for a watcher that attribute *is* the callback,
so a ready event costs no extra frame. Readiness flags are cached, so enabling a
direction on a socket that is already ready runs the callback on the next turn (an
edge-triggered poller will not report it again). If the socket is closed while
watched, ``on_closed(err)`` hears of it (``err`` is an ``OSError`` with EBADF) and the
watch ends.
"""
from __future__ import annotations

from ..hub import CallbackWaiter, get_hub


class FdWatcher:
    """Watches one green socket; each direction can be switched on and off."""

    __slots__ = ("hub", "sock", "state", "_reader", "_writer", "reading", "writing", "_on_closed")

    def __init__(self, sock, on_readable=None, on_writable=None, on_closed=None) -> None:
        self.hub = get_hub()
        self.sock = sock
        self.state = sock.fd_state
        self._on_closed = on_closed
        self._reader = CallbackWaiter(on_readable, self._closed)
        self._writer = CallbackWaiter(on_writable, self._closed)
        self.reading = False
        self.writing = False

    def want_read(self, on: bool) -> None:
        """Start or stop calling ``on_readable`` while the socket is readable."""
        if on != self.reading:
            if on:
                self.hub.watch(self.state, True, self._reader)
                if self.state.readable:
                    self.hub.run_callback(self._kick_read)
            else:
                self.hub.unwatch(self.state, True, self._reader)
            self.reading = on

    def want_write(self, on: bool) -> None:
        """Start or stop calling ``on_writable`` while the socket is writable."""
        if on != self.writing:
            if on:
                self.hub.watch(self.state, False, self._writer)
                if self.state.writable:
                    self.hub.run_callback(self._kick_write)
            else:
                self.hub.unwatch(self.state, False, self._writer)
            self.writing = on

    def _kick_read(self) -> None:
        if self.reading and self.state.readable:
            self._reader.switch()

    def _kick_write(self) -> None:
        if self.writing and self.state.writable:
            self._writer.switch()

    def kick_read(self) -> None:
        """Run the read callback again next turn if the socket is still known readable."""
        self.hub.run_callback(self._kick_read)

    def _closed(self, err: OSError) -> None:
        if not (self.reading or self.writing):
            return  # told once, through whichever direction the hub reached first
        self.stop()
        if self._on_closed is not None:
            self._on_closed(err)

    def stop(self) -> None:
        """Stop watching both directions."""
        self.want_read(False)
        self.want_write(False)
