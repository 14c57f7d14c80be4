"""Per-fd readiness and waiters, shared by the hub and whoever owns the fd.

A waiter is anything with ``switch()`` (called when its direction is ready) and
``throw(exc)`` (called when the fd is closed under it): a greenlet, a callback-layer
watcher, or a ``SharedWaiters`` fan-out when several wait on one fd and direction.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

# ``FdState.readable`` after the poller reported a hang-up or error: truthy, and sticky.
HANGUP = 2


class FdState:
    """What the hub knows about one fd.

    ``readable``/``writable`` cache readiness: the poller sets them, an EAGAIN (or a
    short read, unless ``readable`` is ``HANGUP``: the peer closed, so EOF stays readable
    and no further edge will come) clears them, so a socket known not to be ready waits
    without trying the syscall. ``reader``/``writer`` hold the waiter for each direction
    (see the module docstring). ``registered`` says whether the poller knows the fd;
    ``temporary`` marks a state the hub made for a raw-fd wait and drops after it.
    """

    __slots__ = ("fd", "readable", "writable", "reader", "writer", "registered", "temporary")

    def __init__(self, fd: int, temporary: bool = False) -> None:
        self.fd = fd
        self.readable: bool | int = True  # or HANGUP
        self.writable = True
        self.reader = None
        self.writer = None
        self.registered = False
        self.temporary = temporary

    def __repr__(self) -> str:
        return (f"<FdState fd={self.fd} r={self.readable} w={self.writable} "
                f"reader={self.reader!r} writer={self.writer!r}>")


def _ignore_close(exc: BaseException) -> None:
    """A watcher that did not ask to hear of its fd's close."""


class CallbackWaiter:
    """A waiter that is a pair of functions: ``switch()`` runs ``on_ready()`` and
    ``throw(exc)`` runs ``on_closed(exc)``, both in the hub (the callback layer's watches)."""

    __slots__ = ("switch", "throw")

    def __init__(self, on_ready: Callable[[], Any],
                 on_closed: Callable[[OSError], Any] | None = None) -> None:
        self.switch = on_ready
        self.throw = _ignore_close if on_closed is None else on_closed

    def __repr__(self) -> str:
        return f"<CallbackWaiter {getattr(self.switch, '__qualname__', self.switch)!r}>"


class SharedWaiters(dict):
    """Several waiters on one fd and direction (an ordered set): each is woken in turn.

    Used where the standard library lets several threads wait on one fd (select, poll,
    selectors, os-level waits). A waiter that leaves while others are being woken is
    skipped; one that fails is reported to ``on_error`` and the rest are still woken.
    """

    __slots__ = ("on_error",)

    def __init__(self, on_error) -> None:
        dict.__init__(self)
        self.on_error = on_error

    def switch(self) -> None:
        for waiter in tuple(self):
            if waiter in self:
                try:
                    waiter.switch()
                except BaseException:
                    self.on_error(waiter, *sys.exc_info())

    def throw(self, exc: BaseException) -> None:
        for waiter in tuple(self):
            if waiter in self:
                try:
                    waiter.throw(exc)
                except BaseException:
                    self.on_error(waiter, *sys.exc_info())

    def __repr__(self) -> str:
        return f"<SharedWaiters {list(self)!r}>"
