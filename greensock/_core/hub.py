"""The hub: one greenlet per thread that runs the poller, timers and ready queue.

Everything above the hub uses only the public methods of ``Hub`` (listed in
``docs/hub.rst``); how one loop turn works is told in ``docs/internals.rst``.
"""
from __future__ import annotations

import errno
import logging
import os
import sys
from _thread import _local, get_ident
from collections import deque
from collections.abc import Callable
from time import monotonic, monotonic_ns, perf_counter
from types import MethodType, TracebackType
from typing import Any
from weakref import WeakMethod, WeakSet

from greenlet import getcurrent, greenlet

from ..exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit
from .fdstate import HANGUP, CallbackWaiter, FdState, SharedWaiters
from .frames import HubFrames
from .poller import make_poller
from .timers import ARGS, CB_ARGS, CB_FN, FN, TIMED_OUT, WHEN, Callback, Timer, TimerHeap
from .wakeup import Wakeup

__all__ = ["Hub", "get_hub", "set_hub", "current_hub", "sleep", "TIMED_OUT"]

# The ready queue runs at most this long per turn before the poller gets a look.
CALLBACK_BUDGET = 0.005

_tls = _local()
_hubs: WeakSet = WeakSet()  # every live hub, for the operations tools
error_log = logging.getLogger("greensock")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _root(g: greenlet) -> greenlet:
    while g.parent is not None:
        g = g.parent
    return g


def _blocking(what: str) -> BlockingSwitchOutError:
    return BlockingSwitchOutError(f"cannot {what} in the hub greenlet (a callback); spawn a greenlet")


def _noop() -> None:
    """A timer that only bounds a wait."""


def report_error(context: Any, exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None) -> None:
    """Report an exception that ended a greenlet or escaped a callback, once: an ERROR on
    the ``greensock`` logger with the traceback (with no logging configured, Python's
    last-resort handler still prints it to stderr)."""
    name = getattr(context, "name", None) if isinstance(context, greenlet) else None
    what = f"greenlet {name!r} ({context!r})" if name else repr(context)
    error_log.error("%s failed with %s", what, exc_type.__name__, exc_info=(exc_type, exc, tb))


class Hub(HubFrames, greenlet):
    """Runs the event loop for the greenlets of one thread.

    Other greenlets park by switching to the hub; the hub switches back to them when
    their fd is ready, their timer fires or their callback is due. The loop runs while
    something can still happen: a callback, a timer that keeps it alive, or a hold
    (a greenlet waiting on an fd, a watched fd, a job in another thread).
    """

    parent: greenlet  # the thread's root greenlet: where LoopExit and the loop's return go
    # Set by ``greensock.threadpool`` (which builds on layers above this one).
    threadpool_class: type | None = None
    # Called as ``error_reporter(context, exc_type, exc, tb)``; replace it per hub or subclass.
    error_reporter = staticmethod(report_error)

    def __init__(self, poller: str | None = None) -> None:
        greenlet.__init__(self, parent=_root(getcurrent()))
        self.poller = make_poller(poller)
        self.poller_name: str = self.poller.name
        self.edge_triggered: bool = self.poller.edge_triggered
        self.turns = 0  # loop turns so far: a hub whose count stands still is blocked
        self._states: dict[int, FdState] = {}
        self._callbacks: deque[Callback] = deque()
        self._timers = TimerHeap()
        self._holds = 0
        self._threadsafe: deque = deque()
        self._turn_end: list = []
        self._turn_waiters: list = []
        self._close_hooks: list = []
        self._fork_hooks: list = []
        self._threadpool = None
        self.closed = False
        self.polling = False  # true while the loop waits in the poller (idle, not blocked)
        self.thread_id = get_ident()  # the OS thread the hub runs in
        _hubs.add(self)
        self._open_wakeup()

    # -- scheduling ---------------------------------------------------------------------
    def run_callback(self, fn: Callable[..., Any], *args: Any) -> Callback:
        """Run ``fn(*args)`` in the hub on its next turn (FIFO); the handle has ``cancel()``."""
        h = Callback((fn, args))
        self._callbacks.append(h)
        return h

    def call_later(self, seconds: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run ``fn(*args)`` in the hub after ``seconds``; the handle has ``cancel()`` and
        ``unref()`` (fire on time, but do not keep the loop alive)."""
        return self._timers.add(seconds, fn, args)

    def at_turn_end(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the hub once, when the current loop turn ends.

        A hook added before the turn's poll makes that poll return at once.
        """
        self._turn_end.append((fn, args))

    def run_callback_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """From any thread: run ``fn(*args)`` in this hub soon."""
        self._threadsafe.append((fn, args))
        self._wakeup.wake()

    # -- keeping the loop alive ----------------------------------------------------------
    def hold(self) -> None:
        """Keep the loop running (not ``LoopExit``) until a matching ``release()``:
        for something outside the hub's sight, such as a job in another thread."""
        self._holds += 1

    def release(self, count: int = 1) -> None:
        """Give back ``count`` holds."""
        self._holds -= count

    # -- parking ----------------------------------------------------------------------------
    def park(self, timeout: float | None = None) -> Any:
        """Switch the current greenlet to the hub until something switches back.

        Returns the value it was switched back with, or ``TIMED_OUT`` once ``timeout``
        seconds passed. A timer is armed only when a timeout is given, and always
        cancelled on the way out. Whoever parks re-checks its condition afterwards.
        """
        cur = getcurrent()
        if cur is self:
            raise _blocking("wait")
        if timeout is None:
            return self.switch()
        t = self.call_later(timeout, cur.switch, TIMED_OUT)
        try:
            return self.switch()
        finally:
            t.cancel()

    def turn(self, timeout: float | None = None) -> None:
        """Run the loop for one whole turn that polls (waiting up to ``timeout`` seconds
        for an event), then come back. Pending callbacks and due timers run in it."""
        cur = getcurrent()
        if cur is self:
            raise _blocking("run a loop turn")
        entry = (cur, self.turns)
        waiters = self._turn_waiters
        waiters.append(entry)
        timer = None if timeout is None else self.call_later(timeout, _noop)
        try:
            while entry in waiters:
                self.switch()
        finally:
            if timer is not None:
                timer.cancel()
            if entry in waiters:
                waiters.remove(entry)

    # -- fd readiness --------------------------------------------------------------------------
    def fd_state(self, fd: int) -> FdState:
        """The readiness record for an fd a caller owns (a socket); registered with the
        poller lazily, at its first wait. Drop it with ``close_fd_state`` before closing."""
        old = self._states.get(fd)
        if old is not None:
            if old.temporary:
                self._nudge(old)  # raw-fd waiters move over to the new record
            else:
                self._wake_closed(old)  # the fd was closed behind our back and reused
                old.registered = False
        w = self._states[fd] = FdState(fd)
        return w

    def wait_readable(self, w: FdState, timeout: float | None = None,
                      timeout_exc: BaseException | None = None) -> None:
        """Park until ``w`` is readable: the socket hot path.

        The caller has seen EAGAIN and cleared ``w.readable``. One greenlet reads a socket
        at a time (``ConcurrentObjectUseError`` otherwise). Raises ``timeout_exc``
        (default ``TimeoutError``) after ``timeout`` seconds.
        """
        cur = getcurrent()
        if cur is self:
            raise _blocking("wait for an fd")
        if not w.registered:
            self._register(w)
        reader = w.reader
        if reader is None:
            w.reader = cur
        elif type(reader) is SharedWaiters:
            reader[cur] = None
        else:
            raise ConcurrentObjectUseError(f"fd {w.fd} is already being read by {reader!r}")
        self._holds += 1
        if not self.edge_triggered:
            self._update_interest(w)
        timer = None if timeout is None else self.call_later(timeout, _time_out, cur, timeout_exc)
        try:
            while not w.readable:
                self.switch()
        finally:
            if w.reader is cur:
                w.reader = None
            else:
                self._leave(w, True, cur)
            self._holds -= 1
            if timer is not None:
                timer.cancel()
            if not self.edge_triggered:
                self._update_interest(w)

    def wait_writable(self, w: FdState, timeout: float | None = None,
                      timeout_exc: BaseException | None = None) -> None:
        """Park until ``w`` is writable (see ``wait_readable``)."""
        cur = getcurrent()
        if cur is self:
            raise _blocking("wait for an fd")
        if not w.registered:
            self._register(w)
        writer = w.writer
        if writer is None:
            w.writer = cur
        elif type(writer) is SharedWaiters:
            writer[cur] = None
        else:
            raise ConcurrentObjectUseError(f"fd {w.fd} is already being written by {writer!r}")
        self._holds += 1
        if not self.edge_triggered:
            self._update_interest(w)
        timer = None if timeout is None else self.call_later(timeout, _time_out, cur, timeout_exc)
        try:
            while not w.writable:
                self.switch()
        finally:
            if w.writer is cur:
                w.writer = None
            else:
                self._leave(w, False, cur)
            self._holds -= 1
            if timer is not None:
                timer.cancel()
            if not self.edge_triggered:
                self._update_interest(w)

    def wait_fds(self, interest: list, timeout: float | None = None) -> bool:
        """Park until one of ``interest`` (``(fd, read)`` pairs) is ready; False on timeout.

        For raw fds (select, poll, os-level waits): any number of greenlets may wait on
        one fd and direction. The caller's own check found none ready; readiness an
        earlier edge reported is asked for again, so none is missed.
        """
        cur = getcurrent()
        if cur is self:
            raise _blocking("wait for an fd")
        joined = []
        timer = None
        try:
            for fd, read in interest:
                w = self._states.get(fd)
                if w is None:
                    w = self._states[fd] = FdState(fd, temporary=True)
                if read:
                    w.readable = False
                else:
                    w.writable = False
                self._join(w, read, cur)
                joined.append((w, read))
                self._holds += 1
                if w.registered:
                    self.poller.rearm(fd)
                else:
                    self._register(w)
                if not self.edge_triggered:
                    self._update_interest(w)
            if timeout is not None:
                timer = self.call_later(timeout, cur.switch, TIMED_OUT)
            while True:
                for w, read in joined:
                    if self._states.get(w.fd) is not w:
                        break  # closed, or moved to an owner's record: the caller checks again
                    if w.readable if read else w.writable:
                        return True
                else:
                    if self.switch() is TIMED_OUT:
                        return False
                    continue
                return True
        finally:
            if timer is not None:
                timer.cancel()
            for w, read in joined:
                self._leave(w, read, cur)
                self._holds -= 1
                if w.temporary and w.reader is None and w.writer is None:
                    self.close_fd_state(w)
                elif not self.edge_triggered:
                    self._update_interest(w)

    def watch(self, w: FdState, read: bool, waiter: CallbackWaiter, ref: bool = True) -> None:
        """Call ``waiter.switch()`` from the hub whenever ``w`` turns ready for ``read``
        (else write), and ``waiter.throw(OSError(EBADF))`` if it is closed; until
        ``unwatch``. With ``ref`` the watch keeps the loop alive."""
        self._join(w, read, waiter)
        if not w.registered:
            self._register(w)
        if ref:
            self._holds += 1
        if not self.edge_triggered:
            self._update_interest(w)

    def unwatch(self, w: FdState, read: bool, waiter: CallbackWaiter, ref: bool = True) -> None:
        """Undo ``watch`` (with the same ``ref``)."""
        self._leave(w, read, waiter)
        if ref:
            self._holds -= 1
        if not self.edge_triggered:
            self._update_interest(w)

    def close_fd_state(self, w: FdState) -> None:
        """Before an fd closes: wake its waiters with EBADF, then drop the registration."""
        self._wake_closed(w)
        if self._states.get(w.fd) is w:
            del self._states[w.fd]
            if w.registered:
                self.poller.unregister(w.fd)
        w.registered = False

    def _register(self, w: FdState) -> None:
        self.poller.register(w.fd)
        w.registered = True

    def _update_interest(self, w: FdState) -> None:
        if w.registered:
            self.poller.interest(w.fd, w.reader is not None, w.writer is not None)

    def _join(self, w: FdState, read: bool, waiter) -> None:
        slot = w.reader if read else w.writer
        if slot is None:
            new = waiter
        elif type(slot) is SharedWaiters:
            slot[waiter] = None
            return
        elif isinstance(slot, CallbackWaiter) and isinstance(waiter, CallbackWaiter):
            raise ConcurrentObjectUseError(f"fd {w.fd} is already watched by {slot!r}")
        else:
            new = SharedWaiters(self.handle_error)
            new[slot] = None
            new[waiter] = None
        if read:
            w.reader = new
        else:
            w.writer = new

    @staticmethod
    def _leave(w: FdState, read: bool, waiter) -> None:
        slot = w.reader if read else w.writer
        if slot is waiter:
            slot = None
        elif type(slot) is SharedWaiters:
            slot.pop(waiter, None)
            if slot:
                return
            slot = None
        else:
            return
        if read:
            w.reader = None
        else:
            w.writer = None

    def _nudge(self, w: FdState) -> None:
        """Wake ``w``'s waiters (in the hub) so they look again at their fd."""
        for waiter in (w.reader, w.writer):
            if waiter is not None:
                self.run_callback(waiter.switch)

    def _wake_closed(self, w: FdState) -> None:
        if w.reader is not None or w.writer is not None:
            if getcurrent() is self:
                self._throw_closed(w)
            else:
                self.run_callback(self._throw_closed, w)

    def _throw_closed(self, w: FdState) -> None:
        for waiter in (w.reader, w.writer):
            if waiter is not None:
                try:
                    waiter.throw(OSError(errno.EBADF, "file descriptor was closed while waited on"))
                except BaseException:
                    self.handle_error(waiter, *sys.exc_info())

    # -- the loop (``run``, the greenlet's entry, is in ``HubFrames``) ---------------------------
    def _run_loop(self) -> None:
        while True:
            try:
                self._loop()
            except (KeyboardInterrupt, SystemExit) as e:
                self._throw_to_main(e)
                continue
            if self.closed:
                return
            self.parent.throw(LoopExit(self._describe_block()))

    def _loop(self) -> None:
        callbacks = self._callbacks
        timers = self._timers
        heap = timers.heap
        states = self._states
        READ = self.poller.READ
        WRITE = self.poller.WRITE
        HANGUP_BITS = self.poller.HANGUP
        while True:
            progress = bool(callbacks)  # did anything run this turn (for ``turn()`` waiters)
            if progress:
                self._run_callbacks()
            if self.closed:
                return
            if callbacks or self._turn_end:
                timeout = 0.0
            else:
                deadline = timers.next_deadline() if heap else None
                if deadline is not None and (timers.refs or self._holds):
                    timeout = deadline - monotonic()
                    if timeout < 0.0:
                        timeout = 0.0
                elif self._holds > 0:
                    timeout = -1.0
                else:
                    return
            self.turns += 1
            self.polling = True
            events = self.poller.poll(timeout)  # not cached: fork replaces it
            self.polling = False
            for fd, mask in events:
                w = states.get(fd)
                if w is None:
                    continue
                if mask & READ:
                    w.readable = HANGUP if mask & HANGUP_BITS else True
                    g = w.reader
                    if g is not None:
                        progress = True
                        try:
                            g.switch()
                        except BaseException:
                            self.handle_error(g, *sys.exc_info())
                if mask & WRITE:
                    w.writable = True
                    g = w.writer
                    if g is not None:
                        progress = True
                        try:
                            g.switch()
                        except BaseException:
                            self.handle_error(g, *sys.exc_info())
            if heap and heap[0] <= monotonic_ns():
                progress = True
                for t in timers.pop_due(monotonic_ns()):
                    fn = t[FN]
                    if fn is None:
                        continue  # cancelled by an earlier timer of this batch
                    t[FN] = None
                    try:
                        fn(*t[ARGS])
                    except BaseException:
                        self.handle_error(fn, *sys.exc_info())
            if self._turn_end:
                self._run_turn_end()
            if self._turn_waiters:
                self._wake_turn_waiters(progress)

    def _run_turn_end(self) -> None:
        hooks, self._turn_end = self._turn_end, []
        for fn, args in hooks:
            try:
                fn(*args)
            except BaseException:
                self.handle_error(fn, *sys.exc_info())

    def _wake_turn_waiters(self, progress: bool) -> None:
        if not progress:
            return  # the poll woke for nobody (a first edge on a new fd): not a turn to report
        now = self.turns
        waiters = self._turn_waiters
        due = [entry for entry in waiters if entry[1] < now]
        if due:
            waiters[:] = [entry for entry in waiters if entry[1] >= now]  # in place: turn() holds it
            for g, _ in due:
                try:
                    g.switch()
                except BaseException:
                    self.handle_error(g, *sys.exc_info())

    def _run_callbacks(self) -> None:
        callbacks = self._callbacks
        n = len(callbacks)
        budget_end = perf_counter() + CALLBACK_BUDGET
        while n:
            n -= 1
            h = callbacks.popleft()
            fn = h[CB_FN]
            if fn is None:
                continue
            h[CB_FN] = None
            try:
                fn(*h[CB_ARGS])
            except BaseException:
                self.handle_error(fn, *sys.exc_info())
            if not n & 31 and perf_counter() > budget_end:
                break

    def handle_error(self, context: Any, exc_type: type[BaseException], exc: BaseException,
                     tb: TracebackType | None) -> None:
        """Report an exception that escaped into the hub (or ended a greenlet).

        ``KeyboardInterrupt`` and ``SystemExit`` go to the main greenlet; anything else
        goes to ``self.error_reporter(context, exc_type, exc, tb)``: by default
        ``report_error``, an ERROR on the ``greensock`` logger.
        """
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            if getcurrent() is self:
                self._throw_to_main(exc)
            else:
                self.run_callback(self._throw_to_main, exc)
            return
        self.error_reporter(context, exc_type, exc, tb)

    def _throw_to_main(self, exc: BaseException) -> None:
        main = self.parent
        if main and getcurrent() is self:
            main.throw(exc)

    def describe_wait(self, g: greenlet) -> str | None:
        """What ``g`` waits for in this hub: an fd, a timer or a loop turn (None if none of
        these). For run reports; it searches the hub's records, so it is not for hot paths."""
        if not isinstance(g, greenlet):
            raise TypeError(f"g must be a greenlet, not {type(g).__name__}")
        waits = [
(w.fd, read) for w in self._states.values()
                 for waiter, read in ((w.reader, True), (w.writer, False))
                 if waiter is g or (type(waiter) is SharedWaiters and g in waiter)]
        if len(waits) == 1:
            return f"waiting to {'read' if waits[0][1] else 'write'} fd {waits[0][0]}"
        if waits:
            return "waiting on " + ", ".join(f"fd {fd} ({'read' if read else 'write'})" for fd, read in waits)
        if any(entry[0] is g for entry in self._turn_waiters):
            return "waiting for a loop turn"
        switch = g.switch
        for t in self._timers:
            if t[FN] == switch:
                left = max(0.0, t[WHEN] - monotonic())
                return f"sleeping ({left:.1f} s left)" if not t[ARGS] else f"waiting, {left:.1f} s to its timeout"
        return None

    def _describe_block(self) -> str:
        """Say where the main greenlet is parked, for the LoopExit message."""
        frame = self.parent.gr_frame
        inner = None  # the outermost of the innermost run of greensock frames
        while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
            inner = frame
            frame = frame.f_back
        if frame is None:
            where = "a switch to the hub"
        elif inner is None:  # greensock's compiled functions have no frames
            where = f"a switch to the hub from {frame.f_code.co_filename}:{frame.f_lineno}"
        else:
            where = f"{_qualname(inner)}() called at {frame.f_code.co_filename}:{frame.f_lineno}"

        return (f"the main greenlet waits in {where}, but nothing can wake it: "
                "no greenlet is runnable, no fd is watched and no timer is pending")

    # -- life cycle ----------------------------------------------------------------------------------
    @property
    def threadpool(self) -> Any:
        """The hub's thread pool (created on first use)."""
        if self._threadpool is None:
            if self.threadpool_class is None:
                raise RuntimeError("greensock.threadpool is not imported")
            self._threadpool = self.threadpool_class(10, hub=self)

        return self._threadpool

    def on_close(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` when the hub is destroyed (before its poller closes).

        A bound method is held weakly: an object that goes away takes its hook along.
        """
        self._close_hooks.append(_hook_ref(fn))

    def at_fork(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` in a forked child, once this hub has its new poller and wake-up fd
        (held as ``on_close`` holds it)."""
        self._fork_hooks.append(_hook_ref(fn))

    def _run_hooks(self, hooks: list) -> None:
        live = []
        for ref in hooks:
            fn = ref()
            if fn is None:
                continue
            live.append(ref)
            try:
                fn()
            except BaseException:
                self.handle_error(fn, *sys.exc_info())
        hooks[:] = live

    def _open_wakeup(self) -> None:
        self._wakeup = Wakeup()
        w = self._states[self._wakeup.fd] = FdState(self._wakeup.fd)
        self.watch(w, True, CallbackWaiter(self._drain_wakeup), ref=False)

    def _drain_wakeup(self) -> None:
        """Runs callbacks posted from other threads."""
        self._wakeup.drain()
        self._states[self._wakeup.fd].readable = False
        pending = self._threadsafe
        callbacks = self._callbacks
        while pending:
            fn, args = pending.popleft()
            callbacks.append(Callback((fn, args)))

    def join(self, timeout: float | None = None) -> bool:
        """Run the loop until nothing is left to do; False if ``timeout`` ran out first."""
        cur = getcurrent()
        if cur is self:
            raise _blocking("join the hub")
        timer = None if timeout is None else self.call_later(timeout, cur.switch, False).unref()
        try:
            return self.switch()
        except LoopExit:
            return True
        finally:
            if timer is not None:
                timer.cancel()

    def destroy(self) -> None:
        """Close the poller and wake-up fd; the thread gets a new hub on next use.

        Called from one of this hub's greenlets, that greenlet carries on afterwards
        (its parent becomes the thread's root greenlet).
        """
        if getattr(_tls, "hub", None) is self:
            del _tls.hub
        self.closed = True
        hooks, self._close_hooks = self._close_hooks, []
        self._run_hooks(hooks)
        if self._threadpool is not None:
            self._threadpool.kill()
        for h in self._callbacks:
            h[CB_FN] = None  # the loop returns before running anything else
        cur = getcurrent()
        if self and cur is not self:
            root = self.parent
            if cur is not root:
                cur.parent = root
                self.parent = cur  # the loop returns here, not to the root
            self.switch()  # let the loop return
        self._wakeup.close()
        self.poller.close()
        self._states.clear()
        self._callbacks.clear()
        self._timers.clear()

    def _after_fork(self) -> None:
        """In a forked child: a new poller, wake-up fd and thread pool; same fd records."""
        self.thread_id = get_ident()
        self.poller.close()
        self.poller = make_poller(self.poller_name)
        self._wakeup.close()
        states = [w for fd, w in self._states.items() if fd != self._wakeup.fd]
        self._states.clear()  # the same dict: the parked loop holds a reference
        self._threadpool = None
        self._threadsafe.clear()
        self._open_wakeup()
        for w in states:
            self._states[w.fd] = w
            if w.registered:
                self._register(w)
                if not self.edge_triggered:
                    self._update_interest(w)
        self._run_hooks(self._fork_hooks)

    # -- what is in it (for run info and tests) -------------------------------------------------
    def pending_callbacks(self) -> int:
        return sum(1 for h in self._callbacks if h[CB_FN] is not None)

    def pending_timers(self) -> int:
        return len(self._timers)

    def fd_states(self) -> list[FdState]:
        """Every fd record the hub holds (the wake-up fd's included)."""
        return list(self._states.values())

    @property
    def holds(self) -> int:
        """Waits and holds that keep the loop alive."""
        return self._holds

    def __repr__(self) -> str:
        return (f"<Hub poller={self.poller_name} fds={len(self._states)} "
                f"callbacks={len(self._callbacks)} timers={len(self._timers)}>")


def _hook_ref(fn):
    """A callable returning ``fn`` (weakly held when it is a bound method) or None."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    if isinstance(fn, MethodType):
        return WeakMethod(fn)
    return lambda: fn


def _time_out(g: greenlet, exc) -> None:
    if g:
        g.throw(TimeoutError("timed out") if exc is None else exc)


def _qualname(frame) -> str:
    """``Class.method`` named by the instance's class (mixins hold some methods), else the
    function's qualified name."""
    code = frame.f_code
    owner = frame.f_locals.get("self")
    if owner is not None and callable(getattr(type(owner), code.co_name, None)):
        return f"{type(owner).__name__}.{code.co_name}"
    return getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+



def get_hub() -> Hub:
    """The current thread's hub, created on first use."""
    try:
        return _tls.hub
    except AttributeError:
        hub = _tls.hub = Hub()
        return hub


def all_hubs() -> list[Hub]:
    """Every hub that is alive, in any thread (for monitoring and run info)."""
    return [hub for hub in list(_hubs) if not hub.closed]


def current_hub() -> Hub | None:
    """The current thread's hub if it has one (never creates one)."""
    return getattr(_tls, "hub", None)


def set_hub(hub: Hub) -> None:
    """Make ``hub`` the current thread's hub (for choosing a poller explicitly)."""
    if not isinstance(hub, Hub):
        raise TypeError(f"hub must be a Hub, not {type(hub).__name__}")
    _tls.hub = hub


def sleep(seconds: float = 0) -> None:
    """Yield to other greenlets for ``seconds``; ``sleep(0)`` is a FIFO round-robin."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
    hub = get_hub()
    cur = getcurrent()
    if cur is hub:
        raise _blocking("sleep()")
    h = hub.run_callback(cur.switch) if seconds <= 0 else hub.call_later(seconds, cur.switch)
    try:
        hub.switch()
    finally:
        h.cancel()


def _reinit_after_fork() -> None:
    hub = getattr(_tls, "hub", None)
    for other in list(_hubs):
        if other is not hub:
            other.closed = True  # its thread did not survive the fork
    if hub is not None and not hub.closed:
        hub._after_fork()  # noqa: SLF001 - this module's own hub


os.register_at_fork(after_in_child=_reinit_after_fork)
