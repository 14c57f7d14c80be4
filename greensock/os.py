"""Cooperative ``os`` calls: waiting for a child, or for a pipe, parks only the current greenlet.

``os.fork`` needs no replacement: greensock registers ``os.register_at_fork`` hooks, so
a forked child always gets a new poller, wake-up fd and thread pool for its hub.
"""
from __future__ import annotations

import os as _std
import select as _select
from fcntl import F_GETFL as _F_GETFL
from fcntl import fcntl as _fcntl

from greenlet import getcurrent

from .fdwait import wait_read, wait_write
from .hub import get_hub, sleep

__all__ = ["fork", "waitpid", "wait", "read", "write"]

fork = _std.fork
_waitpid = _std.waitpid
_read = _std.read
_write = _std.write
_real_poll = _select.poll
_pidfd_open = getattr(_std, "pidfd_open", None)
_POLL_FIRST = 0.0005  # polling back-off for "any child" waits, doubling up to _POLL_MAX
_POLL_MAX = 0.05


def waitpid(pid: int, options: int) -> tuple[int, int]:
    """Like ``os.waitpid``; a blocking wait parks the greenlet instead of the thread.

    A wait for one child's exit watches a pidfd (Linux); other waits (any child, a
    process group, stops and continues) poll with ``WNOHANG`` at a growing interval.
    """
    if options & _std.WNOHANG or getcurrent() is get_hub():
        return _waitpid(pid, options)
    result = _waitpid(pid, options | _std.WNOHANG)
    if result[0]:
        return result
    exits_only = not options & (getattr(_std, "WUNTRACED", 0) | getattr(_std, "WCONTINUED", 0))
    if pid > 0 and exits_only and _pidfd_open is not None:
        try:
            fd = _pidfd_open(pid)
        except OSError:
            fd = -1  # already reaped by someone else, or pidfds not allowed: poll
        if fd >= 0:
            try:
                while True:
                    wait_read(fd)
                    result = _waitpid(pid, options | _std.WNOHANG)
                    if result[0]:
                        return result
            finally:
                _std.close(fd)
    delay = _POLL_FIRST
    while True:
        sleep(delay)
        result = _waitpid(pid, options | _std.WNOHANG)
        if result[0]:
            return result
        delay = min(delay * 2, _POLL_MAX)


def wait() -> tuple[int, int]:
    """Like ``os.wait``: wait for any child, parking only the current greenlet."""
    return waitpid(-1, 0)


def _must_wait(fd: int, mask: int, modes: tuple[int, ...]) -> bool:
    """Whether a blocking ``read``/``write`` on ``fd`` would block: the fd is in blocking
    mode, open for this direction and not ready. Anything else goes straight to the
    system call, which returns or fails at once, exactly as unpatched."""
    if getcurrent() is get_hub():
        return False
    p = _real_poll()
    p.register(fd, mask)
    if p.poll(0):
        return False  # ready (always, for a regular file), or an error the call will report
    try:
        flags = _fcntl(fd, _F_GETFL)
    except OSError:
        return False
    return not flags & _std.O_NONBLOCK and flags & _std.O_ACCMODE in modes


def read(fd: int, n: int) -> bytes:
    """Like ``os.read``; on a pipe, socket or terminal with nothing to read yet, parks the
    greenlet until data (or EOF) arrives instead of blocking the thread. Regular files
    are always ready, so they read at once."""
    if _must_wait(fd, _select.POLLIN, (_std.O_RDONLY, _std.O_RDWR)):
        wait_read(fd)
    return _read(fd, n)


def write(fd: int, data) -> int:
    """Like ``os.write``; on a full pipe, parks the greenlet until there is room first."""
    if _must_wait(fd, _select.POLLOUT, (_std.O_WRONLY, _std.O_RDWR)):
        wait_write(fd)
    return _write(fd, data)
