"""Event, AsyncResult, locks, queues and pools."""
import pytest

from greensock import Timeout, sleep, spawn
from greensock.event import AsyncResult, Event
from greensock.lock import BoundedSemaphore, Lock, RLock, Semaphore
from greensock.pool import Group, Pool
from greensock.queue import Empty, Full, JoinableQueue, LifoQueue, PriorityQueue, Queue


def test_event_wakes_every_waiter(poller):
    e = Event()
    woken = []
    gs = [spawn(lambda i=i: woken.append((i, e.wait()))) for i in range(5)]
    sleep(0)
    assert woken == []
    e.set()
    sleep(0)
    sleep(0)
    assert sorted(woken) == [(i, True) for i in range(5)]
    assert all(g.dead for g in gs)
    assert e.wait(0) is True
    e.clear()
    assert e.wait(0.01) is False and not e.is_set()


def test_async_result_value_exception_and_timeout(poller):
    r = AsyncResult()
    spawn(lambda: (sleep(0.01), r.set("v")))
    assert r.get(timeout=1) == "v" and r.successful() and r.wait() == "v"
    r2 = AsyncResult()
    with pytest.raises(Timeout):
        r2.get(timeout=0.01)
    with pytest.raises(Timeout):
        r2.get(block=False)
    r2.set_exception(KeyError("k"))
    with pytest.raises(KeyError):
        r2.get()
    assert isinstance(r2.exception, KeyError) and not r2.successful()
    with pytest.raises(TypeError, match="exception"):
        r2.set_exception("not an exception")


def test_async_result_as_greenlet_link():
    r = AsyncResult()
    spawn(lambda: 5).link(r)
    assert r.get(timeout=1) == 5


def test_semaphore_limits_concurrency(poller):
    sem = Semaphore(2)
    active, peak = [], []

    def worker():
        with sem:
            active.append(1)
            peak.append(len(active))
            sleep(0.01)
            active.pop()

    gs = [spawn(worker) for _ in range(6)]
    for g in gs:
        g.join(timeout=2)
    assert max(peak) == 2 and sem.counter == 2


def test_semaphore_nonblocking_and_timeout():
    sem = Semaphore(0)
    assert sem.acquire(blocking=False) is False
    assert sem.acquire(timeout=0.01) is False
    spawn(sem.release)
    assert sem.acquire(timeout=1) is True
    with pytest.raises(ValueError, match="value"):
        Semaphore(-1)
    with pytest.raises(TypeError, match="value"):
        Semaphore("1")


def test_timed_out_waiter_passes_on_the_wakeup():
    sem = Semaphore(0)
    got = []
    g1 = spawn(lambda: got.append(("g1", sem.acquire(timeout=0.02))))
    g2 = spawn(lambda: got.append(("g2", sem.acquire(timeout=2))))
    sleep(0.05)
    sem.release()
    g1.join(timeout=2)
    g2.join(timeout=2)
    assert got == [("g1", False), ("g2", True)]


def test_bounded_semaphore_over_release():
    b = BoundedSemaphore(1)
    with pytest.raises(ValueError):
        b.release()


def test_lock_semantics():
    lock = Lock()
    assert lock.acquire() and lock.locked()
    assert lock.acquire(blocking=False) is False
    assert lock.acquire(timeout=0.01) is False
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)


def test_rlock_reentrant_and_owned():
    rl = RLock()
    with rl:
        with rl:
            assert rl._is_owned()
        g = spawn(lambda: rl.acquire(timeout=0.01))
        assert g.get() is False
    g = spawn(rl.release)
    g.join()
    assert isinstance(g.exception, RuntimeError)


def test_queue_fifo_blocking_and_bounds(poller):
    q = Queue(2)
    q.put(1)
    q.put(2)
    assert q.full()
    with pytest.raises(Full):
        q.put_nowait(3)
    with pytest.raises(Full):
        q.put(3, timeout=0.01)
    spawn(lambda: q.put(3))
    sleep(0)
    assert [q.get(), q.get(), q.get(timeout=1)] == [1, 2, 3]
    with pytest.raises(Empty):
        q.get_nowait()
    with pytest.raises(Empty):
        q.get(timeout=0.01)
    assert Queue(0).maxsize is None and Queue().maxsize is None
    with pytest.raises(ValueError, match="maxsize"):
        Queue(-1)


def test_queue_producer_consumer_many():
    q = Queue(5)
    out = []

    def consumer():
        for item in q:
            out.append(item)

    c = spawn(consumer)
    for i in range(100):
        q.put(i)
    q.put(StopIteration)
    c.join(timeout=2)
    assert out == list(range(100))


def test_lifo_priority_and_peek():
    lq = LifoQueue()
    pq = PriorityQueue()
    for i in (3, 1, 2):
        lq.put(i)
        pq.put(i)
    assert lq.peek() == 2
    assert [lq.get() for _ in range(3)] == [2, 1, 3]
    assert [pq.get() for _ in range(3)] == [1, 2, 3]


def test_joinable_queue():
    q = JoinableQueue()
    done = []

    def worker():
        while True:
            item = q.get()
            sleep(0.001)
            done.append(item)
            q.task_done()

    w = spawn(worker)
    for i in range(10):
        q.put(i)
    assert q.join(timeout=2) is True
    assert done == list(range(10))
    w.kill()
    with pytest.raises(ValueError):
        q.task_done()


def test_group_spawn_join_kill():
    grp = Group()
    gs = [grp.spawn(sleep, 0.01) for _ in range(5)]
    assert len(grp) == 5 and gs[0] in grp
    assert grp.join(timeout=1) and len(grp) == 0
    grp.spawn(sleep, 10)
    grp.kill(timeout=1)
    assert len(grp) == 0
    assert grp.apply(lambda a, b: a + b, (1, 2)) == 3


def test_pool_bounds_and_free_count(poller):
    pool = Pool(3)
    active, peak = [], []

    def work(i):
        active.append(i)
        peak.append(len(active))
        sleep(0.005)
        active.remove(i)
        return i * i

    assert pool.free_count() == 3
    assert pool.map(work, range(10)) == [i * i for i in range(10)]
    assert max(peak) == 3
    assert sorted(pool.imap_unordered(work, range(10))) == [i * i for i in range(10)]
    assert list(pool.imap(work, range(5))) == [0, 1, 4, 9, 16]
    for _ in range(3):
        pool.spawn(sleep, 0.02)
    assert pool.full() and pool.free_count() == 0
    assert pool.wait_available(timeout=1) >= 1
    pool.join()
    with pytest.raises(ValueError, match="size"):
        Pool(0)


def test_pool_imap_raises_the_failure(capsys):
    def f(x):
        if x == 2:
            raise KeyError(x)
        return x
    it = Pool(2).imap(f, range(4))
    assert next(it) == 0 and next(it) == 1
    with pytest.raises(KeyError):
        next(it)


def test_pool_apply_inside_pool_does_not_deadlock():
    pool = Pool(1)
    assert pool.spawn(lambda: pool.apply(lambda: "inner")).get(timeout=1) == "inner"
