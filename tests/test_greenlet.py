"""Greenlet life cycle: spawn, join, get, kill, links, joinall/killall/wait."""
import socket

import pytest

import greensock
from greensock import Greenlet, GreenletExit, Timeout, joinall, killall, sleep, spawn, spawn_later
from greensock.event import AsyncResult, Event
from greensock.fdwait import wait_read
from greensock.queue import Queue


def test_spawn_starts_when_the_caller_yields():
    seen = []
    g = spawn(seen.append, 1)
    assert seen == [] and not g.ready()
    sleep(0)
    assert seen == [1] and g.ready() and g.successful() and g.dead


def test_greenlet_constructor_and_start():
    g = Greenlet(lambda a, b=0: a + b, 2, b=3)
    assert not g.started() and not g.dead
    g.start()
    assert g.get(timeout=1) == 5
    with pytest.raises(TypeError, match="run"):
        Greenlet(42)


def test_subclass_overrides_run():
    class Worker(Greenlet):
        def _run(self):
            return "subclassed"
    assert Worker.spawn().get() == "subclassed"


def test_spawn_later_and_start_later_respect_the_delay():
    hub = greensock.get_hub()
    order = []
    spawn_later(0.03, order.append, "late")
    spawn(order.append, "now")
    g = Greenlet(order.append, "mid")
    g.start_later(0.01)
    sleep(0.05)
    assert order == ["now", "mid", "late"]
    assert hub


def test_exception_is_stored_logged_once_and_reraised(caplog):
    def boom():
        raise KeyError("nope")
    g = spawn(boom)
    g.join()
    assert not g.successful() and isinstance(g.exception, KeyError)
    with pytest.raises(KeyError):
        g.get()
    assert caplog.text.count("KeyError: 'nope'") == 1 and "failed with KeyError" in caplog.text
    assert spawn(lambda: "hub survives").get() == "hub survives"


def test_get_nonblocking_and_timeout_raise_timeout():
    g = spawn(sleep, 1)
    with pytest.raises(Timeout):
        g.get(block=False)
    with pytest.raises(Timeout):
        g.get(timeout=0.01)
    g.kill()


def test_join_timeout_returns_without_error():
    g = spawn(sleep, 1)
    g.join(timeout=0.01)
    assert not g.ready()
    g.kill()
    assert g.ready()


@pytest.mark.parametrize("blocker", ["event", "queue", "fd", "sleep"])
def test_kill_blocked_greenlet_runs_finally(poller, blocker):
    a, b = socket.socketpair()
    cleaned = []

    def blocked():
        try:
            if blocker == "event":
                Event().wait()
            elif blocker == "queue":
                Queue().get()
            elif blocker == "fd":
                wait_read(a.fileno())
            else:
                sleep(30)
        finally:
            cleaned.append(blocker)

    g = spawn(blocked)
    sleep(0.01)
    g.kill(timeout=2)
    assert cleaned == [blocker]
    assert g.dead and g.successful() and isinstance(g.value, GreenletExit)
    a.close()
    b.close()


def test_kill_with_custom_exception_and_nonblocking():
    g = spawn(sleep, 10)
    sleep(0)
    g.kill(ValueError("stop"), block=False)
    assert not g.dead
    g.join(timeout=1)
    assert isinstance(g.exception, ValueError)


def test_kill_before_start_never_runs():
    seen = []
    g = spawn(seen.append, 1)
    g.kill()
    sleep(0.01)
    assert seen == [] and g.dead and g.successful() and isinstance(g.value, GreenletExit)


def test_links_run_in_new_greenlets_and_rawlink_in_hub():
    hub = greensock.get_hub()
    seen = []
    g = spawn(lambda: 7)
    g.link(lambda src: seen.append(("link", src.value, greensock.getcurrent() is not hub)))
    g.link_value(lambda src: seen.append(("value", src.value)))
    g.link_exception(lambda src: seen.append("never"))
    g.rawlink(lambda src: seen.append(("raw", greensock.getcurrent() is hub)))
    g.join()
    sleep(0.01)
    assert ("link", 7, True) in seen and ("value", 7) in seen and ("raw", True) in seen
    assert "never" not in seen


def test_link_callback_may_block_and_unlink_works():
    seen = []

    def blocking_link(src):
        sleep(0.01)
        seen.append("slept")

    def removed(src):
        seen.append("removed")

    g = spawn(lambda: None)
    g.link(blocking_link)
    g.link(removed)
    g.unlink(removed)
    g.join()
    sleep(0.05)
    assert seen == ["slept"]


def test_link_exception_fires_on_failure(capsys):
    seen = []
    g = spawn(lambda: 1 / 0)
    g.link_exception(lambda src: seen.append(type(src.exception)))
    g.join()
    sleep(0.01)
    assert seen == [ZeroDivisionError]


def test_link_after_finish_still_fires():
    g = spawn(lambda: 1)
    g.join()
    seen = []
    g.rawlink(seen.append)
    sleep(0)
    assert seen == [g]


def test_joinall_returns_finished_and_raise_error(capsys):
    gs = [spawn(sleep, d) for d in (0.0, 0.01, 5)]
    done = joinall(gs, timeout=0.1)
    assert set(done) == set(gs[:2])
    killall(gs)
    assert all(g.dead for g in gs)
    bad = [spawn(lambda: 1 / 0), spawn(sleep, 0.01)]
    with pytest.raises(ZeroDivisionError):
        joinall(bad, raise_error=True)


def test_killall_nonblocking_then_wait():
    gs = [spawn(sleep, 10) for _ in range(5)]
    sleep(0)
    killall(gs, block=False)
    assert greensock.wait(gs, timeout=1) and all(g.dead for g in gs)


def test_wait_on_mixed_objects_with_count():
    e = Event()
    r = AsyncResult()
    g = spawn(sleep, 0.01)
    spawn_later(0.02, r.set, 1)
    ready = greensock.wait([e, r, g], count=2, timeout=2)
    assert set(ready) == {g, r}
    assert greensock.wait([e], timeout=0.01) == []


def test_wait_without_objects_runs_until_idle():
    seen = []
    spawn_later(0.01, seen.append, 1)
    assert greensock.wait() is True
    assert seen == [1]


def test_name_and_repr():
    g = Greenlet(len, "abc")
    g.name = "worker"
    assert "worker" in repr(g) and "unstarted" in repr(g)
    g.start()
    assert g.get() == 3 and "done" in repr(g)
