"""``Group`` (a set of greenlets managed together) and ``Pool`` (a Group with a size limit)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from time import monotonic
from typing import Any

from greenlet import GreenletExit, getcurrent

from .greenlet import Greenlet, joinall, killall
from .lock import Semaphore
from .queue import Queue

__all__ = ["Group", "Pool"]

_DONE = object()


class Group:
    """Greenlets spawned or added here leave the group when they finish."""

    greenlet_class = Greenlet

    def __init__(self, *greenlets: Greenlet) -> None:
        self.greenlets: set = set()
        for g in greenlets:
            self.add(g)

    def __len__(self) -> int:
        return len(self.greenlets)

    def __contains__(self, g) -> bool:
        return g in self.greenlets

    def __iter__(self):
        return iter(list(self.greenlets))

    def add(self, g: Greenlet) -> None:
        """Track ``g`` until it finishes."""
        if not isinstance(g, Greenlet):
            raise TypeError(f"a Group holds Greenlets, not {type(g).__name__}")
        if g not in self.greenlets:
            self.greenlets.add(g)
            g.rawlink(self._discard_finished)

    def _discard_finished(self, g: Greenlet) -> None:
        self.greenlets.discard(g)

    def discard(self, g: Greenlet) -> None:
        """Stop tracking ``g``."""
        self.greenlets.discard(g)
        g.unlink(self._discard_finished)

    def start(self, g: Greenlet) -> None:
        self.add(g)
        g.start()

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Greenlet:
        """Spawn ``fn(*args, **kwargs)`` as a member of the group."""
        g = self.greenlet_class(fn, *args, **kwargs)
        self.start(g)
        return g

    def join(self, timeout: float | None = None, raise_error: bool = False) -> bool:
        """Wait until the group is empty; True if it is."""
        deadline = None if timeout is None else monotonic() + timeout
        while self.greenlets:
            remaining = None if deadline is None else deadline - monotonic()
            if remaining is not None and remaining <= 0:
                break
            for g in joinall(list(self.greenlets), remaining, raise_error=raise_error):
                self._discard_finished(g)  # now, not when the link callback runs
        return not self.greenlets

    def kill(self, exception: type[BaseException] | BaseException = GreenletExit, block: bool = True,
             timeout: float | None = None) -> None:
        """Kill every member; with ``block``, wait up to ``timeout`` for them to finish."""
        killall(list(self.greenlets), exception, block=False)
        if block:
            self.join(timeout)

    def killone(self, g: Greenlet, exception: type[BaseException] | BaseException = GreenletExit,
                block: bool = True, timeout: float | None = None) -> None:
        if g in self.greenlets:
            g.kill(exception, block, timeout)

    def full(self) -> bool:
        return False

    def wait_available(self, timeout: float | None = None) -> int | None:
        """A Group always has room."""
        return None

    # -- applying functions ------------------------------------------------------------
    def apply(self, fn: Callable[..., Any], args: tuple = (), kwds: dict[str, Any] | None = None) -> Any:
        """Run ``fn(*args, **kwds)`` in the group and return its result."""
        kwds = kwds or {}
        if getcurrent() in self.greenlets:
            return fn(*args, **kwds)  # already a member: running inline avoids self-deadlock
        return self.spawn(fn, *args, **kwds).get()

    def apply_async(self, fn: Callable[..., Any], args: tuple = (), kwds: dict[str, Any] | None = None,
                    callback: Callable[[Any], Any] | None = None) -> Greenlet:
        g = self.spawn(fn, *args, **(kwds or {}))
        if callback is not None:
            g.link_value(lambda g: callback(g.value))
        return g

    def map(self, fn: Callable[..., Any], *iterables: Iterable) -> list:
        """``list(self.imap(fn, *iterables))``."""
        return list(self.imap(fn, *iterables))

    def imap(self, fn: Callable[..., Any], *iterables: Iterable) -> Iterator:
        """Results of ``fn`` over the iterables, in order, computed concurrently."""
        return _IMap(self, fn, iterables, ordered=True)

    def imap_unordered(self, fn: Callable[..., Any], *iterables: Iterable) -> Iterator:
        """Results of ``fn`` over the iterables, as they complete."""
        return _IMap(self, fn, iterables, ordered=False)


class Pool(Group):
    """A Group of at most ``size`` greenlets; ``spawn`` waits while it is full."""

    def __init__(self, size: int | None = None) -> None:
        if size is not None and (not isinstance(size, int) or size < 1):
            raise ValueError(f"size must be None or an int >= 1, not {size!r}")
        Group.__init__(self)
        self.size = size
        self._slots = Semaphore(size) if size is not None else None

    def full(self) -> bool:
        return self.free_count() <= 0

    def resize(self, size: int) -> None:
        """Change the bound. Greenlets already running go on; a smaller pool admits no new
        one until enough of them have finished."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be an int >= 1, not {size!r}")
        if self._slots is None or self.size is None:
            raise ValueError("an unbounded pool (size None) cannot be resized")
        delta, self.size = size - self.size, size
        if delta > 0:
            for _ in range(delta):
                self._slots.release()
        else:
            self._slots.counter += delta

    def free_count(self) -> int:
        """How many more greenlets can start without waiting."""
        if self.size is None:
            return 1
        return max(0, self.size - len(self.greenlets))

    def wait_available(self, timeout: float | None = None) -> int:
        """Wait until a slot is free; return the free count."""
        if self._slots is not None:
            self._slots.wait(timeout)
        return self.free_count()

    def add(self, g: Greenlet) -> None:
        if self._slots is not None and g not in self.greenlets:
            self._slots.acquire()
        try:
            Group.add(self, g)
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise

    def _discard_finished(self, g: Greenlet) -> None:
        if g in self.greenlets:
            super()._discard_finished(g)
            if self._slots is not None:
                self._slots.release()

    def discard(self, g: Greenlet) -> None:
        if g in self.greenlets:
            Group.discard(self, g)
            if self._slots is not None:
                self._slots.release()


class _IMap:
    """Iterator over results; a feeder greenlet spawns work through the group."""

    def __init__(self, group: Group, fn, iterables, ordered: bool) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        self._results: Queue = Queue()
        self._ordered = ordered
        self._next_index = 0
        self._buffer: dict = {}
        self._total = None
        self._feeder = Greenlet.spawn(self._feed, group, fn, iterables)

    def _feed(self, group: Group, fn, iterables) -> None:
        n = 0
        for args in zip(*iterables, strict=False):
            g = group.spawn(fn, *args)
            g.rawlink(self._collector(n))
            n += 1
        self._results.put((_DONE, n))

    def _collector(self, index: int):
        return lambda g: self._results.put((index, g))

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._ordered and self._next_index in self._buffer:
                return self._deliver(self._buffer.pop(self._next_index))
            if self._total is not None and self._next_index >= self._total and not self._buffer:
                raise StopIteration
            index, g = self._results.get()
            if index is _DONE:
                self._total = g
                continue
            if not self._ordered:
                return self._deliver(g)
            self._buffer[index] = g

    def _deliver(self, g: Greenlet):
        self._next_index += 1
        error = g.exception
        if error is not None:
            raise error
        return g.value

