"""Poller backends: epoll (edge-triggered), poll and select behind one small interface.

Each backend also names its ``HANGUP`` bits (peer closed or error): after those, a socket
stays readable for good, so the hub marks it so a short read cannot clear the flag.

The hub asks a poller for four things: ``register(fd)`` once for the fd's life,
``interest(fd, read, write)`` whenever the set of waiting directions changes,
``rearm(fd)`` to hear again of readiness an earlier edge reported, and
``poll(timeout)`` returning ``(fd, mask)`` pairs. Each backend exposes ``READ`` and
``WRITE`` masks saying which result bits wake a reader or a writer.

epoll registers each fd once, edge-triggered, for both directions, so ``interest`` is a
no-op and a wait costs no ``epoll_ctl``. poll and select are level-triggered: their
interest follows the waiters, but changing it is a dict update, not a syscall.
"""
from __future__ import annotations

import errno
import os
import select as _select
from collections.abc import Callable
from typing import Any

# Captured at import, before any monkey patching can replace them.
_epoll: Callable[[], Any] | None = getattr(_select, "epoll", None)
_poll: Callable[[], Any] | None = getattr(_select, "poll", None)
_select_fn = _select.select


class EpollPoller:
    """Edge-triggered epoll: one ``epoll_ctl`` per fd lifetime."""

    name = "epoll"
    edge_triggered = True

    def __init__(self) -> None:
        if _epoll is None:
            raise RuntimeError("this platform has no epoll")
        self._ep = _epoll()
        self.READ = _select.EPOLLIN | _select.EPOLLRDHUP | _select.EPOLLHUP | _select.EPOLLERR
        self.WRITE = _select.EPOLLOUT | _select.EPOLLHUP | _select.EPOLLERR
        self.HANGUP = _select.EPOLLRDHUP | _select.EPOLLHUP | _select.EPOLLERR
        self._mask = _select.EPOLLIN | _select.EPOLLOUT | _select.EPOLLRDHUP | _select.EPOLLET
        self.poll = self._ep.poll

    def fileno(self) -> int:
        return self._ep.fileno()

    def register(self, fd: int) -> None:
        try:
            self._ep.register(fd, self._mask)
        except FileExistsError:
            self._ep.modify(fd, self._mask)

    def unregister(self, fd: int) -> None:
        try:
            self._ep.unregister(fd)
        except (FileNotFoundError, OSError, ValueError):
            pass

    def interest(self, fd: int, read: bool, write: bool) -> None:
        """Edge-triggered registration already covers both directions."""

    def rearm(self, fd: int) -> None:
        """Report the fd's current readiness as a new edge (``EPOLL_CTL_MOD``).

        For a raw fd whose earlier edges someone else may have consumed: the kernel
        queues an event at once if the fd is ready now.
        """
        self._ep.modify(fd, self._mask)

    def close(self) -> None:
        self._ep.close()


class PollPoller:
    """Level-triggered poll(2); interest follows the waiting directions."""

    name = "poll"
    edge_triggered = False

    def __init__(self) -> None:
        if _poll is None:
            raise RuntimeError("this platform has no poll")
        self._p = _poll()
        self.READ = _select.POLLIN | _select.POLLPRI | _select.POLLHUP | _select.POLLERR | _select.POLLNVAL
        self.WRITE = _select.POLLOUT | _select.POLLHUP | _select.POLLERR | _select.POLLNVAL
        self.HANGUP = _select.POLLHUP | _select.POLLERR | getattr(_select, "POLLRDHUP", 0)
        self._in = _select.POLLIN | _select.POLLPRI
        self._out = _select.POLLOUT

    def register(self, fd: int) -> None:
        """Nothing to do until a direction is wanted."""

    def unregister(self, fd: int) -> None:
        try:
            self._p.unregister(fd)
        except KeyError:
            pass

    def interest(self, fd: int, read: bool, write: bool) -> None:
        mask = (self._in if read else 0) | (self._out if write else 0)
        if mask:
            self._p.register(fd, mask)
        else:
            self.unregister(fd)

    def rearm(self, fd: int) -> None:
        """Level-triggered: readiness is reported while it lasts."""

    def poll(self, timeout: float) -> list:
        return self._p.poll(None if timeout < 0 else timeout * 1000.0)

    def close(self) -> None:
        self._p = None


class SelectPoller:
    """Level-triggered select(2), for platforms with nothing better."""

    name = "select"
    edge_triggered = False
    READ = 1
    WRITE = 2
    HANGUP = 0  # select cannot tell; it is level-triggered, so nothing is lost

    def __init__(self) -> None:
        self._r: set[int] = set()
        self._w: set[int] = set()

    def register(self, fd: int) -> None:
        """Nothing to do until a direction is wanted."""

    def unregister(self, fd: int) -> None:
        self._r.discard(fd)
        self._w.discard(fd)

    def interest(self, fd: int, read: bool, write: bool) -> None:
        (self._r.add if read else self._r.discard)(fd)
        (self._w.add if write else self._w.discard)(fd)

    def rearm(self, fd: int) -> None:
        """Level-triggered: readiness is reported while it lasts."""

    def poll(self, timeout: float) -> list:
        try:
            r, w, x = _select_fn(self._r, self._w, self._r | self._w, None if timeout < 0 else timeout)
        except OSError as e:
            if e.errno != errno.EBADF:
                raise
            return self._bad_fds()
        ready: dict[int, int] = {}
        for fd in r:
            ready[fd] = 1
        for fd in w:
            ready[fd] = ready.get(fd, 0) | 2
        for fd in x:
            ready[fd] = 3
        return list(ready.items())

    def _bad_fds(self) -> list:
        """Report closed fds as ready both ways so their waiters see the error."""
        bad = []
        for fd in self._r | self._w:
            try:
                os.fstat(fd)
            except OSError:
                bad.append((fd, 3))
                self.unregister(fd)
        return bad

    def close(self) -> None:
        self._r.clear()
        self._w.clear()


BACKENDS = {"epoll": EpollPoller, "poll": PollPoller, "select": SelectPoller}


def available() -> list[str]:
    """Names of the backends this platform has, best first."""
    names = []
    if _epoll is not None:
        names.append("epoll")
    if _poll is not None:
        names.append("poll")
    names.append("select")
    return names


def make_poller(name: str | None = None):
    """Create the named backend, or ``$GREENSOCK_POLLER``, or the best available."""
    if name is None:
        name = os.environ.get("GREENSOCK_POLLER") or available()[0]
    if not isinstance(name, str):
        raise TypeError(f"poller must be a str, not {type(name).__name__}")
    if name not in BACKENDS:
        raise ValueError(f"poller must be one of {sorted(BACKENDS)}, not {name!r}")
    if name not in available():
        raise ValueError(f"poller {name!r} is not available on this platform")
    return BACKENDS[name]()
