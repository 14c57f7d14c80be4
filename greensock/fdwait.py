"""``wait_read``/``wait_write``: park the current greenlet until a raw fd is ready.

For drivers that bring their own fds (database clients, ``os.read`` on a pipe). Any
number of greenlets may wait on one fd.
"""
from __future__ import annotations

from typing import Any, Protocol

from .hub import get_hub

__all__ = ["wait_read", "wait_write"]


class HasFileno(Protocol):
    """Anything with a ``fileno()``: a socket, a file, a pipe end."""

    def fileno(self) -> int: ...



def _fd_of(fd: Any) -> int:
    if isinstance(fd, int) and not isinstance(fd, bool):
        if fd < 0:
            raise ValueError(f"fd must be a non-negative file descriptor, not {fd}")
        return fd
    if hasattr(fd, "fileno"):
        return _fd_of(fd.fileno())
    raise TypeError(f"fd must be an int or have fileno(), not {type(fd).__name__}")


def _check_timeout(timeout) -> None:
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)):
        raise TypeError(f"timeout must be a number or None, not {type(timeout).__name__}")


def _wait(fd, read: bool, timeout: float | None, timeout_exc) -> None:
    fd = _fd_of(fd)
    _check_timeout(timeout)
    if not get_hub().wait_fds([(fd, read)], timeout):
        raise TimeoutError("timed out") if timeout_exc is None else timeout_exc


def wait_read(fd: int | HasFileno, timeout: float | None = None,
              timeout_exc: BaseException | None = None) -> None:
    """Park the current greenlet until ``fd`` (an int or object with ``fileno()``) is readable.

    Raises ``timeout_exc`` (default ``TimeoutError``) after ``timeout`` seconds, and
    ``OSError(EBADF)`` if the fd is closed by greensock while waiting.
    """
    _wait(fd, True, timeout, timeout_exc)


def wait_write(fd: int | HasFileno, timeout: float | None = None,
               timeout_exc: BaseException | None = None) -> None:
    """Park the current greenlet until ``fd`` is writable (see ``wait_read``)."""
    _wait(fd, False, timeout, timeout_exc)
