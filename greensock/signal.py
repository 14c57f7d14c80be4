"""Cooperative signal handlers: a handler may block, and runs in a greenlet of its own.

CPython runs a Python signal handler in the main thread, inside whatever code is
executing there. Under greensock that is often the hub, waiting in the poller, where
a handler could not sleep, lock or do I/O. ``signal()`` installs a wrapper: when the
signal arrives in the hub, the handler is started in a new greenlet (the hub's
wake-up fd ends the current poll at once); if it raises, the exception goes to the
main greenlet, where the standard library would have raised it. Arriving in any
other greenlet, the handler runs right there, as it would without greensock.
"""
from __future__ import annotations

import signal as _std

from greenlet import GreenletExit, getcurrent, greenlet

from .hub import _tls

__all__ = ["signal", "getsignal"]

_real_signal = _std.signal
_real_getsignal = _std.getsignal


class _GreenHandler:
    """The handler greensock installs; ``handler`` is the user's."""

    __slots__ = ("handler",)

    def __init__(self, handler) -> None:
        self.handler = handler

    def __call__(self, signum: int, frame) -> None:
        hub = getattr(_tls, "hub", None)
        if hub is None or getcurrent() is not hub:
            self.handler(signum, frame)
        else:
            hub.run_callback_threadsafe(_start, hub, self.handler, signum, frame)

    def __repr__(self) -> str:
        return f"<greensock signal handler for {self.handler!r}>"


def _start(hub, handler, signum: int, frame) -> None:
    greenlet(_run, parent=hub).switch(hub, handler, signum, frame)


def _run(hub, handler, signum: int, frame) -> None:
    try:
        handler(signum, frame)
    except GreenletExit:
        pass
    except BaseException as e:
        hub.run_callback(hub._throw_to_main, e)


def _unwrap(handler):
    return handler.handler if isinstance(handler, _GreenHandler) else handler


def signal(signalnum: int, handler):
    """Like ``signal.signal``; a Python handler runs as described in this module."""
    if callable(handler):
        handler = _GreenHandler(handler)
    return _unwrap(_real_signal(signalnum, handler))


def getsignal(signalnum: int):
    """Like ``signal.getsignal``: the handler the user installed, not greensock's wrapper."""
    return _unwrap(_real_getsignal(signalnum))
