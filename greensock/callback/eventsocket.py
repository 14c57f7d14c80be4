"""``EventSocket``: the Danga::Socket base class, on greensock's hub.

Each object is one socket in the hub's ``DangaLoop`` (``dangaloop.py``), which holds
the class-level state (descriptor map, timers, post-loop callbacks) and runs the
level-triggered dispatch that Danga::Socket's users expect.
"""
from __future__ import annotations

import errno
import socket as _std
import sys
import traceback
from _socket import socket as _c_socket
from collections import deque
from collections.abc import Callable
from typing import Any

from ..hub import Timer, get_hub
from ..socket import StdSocket
from .dangaloop import ERR, HUP, IN, OUT, danga_loop, reset_danga_loop

MAX_READ = 1 << 20
# The C calls, unbound: the hot path applies them to whichever socket is live.
_send: Callable[..., int] = _c_socket.send
_recv: Callable[..., bytes] = _c_socket.recv
_TCP_CORK = getattr(_std, "TCP_CORK", None)


class _hybrid:
    """A method that works on the class (global) and on an object (per-object), as in Perl."""

    def __init__(self, on_class, on_object) -> None:
        self._on_class = on_class
        self._on_object = on_object

    def __get__(self, obj, cls):
        if obj is None:
            return self._on_class.__get__(cls, type(cls))
        return self._on_object.__get__(obj, cls)


class EventSocket:
    """Subclass it and override ``event_read``, ``event_write``, ``event_err``, ``event_hup``.

    A new object watches only errors and hang-ups: call ``watch_read(True)`` /
    ``watch_write(True)`` for more. Event methods run in the hub greenlet.
    """

    def __init__(self, sock: StdSocket) -> None:
        if not isinstance(sock, StdSocket):
            raise TypeError(f"sock must be a socket, not {type(sock).__name__}")
        if sock.fileno() < 0:
            raise ValueError("sock is closed")
        sock.setblocking(False)
        self._sock: StdSocket | None = sock
        self.fd: int | None = sock.fileno()
        self.closed = False
        self._reading = False
        self._writing = False
        self._write_owned_by_user = False
        self._write_queue: deque = deque()
        self.write_buf_size = 0
        self._pushback: deque = deque()
        self._writer: Callable[[memoryview], int] | None = None
        self._queued_call_scheduled = False
        self._corked = False
        self._addr_cache: dict[str, str] = {}
        danga_loop().register(self)

    # -- what the DangaLoop asks of each object ----------------------------------------------
    def poll_mask(self) -> int:
        """The epoll events this object wants."""
        return ERR | HUP | (IN if self._reading else 0) | (OUT if self._writing else 0)

    def has_pushback(self) -> bool:
        """Whether pushed-back data is waiting for ``event_read``."""
        return bool(self._pushback) and not self.closed and self._reading

    def close_socket(self) -> None:
        """The end of a deferred ``close``: close the socket itself."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- events (override these) -------------------------------------------------------------
    def event_read(self) -> None:
        raise RuntimeError(f"base class event_read called for {self.as_string()}")

    def event_err(self) -> None:
        raise RuntimeError(f"base class event_err called for {self.as_string()}")

    def event_hup(self) -> None:
        raise RuntimeError(f"base class event_hup called for {self.as_string()}")

    def event_write(self) -> None:
        """By default, flush the write queue."""
        self.write(None)

    # -- watching ---------------------------------------------------------------------------
    def watch_read(self, on: bool) -> None:
        """Turn readable notifications on or off."""
        on = bool(on)
        if self.closed or on == self._reading:
            return
        self._reading = on
        danga_loop().modify(self)

    def watch_write(self, on: bool) -> None:
        """Turn writable notifications on or off."""
        self._write_owned_by_user = bool(on)
        self._set_write_watch(bool(on))

    def _set_write_watch(self, on: bool) -> None:
        if self.closed or on == self._writing:
            return
        self._writing = on
        danga_loop().modify(self)

    # -- writing ---------------------------------------------------------------------------
    def set_writer_func(self, fn: Callable[[memoryview], int]) -> None:
        """Use ``fn(data) -> bytes written`` instead of ``send``."""
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        self._writer = fn

    def write(self, data: bytes | bytearray | memoryview | Callable[[], Any] | None) -> bool:
        """Write bytes, or queue them; a callable runs when the queue reaches it; None flushes.

        True when everything is written (stop waiting for writability), False while
        data is queued (or the socket failed and was closed).
        """
        if self.closed:
            return True
        if data is not None:
            item: Any
            if callable(data):
                item = data
                size = 1
            elif isinstance(data, (bytes, bytearray, memoryview)):
                item = [memoryview(data).cast("B"), 0]
                size = len(item[0])
            else:
                raise TypeError(f"data must be bytes, a callable or None, not {type(data).__name__}")
            if self._write_queue:
                self._write_queue.append(item)
                self.write_buf_size += size
                return False
            self._write_queue.append(item)
            self.write_buf_size += size
        return self._flush()

    def _flush(self) -> bool:
        queue = self._write_queue
        while queue:
            item = queue[0]
            if callable(item):
                # It runs in the hub, after this call returns; what follows waits for it.
                if not self._queued_call_scheduled:
                    self._queued_call_scheduled = True
                    get_hub().run_callback(self._run_queued_call)
                return False
            view, offset = item
            try:
                n = self._writer(view[offset:]) if self._writer is not None else _send(self._sock,
                                                                                                  view[offset:])
            except BlockingIOError:
                n = 0
            except OSError as e:
                self.close("write_error" if e.errno not in (errno.EPIPE, errno.ECONNRESET) else e.strerror)
                return False
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= len(view) - offset:
                error = TypeError(f"the writer function {self._writer!r} must return the number of bytes it "
                                  f"wrote (0 to {len(view) - offset}), not {n!r}")
                get_hub().handle_error(self._writer, TypeError, error, None)
                self.close("write_error")
                return False
            item[1] += n
            self.write_buf_size -= n
            if item[1] < len(view):
                self._set_write_watch(True)
                return False
            queue.popleft()
        if self._writing and not self._write_owned_by_user:
            self._set_write_watch(False)
        return True

    def _run_queued_call(self) -> None:
        self._queued_call_scheduled = False
        if self.closed or not self._write_queue or not callable(self._write_queue[0]):
            return
        call = self._write_queue.popleft()
        self.write_buf_size -= 1
        danga_loop().call(call)
        if not self.closed:
            self._flush()

    # -- reading ---------------------------------------------------------------------------
    def read(self, n: int) -> bytes | None:
        """Up to ``n`` bytes: pushed-back data first; ``None`` at EOF; ``b""`` if nothing yet."""
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an int >= 0, not {n!r}")
        if self.closed:
            return None
        if self._pushback:
            chunk = self._pushback.popleft()
            if len(chunk) > n:
                self._pushback.appendleft(chunk[n:])
                chunk = chunk[:n]
            return bytes(chunk)
        try:
            data = _recv(self._sock, min(n, MAX_READ))
        except BlockingIOError:
            return b""
        except OSError:
            return None
        return data if data else None

    def push_back_read(self, data: bytes | bytearray | memoryview) -> None:
        """Put ``data`` back in front of the read stream; ``event_read`` runs again this iteration."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        self._pushback.append(bytes(data))
        reg = danga_loop()
        if self not in reg.pushback:
            reg.pushback.append(self)
        reg.schedule_post()

    # -- closing ---------------------------------------------------------------------------
    def _cleanup(self) -> int:
        self.closed = True
        self._write_queue.clear()
        self.write_buf_size = 0
        if self._corked:
            self.tcp_cork(False)
        fd = self.fd
        assert fd is not None  # callers return early once closed
        reg = danga_loop()
        reg.unregister_fd(fd)
        self._pushback.clear()
        reg.object_plcs.pop(fd, None)
        self.fd = None
        return fd

    def close(self, reason: str | None = None) -> None:
        """Close; the socket really closes (and leaves the map) at the end of this loop iteration."""
        if self.closed:
            return
        self.close_reason = reason
        fd = self._cleanup()
        reg = danga_loop()
        reg.to_close.append((fd, self))
        reg.schedule_post()

    def steal_socket(self) -> StdSocket | None:
        """Stop managing the socket and return it open (the object is closed; None if it was)."""
        if self.closed:
            return None
        sock = self._sock
        fd = self._cleanup()
        self._sock = None
        danga_loop().forget(fd, self)
        return sock

    @property
    def sock(self) -> StdSocket | None:
        """The underlying socket (None once closed or stolen)."""
        return self._sock

    def tcp_cork(self, flag: bool) -> None:
        """Turn TCP_CORK on or off (Linux); elsewhere a no-op."""
        flag = bool(flag)
        if flag == self._corked or self._sock is None:
            return
        self._corked = flag
        if _TCP_CORK is None:
            return
        try:
            self._sock.setsockopt(_std.IPPROTO_TCP, _TCP_CORK, int(flag))
        except OSError as e:
            if e.errno in (errno.EBADF, errno.ENOTSOCK):
                sys.stderr.write(f"tcp_cork failed: {e}\n")
                self.close("tcp_cork_failed")
            elif e.errno not in (errno.ENOPROTOOPT, errno.EOPNOTSUPP):
                raise

    # -- descriptions ------------------------------------------------------------------------
    def _address(self, key: str, peer: bool, with_port: bool) -> str | None:
        cached = self._addr_cache.get(key)
        if cached is not None:
            return cached
        sock = self._sock
        if sock is None:
            return None
        try:
            addr = sock.getpeername() if peer else sock.getsockname()
        except OSError:
            return None
        if not isinstance(addr, tuple):
            return None
        ip = addr[0]
        text = ip if not with_port else (f"[{ip}]:{addr[1]}" if ":" in ip else f"{ip}:{addr[1]}")
        self._addr_cache[key] = text
        return text

    def peer_ip_string(self) -> str | None:
        return self._address("peer_ip", True, False)

    def peer_addr_string(self) -> str | None:
        return self._address("peer_addr", True, True)

    def local_ip_string(self) -> str | None:
        return self._address("local_ip", False, False)

    def local_addr_string(self) -> str | None:
        return self._address("local_addr", False, True)

    def as_string(self) -> str:
        flags = ("R" if self._reading else "") + ("W" if self._writing else "")
        peer = self.peer_addr_string()
        state = "closed" if self.closed else "open"
        return f"{type(self).__name__}({flags}): {state}" + (f" to {peer}" if peer else "")

    def __repr__(self) -> str:
        return f"<{self.as_string()}>"

    def debugmsg(self, fmt: str, *args: Any) -> None:
        """Print a debugging message to stderr."""
        sys.stderr.write(">>> " + (fmt % args if args else fmt) + "\n")

    def dump_error(self, message: str) -> None:
        """Print ``message``, this socket and a backtrace to stderr."""
        sys.stderr.write(f"ERROR: {message}\n  {self.as_string()}\n")
        traceback.print_stack(file=sys.stderr)

    # -- the event loop (class methods) ------------------------------------------------------------
    @classmethod
    def debug_msg(cls, fmt: str, *args: Any) -> None:
        sys.stderr.write(">>> " + (fmt % args if args else fmt) + "\n")

    @classmethod
    def event_loop(cls) -> None:
        """Run the hub from this greenlet until a post-loop callback returns false."""
        reg = danga_loop()
        while True:
            timeout = reg.loop_timeout
            reg.wait_for_activity(0 if timeout == -1 else None if timeout == 0 else timeout / 1000.0)
            if not reg.end_iteration():
                return

    @classmethod
    def add_timer(cls, seconds: float, callback: Callable[[], Any]) -> Timer:
        """Call ``callback()`` after ``seconds``; returns a timer with ``cancel()``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
        reg = danga_loop()

        def fire():
            reg.timers.discard(timer)
            callback()
            reg.note_activity()

        timer = reg.hub.call_later(seconds, fire)
        reg.timers.add(timer)
        return timer

    def _set_object_plc(self, callback) -> None:
        if self.fd is None:
            return  # closed: its callback left with it
        reg = danga_loop()
        if callable(callback):
            reg.object_plcs[self.fd] = callback
        else:
            reg.object_plcs.pop(self.fd, None)

    @classmethod
    def _set_global_plc(cls, callback) -> None:
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        danga_loop().post_loop_callback = callback

    set_post_loop_callback = _hybrid(_set_global_plc, _set_object_plc)
    """On the class: the global post-loop callback; on an object: that object's own."""

    @classmethod
    def descriptor_map(cls) -> dict:
        """A copy of {fd: object} for every registered socket."""
        return dict(danga_loop().descriptors)

    @classmethod
    def watched_sockets(cls) -> int:
        return len(danga_loop().descriptors)

    @classmethod
    def set_loop_timeout(cls, ms: int) -> None:
        """0 waits for the next event forever, -1 returns at once, N waits at most N ms."""
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < -1:
            raise ValueError(f"ms must be -1, 0 or a positive int, not {ms!r}")
        danga_loop().loop_timeout = ms

    @classmethod
    def add_other_fds(cls, fdmap: dict) -> None:
        """Watch extra fds for readability: ``{fd: callback(fd)}``."""
        if not isinstance(fdmap, dict):
            raise TypeError(f"fdmap must be a dict of fd -> callback, not {type(fdmap).__name__}")
        for fd, callback in fdmap.items():
            if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
                raise TypeError(f"fdmap's keys must be fds (ints >= 0), not {fd!r}")
            if not callable(callback):
                raise TypeError(f"fdmap's values must be callable, not {type(callback).__name__}")
        reg = danga_loop()
        for fd, callback in fdmap.items():
            reg.add_other_fd(fd, callback)
        reg.refresh_hold()
        reg.schedule_pass()

    @classmethod
    def other_fds(cls, fdmap: dict | None = None) -> dict:
        """The extra fds watched, ``{fd: callback}`` (a copy); with ``fdmap``, replace them
        all with those (Danga's ``OtherFds(%map)``)."""
        if fdmap is not None:
            if not isinstance(fdmap, dict):
                raise TypeError(f"fdmap must be a dict of fd -> callback, not {type(fdmap).__name__}")
            cls.add_other_fds(fdmap)  # checks the map first
            reg = danga_loop()
            for fd in list(reg.other_fds):
                if fd not in fdmap:
                    reg.remove_other_fd(fd)
        return dict(danga_loop().other_fds)

    @classmethod
    def to_close(cls) -> list:
        """Objects closed this iteration whose sockets are not closed yet."""
        return [obj for _, obj in danga_loop().to_close]

    @classmethod
    def reset(cls) -> None:
        """Forget every socket, timer, callback and fd (sockets are not closed)."""
        reset_danga_loop()

    @classmethod
    def have_epoll(cls) -> bool:
        """Whether the hub's poller is epoll."""
        return get_hub().poller_name == "epoll"

    @classmethod
    def enable_profiling(cls) -> bool:
        reg = danga_loop()
        reg.profiling = True
        reg.profile = {}
        return True

    @classmethod
    def disable_profiling(cls) -> None:
        danga_loop().profiling = False

    @classmethod
    def profiling_data(cls) -> dict:
        """``{"Class-event": [utime, stime, calls]}`` since profiling was enabled."""
        return {k: list(v) for k, v in danga_loop().profile.items()}
