"""Callback and timer handles, and the timer heap (one heap, lazy cancellation).

Handles are ``list`` subclasses so that creating one is a single C call, not a Python
``__init__`` frame: the ready queue and the timer heap create one per scheduled call.
Their fields are read through the index names below (``t[WHEN]``), never bare numbers.

A timer either keeps the loop alive (the default: the hub waits for it) or not
(``unref()``: a deadline that bounds a wait but is no reason to wait). The heap counts
the live referenced timers, so the hub knows in O(1) whether any real work is pending.
"""
from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush
from itertools import count
from time import monotonic
from typing import Any

# Callback fields.
CB_FN, CB_ARGS = 0, 1
# Timer fields: deadline, creation order (breaks ties, so fields after it are never
# compared), function (None once cancelled or run), arguments, the heap it is in (None
# once popped), and whether it keeps the loop alive.
WHEN, SEQ, FN, ARGS, HEAP, REF = range(6)

# What ``Hub.park`` returns when its timeout ran out.
TIMED_OUT = type("TimedOut", (), {"__repr__": lambda self: "TIMED_OUT", "__slots__": ()})()


class _Handle(list):
    """Hashable by identity, so handles can live in sets. (No ``__eq__`` override: that
    would replace list's C comparison slot and slow every heap operation. A Timer carries
    a unique sequence number, so value equality already means identity.)"""

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
    """``[when, seq, fn, args, heap, ref]`` in the timer heap; ``cancel()`` stops it."""

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
    """Timers ordered by deadline (then creation order); cancelled ones are dropped when
    they reach the top. When more than half of a large heap is cancelled (socket
    timeouts that never fire), the heap is rebuilt in place so memory stays bounded.

    ``heap`` is the list itself (the hub reads its top); ``refs`` counts the live timers
    that keep the loop alive.
    """

    __slots__ = ("heap", "seq", "refs", "ncancelled")

    def __init__(self) -> None:
        self.heap: list = []
        self.seq = count().__next__
        self.refs = 0
        self.ncancelled = 0

    def __len__(self) -> int:
        return len(self.heap) - self.ncancelled

    def add(self, seconds: float, fn, args: tuple, ref: bool = True) -> Timer:
        """Schedule ``fn(*args)`` after ``seconds`` (a negative delay means now)."""
        t = Timer((monotonic() + (seconds if seconds > 0 else 0.0), self.seq(), fn, args, self, ref))
        heappush(self.heap, t)
        if ref:
            self.refs += 1
        return t

    def cancelled(self, ref: bool) -> None:
        """A timer still in the heap was cancelled (called by ``Timer.cancel``)."""
        if ref:
            self.refs -= 1
        self.ncancelled += 1
        heap = self.heap
        if self.ncancelled > 64 and self.ncancelled * 2 > len(heap):
            heap[:] = [t for t in heap if t[FN] is not None]
            heapify(heap)
            self.ncancelled = 0

    def next_deadline(self) -> float | None:
        """The earliest live deadline, dropping cancelled timers at the top."""
        heap = self.heap
        while heap:
            top = heap[0]
            if top[FN] is not None:
                return top[WHEN]
            heappop(heap)
            self.ncancelled -= 1
        return None

    def pop_due(self, now: float) -> list:
        """Remove and return the live timers whose deadline has passed, in order."""
        heap = self.heap
        due = []
        while heap and heap[0][WHEN] <= now:
            t = heappop(heap)
            if t[FN] is None:
                self.ncancelled -= 1
            else:
                t[HEAP] = None  # out of the heap: a late cancel() must not count
                if t[REF]:
                    self.refs -= 1
                due.append(t)
        return due

    def clear(self) -> None:
        for t in self.heap:
            t[HEAP] = None
        self.heap.clear()
        self.refs = 0
        self.ncancelled = 0
