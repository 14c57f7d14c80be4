"""``WaitQueue``: greenlets and hub callbacks waiting for a condition on one object.

Every synchronisation object parks greenlets here. Links are kept in insertion order
in a dict, so adding, removing and waking one is O(1). A wake-up round runs in the hub
and calls the oldest link, removing it first, for as long as the condition holds (as
gevent does, a link is called once). A woken greenlet runs at once and re-checks, and
one that gives up (timeout, kill) removes its link, so a wake-up is never lost.
"""
from __future__ import annotations

import sys
from time import monotonic

from greenlet import getcurrent

from .hub import TIMED_OUT, get_hub
from .timers import Callback


class WaitQueue:
    """FIFO of callbacks ``callback(owner)`` run while ``condition()`` is true."""

    __slots__ = ("_owner", "_condition", "links", "_scheduled")

    def __init__(self, owner, condition) -> None:
        self._owner = owner
        self._condition = condition
        self.links: dict = {}  # the waiting callbacks, in order (others only read it)
        self._scheduled: Callback | None = None

    def __len__(self) -> int:
        return len(self.links)

    @property
    def owner(self):
        """The object whose condition is waited for (an Event, a lock, a queue...)."""
        return self._owner

    def link(self, callback) -> None:
        """Call ``callback(owner)`` in the hub once the condition holds (once)."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        self.links[callback] = None
        if self._condition():
            self.notify()

    def unlink(self, callback) -> None:
        self.links.pop(callback, None)

    def notify(self) -> None:
        """Schedule a wake-up round in the hub (once, however often it is called)."""
        if self.links and self._scheduled is None:
            self._scheduled = get_hub().run_callback(self._wake)

    def _wake(self) -> None:
        self._scheduled = None
        links = self.links
        condition = self._condition
        owner = self._owner
        while links and condition():
            callback = next(iter(links))
            del links[callback]
            try:
                callback(owner)
            except BaseException:
                get_hub().handle_error(callback, *sys.exc_info())

    def wait_until(self, predicate, timeout: float | None = None) -> bool:
        """Park the current greenlet until ``predicate()``; False if ``timeout`` ran out."""
        if predicate():
            return True
        hub = get_hub()
        link = getcurrent().switch
        links = self.links
        deadline = None if timeout is None else monotonic() + timeout
        try:
            while True:
                if link not in links:
                    links[link] = None
                if hub.park(None if deadline is None else max(0.0, deadline - monotonic())) is TIMED_OUT:
                    return predicate()
                if predicate():
                    return True
        finally:
            links.pop(link, None)
