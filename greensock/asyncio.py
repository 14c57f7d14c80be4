"""Green code and coroutines calling each other, on one hub in one OS thread.

    result = greensock.asyncio.wait(fetch(url))          # from a greenlet: run a coroutine
    value = await greensock.asyncio.green(blocking, arg)  # from a coroutine: run green code

``wait`` runs coroutines on one asyncio event loop per hub, driven by a greenlet of its own
while any ``wait`` is in progress; only the calling greenlet waits for the result, so
aiohttp, asyncio streams and green sockets all make progress together. Objects bound to
that loop (an ``aiohttp.ClientSession``, say) can be used from later ``wait`` calls.
``green`` runs a function in a new greenlet and resolves when it returns. Both need
asyncio on the hub, so importing this module applies ``greensock.monkey.patch_asyncio()``
and ``patch_selectors()``.
"""
from __future__ import annotations

import asyncio as _asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from greenlet import getcurrent

from . import monkey
from .event import AsyncResult
from .greenlet import Greenlet, spawn
from .hub import get_hub
from .selectors import DefaultSelector

__all__ = ["wait", "green", "loop"]

T = TypeVar("T")

monkey.patch_asyncio()
monkey.patch_selectors()

_bridges: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # hub -> _Bridge


class _Bridge:
    """The hub's shared event loop and the greenlet that runs it while it is needed."""

    def __init__(self) -> None:
        self.loop = _asyncio.SelectorEventLoop(DefaultSelector())
        self.waiting = 0
        self.runner: Greenlet | None = None

    def run(self) -> None:
        try:
            self.loop.run_forever()
        finally:
            self.runner = None

    def enter(self) -> None:
        self.waiting += 1
        if self.runner is None:
            self.runner = spawn(self.run)
            self.runner.name = "greensock.asyncio loop"

    def leave(self) -> None:
        self.waiting -= 1
        if not self.waiting:
            self.loop.call_soon_threadsafe(self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        """In the loop: stop (so the hub can stop when all else does) unless a new ``wait``
        came in meanwhile."""
        if not self.waiting:
            self.loop.stop()


def loop() -> _asyncio.AbstractEventLoop:
    """The current hub's shared event loop (made on first use)."""
    hub = get_hub()
    bridge = _bridges.get(hub)
    if bridge is None:
        bridge = _bridges[hub] = _Bridge()
    return bridge.loop


def wait(coro: Awaitable[T], timeout: float | None = None) -> T:
    """Run ``coro`` on the hub's event loop; park only this greenlet until it is done.

    Returns its result or raises its exception; after ``timeout`` seconds the coroutine
    is cancelled and ``Timeout`` is raised.
    """
    if not _asyncio.iscoroutine(coro) and not _asyncio.isfuture(coro):
        raise TypeError(f"coro must be a coroutine or a future, not {type(coro).__name__}")
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0):
        raise ValueError(f"timeout must be a number >= 0 or None, not {timeout!r}")
    if _asyncio.events._get_running_loop() is not None:  # noqa: SLF001 - asyncio's own function
        raise RuntimeError("wait() called from a coroutine: await it instead")
    hub = get_hub()
    if getcurrent() is hub:
        raise RuntimeError("wait() cannot run in the hub greenlet (a callback): spawn a greenlet")
    event_loop = loop()
    bridge = _bridges[hub]
    done = AsyncResult()
    holder: list = []

    def start() -> None:
        task = _asyncio.ensure_future(coro, loop=event_loop)
        holder.append(task)
        task.add_done_callback(done.set)

    bridge.enter()
    try:
        event_loop.call_soon_threadsafe(start)
        try:
            task = done.get(timeout=timeout)
        except BaseException:  # Timeout, a kill: the coroutine must not run on for nobody
            if holder:
                event_loop.call_soon_threadsafe(holder[0].cancel)
            raise
    finally:
        bridge.leave()
    return task.result()


async def green(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """From a coroutine: run ``fn(*args, **kwargs)`` in a new greenlet and await its result."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    event_loop = _asyncio.get_running_loop()
    future = event_loop.create_future()

    def finished(g: Greenlet) -> None:
        def settle() -> None:
            if future.cancelled():
                return
            error = g.exception
            if error is None:
                future.set_result(g.value)
            else:
                future.set_exception(error)
        event_loop.call_soon_threadsafe(settle)

    g = spawn(fn, *args, **kwargs)
    g.rawlink(finished)
    try:
        return await future
    except _asyncio.CancelledError:
        g.kill(block=False)
        raise
