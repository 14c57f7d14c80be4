"""Per-fd readiness state shared by the hub and the socket that owns the fd."""
from __future__ import annotations

# ``Watch.readable`` after the poller reported a hang-up or error: truthy, and sticky.
HANGUP = 2


class Watch:
    """What the hub knows about one fd.

    ``readable``/``writable`` cache readiness: the poller sets them, an EAGAIN (or a
    short read, unless ``readable`` is ``HANGUP``: the peer closed, so EOF stays readable
    and no further edge will come) clears them, so a socket known not to be ready waits without trying
    the syscall. ``reader``/``writer`` hold whoever waits for each direction: a greenlet
    or any object with a ``switch()`` method (the callback layer's watchers).
    """

    __slots__ = ("fd", "readable", "writable", "reader", "writer", "registered", "temporary")

    def __init__(self, fd: int, temporary: bool = False) -> None:
        self.fd = fd
        self.readable = True
        self.writable = True
        self.reader = None
        self.writer = None
        self.registered = False
        self.temporary = temporary

    def __repr__(self) -> str:
        return (f"<Watch fd={self.fd} r={self.readable} w={self.writable} "
                f"reader={self.reader!r} writer={self.writer!r}>")
