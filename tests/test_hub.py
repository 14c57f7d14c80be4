"""The hub: poller choice, callbacks, timers, fd waits on every backend, wake-up, fork."""
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import greensock
import greensock.socket
from greensock import BlockingSwitchOutError, ConcurrentObjectUseError, get_hub, sleep, spawn
from greensock._core.poller import available, make_poller
from greensock.event import AsyncResult
from greensock.fdwait import wait_read, wait_write


def run_script(code: str, timeout: float = 20, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, **kw)


def test_poller_choice_by_argument_and_environment(monkeypatch):
    for name in available():
        assert make_poller(name).name == name
    monkeypatch.setenv("GREENSOCK_POLLER", "select")
    assert make_poller().name == "select"
    assert greensock.Hub().poller_name == "select"
    monkeypatch.delenv("GREENSOCK_POLLER")
    assert make_poller().name == available()[0]


def test_poller_bad_names():
    with pytest.raises(ValueError, match="poller"):
        make_poller("kqueue-ish")
    with pytest.raises(TypeError, match="poller"):
        make_poller(3)
    with pytest.raises(TypeError, match="hub"):
        greensock.set_hub("not a hub")


def test_epoll_is_default_on_linux():
    if sys.platform.startswith("linux"):
        assert get_hub().poller_name == "epoll"


def test_callbacks_run_in_order_and_cancel(poller):
    hub = get_hub()
    seen = []
    hub.run_callback(seen.append, 1)
    h = hub.run_callback(seen.append, 2)
    hub.run_callback(seen.append, 3)
    h.cancel()
    sleep(0)
    assert seen == [1, 3]


def test_timers_fire_in_deadline_order(poller):
    hub = get_hub()
    seen = []
    for delay in (0.03, 0.01, 0.02, 0.0):
        hub.call_later(delay, seen.append, delay)
    cancelled = hub.call_later(0.015, seen.append, "cancelled")
    cancelled.cancel()
    sleep(0.06)
    assert seen == [0.0, 0.01, 0.02, 0.03]


def test_many_cancelled_timers_do_not_accumulate():
    hub = get_hub()
    for _ in range(10_000):
        hub.call_later(100, int).cancel()
    assert hub.pending_timers() == 0


def test_sleep_zero_is_fifo_round_robin(poller):
    order = []

    def worker(name):
        for i in range(3):
            order.append((name, i))
            sleep(0)

    gs = [spawn(worker, n) for n in "abc"]
    greensock.joinall(gs)
    assert order == [(n, i) for i in range(3) for n in "abc"]


def test_sleep_zero_flood_does_not_starve_io(poller):
    a, b = socket.socketpair()
    a.setblocking(False)
    stop = []

    def flood():
        while not stop:
            sleep(0)

    flooders = [spawn(flood) for _ in range(50)]
    got = []

    def reader():
        wait_read(a.fileno(), timeout=5)
        got.append(a.recv(10))
        stop.append(1)

    r = spawn(reader)
    sleep(0)
    b.send(b"hi")
    r.join(timeout=5)
    greensock.joinall(flooders, timeout=5)
    assert got == [b"hi"]
    a.close()
    b.close()


def test_wait_read_write_on_raw_fds(poller):
    a, b = socket.socketpair()
    a.setblocking(False)
    wait_write(a.fileno(), timeout=1)
    got = []

    def reader():
        wait_read(a, timeout=5)
        got.append(a.recv(100))

    g = spawn(reader)
    sleep(0.01)
    assert got == []
    b.send(b"data")
    g.join(timeout=5)
    assert got == [b"data"]
    with pytest.raises(TimeoutError):
        wait_read(a.fileno(), timeout=0.01)
    a.close()
    b.close()


def test_wait_read_bad_input():
    with pytest.raises(TypeError, match="fd"):
        wait_read("nope")
    with pytest.raises(ValueError, match="fd"):
        wait_read(-1)


def test_two_readers_on_one_socket_is_an_error(poller):
    a, b = greensock.socket.socketpair()
    g = spawn(a.recv, 10)
    sleep(0)
    with pytest.raises(ConcurrentObjectUseError, match="already being read"):
        a.recv(10)
    b.send(b"x")
    assert g.get(timeout=2) == b"x"
    a.close()
    b.close()


def test_many_greenlets_may_wait_on_one_raw_fd(poller):
    a, b = socket.socketpair()
    waiters = [spawn(wait_read, a.fileno()) for _ in range(3)]
    writers = [spawn(wait_write, a.fileno()) for _ in range(2)]
    sleep(0)
    b.send(b"x")
    assert len(greensock.joinall(waiters + writers, timeout=2)) == 5
    assert all(g.successful() for g in waiters + writers)
    a.close()
    b.close()


def test_blocking_in_a_callback_raises(poller):
    hub = get_hub()
    errors = []

    def callback():
        try:
            sleep(0.1)
        except BlockingSwitchOutError as e:
            errors.append(str(e))

    hub.run_callback(callback)
    sleep(0.01)
    assert errors and "spawn" in errors[0]


def test_threadsafe_wakeup_from_another_thread(poller):
    hub = get_hub()
    got = AsyncResult()
    t = threading.Thread(target=lambda: (time.sleep(0.05), hub.run_callback_threadsafe(got.set, "from thread")))
    hub.hold()  # a callback is expected: keep the loop alive
    try:
        t.start()
        assert got.get(timeout=5) == "from thread"
    finally:
        hub.release()
        t.join()


def test_exception_in_callback_does_not_stop_the_hub(poller, caplog):
    hub = get_hub()
    hub.run_callback(lambda: 1 / 0)
    seen = []
    hub.run_callback(seen.append, "after")
    sleep(0.01)
    assert seen == ["after"]
    assert "ZeroDivisionError" in caplog.text


def test_loop_exit_names_the_wait_and_hub_stays_usable():
    r = run_script("""
        import greensock
        from greensock.event import Event
        try:
            Event().wait()
        except greensock.LoopExit as e:
            print("LOOPEXIT", e)
        greensock.sleep(0.01)
        g = greensock.spawn(lambda: 42)
        print("VALUE", g.get())
    """)
    assert r.returncode == 0, r.stderr
    assert "LOOPEXIT" in r.stdout and "Event.wait()" in r.stdout and "<string>:5" in r.stdout
    assert "VALUE 42" in r.stdout


def test_loop_exit_names_the_callers_line_in_either_build():
    # joinall is compiled in the compiled build (no frame of its own): the message still
    # names the line of the program that is stuck.
    r = run_script("""
        import greensock
        from greensock.queue import Queue
        g = greensock.spawn(Queue().get)
        try:
            greensock.joinall([g])
        except greensock.LoopExit as e:
            print("LOOPEXIT", e)
    """)
    assert "LOOPEXIT the main greenlet waits in " in r.stdout and "<string>:6" in r.stdout, r.stdout + r.stderr


def test_loop_exit_when_joining_a_stuck_greenlet():

    r = run_script("""
        import greensock
        from greensock.queue import Queue
        g = greensock.spawn(Queue().get)
        try:
            g.join()
        except greensock.LoopExit as e:
            print("LOOPEXIT", e)
    """)
    assert "LOOPEXIT" in r.stdout and "Greenlet.join()" in r.stdout, r.stdout + r.stderr


def test_ctrl_c_interrupts_the_sleeping_main_greenlet():
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, greensock
        greensock.spawn(lambda: [greensock.sleep(0.01) for _ in range(10000)])
        print("ready", flush=True)
        try:
            greensock.sleep(60)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        start = time.monotonic()
        p.send_signal(2)
        out, err = p.communicate(timeout=10)
        assert "interrupted" in out, err
        assert time.monotonic() - start < 5
    finally:
        if p.poll() is None:
            p.kill()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_has_a_working_hub(poller):
    a, b = socket.socketpair()
    a.setblocking(False)
    spawn(lambda: None)
    sleep(0)
    wait_write(a.fileno(), timeout=1)  # registers the fd in the parent's poller
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            def ping():
                b.send(b"child")
            spawn(ping)
            wait_read(a.fileno(), timeout=5)
            msg = a.recv(10)
            greensock.sleep(0.01)
            done = greensock.spawn(lambda: "ok").get(timeout=5)
            os.write(w, msg + b" " + done.encode())
        finally:
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    assert os.read(r, 100) == b"child ok"
    assert status == 0
    os.close(r)
    # The parent's hub still works too.
    b.send(b"parent")
    wait_read(a.fileno(), timeout=5)
    assert a.recv(10) == b"parent"
    a.close()
    b.close()
