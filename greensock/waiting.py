"""Primitives that park the current greenlet: ``sleep`` and raw-fd ``wait_read``/``wait_write``."""
from __future__ import annotations

import select as _select

from greenlet import getcurrent

from .exceptions import BlockingSwitchOutError
from .hub import get_hub

__all__ = ["sleep", "wait_read", "wait_write"]

_poll = getattr(_select, "poll", None)  # captured before monkey patching
_select_fn = _select.select


def sleep(seconds: float = 0) -> None:
    """Yield to other greenlets for ``seconds``; ``sleep(0)`` is a FIFO round-robin."""
    hub = get_hub()
    cur = getcurrent()
    if cur is hub:
        raise BlockingSwitchOutError("sleep() called in the hub greenlet (a callback); spawn a greenlet")
    if seconds <= 0:
        h = hub.run_callback(cur.switch)
    else:
        h = hub.call_later(seconds, cur.switch)
    try:
        hub.switch()
    finally:
        h.cancel()


def _fd_of(fd) -> int:
    if isinstance(fd, int):
        if fd < 0:
            raise ValueError(f"fd must be a non-negative file descriptor, not {fd}")
        return fd
    if hasattr(fd, "fileno"):
        return _fd_of(fd.fileno())
    raise TypeError(f"fd must be an int or have fileno(), not {type(fd).__name__}")


def _ready_now(fd: int, read: bool) -> bool:
    """One non-blocking readiness check, for fds whose edge may already be consumed."""
    if _poll is None:
        r, w, _ = _select_fn([fd] if read else [], [] if read else [fd], [], 0)
        return bool(r or w)
    p = _poll()
    p.register(fd, _select.POLLIN if read else _select.POLLOUT)
    return bool(p.poll(0))


def _wait_fd(fd, timeout: float | None, read: bool, timeout_exc) -> None:
    fd = _fd_of(fd)
    hub = get_hub()
    w = hub.fd_watch(fd)
    if read:
        w.readable = False
    else:
        w.writable = False
    if hub._et and w.registered and _ready_now(fd, read):
        return  # an edge-triggered watch may have reported this readiness already
    try:
        if read:
            hub.wait_readable(w, timeout, timeout_exc)
        else:
            hub.wait_writable(w, timeout, timeout_exc)
    finally:
        hub.release_watch(w)


def wait_read(fd, timeout: float | None = None, timeout_exc=None) -> None:
    """Park the current greenlet until ``fd`` (an int or object with ``fileno()``) is readable.

    Raises ``timeout_exc`` (default ``TimeoutError``) after ``timeout`` seconds, and
    ``OSError(EBADF)`` if the fd is closed by greensock while waiting.
    """
    _wait_fd(fd, timeout, True, timeout_exc)


def wait_write(fd, timeout: float | None = None, timeout_exc=None) -> None:
    """Park the current greenlet until ``fd`` is writable (see ``wait_read``)."""
    _wait_fd(fd, timeout, False, timeout_exc)
