"""``ThreadPool``: run blocking functions in real threads; only the calling greenlet waits."""
from __future__ import annotations

import sys
from _queue import SimpleQueue
from _thread import start_new_thread as _start_thread  # the real one, even after patching
from collections.abc import Callable
from typing import Any

from ._core.waitqueue import WaitQueue
from .event import AsyncResult
from .hub import Hub, get_hub

__all__ = ["ThreadPool"]


class ThreadPool:
    """At most ``maxsize`` OS threads, started on demand, that report back to one hub."""

    def __init__(self, maxsize: int = 10, hub: Hub | None = None) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 1:
            raise ValueError(f"maxsize must be an int >= 1, not {maxsize!r}")
        self.maxsize = maxsize
        self._hub = hub if hub is not None else get_hub()
        self._tasks: SimpleQueue = SimpleQueue()
        self._threads = 0
        self._pending = 0
        self._killed = False
        self._idle = WaitQueue(self, self._is_idle)
        self._hub.at_fork(self._after_fork)

    def __len__(self) -> int:
        """Jobs submitted and not yet delivered."""
        return self._pending

    @property
    def size(self) -> int:
        """Threads currently running."""
        return self._threads

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> AsyncResult:
        """Run ``fn(*args, **kwargs)`` in a thread; the result arrives in an AsyncResult."""
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        if self._killed:
            raise RuntimeError("the thread pool was killed")
        result = AsyncResult()
        self._pending += 1
        self._hub.hold()  # the hub must keep waiting for this job's answer
        self._tasks.put((fn, args, kwargs, result))
        if self._threads < self.maxsize and self._pending > self._threads:
            self._threads += 1
            _start_thread(self._work, ())
        return result

    def apply(self, fn: Callable[..., Any], args: tuple = (), kwds: dict[str, Any] | None = None) -> Any:
        """Run ``fn(*args, **kwds)`` in a thread; block only the calling greenlet."""
        return self.spawn(fn, *args, **(kwds or {})).get()

    def _work(self) -> None:
        hub = self._hub
        tasks = self._tasks
        while True:
            task = tasks.get()
            if task is None:
                return
            fn, args, kwargs, result = task
            try:
                value = fn(*args, **kwargs)
            except BaseException as e:
                hub.run_callback_threadsafe(self._deliver, result.set_exception, e, sys.exc_info())
            else:
                hub.run_callback_threadsafe(self._deliver, result.set, value)
            del task, fn, args, kwargs, result

    def _deliver(self, setter, *value) -> None:
        self._pending -= 1
        self._hub.release()
        setter(*value)
        if not self._pending:
            self._idle.notify()

    def _is_idle(self) -> bool:
        return self._pending == 0

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job has delivered its result; False on timeout."""
        return self._idle.wait_until(self._is_idle, timeout)

    def kill(self) -> None:
        """Stop the threads once they finish their current job; queued jobs are dropped."""
        self._killed = True
        while True:
            try:
                task = self._tasks.get_nowait()
            except Exception:
                break
            if task is not None:
                self._pending -= 1
                self._hub.release()
                task[3].set_exception(RuntimeError("the thread pool was killed"))
        for _ in range(self._threads):
            self._tasks.put(None)
        self._threads = 0

    def _after_fork(self) -> None:
        """In a forked child the threads are gone, and with them the jobs' answers."""
        self._hub.release(self._pending)
        self._pending = 0
        self._threads = 0
        self._killed = True


Hub.threadpool_class = ThreadPool
