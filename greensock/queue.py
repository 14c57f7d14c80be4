"""Cooperative queues: ``Queue`` (FIFO), ``LifoQueue``, ``PriorityQueue``, ``JoinableQueue``."""
from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable
from queue import Empty, Full
from typing import Any

from ._core.waitqueue import WaitQueue

__all__ = ["Queue", "LifoQueue", "PriorityQueue", "JoinableQueue", "Empty", "Full"]


class Queue:
    """A FIFO queue; ``maxsize`` None or 0 is unbounded."""

    queue: Any  # the items: a deque here, a list (a heap for PriorityQueue) in the other kinds

    def __init__(self, maxsize: int | None = None, items: Iterable = ()) -> None:
        if maxsize is not None and (not isinstance(maxsize, int) or maxsize < 0):
            raise ValueError(f"maxsize must be None or an int >= 0, not {maxsize!r}")
        self.maxsize = maxsize or None
        self._init(items)
        self._getters = WaitQueue(self, self._has_items)
        self._putters = WaitQueue(self, self._has_room)

    # storage, overridden by the other queue kinds
    def _init(self, items) -> None:
        self.queue = deque(items)

    def _put(self, item) -> None:
        self.queue.append(item)

    def _get(self):
        return self.queue.popleft()

    def _peek(self):
        return self.queue[0]

    def _has_items(self) -> bool:
        return bool(self.queue)

    def _has_room(self) -> bool:
        return self.maxsize is None or len(self.queue) < self.maxsize

    def qsize(self) -> int:
        return len(self.queue)

    __len__ = qsize

    def __bool__(self) -> bool:
        return True

    def empty(self) -> bool:
        return not self.queue

    def full(self) -> bool:
        return not self._has_room()

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Add ``item``; while full, wait (or raise Full if not blocking / timed out)."""
        if self.maxsize is not None and not self._has_room():
            if not block or not self._putters.wait_until(self._has_room, timeout):
                raise Full
        self._put(item)
        if self._getters.links:  # checked here: most puts find no one waiting
            self._getters.notify()

    def put_nowait(self, item: Any) -> None:
        self.put(item, False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return an item; while empty, wait (or raise Empty)."""
        if not self.queue:
            if not block or not self._getters.wait_until(self._has_items, timeout):
                raise Empty
        item = self._get()
        if self._putters.links:
            self._putters.notify()
        return item

    def get_nowait(self) -> Any:
        return self.get(False)

    def peek(self, block: bool = True, timeout: float | None = None) -> Any:
        """Return the next item without removing it."""
        if not self.queue:
            if not block or not self._getters.wait_until(self._has_items, timeout):
                raise Empty
        return self._peek()

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get()
        if item is StopIteration:
            raise StopIteration
        return item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} size={len(self.queue)} maxsize={self.maxsize}>"


class LifoQueue(Queue):
    """Last in, first out."""

    def _init(self, items) -> None:
        self.queue = list(items)

    def _get(self):
        return self.queue.pop()

    def _peek(self):
        return self.queue[-1]


class PriorityQueue(Queue):
    """Smallest item first (``heapq`` order)."""

    def _init(self, items) -> None:
        self.queue = list(items)
        heapq.heapify(self.queue)

    def _put(self, item) -> None:
        heapq.heappush(self.queue, item)

    def _get(self):
        return heapq.heappop(self.queue)


class JoinableQueue(Queue):
    """A Queue that counts unfinished tasks: ``task_done()`` and ``join()``."""

    def __init__(self, maxsize: int | None = None, items: Iterable = ()) -> None:
        Queue.__init__(self, maxsize, items)
        self.unfinished_tasks = len(self.queue)
        self._done = WaitQueue(self, self._all_done)

    def _all_done(self) -> bool:
        return self.unfinished_tasks == 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        Queue.put(self, item, block, timeout)

        self.unfinished_tasks += 1

    def task_done(self) -> None:
        """Mark one fetched item as processed."""
        if self.unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self.unfinished_tasks -= 1
        if not self.unfinished_tasks:
            self._done.notify()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every item put has been marked done; False on timeout."""
        return self._done.wait_until(self._all_done, timeout)


