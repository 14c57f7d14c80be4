"""Cooperative signal handlers: a handler may block, and runs in a greenlet of its own.

CPython runs a Python signal handler in the main thread, inside whatever code is
executing there. Under greensock that may be the hub, waiting in the poller, where a
handler could not sleep, lock or do I/O, or any greenlet. ``signal()`` installs a
wrapper: arriving while the main greenlet runs, the handler runs right there, as it
would without greensock; arriving anywhere else, it starts in a new greenlet (the
hub's wake-up fd ends a poll in progress at once), and if it raises, the exception
goes to the main greenlet, where the standard library would have raised it.
"""
from __future__ import annotations

import signal as _std
from _thread import interrupt_main as _real_interrupt_main

from greenlet import GreenletExit, getcurrent, greenlet

from .hub import current_hub
from .thread import in_main_thread

__all__ = ["signal", "getsignal", "interrupt_main"]

_real_signal = _std.signal
_real_getsignal = _std.getsignal


class _GreenHandler:
    """The handler greensock installs; ``handler`` is the user's."""

    __slots__ = ("handler",)

    def __init__(self, handler) -> None:
        self.handler = handler

    def __call__(self, signum: int, frame) -> None:
        hub = current_hub()
        if hub is None or getcurrent() is hub.parent:
            self.handler(signum, frame)  # in the main greenlet: exactly the standard behaviour
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
        # Raised in the main greenlet at once, before anything else the hub has queued
        # can run there; this greenlet is left behind and collected.
        hub.parent.throw(e)


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


def interrupt_main(signum: int = _std.SIGINT) -> None:
    """Like ``_thread.interrupt_main``: called from another greenlet, the signal's Python
    handler runs and its exception (``KeyboardInterrupt`` by default) is raised in the
    main greenlet at once, where the standard library raises it in the main thread."""
    hub = current_hub()
    if hub is None or not in_main_thread() or getcurrent() is hub.parent:
        return _real_interrupt_main(_std.Signals(signum))
    handler = _unwrap(_real_getsignal(signum))  # ValueError for a bad signal number
    if not callable(handler):
        return  # SIG_DFL or SIG_IGN: the standard function does nothing either
    cur = getcurrent()
    if cur is hub:
        hub.run_callback(_start, hub, handler, signum, None)
        return
    try:
        handler(signum, None)
    except BaseException as e:
        # The main greenlet gets the exception now, as the main thread would at its next
        # instruction; this greenlet carries on once the main greenlet yields.
        hub.run_callback(cur.switch)
        hub.parent.throw(e)
