"""A cooperative ``_thread``: threads are greenlets, locks park only the current greenlet.

``greensock.monkey.patch_thread()`` puts these names into ``_thread`` and ``threading``;
everything ``threading`` builds on them (``RLock``, ``Condition``, ``Event``,
``Semaphore``, ``Barrier``, ``Timer``, ``Thread.join``) then cooperates unchanged.

A ``Lock`` keeps its state in a real lock, so it stays correct when an OS thread
(the hub's thread pool, a thread started before patching) shares it with greenlets:
a thread without a hub blocks on the real lock, a greenlet parks in its hub, and a
release from another thread wakes a parked greenlet through its hub's wake-up fd.
"""
from __future__ import annotations

import sys
from _thread import TIMEOUT_MAX, get_native_id
from _thread import allocate_lock as _real_lock
from _thread import get_ident as _real_ident
from collections import deque
from os import getpid
from time import monotonic
from types import SimpleNamespace

from greenlet import GreenletExit, getcurrent, greenlet

from .hub import TIMED_OUT, current_hub, get_hub
from .local import local  # noqa: F401 - part of the _thread API this module mirrors

__all__ = ["Lock", "LockType", "allocate_lock", "start_new_thread", "start_new", "get_ident", "local",
           "error", "TIMEOUT_MAX"]

error = RuntimeError


# One parked greenlet: [greenlet, hub, real thread ident, done]; ``done`` is set by
# whoever wakes or gives up on it, so a late wake-up is passed on instead of lost.
_G, _HUB, _TID, _DONE = range(4)


class Lock:
    """A non-reentrant lock whose blocking ``acquire`` parks only the current greenlet.

    As in the standard library, the type can be instantiated from Python 3.13 on;
    before, locks come from ``allocate_lock()``.
    """

    __slots__ = ("_block", "_waiters", "_owner", "__weakref__")

    def __init_subclass__(cls, **kwargs) -> None:
        raise TypeError("type 'lock' is not an acceptable base type")  # as the C type says

    if sys.version_info < (3, 13):
        def __new__(cls, *args, **kwargs):
            raise TypeError(f"cannot create '{cls.__module__}.{cls.__name__}' instances")

    def __init__(self) -> None:
        self._block = _real_lock()
        self._waiters: deque = deque()
        self._owner = 0  # real thread ident of the holder, to tell a cross-thread wait

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout != -1:
            if not blocking:
                raise ValueError("can't specify a timeout for a non-blocking call")
            if timeout < 0:
                raise ValueError("timeout value must be a non-negative number")
            if timeout > TIMEOUT_MAX:
                raise OverflowError("timeout value is too large")
        if self._block.acquire(False):
            self._owner = _real_ident()
            return True
        if not blocking:
            return False
        hub = current_hub()
        if hub is None and in_main_thread():
            hub = get_hub()
        if hub is None:
            # A real thread that never used greensock: nothing here can switch; block for real.
            got = self._block.acquire(True, timeout)
            if got:
                self._owner = _real_ident()
            return got
        return self._park(hub, None if timeout == -1 else timeout)

    def _park(self, hub, timeout: float | None) -> bool:
        cur = getcurrent()
        deadline = None if timeout is None else monotonic() + timeout
        first = True
        while True:
            rec = [cur, hub, _real_ident(), False]
            if first:
                self._waiters.append(rec)
            else:
                self._waiters.appendleft(rec)  # woken but beaten to it: keep our place
            first = False
            if self._block.acquire(False):  # released between the first try and queueing
                rec[_DONE] = True
                self._owner = _real_ident()
                return True
            other_thread = self._owner != rec[_TID]
            if other_thread:
                hub.hold()  # only another thread can wake us: not a deadlock
            try:
                woken = hub.park(None if deadline is None else max(0.0, deadline - monotonic()))
            except BaseException:
                rec[_DONE] = True
                if not self._block.locked():
                    self._wake_one()
                raise
            finally:
                if other_thread:
                    hub.release()
            rec[_DONE] = True  # a wake-up that comes later is passed on
            if self._block.acquire(False):
                self._owner = _real_ident()
                return True
            if woken is TIMED_OUT:
                return False

    def release(self) -> None:
        self._block.release()  # RuntimeError when not locked, as the standard lock does
        if self._waiters:
            self._wake_one()

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            try:
                rec = waiters.popleft()
            except IndexError:
                return
            if rec[_DONE]:
                continue
            if rec[_TID] == _real_ident():
                rec[_HUB].run_callback(self._wake, rec)
            else:
                rec[_HUB].run_callback_threadsafe(self._wake, rec)
            return

    def _wake(self, rec: list) -> None:
        """In the waiter's hub: switch to it, or pass the wake-up on if it already gave up."""
        if rec[_DONE]:
            if not self._block.locked():
                self._wake_one()
            return
        rec[_DONE] = True
        rec[_G].switch(True)

    def locked(self) -> bool:
        return self._block.locked()

    def _at_fork_reinit(self) -> None:  # threading calls it in a forked child
        self._block = _real_lock()
        self._waiters = deque()
        self._owner = 0

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._block.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


LockType = Lock


class _LockFactory:
    """``allocate_lock()``: a callable object, not a function, so that (like the builtin)
    it does not turn into a method when stored on a class."""

    __slots__ = ()

    def __call__(self) -> Lock:
        lock = object.__new__(Lock)
        Lock.__init__(lock)
        return lock

    def __repr__(self) -> str:
        return "<greensock.thread.allocate_lock>"


allocate_lock = _LockFactory()


def in_main_thread() -> bool:
    """Whether the calling OS thread is the process's main thread (Linux: its id is the pid)."""
    return get_native_id() == getpid()


def get_ident() -> int:
    """The current greenlet's identity: each greenlet is a thread to ``threading``.

    A thread's root greenlet keeps the real thread identity, so the main thread (and any
    real thread) is still known by the number the interpreter and C extensions use.
    """
    try:
        g = getcurrent()
    except RuntimeError:  # the interpreter is finalizing greenlets (a __del__ at exit): the thread is all
        return _real_ident()
    return _real_ident() if g.parent is None else id(g)


# -- threads as greenlets ------------------------------------------------------------------------

_count = 0
_sentinels: dict = {}  # greenlet -> locks released when it ends (Python 3.10-3.12)
_nondaemon_handles: set = set()  # handles ``_thread._shutdown`` waits for (Python 3.13)


def _bootstrap(function, args, kwargs, handle) -> None:
    global _count
    try:
        function(*args, **kwargs)
    except (SystemExit, GreenletExit):
        pass
    except BaseException as e:
        if sys.version_info >= (3, 13):  # the message names the function, the object is None
            err_msg, obj = f"Exception ignored in thread started by {function!r}", None
        else:
            err_msg, obj = "Exception ignored in thread started by", function
        sys.unraisablehook(SimpleNamespace(exc_type=type(e), exc_value=e, exc_traceback=e.__traceback__,
                                           err_msg=err_msg, object=obj))
    finally:
        _count -= 1
        for lock in _sentinels.pop(getcurrent(), ()):
            lock.release()
        if handle is not None:
            handle._set_done()  # noqa: SLF001 - the name threading itself calls on 3.13
            _nondaemon_handles.discard(handle)


def _spawn(function, args, kwargs, handle) -> int:
    global _count
    if not callable(function):
        raise TypeError("first arg must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")
    hub = get_hub()
    g = greenlet(_bootstrap, parent=hub)
    _count += 1
    if handle is not None:
        handle.ident = id(g)
    hub.run_callback(g.switch, function, args, kwargs or {}, handle)
    return id(g)


def start_new_thread(function, args, kwargs=None) -> int:
    """Run ``function(*args, **kwargs)`` in a new greenlet; return its identity."""
    return _spawn(function, args, kwargs, None)


start_new = start_new_thread


def set_sentinel() -> Lock:
    """A lock released when the current greenlet ends (``Thread.join`` on 3.10-3.12)."""
    lock = allocate_lock()
    _sentinels.setdefault(getcurrent(), []).append(lock)
    return lock


def count() -> int:
    """How many greenlets started by ``start_new_thread`` are still running."""
    return _count


class ThreadHandle:
    """What ``threading`` joins on Python 3.13+: done when the greenlet ends.

    As ``_thread._ThreadHandle``: one start per handle, ``join`` before the start is an
    error, and so is a thread joining itself.
    """

    __slots__ = ("ident", "_done", "started", "__weakref__")

    def __init__(self, ident: int | None = None) -> None:
        self.ident = ident
        self.started = ident is not None  # a handle made for a thread that already runs
        self._done = allocate_lock()
        self._done.acquire()

    def is_done(self) -> bool:
        return not self._done.locked()

    def _set_done(self) -> None:
        if not self.started:
            raise RuntimeError("thread not started")
        if self._done.locked():
            self._done.release()

    def join(self, timeout: float | None = None) -> None:
        if not self.started:
            raise RuntimeError("thread not started")
        if self.ident == get_ident() and not self.is_done():
            raise RuntimeError("Cannot join current thread")
        if self._done.acquire(True, -1 if timeout is None else max(0.0, timeout)):
            self._done.release()


def start_joinable_thread(function, handle: ThreadHandle | None = None, daemon: bool = True) -> ThreadHandle:
    """Python 3.13's thread start: the handle's ``join`` waits for the greenlet."""
    if handle is None:
        handle = ThreadHandle()
    elif handle.started:
        raise RuntimeError("thread already started")
    _spawn(function, (), None, handle)
    handle.started = True
    if not daemon:
        _nondaemon_handles.add(handle)
    return handle


def make_thread_handle(ident: int) -> ThreadHandle:
    return ThreadHandle(ident)


def join_nondaemon_threads() -> None:
    """At interpreter exit (3.13+): wait for the non-daemon green threads."""
    while _nondaemon_handles:
        _nondaemon_handles.pop().join()
