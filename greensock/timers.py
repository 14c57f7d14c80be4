"""Callback and timer handles, and the timer heap (one heap, lazy cancellation).

Handles are ``list`` subclasses so that creating one is a single C call, not a Python
``__init__`` frame: the ready queue and the timer heap create one per scheduled call.
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from itertools import count
from time import monotonic


class _Handle(list):
    """Hashable by identity, so handles can live in sets. (No ``__eq__`` override: that
    would replace list's C comparison slot and slow every heap operation. A Timer carries
    a unique sequence number, so value equality already means identity.)"""

    __slots__ = ()
    __hash__ = object.__hash__


class Callback(_Handle):
    """``[fn, args]`` queued in the hub; ``cancel()`` stops it if it has not run yet."""

    __slots__ = ()

    def cancel(self) -> None:
        self[0] = None

    @property
    def cancelled(self) -> bool:
        return self[0] is None

    def __repr__(self) -> str:
        fn = self[0]
        return f"<Callback {'cancelled' if fn is None else getattr(fn, '__qualname__', repr(fn))}>"


class Timer(_Handle):
    """``[when, seq, fn, args, heap]`` in the timer heap; ``cancel()`` stops it."""

    __slots__ = ()

    def cancel(self) -> None:
        if self[2] is not None:
            self[2] = None
            heap = self[4]
            if heap is not None:
                heap.cancelled()

    @property
    def cancelled(self) -> bool:
        return self[2] is None

    @property
    def when(self) -> float:
        return self[0]

    def __repr__(self) -> str:
        fn = self[2]
        return f"<Timer {'cancelled' if fn is None else getattr(fn, '__qualname__', repr(fn))} at {self[0]:.3f}>"


class TimerHeap:
    """Timers ordered by deadline (then creation order); cancelled ones are dropped when
    they reach the top. When more than half of a large heap is cancelled (socket
    timeouts that never fire), the heap is rebuilt in place so memory stays bounded.
    """

    def __init__(self) -> None:
        self._heap: list = []
        self._seq = count().__next__
        self._ncancelled = 0

    def __len__(self) -> int:
        return len(self._heap) - self._ncancelled

    def add(self, seconds: float, fn, args: tuple) -> Timer:
        t = Timer((monotonic() + seconds, self._seq(), fn, args, self))
        heappush(self._heap, t)
        return t


    def cancelled(self) -> None:
        self._ncancelled += 1
        heap = self._heap
        if self._ncancelled > 64 and self._ncancelled * 2 > len(heap):
            heap[:] = [t for t in heap if t[2] is not None]
            heapify(heap)
            self._ncancelled = 0

    def next_deadline(self) -> float | None:
        """The earliest live deadline, dropping cancelled timers at the top."""
        heap = self._heap
        while heap:
            top = heap[0]
            if top[2] is not None:
                return top[0]
            heappop(heap)
            self._ncancelled -= 1
        return None

    def pop_due(self, now: float) -> list:
        """Remove and return the live timers whose deadline has passed, in order."""
        heap = self._heap
        due = []
        while heap and heap[0][0] <= now:
            t = heappop(heap)
            if t[2] is None:
                self._ncancelled -= 1
            else:
                t[4] = None  # out of the heap: a late cancel() must not count
                due.append(t)
        return due

    def clear(self) -> None:
        self._heap.clear()
        self._ncancelled = 0
