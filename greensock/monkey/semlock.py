"""multiprocessing's semaphores and locks park only the calling greenlet.

``SemLock.acquire`` is ``sem_wait`` in C: there is no fd to wait on, and a blocking call
stops the whole hub — ``Pool.terminate()`` deadlocked on it, the greenlets that would
release it never running. A contended acquire of a semaphore or lock now runs in the
hub's real thread pool while only the caller waits. (Recursive locks keep the C call:
they belong to the OS thread that acquires them.)
"""
from __future__ import annotations

from greenlet import getcurrent

from ..hub import current_hub

_SEMAPHORE = 1  # multiprocessing.synchronize.SEMAPHORE


def cooperative_acquire(semlock):
    """An ``acquire(block=True, timeout=None)`` for ``semlock`` (a ``_multiprocessing.SemLock``)."""
    c_acquire = semlock.acquire
    c_release = semlock.release

    def acquire(block: bool = True, timeout: float | None = None) -> bool:
        if not block:
            return c_acquire(False)
        if c_acquire(False):
            return True  # free: no thread needed
        hub = current_hub()
        if hub is None or getcurrent() is hub:
            return c_acquire(True, timeout)  # nothing to park (or the hub itself): block for real
        result = hub.threadpool.spawn(c_acquire, True, timeout)
        try:
            return result.get()
        except BaseException:
            # Abandoned (killed, timed out): give back what the thread may still get.
            result.rawlink(lambda r: r.successful() and r.value and c_release())
            raise

    return acquire


def patch(synchronize) -> None:
    """Make ``synchronize.SemLock`` (``multiprocessing.synchronize``) cooperative."""
    original = synchronize.SemLock._make_methods  # noqa: SLF001 - the standard library's own name

    def _make_methods(self) -> None:
        original(self)
        semlock = self._semlock  # noqa: SLF001 - the standard library's own name
        if semlock.kind == _SEMAPHORE:
            self.acquire = cooperative_acquire(semlock)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        return self.release()

    synchronize.SemLock._make_methods = _make_methods  # noqa: SLF001 - the standard library's own name
    synchronize.SemLock.__enter__ = __enter__
    synchronize.SemLock.__exit__ = __exit__
