"""Unit tests for the hub's internals: timers, poller backends, the wait queue, green threads."""
import os
import socket
import threading
import time

import pytest

import greensock
import greensock.socket
from greensock import get_hub, sleep, spawn
from greensock._core.fdstate import CallbackWaiter, SharedWaiters
from greensock._core.poller import available, make_poller
from greensock._core.timers import FN, REF, TimerHeap
from greensock._core.waitqueue import WaitQueue
from greensock.thread import Lock, allocate_lock, get_ident, start_new_thread


# -- timers ---------------------------------------------------------------------------------------
def test_timer_heap_orders_by_deadline_then_creation():
    heap = TimerHeap()
    late = heap.add(10, print, ())
    a = heap.add(0, print, ("a",))
    b = heap.add(0, print, ("b",))
    assert heap.next_deadline() == a.when
    due = heap.pop_due(int((a.when + 1) * 1e9))
    assert due == [a, b] and len(heap) == 1 and heap.next_deadline() == late.when


def test_timer_heap_counts_live_referenced_timers():
    heap = TimerHeap()
    t1, t2, t3 = heap.add(1, print, ()), heap.add(1, print, ()), heap.add(1, print, ())
    assert heap.refs == 3
    t1.cancel()
    t1.cancel()  # twice: counted once
    t2.unref()
    t2.unref()
    assert heap.refs == 1 and len(heap) == 2
    t2.cancel()  # an unref'd timer's cancel does not touch refs
    assert heap.refs == 1
    assert heap.pop_due(int(t3.when * 1e9) + 1) == [t3] and heap.refs == 0
    t3.cancel()  # after it left the heap: nothing to count
    assert heap.refs == 0 and t3[FN] is None and t3[REF]


def test_timer_heap_compacts_when_most_timers_are_cancelled():
    heap = TimerHeap()
    timers = [heap.add(100, print, ()) for _ in range(1000)]
    for t in timers[:900]:
        t.cancel()
    assert len(heap.heap) < 1000 and len(heap) == 100 and heap.refs == 100
    heap.clear()
    assert len(heap) == 0 and heap.refs == 0


def test_hub_timers_fire_in_order_and_cancelled_ones_never(poller):
    hub = get_hub()
    seen = []
    for delay in (0.03, 0.01, 0.02):
        hub.call_later(delay, seen.append, delay)
    hub.call_later(0.015, seen.append, "cancelled").cancel()
    assert hub.join() is True
    assert seen == [0.01, 0.02, 0.03]


# -- poller backends --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", available())
def test_poller_reports_read_and_write_readiness(name):
    p = make_poller(name)
    a, b = socket.socketpair()
    try:
        p.register(a.fileno())
        p.interest(a.fileno(), True, True)
        events = dict(p.poll(0))
        assert events.get(a.fileno(), 0) & p.WRITE and not events[a.fileno()] & p.READ
        b.send(b"x")
        events = dict(p.poll(1))
        assert events[a.fileno()] & p.READ
        b.close()
        events = dict(p.poll(1))
        if p.HANGUP:
            assert events[a.fileno()] & p.HANGUP
        p.unregister(a.fileno())
        assert a.fileno() not in dict(p.poll(0))
    finally:
        p.close()
        a.close()


@pytest.mark.parametrize("name", available())
def test_poller_rearm_reports_readiness_again(name):
    p = make_poller(name)
    a, b = socket.socketpair()
    try:
        p.register(a.fileno())
        p.interest(a.fileno(), True, False)
        b.send(b"x")
        assert dict(p.poll(1)).get(a.fileno())
        if p.edge_triggered:
            assert not dict(p.poll(0)).get(a.fileno())  # the edge was consumed
        p.rearm(a.fileno())
        assert dict(p.poll(0)).get(a.fileno())
    finally:
        p.close()
        a.close()
        b.close()


def test_make_poller_checks_its_argument():
    with pytest.raises(ValueError, match="poller must be one of"):
        make_poller("kqueue2")
    with pytest.raises(TypeError, match="poller must be a str"):
        make_poller(3)


# -- parking and the wait queue ------------------------------------------------------------------------
def test_shared_waiters_wake_each_once_and_report_failures():
    seen, errors = [], []
    shared = SharedWaiters(lambda waiter, *exc: errors.append(exc[1]))
    second = CallbackWaiter(lambda: seen.append("second"))

    def first_switch():
        seen.append("first")
        del shared[second]  # leaves while others are being woken: it is skipped

    shared[CallbackWaiter(first_switch)] = None
    shared[second] = None
    shared[CallbackWaiter(lambda: 1 / 0)] = None
    shared.switch()
    assert seen == ["first"] and isinstance(errors[0], ZeroDivisionError)


def test_wait_queue_wakes_in_fifo_order_while_the_condition_holds(poller):
    state = {"tokens": 0}
    queue = WaitQueue(state, lambda: state["tokens"] > 0)
    order = []

    def taker(name):
        queue.wait_until(lambda: state["tokens"] > 0)
        state["tokens"] -= 1
        order.append(name)

    takers = [spawn(taker, n) for n in "abc"]
    sleep(0)
    assert len(queue) == 3
    state["tokens"] = 2
    queue.notify()
    sleep(0)
    assert order == ["a", "b"] and len(queue) == 1
    state["tokens"] = 1
    queue.notify()
    greensock.joinall(takers, timeout=5)
    assert order == ["a", "b", "c"] and len(queue) == 0


def test_wait_queue_timeout_and_unlink(poller):
    queue = WaitQueue(None, lambda: False)
    assert queue.wait_until(lambda: False, 0.01) is False
    assert len(queue) == 0 and get_hub().pending_timers() == 0
    queue.link(print)
    queue.unlink(print)
    queue.unlink(print)
    assert len(queue) == 0
    with pytest.raises(TypeError, match="callback must be callable"):
        queue.link(3)


def test_wait_queue_does_not_lose_a_wake_up_to_a_killed_waiter(poller):
    ev = greensock.event.Event()
    first = spawn(ev.wait)
    second = spawn(ev.wait)
    sleep(0)
    first.kill()
    ev.set()
    assert second.get(timeout=5) is True


# -- green threads (greensock.thread, used by patch_thread) -------------------------------------------
def test_green_lock_parks_greenlets_in_order(poller):
    lock = allocate_lock()
    order = []

    def worker(name):
        with lock:
            order.append(name)
            sleep(0.001)

    lock.acquire()
    workers = [spawn(worker, n) for n in range(5)]
    sleep(0)
    lock.release()
    greensock.joinall(workers, timeout=5)
    assert order == list(range(5)) and not lock.locked()


def test_green_lock_timeouts_and_argument_checks(poller):
    lock = allocate_lock()
    assert lock.acquire()
    assert lock.acquire(True, 0.01) is False
    assert lock.acquire(False) is False
    with pytest.raises(ValueError, match="non-blocking"):
        lock.acquire(False, 1)
    with pytest.raises(ValueError, match="non-negative"):
        lock.acquire(True, -2)
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
    assert get_hub().pending_timers() == 0


def test_green_lock_released_by_a_real_thread_wakes_a_parked_greenlet(poller):
    lock = allocate_lock()
    lock.acquire()
    real = threading.Thread(target=lambda: (time.sleep(0.02), lock.release()))
    real.start()
    assert lock.acquire(True, 5) is True  # the hub waits for the other thread, not LoopExit
    real.join()
    lock.release()


def test_start_new_thread_runs_a_greenlet_with_its_own_ident(poller):
    seen = []
    done = allocate_lock()
    done.acquire()

    def body(x):
        seen.append((x, get_ident()))
        done.release()

    ident = start_new_thread(body, (1,))
    assert done.acquire(True, 5)
    assert seen == [(1, ident)] and ident != get_ident()
    with pytest.raises(TypeError, match="first arg must be callable"):
        start_new_thread(3, ())


def test_lock_type_is_not_instantiable_before_313():
    import sys
    if sys.version_info >= (3, 13):
        assert not Lock().locked()
    else:
        with pytest.raises(TypeError):
            Lock()


def test_fork_gives_the_child_a_working_hub(poller):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            greensock.sleep(0.01)
            a, b = greensock.socket.socketpair()
            b.send(b"ok")
            os.write(w, a.recv(2))
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    assert os.read(r, 2) == b"ok"
    os.close(r)
