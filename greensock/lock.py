"""Cooperative ``Semaphore``, ``BoundedSemaphore``, ``Lock`` and ``RLock``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greenlet import getcurrent

from ._core.waitqueue import WaitQueue

__all__ = ["Semaphore", "BoundedSemaphore", "Lock", "RLock"]


class Semaphore:
    """A counter; ``acquire`` parks while it is zero, ``release`` increments it."""

    def __init__(self, value: int = 1) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"value must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"value must be >= 0, not {value}")
        self.counter = value
        self._waiters = WaitQueue(self, self._available)

    def _available(self) -> bool:
        return self.counter > 0

    def locked(self) -> bool:
        return self.counter <= 0

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take one unit; False if not blocking (or ``timeout`` ran out) and none was free."""
        if self.counter > 0 and not self._waiters:
            self.counter -= 1
            return True
        if not blocking:
            return False
        if timeout is not None and timeout < 0:
            timeout = None
        if not self._waiters.wait_until(self._available, timeout):
            return False
        self.counter -= 1
        return True

    def release(self) -> None:
        """Give back one unit and wake a waiter."""
        self.counter += 1
        self._waiters.notify()

    def wait(self, timeout: float | None = None) -> int:
        """Wait until a unit is free without taking it; return the counter."""
        self._waiters.wait_until(self._available, timeout)
        return self.counter

    def rawlink(self, callback: Callable[[Semaphore], Any]) -> None:
        self._waiters.link(callback)

    def unlink(self, callback: Callable[[Semaphore], Any]) -> None:
        self._waiters.unlink(callback)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} counter={self.counter} waiters={len(self._waiters)}>"


class BoundedSemaphore(Semaphore):
    """A Semaphore whose ``release`` beyond the initial value raises ValueError."""

    def __init__(self, value: int = 1) -> None:
        Semaphore.__init__(self, value)
        self._initial = value

    def release(self) -> None:
        if self.counter >= self._initial:
            raise ValueError("BoundedSemaphore released too many times")
        Semaphore.release(self)


class Lock(Semaphore):
    """A mutex with ``threading.Lock``'s signature; releasing it unlocked is RuntimeError."""

    def __init__(self) -> None:
        Semaphore.__init__(self, 1)

    def acquire(self, blocking: bool = True, timeout: float | None = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return Semaphore.acquire(self, blocking, None if timeout == -1 else timeout)

    def release(self) -> None:
        if self.counter > 0:
            raise RuntimeError("release unlocked lock")
        Semaphore.release(self)


class RLock:
    """A re-entrant lock owned by the greenlet that acquired it."""

    def __init__(self) -> None:
        self._block = Lock()
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        if self._owner is not getcurrent():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    def locked(self) -> bool:
        return self._block.locked()

    def _is_owned(self) -> bool:
        return self._owner is getcurrent()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<RLock owner={self._owner!r} count={self._count}>"
