"""``Timeout``: an exception that is also a context manager raising itself after a delay."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greenlet import getcurrent

from .hub import Timer, get_hub

__all__ = ["Timeout", "with_timeout"]

_NONE = object()


class Timeout(BaseException):
    """Raise in the current greenlet after ``seconds``.

    ``with Timeout(s):`` raises this instance; ``Timeout(s, exc)`` raises ``exc``;
    ``Timeout(s, False)`` ends the ``with`` block silently. ``Timeout(None)`` never fires.
    """

    def __init__(self, seconds: float | None = None,
                 exception: type[BaseException] | BaseException | bool | None = None) -> None:
        BaseException.__init__(self, seconds)
        if seconds is not None and not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number or None, not {type(seconds).__name__}")
        self.seconds = seconds
        self.exception = exception
        self._timer: Timer | None = None

    @classmethod
    def start_new(cls, timeout: float | Timeout | None = None,
                  exception: type[BaseException] | BaseException | bool | None = None) -> Timeout:
        """Create and start a Timeout (or start ``timeout`` if it already is one)."""
        if isinstance(timeout, Timeout):
            if not timeout.pending:
                timeout.start()
            return timeout
        t = cls(timeout, exception)
        t.start()
        return t

    def start(self) -> None:
        """Arm the timer for the current greenlet."""
        if self.pending:
            raise RuntimeError(f"{self!r} is already started; cancel it first")
        if self.seconds is None:
            return
        self._timer = get_hub().call_later(self.seconds, self._fire, getcurrent())

    def _fire(self, g) -> None:
        self._timer = None
        if not g:
            return
        if self.exception is None or self.exception is False:
            g.throw(self)
        elif isinstance(self.exception, type):
            g.throw(self.exception())
        else:
            g.throw(self.exception)

    @property
    def pending(self) -> bool:
        """True while the timer is armed."""
        return self._timer is not None

    def cancel(self) -> None:
        """Disarm; a cancelled timeout never fires later."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    close = cancel

    def __enter__(self) -> Timeout:
        if not self.pending:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.cancel()
        return exc is self and self.exception is False

    def __str__(self) -> str:
        if self.seconds is None:
            return ""
        suffix = "" if self.exception is None or self.exception is False else " (custom exception)"
        unit = "second" if self.seconds == 1 else "seconds"
        return f"{self.seconds} {unit}{suffix}"

    def __repr__(self) -> str:
        return f"<Timeout seconds={self.seconds!r} exception={self.exception!r} pending={self.pending}>"


def with_timeout(seconds: float | None, fn: Callable[..., Any], *args: Any, timeout_value: Any = _NONE,
                 **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)``; after ``seconds`` raise Timeout or return ``timeout_value``."""
    t = Timeout.start_new(seconds)
    try:
        return fn(*args, **kwargs)
    except Timeout as e:
        if e is t and timeout_value is not _NONE:
            return timeout_value
        raise
    finally:
        t.cancel()
