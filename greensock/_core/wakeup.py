"""A thread-safe way to wake the hub from another thread (eventfd, else a pipe)."""
from __future__ import annotations

import os

_read = os.read  # captured: greensock.monkey may replace os.read/os.write
_write = os.write


class Wakeup:
    """An fd the poller watches; ``wake()`` from any thread makes it readable."""

    def __init__(self) -> None:
        if hasattr(os, "eventfd"):
            self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self._wfd = self.fd
            self._token = (1).to_bytes(8, "little")
        else:
            self.fd, self._wfd = os.pipe()
            os.set_blocking(self.fd, False)
            os.set_blocking(self._wfd, False)
            self._token = b"x"

    def wake(self) -> None:
        try:
            _write(self._wfd, self._token)
        except OSError:
            return  # already pending (pipe full / counter saturated) or closed at exit

    def drain(self) -> None:
        try:
            while _read(self.fd, 4096):
                if self._wfd == self.fd:
                    break
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        for fd in {self.fd, self._wfd}:
            try:
                os.close(fd)
            except OSError:
                pass
