"""The hub's public surface, and the six bugs its first version had (one test each)."""
import errno
import os
import subprocess
import sys
import textwrap

import pytest

import greensock
import greensock.select
import greensock.selectors
import greensock.socket
from greensock import get_hub, sleep, spawn
from greensock.callback import Loop, Stream
from greensock.hub import TIMED_OUT, CallbackWaiter, current_hub


def run_py(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


# -- bug 1: a waiter's own timer is not work --------------------------------------------------------
def test_join_on_an_idle_hub_returns_true_at_once(poller):
    assert get_hub().join(timeout=30) is True  # before: waited the 30 s, then False
    assert greensock.wait(timeout=30) is True


def test_join_with_work_left_returns_false_when_time_runs_out(poller):
    hub = get_hub()
    hub.call_later(30, print)
    assert hub.join(timeout=0.05) is False


def test_an_unrefd_timer_fires_but_keeps_nothing_alive(poller):
    hub = get_hub()
    seen = []
    hub.call_later(30, seen.append, "never").unref()
    assert hub.join() is True and seen == []
    hub.call_later(0.01, seen.append, "fired").unref()
    hub.call_later(0.02, seen.append, "kept")
    assert hub.join() is True and seen == ["fired", "kept"]


# -- bug 2: Loop.run_once waits for one whole turn ----------------------------------------------------
def test_run_once_waits_for_a_timer_and_runs_pending_callbacks(poller):
    loop = Loop()
    seen = []
    loop.call_later(0.05, seen.append, "timer")
    loop.run_once(30)  # before: returned at once, the timer not fired
    assert seen == ["timer"]
    loop.call_soon(seen.append, "soon")
    loop.run_once(0)
    assert seen == ["timer", "soon"]


def test_run_once_returns_after_its_timeout_with_nothing_to_do(poller):
    Loop().run_once(0.01)
    assert get_hub().pending_timers() == 0


# -- bug 3: several greenlets may wait on one fd where the standard library allows it ---------------------
def test_two_greenlets_select_poll_and_selectors_on_one_fd(poller):
    a, b = greensock.socket.socketpair()

    def by_poll():
        p = greensock.select.poll()
        p.register(a, greensock.select.POLLIN)
        return p.poll(5000)

    def by_selector():
        with greensock.selectors.DefaultSelector() as sel:
            sel.register(a, greensock.selectors.EVENT_READ)
            return sel.select(5)

    waiters = [spawn(greensock.select.select, [a], [], [], 5), spawn(greensock.select.select, [a], [], [], 5),
               spawn(by_poll), spawn(by_selector)]
    sleep(0)
    b.send(b"x")
    results = [g.get(timeout=5) for g in waiters]
    assert results[0][0] == [a] and results[1][0] == [a]
    assert results[2] and results[3]
    a.close()
    b.close()


def test_multiprocessing_pool_under_patch_all():
    out = run_py("""
        from greensock import monkey
        monkey.patch_all()
        import multiprocessing

        def square(x):
            return x * x

        if __name__ == "__main__":
            pool = multiprocessing.Pool(2)
            print(pool.map(square, range(10)), pool.apply_async(square, (7,)).get(timeout=20))
            pool.close()
            pool.join()
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81] 49"


# -- bug 4: a reader that fails does not cost the writer its edge --------------------------------------------
def test_failing_reader_does_not_swallow_the_writer_half_of_an_event(poller, caplog):
    hub = get_hub()
    a, b = greensock.socket.socketpair()
    state = a.fd_state
    state.readable = state.writable = False

    def fail():
        raise ZeroDivisionError("reader failed")

    reader = CallbackWaiter(fail)
    hub.watch(state, True, reader)
    b.send(b"x")  # a is readable and writable: one event with both halves
    writer = spawn(hub.wait_writable, state)
    writer.join(timeout=5)
    assert writer.successful()
    hub.unwatch(state, True, reader)
    assert "reader failed" in caplog.text
    a.close()
    b.close()


# -- bug 5: destroy() from a greenlet returns to it -----------------------------------------------------------
def test_destroy_from_a_greenlet_lets_it_carry_on(poller):
    hub = get_hub()
    seen = []

    def destroyer():
        hub.destroy()
        seen.append("carried on")

    spawn(destroyer)
    sleep(0)
    assert seen == ["carried on"] and hub.dead and current_hub() is None


# -- bug 6: a callback watch hears that its fd was closed -----------------------------------------------------
def test_stream_hears_that_its_socket_was_closed_under_it(poller):
    a, b = greensock.socket.socketpair()
    loop = Loop()
    errors = []
    stream = Stream(handle=a, on_read=lambda s, buf, eof: False,
                    on_read_error=lambda s, err: (errors.append(err), loop.stop()))
    loop.add(stream)
    loop.call_soon(a.close)
    loop.run_forever()
    assert errors and errors[0].errno == errno.EBADF
    b.close()


def test_a_watch_is_told_once_and_ends(poller):
    hub = get_hub()
    a, b = greensock.socket.socketpair()
    told = []
    waiter = CallbackWaiter(lambda: None, told.append)
    hub.watch(a.fd_state, True, waiter)
    holds = hub.holds
    a.close()
    sleep(0)
    assert [e.errno for e in told] == [errno.EBADF]
    hub.unwatch(a.fd_state, True, waiter)
    assert hub.holds == holds - 1
    b.close()


# -- the surface itself ---------------------------------------------------------------------------------------
def test_park_returns_what_it_was_switched_with_or_timed_out(poller):
    hub = get_hub()
    me = greensock.getcurrent()
    hub.run_callback(me.switch, "value")
    assert hub.park() == "value"
    assert hub.park(0.01) is TIMED_OUT
    assert hub.pending_timers() == 0  # the park's timer went with it


def test_park_in_the_hub_is_refused(poller):
    hub = get_hub()
    errors = []

    def callback():
        try:
            hub.park()
        except greensock.BlockingSwitchOutError as e:
            errors.append(str(e))

    hub.run_callback(callback)
    sleep(0.01)
    assert errors and "spawn a greenlet" in errors[0]


def test_hold_keeps_the_loop_waiting_for_another_thread(poller):
    import threading
    hub = get_hub()
    got = greensock.event.AsyncResult()
    hub.hold()
    t = threading.Thread(target=hub.run_callback_threadsafe, args=(got.set, "from a thread"))
    t.start()
    try:
        assert got.get(timeout=5) == "from a thread"
    finally:
        hub.release()
        t.join()
    assert hub.join() is True


def test_current_hub_never_creates_one():
    assert current_hub() is None
    hub = get_hub()
    assert current_hub() is hub


def test_close_and_fork_hooks(poller):
    hub = get_hub()
    seen = []
    hub.on_close(lambda: seen.append("closed"))
    r, w = os.pipe()
    hub.at_fork(lambda: os.write(w, b"forked"))
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 100) == b"forked"
    os.close(r)
    os.close(w)
    hub.destroy()
    assert seen == ["closed"]
    with pytest.raises(TypeError, match="fn must be callable"):
        get_hub().on_close(42)


def test_describe_wait_names_the_fd_the_timer_or_nothing(poller):
    hub = get_hub()
    a, b = greensock.socket.socketpair()
    try:
        reader = spawn(a.recv, 1)
        napper = spawn(sleep, 30)
        idle = greensock.Greenlet(int)
        sleep(0.01)
        assert hub.describe_wait(reader) == f"waiting to read fd {a.fileno()}"
        assert hub.describe_wait(napper).startswith("sleeping (")
        assert hub.describe_wait(idle) is None
        assert reader.function == a.recv and idle.function is int
        with pytest.raises(TypeError, match="g must be a greenlet"):
            hub.describe_wait("reader")
        reader.kill()
        napper.kill()
    finally:
        a.close()
        b.close()
