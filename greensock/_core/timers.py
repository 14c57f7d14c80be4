"""Callback and timer handles, and the timer heap (one heap, lazy cancellation).

Handles are ``list`` subclasses so that creating one is a single C call, not a Python
``__init__`` frame: the ready queue and the timer heap create one per scheduled call.
Their fields are read through the index names below (``t[WHEN]``), never bare numbers.

A timer either keeps the loop alive (the default: the hub waits for it) or not
(``unref()``: a deadline that bounds a wait but is no reason to wait). The heap counts
the live referenced timers, so the hub knows in O(1) whether any real work is pending.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heapify, heappop, heappush
from time import monotonic_ns
from typing import Any

# Callback fields.
CB_FN, CB_ARGS = 0, 1
# Timer fields: deadline, function (None once cancelled or run), arguments, the heap it is
# in (None once popped), and whether it keeps the loop alive.
WHEN, FN, ARGS, HEAP, REF = range(5)

# What ``Hub.park`` returns when its timeout ran out.
TIMED_OUT = type("TimedOut", (), {"__repr__": lambda self: "TIMED_OUT", "__slots__": ()})()


class _Handle(list):
    """Hashable by identity, so handles can live in sets. (The heap orders deadlines, not
    handles, so handles are never compared for order.)"""

    __slots__ = ()
    __hash__ = object.__hash__  # type: ignore[assignment] # list's is None: unhashable


class Callback(_Handle):
    """``[fn, args]`` queued in the hub; ``cancel()`` stops it if it has not run yet."""

    __slots__ = ()

    def cancel(self) -> None:
        self[CB_FN] = None

    @property
    def cancelled(self) -> bool:
        return self[CB_FN] is None

    def __repr__(self) -> str:
        fn = self[CB_FN]
        return f"<Callback {'cancelled' if fn is None else getattr(fn, '__qualname__', repr(fn))}>"


class Timer(_Handle):
    """``[when, fn, args, heap, ref]`` in the timer heap; ``cancel()`` stops it."""

    __slots__ = ()

    def cancel(self) -> None:
        if self[FN] is not None:
            self[FN] = None
            heap = self[HEAP]
            if heap is not None:
                heap.cancelled(self[REF])

    def unref(self) -> Timer:
        """Stop this timer from keeping the loop alive (it still fires on time)."""
        if self[REF]:
            self[REF] = False
            heap = self[HEAP]
            if heap is not None and self[FN] is not None:
                heap.refs -= 1
        return self

    @property
    def cancelled(self) -> bool:
        return self[FN] is None

    @property
    def when(self) -> float:
        """The deadline, on the ``time.monotonic()`` clock."""
        return self[WHEN]

    @property
    def callback(self) -> Callable[..., Any] | None:
        """The function the timer will call (None once cancelled or run)."""
        return self[FN]

    def __repr__(self) -> str:
        fn = self[FN]
        return f"<Timer {'cancelled' if fn is None else getattr(fn, '__qualname__', repr(fn))} at {self[WHEN]:.3f}>"


class TimerHeap:
    """Timers ordered by deadline, then creation order.

    ``heap`` holds the distinct deadlines as integer nanoseconds on the monotonic clock
    (ints compare cheaply, and hash to themselves, unlike nearby floats) and ``buckets``
    maps each to its timer, or to a list of its timers in creation order when several
    share it. Cancelled timers stay until their deadline reaches the top; when more than
    half of a large set is cancelled (socket timeouts that never fire), both are rebuilt so
    memory stays bounded. ``refs`` counts the live timers that keep the loop alive.
    """

    __slots__ = ("heap", "buckets", "count", "refs", "ncancelled")

    def __init__(self) -> None:
        self.heap: list[int] = []
        self.buckets: dict[int, Timer | list[Timer]] = {}
        self.count = 0  # timers held, cancelled ones included
        self.refs = 0
        self.ncancelled = 0

    def __len__(self) -> int:
        return self.count - self.ncancelled

    def __iter__(self) -> Iterator[Timer]:
        """Every timer still held (cancelled ones included), by deadline bucket."""
        for held in list(self.buckets.values()):
            if type(held) is Timer:
                yield held
            else:
                yield from held

    def add(self, seconds: float, fn, args: tuple, ref: bool = True) -> Timer:
        """Schedule ``fn(*args)`` after ``seconds`` (a negative delay means now)."""
        key = monotonic_ns() + (int(seconds * 1e9) if seconds > 0 else 0)
        t = Timer((key * 1e-9, fn, args, self, ref))
        buckets = self.buckets
        held = buckets.get(key)
        if held is None:
            buckets[key] = t
            heappush(self.heap, key)
        elif type(held) is Timer:
            buckets[key] = [held, t]
        else:
            held.append(t)
        self.count += 1
        if ref:
            self.refs += 1
        return t

    def cancelled(self, ref: bool) -> None:
        """A timer still held was cancelled (called by ``Timer.cancel``)."""
        if ref:
            self.refs -= 1
        self.ncancelled += 1
        if self.ncancelled > 64 and self.ncancelled * 2 > self.count:
            self._compact()

    def _compact(self) -> None:
        buckets: dict[int, Timer | list[Timer]] = {}
        for key, held in self.buckets.items():
            if type(held) is Timer:
                if held[FN] is not None:
                    buckets[key] = held
            else:
                live = [t for t in held if t[FN] is not None]
                if live:
                    buckets[key] = live[0] if len(live) == 1 else live
        self.buckets = buckets
        self.heap[:] = buckets
        heapify(self.heap)
        self.count -= self.ncancelled
        self.ncancelled = 0

    def next_deadline(self) -> float | None:
        """The earliest live deadline (``time.monotonic()`` seconds), dropping deadlines
        whose timers were all cancelled."""
        heap = self.heap
        buckets = self.buckets
        while heap:
            key = heap[0]
            held = buckets[key]
            group = (held,) if type(held) is Timer else held
            for t in group:
                if t[FN] is not None:
                    return key * 1e-9
            heappop(heap)
            del buckets[key]
            self.count -= len(group)
            self.ncancelled -= len(group)
        return None

    def pop_due(self, now_ns: int) -> list:
        """Remove and return the live timers due by ``now_ns`` (``time.monotonic_ns()``), in order."""
        heap = self.heap
        buckets = self.buckets
        due = []
        while heap and heap[0] <= now_ns:
            held = buckets.pop(heappop(heap))
            group = (held,) if type(held) is Timer else held
            self.count -= len(group)
            for t in group:
                if t[FN] is None:
                    self.ncancelled -= 1
                else:
                    t[HEAP] = None  # out of the heap: a late cancel() must not count
                    if t[REF]:
                        self.refs -= 1
                    due.append(t)
        return due

    def clear(self) -> None:
        for t in self:
            t[HEAP] = None
        self.heap.clear()
        self.buckets.clear()
        self.count = 0
        self.refs = 0
        self.ncancelled = 0
