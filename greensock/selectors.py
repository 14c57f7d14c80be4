"""Cooperative ``selectors``: every selector waits through ``greensock.select.poll``."""
from __future__ import annotations

import math
import selectors as _std
from selectors import EVENT_READ, EVENT_WRITE, BaseSelector, SelectorKey  # noqa: F401 - public names

from . import select as _gselect

__all__ = ["BaseSelector", "SelectorKey", "EVENT_READ", "EVENT_WRITE", "DefaultSelector",
           "SelectSelector", "PollSelector", "EpollSelector"]


class PollSelector(_std._BaseSelectorImpl):
    """A selector whose ``select()`` parks only the calling greenlet."""

    def __init__(self) -> None:
        super().__init__()
        self._poll = _gselect.poll()

    def register(self, fileobj, events, data=None):
        key = super().register(fileobj, events, data)
        self._poll.register(key.fd, self._mask(events))
        return key

    def unregister(self, fileobj):
        key = super().unregister(fileobj)
        try:
            self._poll.unregister(key.fd)
        except KeyError:
            pass
        return key

    def modify(self, fileobj, events, data=None):
        key = super().modify(fileobj, events, data)
        self._poll.modify(key.fd, self._mask(events))
        return key

    @staticmethod
    def _mask(events: int) -> int:
        return (_gselect._IN if events & EVENT_READ else 0) | (_gselect._OUT if events & EVENT_WRITE else 0)

    def select(self, timeout: float | None = None) -> list:
        if timeout is None:
            ms = None
        elif timeout <= 0:
            ms = 0
        else:
            ms = math.ceil(timeout * 1e3)
        ready = []
        for fd, revents in self._poll.poll(ms):
            key = self._fd_to_key.get(fd)
            if key is None:
                continue
            events = 0
            if revents & (_gselect._IN | _gselect._ERR):
                events |= EVENT_READ
            if revents & (_gselect._OUT | _gselect._ERR):
                events |= EVENT_WRITE
            events &= key.events
            if events:
                ready.append((key, events))
        return ready


class SelectSelector(PollSelector):
    """Same cooperative implementation; the name is kept for code that asks for it."""


class EpollSelector(PollSelector):
    """Same cooperative implementation; the name is kept for code that asks for it."""


DefaultSelector = PollSelector
