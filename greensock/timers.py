"""Callback handles and the timer heap (one heap, lazy cancellation)."""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from itertools import count
from time import monotonic


class Handle:
    """A scheduled call; ``cancel()`` stops it if it has not run yet."""

    __slots__ = ("fn", "args", "when", "_timers")

    def __init__(self, fn, args, when: float = 0.0, timers: TimerHeap | None = None) -> None:
        self.fn = fn
        self.args = args
        self.when = when
        self._timers = timers

    def cancel(self) -> None:
        if self.fn is not None:
            self.fn = None
            self.args = None
            if self._timers is not None:
                self._timers.cancelled()

    @property
    def cancelled(self) -> bool:
        return self.fn is None

    def __repr__(self) -> str:
        state = "cancelled" if self.fn is None else getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<Handle {state}>"


class TimerHeap:
    """Timers ordered by deadline; cancelled ones are dropped when they reach the top.

    When more than half of a large heap is cancelled (socket timeouts that never fire),
    the heap is rebuilt so memory stays bounded.
    """

    def __init__(self) -> None:
        self._heap: list = []
        self._seq = count()
        self._ncancelled = 0

    def __len__(self) -> int:
        return len(self._heap) - self._ncancelled

    def add(self, seconds: float, fn, args: tuple) -> Handle:
        when = monotonic() + seconds
        h = Handle(fn, args, when, self)
        heappush(self._heap, (when, next(self._seq), h))
        return h

    def cancelled(self) -> None:
        self._ncancelled += 1
        heap = self._heap
        if self._ncancelled > 64 and self._ncancelled * 2 > len(heap):
            heap[:] = [e for e in heap if e[2].fn is not None]
            heapify(heap)
            self._ncancelled = 0

    def next_deadline(self) -> float | None:
        """The earliest live deadline, dropping cancelled timers at the top."""
        heap = self._heap
        while heap:
            entry = heap[0]
            if entry[2].fn is not None:
                return entry[0]
            heappop(heap)
            self._ncancelled -= 1
        return None

    def pop_due(self, now: float) -> list[Handle]:
        """Remove and return the live timers whose deadline has passed, in order."""
        heap = self._heap
        due = []
        while heap and heap[0][0] <= now:
            h = heappop(heap)[2]
            if h.fn is None:
                self._ncancelled -= 1
            else:
                h._timers = None
                due.append(h)
        return due

    def clear(self) -> None:
        self._heap.clear()
        self._ncancelled = 0
