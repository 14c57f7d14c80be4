"""Cooperative ``select.select``, ``select.poll`` and ``select.epoll``: they park only the
calling greenlet."""
from __future__ import annotations

import select as _std
from select import *  # noqa: F403 - mirror the standard module's names
from time import monotonic

from greenlet import getcurrent

from .hub import get_hub, sleep

# devpoll/kqueue do not exist where greensock runs them; code that probes for them falls
# back to epoll or poll, which cooperate.
for _name in ("devpoll", "kqueue", "kevent"):
    globals().pop(_name, None)
error = _std.error
__all__ = [name for name in dir(_std) if not name.startswith("_") and name in globals()]

_real_poll = getattr(_std, "poll", None)
_real_epoll = getattr(_std, "epoll", None)
_real_select = _std.select
_IN = getattr(_std, "POLLIN", 1) | getattr(_std, "POLLPRI", 2)
_OUT = getattr(_std, "POLLOUT", 4)


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


def _park(interest: dict[int, int], timeout: float | None) -> None:
    """Park until some fd in ``interest`` ({fd: poll mask}) may be ready, or ``timeout``.

    The caller has just seen nothing ready with a non-blocking check, and checks again.
    """
    pairs = []
    for fd, mask in interest.items():
        if mask & _IN or not mask & _OUT:
            pairs.append((fd, True))
        if mask & _OUT:
            pairs.append((fd, False))
    get_hub().wait_fds(pairs, timeout)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - monotonic()


def _fds_of(objs) -> list:
    """``(object, fd)`` pairs; ``fileno()`` is called once per object, in order, as C does."""
    if not isinstance(objs, (list, tuple)):
        objs = list(objs)
    pairs = []
    i = 0
    while i < len(objs):  # the length is read again each time: fileno() may mutate the list
        obj = objs[i]
        pairs.append((obj, _fd(obj)))
        i += 1
    return pairs


def select(rlist, wlist, xlist, timeout: float | None = None):
    """Like ``select.select`` (same checks and errors), parking only the calling greenlet."""
    if timeout is not None:
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise TypeError("timeout must be a float or None")
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
    r, w, x = _fds_of(rlist), _fds_of(wlist), _fds_of(xlist)
    rfds, wfds, xfds = [fd for _, fd in r], [fd for _, fd in w], [fd for _, fd in x]
    deadline = None if timeout is None else monotonic() + timeout
    interest: dict[int, int] = {}
    for fds, mask in ((rfds, _IN), (wfds, _OUT), (xfds, getattr(_std, "POLLPRI", _IN))):
        for fd in fds:
            interest[fd] = interest.get(fd, 0) | mask
    parked = False
    while True:
        ready = _real_select(rfds, wfds, xfds, 0)  # the standard checks: EBADF, fd range
        if any(ready) or timeout == 0:
            if not parked and timeout != 0:
                _fair_yield()
            break
        parked = True
        remaining = _remaining(deadline)
        if remaining is not None and remaining <= 0:
            break
        if interest:
            _park(interest, remaining)
        else:
            _idle(remaining)
            break
    rr, ww, xx = (set(fds) for fds in ready)
    return ([o for o, fd in r if fd in rr], [o for o, fd in w if fd in ww], [o for o, fd in x if fd in xx])


def _fair_yield() -> None:
    """A blocking select/poll that finds fds ready at once still lets the hub take a turn.

    Otherwise an event loop whose fds are always ready (a socket it may write to, say)
    would never switch, and greenlets waiting for I/O would starve.
    """
    hub = get_hub()
    if getcurrent() is not hub:
        sleep(0)


def _idle(timeout: float | None) -> None:
    """Nothing to watch: wait out the timeout (forever means until LoopExit)."""
    if timeout is None:
        get_hub().switch()
    elif timeout > 0:
        sleep(timeout)


_INT_MAX = 2 ** 31 - 1


def _poll_timeout(timeout) -> float | None:
    """A poll timeout in milliseconds as the standard module reads it; None waits forever."""
    if timeout is None:
        return None
    if isinstance(timeout, float):
        ms = timeout
    else:
        try:
            ms = timeout.__index__()
        except AttributeError:
            raise TypeError(f"'{type(timeout).__name__}' object cannot be interpreted as an integer") from None
    if ms < 0:
        return None
    if ms > _INT_MAX:
        raise OverflowError("timeout is too large")
    return ms


class Poll:
    """What ``poll()`` returns: a real poll object (for registration and the non-blocking
    check) whose ``poll(timeout)`` parks only the calling greenlet."""

    __slots__ = ("_poll", "_fds", "_busy")

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create '{cls.__module__}.{cls.__name__}' instances")

    def register(self, fd, eventmask: int = _IN | _OUT) -> None:
        fd = _fd(fd)
        self._poll.register(fd, eventmask)
        self._fds[fd] = eventmask

    def modify(self, fd, eventmask: int) -> None:
        fd = _fd(fd)
        self._poll.modify(fd, eventmask)
        self._fds[fd] = eventmask

    def unregister(self, fd) -> None:
        fd = _fd(fd)
        self._poll.unregister(fd)
        del self._fds[fd]

    def poll(self, timeout=None) -> list:
        ms = _poll_timeout(timeout)
        if self._busy:
            raise RuntimeError("concurrent poll() invocation")
        self._busy = True
        try:
            deadline = None if ms is None else monotonic() + ms / 1000.0
            parked = False
            while True:
                ready = self._poll.poll(0)
                if ready or ms == 0:
                    if not parked and ms != 0:
                        _fair_yield()
                    return ready
                parked = True
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    return ready
                if self._fds:
                    _park(dict(self._fds), remaining)
                else:
                    _idle(remaining)
                    return []
        finally:
            self._busy = False


def poll() -> Poll:
    """Like ``select.poll()``; ``poll(timeout_ms)`` parks only the calling greenlet."""
    p = object.__new__(Poll)
    p._poll = _real_poll()
    p._fds = {}
    p._busy = False
    return p


if _real_epoll is not None:
    class epoll:
        """Like ``select.epoll``; ``poll(timeout)`` parks only the calling greenlet.

        The kernel epoll object is real (registrations are kept by the kernel); a wait
        watches the epoll fd itself, which becomes readable when an event is pending. That
        fd is registered with the hub once, at the first wait, and dropped at ``close()``.
        """

        __slots__ = ("_ep", "_hub", "_state")

        def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
            self._adopt(_real_epoll(sizehint, flags))

        @classmethod
        def fromfd(cls, fd: int) -> epoll:
            self = cls.__new__(cls)
            self._adopt(_real_epoll.fromfd(fd))
            return self

        def _adopt(self, ep) -> None:
            self._ep = ep
            self._hub = hub = get_hub()
            self._state = hub.fd_state(ep.fileno())

        @property
        def closed(self) -> bool:
            return self._ep.closed

        def fileno(self) -> int:
            return self._ep.fileno()

        def register(self, fd, eventmask: int = _IN | _OUT) -> None:
            self._ep.register(fd, eventmask)

        def modify(self, fd, eventmask: int) -> None:
            self._ep.modify(fd, eventmask)

        def unregister(self, fd) -> None:
            self._ep.unregister(fd)

        def poll(self, timeout=None, maxevents: int = -1) -> list:
            ep = self._ep
            events = ep.poll(0, maxevents)
            if events or timeout == 0:
                if events and timeout != 0:
                    _fair_yield()
                return events
            if timeout is not None:
                timeout = float(timeout)
                if timeout < 0:
                    timeout = None
            deadline = None if timeout is None else monotonic() + timeout
            w = self._state
            while True:
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    return ep.poll(0, maxevents)
                w.readable = False  # the check above found nothing: the next edge says when
                try:
                    self._hub.wait_readable(w, remaining)
                except TimeoutError:
                    return ep.poll(0, maxevents)
                events = ep.poll(0, maxevents)
                if events:
                    return events

        def close(self) -> None:
            if not self._ep.closed:
                self._hub.close_fd_state(self._state)  # wake a parked poll() with EBADF first
                self._ep.close()

        def __enter__(self) -> epoll:
            if self._ep.closed:
                raise ValueError("I/O operation on closed epoll object")
            return self

        def __exit__(self, *exc) -> None:
            self.close()

    __all__.append("epoll")
