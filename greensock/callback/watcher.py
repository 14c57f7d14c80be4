"""``FdWatcher``: call functions from the hub when a socket becomes readable or writable.

It plugs into the same per-fd ``Watch`` that green sockets use: the hub calls
``watch.reader.switch()``, and for a watcher that attribute *is* the callback, so a
ready event costs no extra frame. Readiness flags are cached, so enabling a direction
on a socket that is already ready runs the callback on the next turn (an edge-triggered
poller will not report it again).
"""
from __future__ import annotations

from types import SimpleNamespace

from ..exceptions import ConcurrentObjectUseError
from ..hub import get_hub


class FdWatcher:
    """Watches one green socket; each direction can be switched on and off."""

    __slots__ = ("hub", "sock", "watch", "_reader", "_writer", "reading", "writing")

    def __init__(self, sock, on_readable=None, on_writable=None) -> None:
        self.hub = get_hub()
        self.sock = sock
        self.watch = sock._watch
        self._reader = SimpleNamespace(switch=on_readable)
        self._writer = SimpleNamespace(switch=on_writable)
        self.reading = False
        self.writing = False

    def want_read(self, on: bool) -> None:
        """Start or stop calling ``on_readable`` while the socket is readable."""
        if on != self.reading:
            self._want(on, True)
            self.reading = on

    def want_write(self, on: bool) -> None:
        """Start or stop calling ``on_writable`` while the socket is writable."""
        if on != self.writing:
            self._want(on, False)
            self.writing = on

    def _want(self, on: bool, read: bool) -> None:
        w = self.watch
        hub = self.hub
        slot = "reader" if read else "writer"
        if on:
            current = getattr(w, slot)
            if current is not None:
                raise ConcurrentObjectUseError(f"fd {w.fd} already has a {slot}: {current!r}")
            if not w.registered:
                hub._register(w)
            setattr(w, slot, self._reader if read else self._writer)
            hub._waiting += 1
            if w.readable if read else w.writable:
                hub.run_callback(self._kick_read if read else self._kick_write)
        else:
            setattr(w, slot, None)
            hub._waiting -= 1
        if not hub._et:
            hub._update_interest(w)

    def _kick_read(self) -> None:
        if self.reading and self.watch.readable:
            self._reader.switch()

    def _kick_write(self) -> None:
        if self.writing and self.watch.writable:
            self._writer.switch()

    def kick_read(self) -> None:
        """Run the read callback again next turn if the socket is still known readable."""
        self.hub.run_callback(self._kick_read)

    def stop(self) -> None:
        """Stop watching both directions."""
        self.want_read(False)
        self.want_write(False)
