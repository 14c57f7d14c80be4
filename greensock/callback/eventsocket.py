"""``EventSocket``: the Danga::Socket base class and event loop, on greensock's hub.

The sockets live in a private level-triggered epoll (as in Danga::Socket, ``event_read``
keeps being called while data is waiting and watched) whose own fd the hub watches like
any other, so Danga-style objects, callbacks and greenlets share one hub.
"""
from __future__ import annotations

import errno
import resource
import select
import socket as _std
import sys
import traceback
from collections import deque
from types import SimpleNamespace

from ..hub import get_hub
from ..socket import StdSocket, _ss
from ..waiting import sleep
from ..waitlist import WaitList
from ..watch import Watch

_EPOLL = getattr(select, "epoll", None)
_IN = getattr(select, "EPOLLIN", 1)
_OUT = getattr(select, "EPOLLOUT", 4)
_ERR = getattr(select, "EPOLLERR", 8)
_HUP = getattr(select, "EPOLLHUP", 16)
MAX_READ = 1 << 20
_send = _ss.send
_recv = _ss.recv
MAX_EVENTS = 1000
_TCP_CORK = getattr(_std, "TCP_CORK", None)


class _Registry:
    """The class-level state Danga::Socket keeps in globals, one per hub."""

    def __init__(self) -> None:
        if _EPOLL is None:
            raise RuntimeError("EventSocket needs epoll (Linux); this platform has none")
        self.hub = get_hub()
        self.poller = _EPOLL()
        self.descriptors: dict[int, EventSocket] = {}
        self.other_fds: dict[int, object] = {}
        self.to_close: list = []
        self.pushback: list = []
        self.post_loop_callback = None
        self.object_plcs: dict[int, object] = {}
        self.loop_timeout = 0
        self.timers: set = set()
        self.profiling = False
        self.profile: dict[str, list] = {}
        self._pass_scheduled = False
        self._post_scheduled = False
        self.activity = False  # an event or timer ran since the event loop last looked
        self._activity_waiters = WaitList(self, lambda: self.activity)
        self._watch = Watch(self.poller.fileno())
        self._watch.reader = SimpleNamespace(switch=self.run_pass)
        self._keeping_hub = False
        self.hub._register(self._watch)
        if not self.hub._et:
            self.hub._update_interest(self._watch)

    # -- keeping the hub waiting while anything is registered -----------------------------
    def _refresh_hold(self) -> None:
        want = bool(self.descriptors or self.other_fds)
        if want != self._keeping_hub:
            self._keeping_hub = want
            self.hub._waiting += 1 if want else -1

    def register(self, obj: EventSocket) -> None:
        if obj._fd in self.descriptors:
            sys.stderr.write(f"EventSocket: fd {obj._fd} is already in the descriptor map; replacing it\n")
            self.poller.unregister(obj._fd)
        self.descriptors[obj._fd] = obj
        self.poller.register(obj._fd, _ERR | _HUP)
        self._refresh_hold()

    def modify(self, obj: EventSocket) -> None:
        mask = _ERR | _HUP | (_IN if obj._reading else 0) | (_OUT if obj._writing else 0)
        self.poller.modify(obj._fd, mask)
        self.schedule_pass()  # level-triggered: report what is already ready

    def unregister_fd(self, fd: int) -> None:
        try:
            self.poller.unregister(fd)
        except (OSError, ValueError):
            pass

    # -- one pass over the ready sockets ----------------------------------------------------
    def schedule_pass(self) -> None:
        if not self._pass_scheduled:
            self._pass_scheduled = True
            self.hub.run_callback(self._scheduled_pass)

    def _scheduled_pass(self) -> None:
        self._pass_scheduled = False
        self.run_pass()

    def run_pass(self) -> None:
        """Dispatch every ready event (Danga's per-fd order), then the end-of-iteration work."""
        self._watch.readable = False
        try:
            events = self.poller.poll(0, MAX_EVENTS)
        except OSError:
            return
        descriptors = self.descriptors
        for fd, mask in events:
            obj = descriptors.get(fd)
            if obj is None:
                callback = self.other_fds.get(fd)
                if callback is not None:
                    callback(fd)  # the pass notes activity for it below
                else:
                    self.unregister_fd(fd)
                continue
            if mask & _IN and not obj.closed:
                self.call_event(obj, "read")
            if mask & _OUT and not obj.closed:
                self.call_event(obj, "write")
            if mask & _ERR and not obj.closed:
                self.call_event(obj, "err")
            if mask & _HUP and not obj.closed:
                self.call_event(obj, "hup")
        self.post_event_loop()
        if events:
            self.note_activity()
            self.schedule_pass()  # still-ready sockets are served again next turn

    def note_activity(self) -> None:
        self.activity = True
        self._activity_waiters.notify()

    def wait_for_activity(self, timeout: float | None) -> None:
        """One Danga iteration's wait: until an event or timer, or ``timeout`` seconds."""
        self.activity = False
        if timeout == 0:
            sleep(0)
        else:
            self._activity_waiters.wait_until(lambda: self.activity, timeout)

    def call_event(self, obj: EventSocket, kind: str) -> None:
        method = getattr(obj, "event_" + kind)
        if not self.profiling:
            try:
                method()
            except Exception:
                self.hub.handle_error(method, *sys.exc_info())
            return
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            method()
        except Exception:
            self.hub.handle_error(method, *sys.exc_info())
        after = resource.getrusage(resource.RUSAGE_SELF)
        entry = self.profile.setdefault(f"{type(obj).__name__}-{kind}", [0.0, 0.0, 0])
        entry[0] += after.ru_utime - before.ru_utime
        entry[1] += after.ru_stime - before.ru_stime
        entry[2] += 1

    def schedule_post(self) -> None:
        """Deferred closes and pushed-back data are handled when the current turn ends."""
        if not self._post_scheduled:
            self._post_scheduled = True
            self.hub.at_turn_end(self._scheduled_post)

    def _scheduled_post(self) -> None:
        self._post_scheduled = False
        self.post_event_loop()

    def post_event_loop(self) -> None:
        """Re-feed pushed-back data, then really close what was closed this iteration."""
        while self.pushback:
            pending, self.pushback = self.pushback, []
            called = False
            for obj in pending:
                if obj._pushback and not obj.closed and obj._reading:
                    called = True
                    self.call_event(obj, "read")
            if not called:
                break
        closing, self.to_close = self.to_close, []
        for obj in closing:
            if self.descriptors.get(obj._closed_fd) is obj:
                del self.descriptors[obj._closed_fd]
            if obj._sock is not None:
                obj._sock.close()
                obj._sock = None
        self._refresh_hold()

    def run_post_loop_callbacks(self) -> bool:
        """Per-object then global post-loop callbacks; stop at the first false answer."""
        snapshot = dict(self.descriptors)
        for callback in list(self.object_plcs.values()):
            if not callback(snapshot, dict(self.other_fds)):
                return False
        if self.post_loop_callback is not None:
            return bool(self.post_loop_callback(snapshot, dict(self.other_fds)))
        return True

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()
        if self._keeping_hub:
            self.hub._waiting -= 1
        self.hub.close_watch(self._watch)
        self.poller.close()


def _registry() -> _Registry:
    """The current hub's registry (kept on the hub, so it goes away with it)."""
    hub = get_hub()
    reg = hub.__dict__.get("_eventsocket_registry")
    if reg is None:
        reg = hub.__dict__["_eventsocket_registry"] = _Registry()
    return reg


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

    def __init__(self, sock) -> None:
        if not isinstance(sock, StdSocket):
            raise TypeError(f"sock must be a socket, not {type(sock).__name__}")
        if sock.fileno() < 0:
            raise ValueError("sock is closed")
        sock.setblocking(False)
        self._sock = sock
        self._fd = sock.fileno()
        self._closed_fd = self._fd
        self.closed = False
        self._reading = False
        self._writing = False
        self._write_owned_by_user = False
        self._write_queue: deque = deque()
        self.write_buf_size = 0
        self._pushback: deque = deque()
        self._writer = None
        self._corked = False
        self._addr_cache: dict[str, str] = {}
        self._registry = _registry()
        self._registry.register(self)

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
        self._registry.modify(self)

    def watch_write(self, on: bool) -> None:
        """Turn writable notifications on or off."""
        self._write_owned_by_user = bool(on)
        self._set_write_watch(bool(on))

    def _set_write_watch(self, on: bool) -> None:
        if self.closed or on == self._writing:
            return
        self._writing = on
        self._registry.modify(self)

    # -- writing ---------------------------------------------------------------------------
    def set_writer_func(self, fn) -> None:
        """Use ``fn(data) -> bytes written`` instead of ``send``."""
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        self._writer = fn

    def write(self, data) -> bool:
        """Write bytes, or queue them; a callable runs when the queue reaches it; None flushes.

        True when everything is written (stop waiting for writability), False while
        data is queued (or the socket failed and was closed).
        """
        if self.closed:
            return True
        if data is not None:
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
                queue.popleft()
                self.write_buf_size -= 1
                item()
                if self.closed:
                    return False
                continue
            view, offset = item
            try:
                n = self._writer(view[offset:]) if self._writer is not None else _send(self._sock,
                                                                                                  view[offset:])
            except BlockingIOError:
                n = 0
            except OSError as e:
                self.close("write_error" if e.errno not in (errno.EPIPE, errno.ECONNRESET) else e.strerror)
                return False
            if n is None:
                n = 0
            item[1] += n
            self.write_buf_size -= n
            if item[1] < len(view):
                self._set_write_watch(True)
                return False
            queue.popleft()
        if self._writing and not self._write_owned_by_user:
            self._set_write_watch(False)
        return True

    # -- reading ---------------------------------------------------------------------------
    def read(self, n: int):
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

    def push_back_read(self, data) -> None:
        """Put ``data`` back in front of the read stream; ``event_read`` runs again this iteration."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        self._pushback.append(bytes(data))
        reg = self._registry
        if self not in reg.pushback:
            reg.pushback.append(self)
        reg.schedule_post()

    # -- closing ---------------------------------------------------------------------------
    def _cleanup(self) -> None:
        self.closed = True
        self._write_queue.clear()
        self.write_buf_size = 0
        if self._corked:
            self.tcp_cork(False)
        self._registry.unregister_fd(self._fd)
        self._pushback.clear()
        self._registry.object_plcs.pop(self._fd, None)
        self._closed_fd = self._fd
        self._fd = None

    def close(self, reason=None) -> None:
        """Close; the socket really closes (and leaves the map) at the end of this loop iteration."""
        if self.closed:
            return
        self.close_reason = reason
        self._cleanup()
        reg = self._registry
        reg.to_close.append(self)
        reg.schedule_post()

    def steal_socket(self):
        """Stop managing the socket and return it open (the object is closed; None if it was)."""
        if self.closed:
            return None
        sock = self._sock
        self._cleanup()
        self._sock = None
        reg = self._registry
        if reg.descriptors.get(self._closed_fd) is self:
            del reg.descriptors[self._closed_fd]
        reg._refresh_hold()
        return sock

    @property
    def sock(self):
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
    def _address(self, key: str, getter, with_port: bool):
        cached = self._addr_cache.get(key)
        if cached is not None:
            return cached
        if self._sock is None:
            return None
        try:
            addr = getter()
        except OSError:
            return None
        if not isinstance(addr, tuple):
            return None
        ip = addr[0]
        text = ip if not with_port else (f"[{ip}]:{addr[1]}" if ":" in ip else f"{ip}:{addr[1]}")
        self._addr_cache[key] = text
        return text

    def peer_ip_string(self):
        return self._address("peer_ip", lambda: self._sock.getpeername(), False)

    def peer_addr_string(self):
        return self._address("peer_addr", lambda: self._sock.getpeername(), True)

    def local_ip_string(self):
        return self._address("local_ip", lambda: self._sock.getsockname(), False)

    def local_addr_string(self):
        return self._address("local_addr", lambda: self._sock.getsockname(), True)

    def as_string(self) -> str:
        flags = ("R" if self._reading else "") + ("W" if self._writing else "")
        peer = self.peer_addr_string()
        state = "closed" if self.closed else "open"
        return f"{type(self).__name__}({flags}): {state}" + (f" to {peer}" if peer else "")

    def __repr__(self) -> str:
        return f"<{self.as_string()}>"

    def debugmsg(self, fmt: str, *args) -> None:
        """Print a debugging message to stderr."""
        sys.stderr.write(">>> " + (fmt % args if args else fmt) + "\n")

    def dump_error(self, message: str) -> None:
        """Print ``message``, this socket and a backtrace to stderr."""
        sys.stderr.write(f"ERROR: {message}\n  {self.as_string()}\n")
        traceback.print_stack(file=sys.stderr)

    # -- the event loop (class methods) ------------------------------------------------------------
    @classmethod
    def debug_msg(cls, fmt: str, *args) -> None:
        sys.stderr.write(">>> " + (fmt % args if args else fmt) + "\n")

    @classmethod
    def event_loop(cls) -> None:
        """Run the hub from this greenlet until a post-loop callback returns false."""
        reg = _registry()
        while True:
            timeout = reg.loop_timeout
            reg.wait_for_activity(0 if timeout == -1 else None if timeout == 0 else timeout / 1000.0)
            reg.run_pass()
            if not reg.run_post_loop_callbacks():
                return

    @classmethod
    def add_timer(cls, seconds: float, callback):
        """Call ``callback()`` after ``seconds``; returns a timer with ``cancel()``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
        reg = _registry()

        def fire():
            reg.timers.discard(timer)
            callback()
            reg.note_activity()

        timer = reg.hub.call_later(seconds, fire)
        reg.timers.add(timer)
        return timer

    def _set_object_plc(self, callback) -> None:
        reg = self._registry
        if callable(callback):
            reg.object_plcs[self._fd] = callback
        else:
            reg.object_plcs.pop(self._fd, None)

    @classmethod
    def _set_global_plc(cls, callback) -> None:
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        _registry().post_loop_callback = callback

    set_post_loop_callback = _hybrid(_set_global_plc, _set_object_plc)
    """On the class: the global post-loop callback; on an object: that object's own."""

    @classmethod
    def descriptor_map(cls) -> dict:
        """A copy of {fd: object} for every registered socket."""
        return dict(_registry().descriptors)

    @classmethod
    def watched_sockets(cls) -> int:
        return len(_registry().descriptors)

    @classmethod
    def set_loop_timeout(cls, ms: int) -> None:
        """0 waits for the next event forever, -1 returns at once, N waits at most N ms."""
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < -1:
            raise ValueError(f"ms must be -1, 0 or a positive int, not {ms!r}")
        _registry().loop_timeout = ms

    @classmethod
    def add_other_fds(cls, fdmap: dict) -> None:
        """Watch extra fds for readability: ``{fd: callback(fd)}``."""
        if not isinstance(fdmap, dict):
            raise TypeError(f"fdmap must be a dict of fd -> callback, not {type(fdmap).__name__}")
        reg = _registry()
        for fd, callback in fdmap.items():
            if not isinstance(fd, int) or not callable(callback):
                raise TypeError("add_other_fds takes {int fd: callable}")
            if fd not in reg.other_fds:
                reg.poller.register(fd, _IN)
            reg.other_fds[fd] = callback
        reg._refresh_hold()
        reg.schedule_pass()

    @classmethod
    def other_fds(cls) -> dict:
        return dict(_registry().other_fds)

    @classmethod
    def to_close(cls) -> list:
        """Objects closed this iteration whose sockets are not closed yet."""
        return list(_registry().to_close)

    @classmethod
    def reset(cls) -> None:
        """Forget every socket, timer, callback and fd (sockets are not closed)."""
        reg = get_hub().__dict__.pop("_eventsocket_registry", None)
        if reg is not None:
            reg.close()

    @classmethod
    def have_epoll(cls) -> bool:
        return isinstance(_registry().poller, _EPOLL)

    @classmethod
    def enable_profiling(cls) -> bool:
        reg = _registry()
        reg.profiling = True
        reg.profile = {}
        return True

    @classmethod
    def disable_profiling(cls) -> None:
        _registry().profiling = False

    @classmethod
    def profiling_data(cls) -> dict:
        """``{"Class-event": [utime, stime, calls]}`` since profiling was enabled."""
        return {k: list(v) for k, v in _registry().profile.items()}
