"""A Celery worker pool on greensock: one greenlet per task.

    CELERY_CUSTOM_WORKER_POOL=greensock.celery:TaskPool celery -A proj worker -P custom --concurrency 100

(Celery's way of naming a pool of another package.)
``--concurrency`` bounds the tasks running at once. Importing this module applies
``greensock.monkey.patch_all()`` (Celery and kombu are imported by then; they open their
broker connections later, so those cooperate). A task's soft time limit raises Celery's
``SoftTimeLimitExceeded`` in it (through ``greensock.Timeout``); its hard time limit
ends it.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from time import monotonic
from typing import Any

from . import monkey

with warnings.catch_warnings():
    # Celery imported ssl before any pool exists; no TLS socket is open yet, and every
    # context wraps cooperatively once patched.
    warnings.filterwarnings("ignore", category=monkey.MonkeyPatchWarning)
    monkey.patch_all()

try:
    from celery.concurrency import base
    from celery.exceptions import SoftTimeLimitExceeded
    from kombu.asynchronous import timer as kombu_timer
except ImportError as e:  # pragma: no cover - depends on what is installed
    raise ImportError("greensock.celery needs Celery: pip install celery") from e

from greenlet import getcurrent  # noqa: E402

from .greenlet import Greenlet, spawn  # noqa: E402
from .pool import Pool  # noqa: E402
from .timeout import Timeout  # noqa: E402

__all__ = ["TaskPool", "Timer"]


class Timer(kombu_timer.Timer):
    """kombu's timer with each entry a greenlet that sleeps until its time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._greenlets: set[Greenlet] = set()

    def _enter(self, eta, priority, entry, **kwargs):
        g = Greenlet.spawn_later(max(eta - monotonic(), 0.0), entry)
        g.entry, g.eta, g.priority, g.canceled = entry, eta, priority, False
        g.cancel = lambda: g.kill(block=False)
        self._greenlets.add(g)
        g.rawlink(self._greenlets.discard)
        return g

    def clear(self) -> None:
        while self._greenlets:
            self._greenlets.pop().kill(block=False)

    @property
    def queue(self) -> list:
        return list(self._greenlets)


class _HardLimit(BaseException):
    """The hard time limit of one task (never seen by the task's own except clauses)."""


def _run(target, args, kwargs, callback, accept_callback, timeout, timeout_callback, soft_timeout):
    """One task, in its own greenlet; its pid (for Celery) is the greenlet's id."""
    pid = id(getcurrent())
    hard = Timeout(timeout, _HardLimit) if timeout else None
    soft = Timeout(soft_timeout, SoftTimeLimitExceeded) if soft_timeout else None
    try:
        for limit in (hard, soft):
            if limit is not None:
                limit.start()
        return base.apply_target(target, args, kwargs, callback, accept_callback, pid=pid,
                                 propagate=(_HardLimit,))
    except _HardLimit:
        if timeout_callback is not None:
            timeout_callback(False, timeout)
    finally:
        for limit in (soft, hard):
            if limit is not None:
                limit.cancel()


class TaskPool(base.BasePool):
    """Celery's pool interface on greensock greenlets."""

    Timer = Timer
    signal_safe = False
    is_green = True
    task_join_will_block = False

    def on_start(self) -> None:
        self._pool = Pool(self.limit)
        self._running: dict[int, Greenlet] = {}

    def on_stop(self) -> None:
        self._pool.join()

    def on_apply(self, target: Callable[..., Any], args: tuple | list | None = None,
                 kwargs: dict[str, Any] | None = None, callback: Callable[[Any], Any] | None = None,
                 accept_callback: Callable[..., Any] | None = None, timeout: float | None = None,
                 timeout_callback: Callable[..., Any] | None = None, soft_timeout: float | None = None,
                 **_: Any) -> Greenlet:
        g = self._pool.spawn(_run, target, tuple(args or ()), dict(kwargs or {}), callback, accept_callback,
                             timeout or self.options.get("timeout"), timeout_callback, soft_timeout)
        self._running[id(g)] = g
        g.rawlink(lambda done: self._running.pop(id(done), None))
        g.terminate = lambda signal=None: g.kill(block=False)
        return g

    def spawn_n(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Greenlet:
        """Run ``fn`` in a greenlet outside the task pool (Celery's green pools give the
        remote-control loop one)."""
        return spawn(fn, *args, **kwargs)

    def terminate_job(self, pid: int, signal: int | None = None) -> None:
        g = self._running.get(pid)
        if g is not None:
            g.kill(block=False)

    def grow(self, n: int = 1) -> None:
        self.limit += n
        self._pool.resize(self.limit)

    def shrink(self, n: int = 1) -> None:
        self.limit -= n
        self._pool.resize(self.limit)

    @property
    def num_processes(self) -> int:
        return self.limit
