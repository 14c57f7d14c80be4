"""Cooperative ``selectors``: the standard classes over ``greensock.select``'s objects.

Each class inherits the standard implementation and swaps only the object that
blocks, so registration, errors and timeouts behave exactly as documented upstream.
"""
from __future__ import annotations

import selectors as _std
from selectors import EVENT_READ, EVENT_WRITE, BaseSelector, SelectorKey  # noqa: F401 - public names

from . import select as _gselect

__all__ = ["BaseSelector", "SelectorKey", "EVENT_READ", "EVENT_WRITE", "DefaultSelector",
           "SelectSelector", "PollSelector", "EpollSelector"]


class SelectSelector(_std.SelectSelector):
    """``select()``-based; parks only the calling greenlet."""

    def _select(self, r, w, x, timeout=None):
        return _gselect.select(r, w, x, timeout)


class PollSelector(_std.PollSelector):
    """``poll()``-based; parks only the calling greenlet."""

    _selector_cls = staticmethod(_gselect.poll)


if hasattr(_gselect, "epoll"):
    class EpollSelector(_std.EpollSelector):
        """A kernel epoll object holds the registrations; ``select()`` parks only the
        calling greenlet."""

        _selector_cls = _gselect.epoll

    DefaultSelector = EpollSelector
else:
    class EpollSelector(PollSelector):
        """Without epoll, the name is kept for code that asks for it."""

    DefaultSelector = PollSelector
