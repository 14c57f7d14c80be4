"""The hub: one greenlet per thread that runs the poller, timers and ready queue."""
from __future__ import annotations

import errno
import os
import sys
import traceback
from _thread import _local
from collections import deque
from heapq import heappush
from time import monotonic, perf_counter

from greenlet import getcurrent, greenlet

from .exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit
from .poller import make_poller
from .timers import Callback, Timer, TimerHeap
from .wakeup import Wakeup
from .watch import HANGUP, Watch

__all__ = ["Hub", "get_hub", "set_hub"]

# The ready queue runs at most this long per turn before the poller gets a look.
CALLBACK_BUDGET = 0.005

_tls = _local()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _root(g: greenlet) -> greenlet:
    while g.parent is not None:
        g = g.parent
    return g


class _WakeupReader:
    """Drains the wake-up fd and runs callbacks posted from other threads."""

    __slots__ = ("hub",)

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def switch(self) -> None:
        hub = self.hub
        hub._wakeup.drain()
        hub._watches[hub._wakeup.fd].readable = False
        pending = hub._threadsafe
        while pending:
            fn, args = pending.popleft()
            hub._callbacks.append(Callback((fn, args)))


class Hub(greenlet):
    """Runs the event loop for the greenlets of one thread.

    Other greenlets park by switching to the hub; the hub switches back to them when
    their fd is ready, their timer fires or their callback is due.
    """

    def __init__(self, poller: str | None = None) -> None:
        greenlet.__init__(self, parent=_root(getcurrent()))
        self.poller = make_poller(poller)
        self._poller_name = self.poller.name
        self._et = self.poller.edge_triggered
        self._watches: dict[int, Watch] = {}
        self._callbacks: deque[Callback] = deque()
        self._timers = TimerHeap()
        self._waiting = 0  # fd waits, watchers and thread jobs that can wake the loop
        self._threadsafe: deque = deque()
        self._turn_end: list = []  # one-shot hooks run when the current turn ends
        self._threadpool = None
        self._resolver = None
        self._closed = False
        self._open_wakeup()

    # -- scheduling -------------------------------------------------------------
    def run_callback(self, fn, *args) -> Callback:
        """Run ``fn(*args)`` in the hub on its next turn (FIFO); the handle has ``cancel()``."""
        h = Callback((fn, args))
        self._callbacks.append(h)
        return h

    def call_later(self, seconds: float, fn, *args) -> Timer:
        """Run ``fn(*args)`` in the hub after ``seconds``; the handle has ``cancel()``."""
        timers = self._timers
        t = Timer((monotonic() + (seconds if seconds > 0 else 0.0), timers._seq(), fn, args, timers))
        heappush(timers._heap, t)
        return t

    def at_turn_end(self, fn, *args) -> None:
        """Run ``fn(*args)`` in the hub once, when the current loop turn ends."""
        self._turn_end.append((fn, args))

    def run_callback_threadsafe(self, fn, *args) -> None:
        """From any thread: run ``fn(*args)`` in this hub soon."""
        self._threadsafe.append((fn, args))
        self._wakeup.wake()

    @property
    def threadpool(self):
        """The hub's thread pool (created on first use)."""
        if self._threadpool is None:
            from .threadpool import ThreadPool
            self._threadpool = ThreadPool(10, hub=self)
        return self._threadpool

    @property
    def poller_name(self) -> str:
        return self._poller_name

    # -- fd watches ------------------------------------------------------------------
    def watch(self, fd: int) -> Watch:
        """A watch for an fd owned by a socket; registered lazily at its first wait."""
        return Watch(fd)

    def _register(self, w: Watch) -> None:
        old = self._watches.get(w.fd)
        if old is not None and old is not w:
            # The fd number was closed behind our back and reused: the old watch is stale.
            old.registered = False
            self._wake_closed(old)
        self._watches[w.fd] = w
        self.poller.register(w.fd)
        w.registered = True

    def _update_interest(self, w: Watch) -> None:
        if w.registered:
            self.poller.interest(w.fd, w.reader is not None, w.writer is not None)

    def wait_readable(self, w: Watch, timeout: float | None = None, timeout_exc=None) -> None:
        """Park the current greenlet until ``w`` is readable.

        The caller has seen EAGAIN and cleared ``w.readable``. Raises ``timeout_exc``
        (default ``TimeoutError``) after ``timeout`` seconds.
        """
        cur = getcurrent()
        if cur is self:
            raise BlockingSwitchOutError("cannot wait for an fd in the hub greenlet (a callback); spawn a greenlet")
        if w.reader is not None:
            raise ConcurrentObjectUseError(f"fd {w.fd} is already being read by {w.reader!r}")
        if not w.registered:
            self._register(w)
        w.reader = cur
        self._waiting += 1
        if not self._et:
            self._update_interest(w)
        timer = None if timeout is None else self._timers.add(timeout, self._time_out, (cur, timeout_exc))
        try:
            while not w.readable:
                self.switch()
        finally:
            w.reader = None
            self._waiting -= 1
            if timer is not None:
                timer.cancel()
            if not self._et:
                self._update_interest(w)

    def wait_writable(self, w: Watch, timeout: float | None = None, timeout_exc=None) -> None:
        """Park the current greenlet until ``w`` is writable (see ``wait_readable``)."""
        cur = getcurrent()
        if cur is self:
            raise BlockingSwitchOutError("cannot wait for an fd in the hub greenlet (a callback); spawn a greenlet")
        if w.writer is not None:
            raise ConcurrentObjectUseError(f"fd {w.fd} is already being written by {w.writer!r}")
        if not w.registered:
            self._register(w)
        w.writer = cur
        self._waiting += 1
        if not self._et:
            self._update_interest(w)
        timer = None if timeout is None else self._timers.add(timeout, self._time_out, (cur, timeout_exc))
        try:
            while not w.writable:
                self.switch()
        finally:
            w.writer = None
            self._waiting -= 1
            if timer is not None:
                timer.cancel()
            if not self._et:
                self._update_interest(w)

    def fd_watch(self, fd: int) -> Watch:
        """The registered watch for ``fd``, or a new temporary one (see ``release_watch``)."""
        w = self._watches.get(fd)
        if w is None:
            w = Watch(fd, temporary=True)
            w.readable = w.writable = False
        return w

    def release_watch(self, w: Watch) -> None:
        """Unregister a temporary watch once nobody waits on it."""
        if w.temporary and w.reader is None and w.writer is None:
            self.close_watch(w)

    def wait_any(self, entries: list, timeout: float | None = None) -> None:
        """Park until one of ``(watch, read)`` entries reports readiness, or ``timeout``.

        Returns without saying which: the caller checks (used by select and selectors).
        """
        cur = getcurrent()
        if cur is self:
            raise BlockingSwitchOutError("cannot wait for fds in the hub greenlet (a callback); spawn a greenlet")
        for w, read in entries:
            if (w.reader if read else w.writer) is not None:
                raise ConcurrentObjectUseError(f"fd {w.fd} already has a greenlet waiting on it")
        attached = []
        timer = None
        try:
            for w, read in entries:
                if not w.registered:
                    self._register(w)
                if read:
                    w.reader = cur
                else:
                    w.writer = cur
                attached.append((w, read))
                self._waiting += 1
                if not self._et:
                    self._update_interest(w)
            if timeout is not None:
                timer = self._timers.add(timeout, cur.switch, ())
            self.switch()
        finally:
            if timer is not None:
                timer.cancel()
            for w, read in attached:
                if read:
                    w.reader = None
                else:
                    w.writer = None
                self._waiting -= 1
                if not self._et:
                    self._update_interest(w)

    @staticmethod
    def _time_out(g: greenlet, exc) -> None:
        if g:
            g.throw(TimeoutError("timed out") if exc is None else exc)

    def close_watch(self, w: Watch) -> None:
        """Before an fd closes: wake its waiters with EBADF, then drop the registration."""
        self._wake_closed(w)
        if w.registered:
            w.registered = False
            if self._watches.get(w.fd) is w:
                del self._watches[w.fd]
                self.poller.unregister(w.fd)

    def _wake_closed(self, w: Watch) -> None:
        if w.reader is not None or w.writer is not None:
            if getcurrent() is self:
                self._throw_closed(w)
            else:
                self.run_callback(self._throw_closed, w)

    @staticmethod
    def _throw_closed(w: Watch) -> None:
        for g in (w.reader, w.writer):
            if g is not None and isinstance(g, greenlet) and g:
                g.throw(OSError(errno.EBADF, "file descriptor was closed while a greenlet waited on it"))

    # -- the loop --------------------------------------------------------------------
    def run(self) -> None:
        while True:
            try:
                self._loop()
            except (KeyboardInterrupt, SystemExit) as e:
                self._throw_to_main(e)
                continue
            if self._closed:
                return
            self.parent.throw(LoopExit(self._describe_block()))

    def _loop(self) -> None:
        callbacks = self._callbacks
        timers = self._timers
        heap = timers._heap
        watches = self._watches
        READ = self.poller.READ
        WRITE = self.poller.WRITE
        HANGUP_BITS = self.poller.HANGUP
        while True:
            if callbacks:
                self._run_callbacks()
            if self._closed:
                return
            if callbacks or self._turn_end:
                timeout = 0.0
            else:
                deadline = timers.next_deadline() if heap else None
                if deadline is not None:
                    timeout = deadline - monotonic()
                    if timeout < 0.0:
                        timeout = 0.0
                elif self._waiting > 0:
                    timeout = -1.0
                else:
                    return
            for fd, mask in self.poller.poll(timeout):  # not cached: fork replaces it
                w = watches.get(fd)
                if w is None:
                    continue
                try:
                    if mask & READ:
                        w.readable = HANGUP if mask & HANGUP_BITS else True
                        g = w.reader
                        if g is not None:
                            g.switch()
                    if mask & WRITE:
                        w.writable = True
                        g = w.writer
                        if g is not None:
                            g.switch()
                except BaseException:
                    self.handle_error(w, *sys.exc_info())
            if heap and heap[0][0] <= monotonic():
                for t in timers.pop_due(monotonic()):
                    fn = t[2]
                    if fn is None:
                        continue  # cancelled by an earlier timer of this batch
                    args = t[3]
                    t[2] = None
                    try:
                        fn(*args)
                    except BaseException:
                        self.handle_error(fn, *sys.exc_info())
            if self._turn_end:
                self._run_turn_end()

    def _run_turn_end(self) -> None:
        hooks, self._turn_end = self._turn_end, []
        for fn, args in hooks:
            try:
                fn(*args)
            except BaseException:
                self.handle_error(fn, *sys.exc_info())

    def _run_callbacks(self) -> None:
        callbacks = self._callbacks
        n = len(callbacks)
        budget_end = perf_counter() + CALLBACK_BUDGET
        while n:
            n -= 1
            h = callbacks.popleft()
            fn = h[0]
            if fn is None:
                continue
            h[0] = None
            try:
                fn(*h[1])
            except BaseException:
                self.handle_error(fn, *sys.exc_info())
            if not n & 31 and perf_counter() > budget_end:
                break

    def handle_error(self, context, exc_type, exc, tb) -> None:
        """Report an exception raised in the hub; system exits go to the main greenlet."""
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            self._throw_to_main(exc)
            return
        print_exception(context, exc_type, exc, tb)

    def _throw_to_main(self, exc: BaseException) -> None:
        main = self.parent
        if main and getcurrent() is self:
            main.throw(exc)

    def _describe_block(self) -> str:
        """Say where the main greenlet is parked, for the LoopExit message."""
        frame = self.parent.gr_frame
        inner = None
        while frame is not None:
            path = os.path.abspath(frame.f_code.co_filename)
            if os.path.dirname(path) == _PACKAGE_DIR:
                inner = frame
            elif inner is not None:
                where = f"{_qualname(inner)}() called at {frame.f_code.co_filename}:{frame.f_lineno}"
                break
            frame = frame.f_back
        else:
            where = "a switch to the hub"
        return (f"the main greenlet waits in {where}, but nothing can wake it: "
                "no greenlet is runnable, no fd is watched and no timer is pending")

    # -- life cycle ---------------------------------------------------------------------
    def _open_wakeup(self) -> None:
        self._wakeup = Wakeup()
        w = Watch(self._wakeup.fd)
        w.reader = _WakeupReader(self)
        self._register(w)
        if not self._et:
            self._update_interest(w)

    def join(self, timeout: float | None = None) -> bool:
        """Run the loop until nothing is left to do; False if ``timeout`` ran out first."""
        cur = getcurrent()
        if cur is self:
            raise BlockingSwitchOutError("cannot join the hub from the hub")
        timer = None
        if timeout is not None:
            timer = self.call_later(timeout, cur.switch, False)
        try:
            return self.switch()
        except LoopExit:
            return True
        finally:
            if timer is not None:
                timer.cancel()

    def destroy(self) -> None:
        """Close the poller and wake-up fd; the thread gets a new hub on next use."""
        if getattr(_tls, "hub", None) is self:
            del _tls.hub
        self._closed = True
        if self._threadpool is not None:
            self._threadpool.kill()
        if self and getcurrent() is not self:
            self.switch()  # let the loop return
        self._wakeup.close()
        self.poller.close()
        self._watches.clear()
        self._callbacks.clear()
        self._timers.clear()

    def _after_fork(self) -> None:
        """In a forked child: a new poller, wake-up fd and thread pool; same watches."""
        self.poller.close()
        self.poller = make_poller(self._poller_name)
        self._wakeup.close()
        watches = [w for w in self._watches.values() if w.fd != self._wakeup.fd]
        self._watches.clear()  # the same dict: the parked loop holds a reference
        if self._threadpool is not None:
            self._waiting -= self._threadpool._forget_after_fork()
            self._threadpool = None
        self._threadsafe.clear()
        self._open_wakeup()
        for w in watches:
            self._register(w)
            if not self._et:
                self._update_interest(w)

    def __repr__(self) -> str:
        return (f"<Hub poller={self._poller_name} fds={len(self._watches)} "
                f"callbacks={len(self._callbacks)} timers={len(self._timers)}>")


def _qualname(frame) -> str:
    code = frame.f_code
    name = getattr(code, "co_qualname", None)  # Python 3.11+
    if name is None:
        owner = frame.f_locals.get("self")
        name = f"{type(owner).__name__}.{code.co_name}" if owner is not None else code.co_name
    return name


def print_exception(context, exc_type, exc, tb) -> None:
    """Print an exception from a greenlet or callback once, with its traceback."""
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    sys.stderr.write(f"{context!r} failed with {exc_type.__name__}\n\n")


def get_hub() -> Hub:
    """The current thread's hub, created on first use."""
    try:
        return _tls.hub
    except AttributeError:
        hub = _tls.hub = Hub()
        return hub


def set_hub(hub: Hub) -> None:
    """Make ``hub`` the current thread's hub (for choosing a poller explicitly)."""
    if not isinstance(hub, Hub):
        raise TypeError(f"hub must be a Hub, not {type(hub).__name__}")
    _tls.hub = hub


def _reinit_after_fork() -> None:
    hub = getattr(_tls, "hub", None)
    if hub is not None and not hub._closed:
        hub._after_fork()


os.register_at_fork(after_in_child=_reinit_after_fork)
