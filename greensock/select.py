"""Cooperative ``select.select`` and ``select.poll``: they park only the calling greenlet."""
from __future__ import annotations

import select as _std
from select import *  # noqa: F403 - mirror the standard module's names
from time import monotonic

from .hub import get_hub
from .waiting import sleep

# epoll/devpoll/kqueue objects would block the whole thread: code that probes for them
# falls back to poll(), which cooperates.
for _name in ("epoll", "devpoll", "kqueue", "kevent"):
    globals().pop(_name, None)
error = _std.error
__all__ = [name for name in dir(_std) if not name.startswith("_") and name in globals()]

_real_poll = getattr(_std, "poll", None)
_real_select = _std.select
_IN = getattr(_std, "POLLIN", 1) | getattr(_std, "POLLPRI", 2)
_OUT = getattr(_std, "POLLOUT", 4)
_ERR = getattr(_std, "POLLERR", 8) | getattr(_std, "POLLHUP", 16) | getattr(_std, "POLLNVAL", 32)


def _fd(obj) -> int:
    if isinstance(obj, int):
        fd = obj
    elif hasattr(obj, "fileno"):
        fd = obj.fileno()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    else:
        raise TypeError(f"argument must be an int, or have a fileno() method, not {type(obj).__name__}")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def _wait(interest: dict[int, int], deadline: float | None) -> list:
    """Park until some fd in ``interest`` ({fd: poll mask}) is ready, or the deadline passes.

    Returns ``[(fd, revents)]`` from a non-blocking check of the real state; empty on timeout.
    """
    hub = get_hub()
    while True:
        ready = _check(interest)
        if ready:
            return ready
        remaining = None if deadline is None else deadline - monotonic()
        if remaining is not None and remaining <= 0:
            return []
        entries = []
        try:
            for fd, mask in interest.items():
                w = hub.fd_watch(fd)
                # The check above saw nothing ready, so the cached flags can be cleared.
                if mask & _IN:
                    w.readable = False
                    entries.append((w, True))
                if mask & _OUT:
                    w.writable = False
                    entries.append((w, False))
            hub.wait_any(entries, remaining)
        finally:
            for w, _ in entries:
                hub.release_watch(w)


def _idle(timeout: float | None) -> None:
    """Nothing to watch: wait out the timeout (forever means until LoopExit)."""
    if timeout is None:
        get_hub().switch()
    elif timeout > 0:
        sleep(timeout)


def _check(interest: dict[int, int]) -> list:
    if _real_poll is not None:
        p = _real_poll()
        for fd, mask in interest.items():
            p.register(fd, mask)
        return p.poll(0)
    r, w, x = _real_select([fd for fd, m in interest.items() if m & _IN],
                           [fd for fd, m in interest.items() if m & _OUT], [], 0)
    out: dict[int, int] = {}
    for fd in r:
        out[fd] = _IN
    for fd in w:
        out[fd] = out.get(fd, 0) | _OUT
    return list(out.items())


def select(rlist, wlist, xlist, timeout: float | None = None):
    """Like ``select.select``, parking only the calling greenlet."""
    if timeout is not None:
        if not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a float or None")
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    interest: dict[int, int] = {}
    fds = {}
    for objs, mask in ((rlist, _IN), (wlist, _OUT), (xlist, _std.POLLPRI if _real_poll else _IN)):
        for obj in objs:
            fd = _fd(obj)
            fds.setdefault(fd, []).append(obj)
            interest[fd] = interest.get(fd, 0) | mask
    if not interest:
        _idle(timeout)
        return [], [], []
    ready = dict(_wait(interest, None if timeout is None else monotonic() + timeout))
    pri = getattr(_std, "POLLPRI", 0)
    r = [o for o in rlist if ready.get(_fd(o), 0) & (_IN | _ERR)]
    w = [o for o in wlist if ready.get(_fd(o), 0) & (_OUT | _ERR)]
    x = [o for o in xlist if ready.get(_fd(o), 0) & pri]
    return r, w, x


class poll:
    """Like ``select.poll()``; ``poll(timeout_ms)`` parks only the calling greenlet."""

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}

    def register(self, fd, eventmask: int = _IN | _OUT) -> None:
        self._fds[_fd(fd)] = eventmask

    def modify(self, fd, eventmask: int) -> None:
        fd = _fd(fd)
        if fd not in self._fds:
            raise FileNotFoundError(2, "No such file or directory")
        self._fds[fd] = eventmask

    def unregister(self, fd) -> None:
        del self._fds[_fd(fd)]

    def poll(self, timeout=None) -> list:
        if timeout is not None:
            timeout = float(timeout)
            if timeout < 0:
                timeout = None
        deadline = None if timeout is None else monotonic() + timeout / 1000.0
        if not self._fds:
            _idle(None if timeout is None else timeout / 1000.0)
            return []
        interest = {fd: mask | _IN if not mask & (_IN | _OUT) else mask for fd, mask in self._fds.items()}
        ready = _wait(interest, deadline)
        return [(fd, ev & (self._fds.get(fd, 0) | ~(_IN | _OUT))) for fd, ev in ready if fd in self._fds]
