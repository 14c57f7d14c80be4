"""``WaitList``: greenlets and hub callbacks waiting for a condition on one object.

Every synchronisation object parks greenlets here. Waking happens in the hub, in FIFO
order, for as long as the condition holds; a woken greenlet re-checks the condition,
so a wake-up can never be lost or misdirected.
"""
from __future__ import annotations

import sys

from greenlet import getcurrent

from .exceptions import BlockingSwitchOutError
from .hub import get_hub
from .timeout import Timeout


class WaitList:
    """FIFO of callbacks run with ``owner`` while ``condition()`` is true."""

    __slots__ = ("_owner", "_condition", "_links", "_scheduled")

    def __init__(self, owner, condition) -> None:
        self._owner = owner
        self._condition = condition
        self._links: list = []
        self._scheduled = None

    def __len__(self) -> int:
        return len(self._links)

    def link(self, callback) -> None:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        self._links.append(callback)
        if self._condition():
            self.notify()

    def unlink(self, callback) -> None:
        try:
            self._links.remove(callback)
        except ValueError:
            pass

    def notify(self) -> None:
        """Schedule a wake-up round in the hub (once, however often it is called)."""
        if self._links and self._scheduled is None:
            self._scheduled = get_hub().run_callback(self._wake)

    def _wake(self) -> None:
        self._scheduled = None
        links = self._links
        condition = self._condition
        owner = self._owner
        for callback in list(links):
            if not condition():
                break
            if callback in links:
                try:
                    callback(owner)
                except BaseException:
                    get_hub().handle_error(callback, *sys.exc_info())

    def wait_until(self, predicate, timeout: float | None = None) -> bool:
        """Park the current greenlet until ``predicate()``; False if ``timeout`` ran out."""
        if predicate():
            return True
        hub = get_hub()
        cur = getcurrent()
        if cur is hub:
            raise BlockingSwitchOutError("cannot wait in the hub greenlet (a callback); spawn a greenlet")
        switch = cur.switch
        self._links.append(switch)
        t = Timeout.start_new(timeout) if timeout is not None else None
        satisfied = False
        try:
            while not predicate():
                hub.switch()
            satisfied = True
            return True
        except Timeout as e:
            if e is not t:
                raise
            return False
        finally:
            if t is not None:
                t.cancel()
            self.unlink(switch)
            if not satisfied and self._links and self._condition():
                self.notify()  # pass on a wake-up this greenlet can no longer use
