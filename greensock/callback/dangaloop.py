"""``DangaLoop``: Danga::Socket's class-level event loop, one per hub.

The sockets live in a private level-triggered epoll (as in Danga::Socket, ``event_read``
keeps being called while data is waiting and watched) whose own fd the hub watches like
any other, so Danga-style objects, callbacks and greenlets share one hub. The objects
it dispatches to are ``EventSocket`` instances (``eventsocket.py``); it talks to them
through ``fd``, ``poll_mask()``, ``has_pushback()``, ``close_socket()`` and their
``event_*`` methods.
"""
from __future__ import annotations

import resource
import select
import sys
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from greenlet import getcurrent

from .._core.waitqueue import WaitQueue
from ..hub import CallbackWaiter, get_hub, sleep

_EPOLL = getattr(select, "epoll", None)
IN = getattr(select, "EPOLLIN", 1)
OUT = getattr(select, "EPOLLOUT", 4)
ERR = getattr(select, "EPOLLERR", 8)
HUP = getattr(select, "EPOLLHUP", 16)
MAX_EVENTS = 1000


class Watched(Protocol):
    """What the loop needs of the objects it dispatches to (``EventSocket`` is one)."""

    fd: int | None
    closed: bool

    def poll_mask(self) -> int: ...
    def has_pushback(self) -> bool: ...
    def close_socket(self) -> None: ...


_loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # hub -> DangaLoop


class DangaLoop:
    """The class-level state Danga::Socket keeps in globals, one per hub."""

    def __init__(self, hub) -> None:
        if _EPOLL is None:
            raise RuntimeError("EventSocket needs epoll (Linux); this platform has none")
        self.hub = hub
        self.poller = _EPOLL()
        self.descriptors: dict[int, Watched] = {}
        self.other_fds: dict[int, Callable[[int], Any]] = {}
        self.to_close: list[tuple[int, Watched]] = []  # (fd, object) closed this iteration
        self.pushback: list[Watched] = []
        self.post_loop_callback = None
        self.object_plcs: dict[int, Callable[[dict, dict], Any]] = {}
        self.loop_timeout = 0
        self.timers: set = set()
        self.profiling = False
        self.profile: dict[str, list] = {}
        self.pass_scheduled = False
        self.post_scheduled = False
        self.activity = False  # an event or timer ran since the event loop last looked
        self.activity_waiters = WaitQueue(self, lambda: self.activity)
        self.state = hub.fd_state(self.poller.fileno())
        self.waiter = CallbackWaiter(self.run_pass)
        self.holding = False
        hub.watch(self.state, True, self.waiter, ref=False)

    # -- keeping the hub waiting while anything is registered -----------------------------
    def refresh_hold(self) -> None:
        want = bool(self.descriptors or self.other_fds)
        if want != self.holding:
            self.holding = want
            if want:
                self.hub.hold()
            else:
                self.hub.release()

    def register(self, obj) -> None:
        fd = obj.fd
        if fd in self.descriptors:
            sys.stderr.write(f"EventSocket: fd {fd} is already in the descriptor map; replacing it\n")
            self.poller.unregister(fd)
        self.descriptors[fd] = obj
        self.poller.register(fd, ERR | HUP)
        self.refresh_hold()

    def modify(self, obj) -> None:
        if self.descriptors.get(obj.fd) is not obj:
            self.register(obj)  # made before a reset: it joins the new loop
        self.poller.modify(obj.fd, obj.poll_mask())
        self.schedule_pass()  # level-triggered: report what is already ready

    def unregister_fd(self, fd: int) -> None:
        try:
            self.poller.unregister(fd)
        except (OSError, ValueError):
            pass

    def forget(self, fd: int, obj) -> None:
        """Drop ``obj`` from the descriptor map (its socket was stolen)."""
        if self.descriptors.get(fd) is obj:
            del self.descriptors[fd]
        self.refresh_hold()

    def remove_other_fd(self, fd: int) -> None:
        if self.other_fds.pop(fd, None) is not None:
            self.unregister_fd(fd)
        self.refresh_hold()

    def add_other_fd(self, fd: int, callback) -> None:
        if fd not in self.other_fds:
            self.poller.register(fd, IN)
        self.other_fds[fd] = callback

    # -- one pass over the ready sockets ----------------------------------------------------
    def schedule_pass(self) -> None:
        if not self.pass_scheduled:
            self.pass_scheduled = True
            self.hub.run_callback(self._scheduled_pass)

    def _scheduled_pass(self) -> None:
        self.pass_scheduled = False
        self.run_pass()

    def run_pass(self) -> None:
        """Dispatch every ready event (Danga's per-fd order), then the end-of-iteration work."""
        self.state.readable = False
        try:
            events = self.poller.poll(0, MAX_EVENTS)
        except (OSError, ValueError):
            return  # closed by a reset
        descriptors = self.descriptors
        for fd, mask in events:
            obj = descriptors.get(fd)
            if obj is None:
                callback = self.other_fds.get(fd)
                if callback is not None:
                    self.call(callback, fd)
                else:
                    self.unregister_fd(fd)
                continue
            if mask & IN and not obj.closed:
                self.call_event(obj, "read")
            if mask & OUT and not obj.closed:
                self.call_event(obj, "write")
            if mask & ERR and not obj.closed:
                self.call_event(obj, "err")
            if mask & HUP and not obj.closed:
                self.call_event(obj, "hup")
        self.post_event_loop()
        if events:
            self.note_activity()
            self.schedule_pass()  # still-ready sockets are served again next turn

    def call(self, fn, *args) -> None:
        """Run a user callback in the hub; its exception is reported, the loop goes on."""
        try:
            fn(*args)
        except Exception:
            self.hub.handle_error(fn, *sys.exc_info())

    def note_activity(self) -> None:
        self.activity = True
        self.activity_waiters.notify()

    def wait_for_activity(self, timeout: float | None) -> None:
        """One Danga iteration's wait: until an event or timer, or ``timeout`` seconds."""
        self.activity = False
        if timeout == 0:
            sleep(0)
        else:
            self.activity_waiters.wait_until(lambda: self.activity, timeout)

    def call_event(self, obj, kind: str) -> None:
        method = getattr(obj, "event_" + kind)
        if not self.profiling:
            self.call(method)
            return
        before = resource.getrusage(resource.RUSAGE_SELF)
        self.call(method)
        after = resource.getrusage(resource.RUSAGE_SELF)
        entry = self.profile.setdefault(f"{type(obj).__name__}-{kind}", [0.0, 0.0, 0])
        entry[0] += after.ru_utime - before.ru_utime
        entry[1] += after.ru_stime - before.ru_stime
        entry[2] += 1

    def schedule_post(self) -> None:
        """Deferred closes and pushed-back data are handled when the current turn ends."""
        if not self.post_scheduled:
            self.post_scheduled = True
            self.hub.at_turn_end(self._scheduled_post)

    def _scheduled_post(self) -> None:
        self.post_scheduled = False
        self.post_event_loop()

    def post_event_loop(self) -> None:
        """Re-feed pushed-back data, then really close what was closed this iteration."""
        while self.pushback:
            pending, self.pushback = self.pushback, []
            called = False
            for obj in pending:
                if obj.has_pushback():
                    called = True
                    self.call_event(obj, "read")
            if not called:
                break
        closing, self.to_close = self.to_close, []
        for fd, obj in closing:
            if self.descriptors.get(fd) is obj:
                del self.descriptors[fd]
            obj.close_socket()
        self.refresh_hold()

    def end_iteration(self) -> bool:
        """From the event loop's greenlet: dispatch what is ready and run the post-loop
        callbacks, both in the hub; the callbacks' verdict (false ends the loop)."""
        me = getcurrent()

        def in_hub() -> None:
            try:
                self.run_pass()
                verdict = self.run_post_loop_callbacks()
            except BaseException as e:
                me.throw(e)
            else:
                me.switch(verdict)

        self.hub.run_callback(in_hub)
        return self.hub.park()

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
        """Forget everything (sockets stay open); the hub no longer watches this loop."""
        for timer in self.timers:
            timer.cancel()
        if self.holding:
            self.holding = False
            self.hub.release()
        self.hub.unwatch(self.state, True, self.waiter, ref=False)
        self.hub.close_fd_state(self.state)
        self.poller.close()
        self.descriptors.clear()
        self.other_fds.clear()


def danga_loop() -> DangaLoop:
    """The current hub's loop, made on first use (it goes away with the hub)."""
    hub = get_hub()
    loop = _loops.get(hub)
    if loop is None:
        loop = _loops[hub] = DangaLoop(hub)
        hub.on_close(loop.close)
    return loop


def reset_danga_loop() -> None:
    """Forget the current hub's loop; objects made before keep working on the new one."""
    loop = _loops.pop(get_hub(), None)
    if loop is not None:
        loop.close()
