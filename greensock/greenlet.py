"""``Greenlet`` and the functions that start, join, kill and wait for greenlets."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import copy_context
from itertools import count
from sys import _getframe
from time import monotonic
from types import FrameType, MappingProxyType, TracebackType
from typing import Any, overload
from weakref import ref

from greenlet import GreenletExit, getcurrent, greenlet

from ._core.frames import GreenletFrames
from .hub import TIMED_OUT, Callback, Timer, get_hub
from .timeout import Timeout

__all__ = ["Greenlet", "spawn", "spawn_later", "joinall", "killall", "wait", "getcurrent"]

_ids = count(1)
_NO_KWARGS: Mapping[str, Any] = MappingProxyType({})


class Greenlet(GreenletFrames, greenlet):
    """A greenlet that remembers its result, can be joined, killed and linked."""

    value: Any
    args: tuple
    kwargs: Mapping[str, Any]
    spawner: ref[Greenlet] | None
    spawned_at: tuple[str, int]
    _exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | None
    _start_handle: Callback | Timer | None
    _name: str | None

    def __init__(self, run: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> None:
        hub = get_hub()
        greenlet.__init__(self, None, hub)
        self.gr_context = copy_context()  # as asyncio tasks do: the spawner's context vars flow in
        spawner = getcurrent()
        self.spawner = ref(spawner) if isinstance(spawner, Greenlet) else None
        self.spawned_at = _spawn_site()

        if run is not None:
            if not callable(run):
                raise TypeError(f"run must be callable, not {type(run).__name__}")
            self._run = run  # type: ignore[method-assign] # the instance's own body
        self.args = args
        self.kwargs = kwargs
        self.value = None
        self._exc_info = None
        self._done = False
        self._links: dict = {}  # callback -> (raw, when)
        self._start_handle = None
        self._hub = hub
        self._name = None

    # -- identity ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        name = self._name
        if name is None:
            name = self._name = f"Greenlet-{next(_ids)}"
        return name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    def __repr__(self) -> str:
        fn = getattr(self, "_run", None)
        target = getattr(fn, "__qualname__", None) or type(self).__name__
        return f"<{type(self).__name__} {self.name!r} {target} {self._state()}>"

    def _state(self) -> str:
        if self._done:
            return "done" if self._exc_info is None else "failed"
        if self._start_handle is not None:
            return "scheduled"
        return "running" if bool(self) else "unstarted"

    @property
    def function(self) -> Callable[..., Any]:
        """What the greenlet runs: the ``run`` it was given, or its class's ``_run``."""
        return self._run

    # -- state -----------------------------------------------------------------------
    @property
    def dead(self) -> bool:
        """True once the greenlet has finished, or was killed before it started."""
        return self._done or greenlet.dead.__get__(self)

    @property
    def exception(self) -> BaseException | None:
        """The exception the greenlet failed with, or None."""
        return None if self._exc_info is None else self._exc_info[1]

    def ready(self) -> bool:
        return self._done

    def successful(self) -> bool:
        return self._done and self._exc_info is None

    def started(self) -> bool:
        return self._start_handle is not None or bool(self) or self._done

    # -- running ---------------------------------------------------------------------
    def start(self) -> None:
        """Schedule the greenlet to run when the caller next yields."""
        if self._start_handle is None and not self._done and not bool(self):
            self._start_handle = self._hub.run_callback(self.switch)

    def start_later(self, seconds: float) -> None:
        """Schedule the greenlet to run after ``seconds``."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
        if self._start_handle is None and not self._done and not bool(self):
            self._start_handle = self._hub.call_later(seconds, self.switch)

    # ``join`` is in ``GreenletFrames``.
    def run(self) -> None:
        self._start_handle = None
        try:
            result = self._run(*self.args, **self.kwargs)
        except GreenletExit as e:
            self._finish(e, None)
        except BaseException:
            self._finish(None, sys.exc_info())
        else:  # the common case, inlined
            self.value = result
            self._done = True
            self.args, self.kwargs = (), _NO_KWARGS  # drop the references
            if self._links:
                self._hub.run_callback(self._notify_links)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        """Override in subclasses, or pass ``run`` to the constructor."""

    def _finish(self, value, exc_info) -> None:
        self.value = value
        self._exc_info = exc_info
        self._done = True
        self.args, self.kwargs = (), _NO_KWARGS  # drop the references
        if exc_info is not None:
            self._report_error(exc_info)
        if self._links:
            self._hub.run_callback(self._notify_links)

    def _report_error(self, exc_info) -> None:
        self._hub.handle_error(self, *exc_info)

    # -- links -----------------------------------------------------------------------
    def rawlink(self, callback: Callable[[Greenlet], Any]) -> None:
        """Call ``callback(self)`` in the hub when the greenlet finishes."""
        self._add_link(callback, True, None)

    def link(self, callback: Callable[[Greenlet], Any]) -> None:
        """Call ``callback(self)`` in a new greenlet when this one finishes."""
        self._add_link(callback, False, None)

    def link_value(self, callback: Callable[[Greenlet], Any]) -> None:
        """Like ``link``, only if the greenlet finishes successfully."""
        self._add_link(callback, False, True)

    def link_exception(self, callback: Callable[[Greenlet], Any]) -> None:
        """Like ``link``, only if the greenlet fails with an exception."""
        self._add_link(callback, False, False)

    def _add_link(self, callback, raw: bool, when) -> None:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        self._links[callback] = (raw, when)
        if self._done and len(self._links) == 1:
            self._hub.run_callback(self._notify_links)

    def unlink(self, callback: Callable[[Greenlet], Any]) -> None:
        """Remove the link to ``callback``."""
        self._links.pop(callback, None)

    def _notify_links(self) -> None:
        ok = self._exc_info is None
        links, self._links = self._links, {}
        for callback, (raw, when) in links.items():
            if when is not None and when != ok:
                continue
            if raw:
                try:
                    callback(self)
                except BaseException:
                    self._hub.handle_error(callback, *sys.exc_info())
            else:
                spawn(callback, self)

    # -- waiting (``join`` is in ``GreenletFrames``) ------------------------------------
    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """The return value; re-raises the greenlet's exception; Timeout if not ready."""
        if not self._done:
            if not block:
                raise Timeout()
            self.join(timeout)
            if not self._done:
                raise Timeout(timeout)
        if self._exc_info is not None:
            raise self._exc_info[1].with_traceback(self._exc_info[2])
        return self.value

    def kill(self, exception: type[BaseException] | BaseException = GreenletExit, block: bool = True,
             timeout: float | None = None) -> None:
        """Raise ``exception`` in the greenlet; with ``block``, wait for it to finish."""
        if self._done:
            return
        if not bool(self):
            # Never ran: it will not run now.
            if self._start_handle is not None:
                self._start_handle.cancel()
                self._start_handle = None
            exc = exception() if isinstance(exception, type) else exception
            if isinstance(exc, GreenletExit):
                self._finish(exc, None)
            else:
                self._finish(None, (type(exc), exc, None))
            return
        cur = getcurrent()
        if cur is self:
            raise exception
        hub = self._hub
        hub.run_callback(_throw_into, self, exception)
        if block and cur is not hub:
            self.join(timeout)

    # -- constructors ----------------------------------------------------------------
    @classmethod
    def spawn(cls, run: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Greenlet:
        g = cls(run, *args, **kwargs)
        g.start()
        return g

    @classmethod
    def spawn_later(cls, seconds: float, run: Callable[..., Any] | None = None, *args: Any,
                    **kwargs: Any) -> Greenlet:
        g = cls(run, *args, **kwargs)
        g.start_later(seconds)
        return g


def _throw_into(g: Greenlet, exception) -> None:
    if bool(g) and not g.ready():
        g.throw(exception)


def spawn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Greenlet:
    """Create a Greenlet running ``fn(*args, **kwargs)``; it starts when the caller yields."""
    g = Greenlet(fn, *args, **kwargs)
    g.start()
    return g


def spawn_later(seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Greenlet:
    """Like ``spawn``, but start after ``seconds``."""
    g = Greenlet(fn, *args, **kwargs)
    g.start_later(seconds)
    return g


@overload
def wait(objects: None = None, timeout: float | None = None, count: int | None = None) -> bool: ...
@overload
def wait(objects: Iterable, timeout: float | None = None, count: int | None = None) -> list: ...
def wait(objects: Iterable | None = None, timeout: float | None = None, count: int | None = None) -> list | bool:
    """Wait until ``count`` (default: all) of ``objects`` are ready; return the ready ones.

    Objects are anything with ``rawlink``/``unlink`` and ``ready()`` (greenlets, events,
    async results). With no objects, run the hub until it has nothing left to do and return
    whether it did so before ``timeout`` (as ``Hub.join``).
    """
    if objects is None:
        return get_hub().join(timeout)
    objects = list(objects)
    if count is None or count > len(objects):
        count = len(objects)
    done = [o for o in objects if o.ready()]
    if len(done) >= count:
        return done[:count]
    hub = get_hub()
    cur = getcurrent()
    pending = [o for o in objects if not o.ready()]

    def collect(obj) -> None:
        done.append(obj)
        if len(done) == count:
            cur.switch()

    for o in pending:
        o.rawlink(collect)
    deadline = None if timeout is None else monotonic() + timeout
    try:
        while len(done) < count:
            if hub.park(None if deadline is None else max(0.0, deadline - monotonic())) is TIMED_OUT:
                break
    finally:
        for o in pending:
            o.unlink(collect)
    return done[:count]


def joinall(greenlets: Iterable[Greenlet], timeout: float | None = None, raise_error: bool = False) -> list:
    """Wait for all ``greenlets``; return those that finished. ``raise_error`` re-raises the first failure."""
    greenlets = list(greenlets)
    if not raise_error:
        return wait(greenlets, timeout)
    done = []
    for g in wait_iter(greenlets, timeout):
        done.append(g)
        if not g.successful():
            raise g.exception
    return done


def wait_iter(objects: Iterable, timeout: float | None = None) -> Iterator:
    """Yield ``objects`` in the order they become ready, until ``timeout`` runs out."""
    remaining = dict.fromkeys(objects)
    deadline = None if timeout is None else monotonic() + timeout
    while remaining:
        ready = wait(list(remaining), None if deadline is None else max(0.0, deadline - monotonic()), count=1)
        if not ready:
            return
        for o in ready:
            del remaining[o]
            yield o


def killall(greenlets: Iterable[Greenlet], exception: type[BaseException] | BaseException = GreenletExit,
            block: bool = True, timeout: float | None = None) -> None:

    """Kill every greenlet; with ``block``, wait (up to ``timeout``) for them to finish."""
    greenlets = list(greenlets)
    for g in greenlets:
        g.kill(exception, block=False)
    if block and getcurrent() is not get_hub():
        wait(greenlets, timeout)


def _spawn_site() -> tuple[str, int]:
    """Where the greenlet being made was asked for: the nearest frame outside the spawning
    helpers. (Compiled, the helpers have no frames of their own; a greenlet started by the
    hub itself may have no Python caller at all.)"""
    try:
        frame: FrameType | None = _getframe(0)
    except ValueError:  # compiled and called by the compiled hub: no Python frame at all
        return ("<hub>", 0)
    while frame is not None and frame.f_code in _SPAWN_CODES:
        frame = frame.f_back
    return ("<hub>", 0) if frame is None else (frame.f_code.co_filename, frame.f_lineno)



# The helpers whose caller is where a greenlet was really spawned.
_SPAWN_CODES = {_spawn_site.__code__, Greenlet.__init__.__code__, spawn.__code__, spawn_later.__code__,
                Greenlet.spawn.__code__, Greenlet.spawn_later.__code__}

