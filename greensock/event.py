"""``Event`` (a flag greenlets wait for) and ``AsyncResult`` (a value delivered once)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core.waitqueue import WaitQueue
from .timeout import Timeout

__all__ = ["Event", "AsyncResult"]


class Event:
    """A flag: ``wait()`` parks until ``set()``; ``clear()`` resets it."""

    def __init__(self) -> None:
        self._flag = False
        self._waiters = WaitQueue(self, self.is_set)

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set

    def ready(self) -> bool:
        return self._flag

    def set(self) -> None:
        """Set the flag and wake every waiter."""
        self._flag = True
        self._waiters.notify()

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the flag is set or ``timeout`` passes; return the flag."""
        self._waiters.wait_until(self.is_set, timeout)
        return self._flag

    def rawlink(self, callback: Callable[[Event], Any]) -> None:
        """Call ``callback(self)`` in the hub when the flag is set."""
        self._waiters.link(callback)

    def unlink(self, callback: Callable[[Event], Any]) -> None:
        self._waiters.unlink(callback)

    def __repr__(self) -> str:
        return f"<Event {'set' if self._flag else 'clear'} waiters={len(self._waiters)}>"


class AsyncResult:
    """A value or exception delivered once, by ``set`` or ``set_exception``."""

    def __init__(self) -> None:
        self.value = None
        self._exc_info: tuple | None = None
        self._ready = False
        self._waiters = WaitQueue(self, self.ready)

    def ready(self) -> bool:
        return self._ready

    def successful(self) -> bool:
        return self._ready and self._exc_info is None

    @property
    def exception(self) -> BaseException | None:
        return None if self._exc_info is None else self._exc_info[1]

    def set(self, value: Any = None) -> None:
        """Deliver ``value`` and wake every waiter."""
        self.value = value
        self._exc_info = None
        self._ready = True
        self._waiters.notify()

    def set_exception(self, exception: BaseException, exc_info: tuple | None = None) -> None:
        """Deliver ``exception``; ``get()`` raises it in every waiter."""
        if not isinstance(exception, BaseException):
            raise TypeError(f"exception must be an exception instance, not {type(exception).__name__}")
        self._exc_info = exc_info or (type(exception), exception, exception.__traceback__)
        self._ready = True
        self._waiters.notify()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """The value (or raise the exception); Timeout if not ready in time."""
        if not self._ready:
            if not block:
                raise Timeout()
            if not self._waiters.wait_until(self.ready, timeout):
                raise Timeout(timeout)
        if self._exc_info is not None:
            raise self._exc_info[1].with_traceback(self._exc_info[2])
        return self.value

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def wait(self, timeout: float | None = None) -> Any:
        """Wait until ready or ``timeout``; return the value (None if not ready)."""
        self._waiters.wait_until(self.ready, timeout)
        return self.value

    # concurrent.futures-like aliases used by thread pool callers
    result = get

    def rawlink(self, callback: Callable[[AsyncResult], Any]) -> None:
        self._waiters.link(callback)

    def unlink(self, callback: Callable[[AsyncResult], Any]) -> None:
        self._waiters.unlink(callback)


    def __call__(self, source) -> None:
        """Use as a link: take the result of a finished greenlet."""
        if source.successful():
            self.set(source.value)
        else:
            self.set_exception(source.exception)
