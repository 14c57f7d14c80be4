"""Operations: the blocking monitor, run info, the signal dump, error logging, context vars."""
import contextvars
import logging
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import pytest

import greensock
import greensock.event
import greensock.socket
import greensock.util
from greensock.server import StreamServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_py(code: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``code`` from a file of its own (so stacks show its source lines)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(textwrap.dedent(code))
    try:
        return subprocess.run([sys.executable, f.name], capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONPATH=ROOT, **(env or {})))
    finally:
        os.unlink(f.name)


# -- the blocking monitor ------------------------------------------------------------------------------
def test_monitor_reports_a_blocking_greenlet_once_with_its_stack():
    out = run_py("""
        import logging, sys, time
        logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
        import greensock, greensock.monitor
        greensock.monitor.start(0.1)
        ticks = []
        def ticker():
            for _ in range(20):
                greensock.sleep(0.05)
                ticks.append(1)
        def blocker():
            time.sleep(0.5)  # not patched: it blocks the whole hub
        t = greensock.spawn(ticker)
        b = greensock.spawn(blocker)
        b.name = "the-blocker"
        greensock.joinall([t, b])
        greensock.monitor.stop()
    """)
    assert out.returncode == 0, out.stderr
    reports = [line for line in out.stdout.splitlines() if line.startswith("greensock.monitor WARNING")]
    assert len(reports) == 1, out.stdout
    assert "greenlet 'the-blocker' (spawned at /" in reports[0] and ".py:" in reports[0]
    assert "time.sleep(0.5)  # not patched" in out.stdout  # the line it is running, from its own frame


def test_monitor_reports_a_slow_hub_callback_and_not_a_yielding_program():
    out = run_py("""
        import logging, sys, time
        logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
        import greensock, greensock.monitor
        greensock.monitor.start(0.1)
        def busy_but_yielding():
            end = time.monotonic() + 0.6
            while time.monotonic() < end:
                sum(range(1000))
                greensock.sleep(0)
        greensock.spawn(busy_but_yielding).join()
        print("yielding done", flush=True)
        def slow_callback():
            time.sleep(0.4)
        greensock.get_hub().run_callback(slow_callback)
        greensock.sleep(0.5)
        greensock.monitor.stop()
    """)
    assert out.returncode == 0, out.stderr
    before, _, after = out.stdout.partition("yielding done")
    assert "greensock.monitor" not in before
    assert after.count("greensock.monitor WARNING") == 1 and "the hub greenlet itself" in after
    assert "slow_callback" in after and "time.sleep(0.4)" in after


def test_monitor_stop_ends_its_thread_and_env_var_starts_it():
    out = run_py("""
        import sys, time
        import greensock, greensock.monitor
        time.sleep(0.1)
        ident = greensock.monitor.thread_ident()
        assert greensock.monitor.running() and ident in sys._current_frames()
        greensock.monitor.stop()
        time.sleep(0.2)
        print(greensock.monitor.running(), ident in sys._current_frames())
    """, env={"GREENSOCK_MONITOR": "0.05"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]  # its thread is gone
    bad = run_py("import greensock", env={"GREENSOCK_MONITOR": "soon"})
    assert bad.returncode != 0 and "GREENSOCK_MONITOR must be a number" in bad.stderr
    from greensock import monitor
    with pytest.raises(ValueError, match="threshold"):
        monitor.start(0)


def test_monitor_works_under_patch_all_and_after_fork():
    out = run_py("""
        import logging, os, sys
        from greensock import monkey
        monkey.patch_all()
        import time
        logging.basicConfig(stream=sys.stdout, format="%(name)s %(message)s")
        import greensock, greensock.monitor
        greensock.monitor.start(0.1)
        real_sleep = monkey.get_original("time", "sleep")
        pid = os.fork()
        if pid == 0:
            t = greensock.spawn(lambda: [greensock.sleep(0.05) for _ in range(10)])
            greensock.get_hub().run_callback(real_sleep, 0.4)
            t.join()
            sys.stdout.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent done")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("greensock.monitor the hub") == 1, out.stdout


# -- run info ------------------------------------------------------------------------------------------
def test_run_info_shows_what_each_greenlet_waits_for(poller):
    a, b = greensock.socket.socketpair()
    ev = greensock.event.Event()

    def reader():
        return a.recv(10)

    def napper():
        greensock.sleep(30)

    greenlets = [greensock.spawn(reader), greensock.spawn(ev.wait), greensock.spawn(napper)]
    for g, name in zip(greenlets, ("reader-x", "waiter-x", "napper-x"), strict=True):
        g.name = name
    greensock.sleep(0.01)
    text = "\n".join(greensock.util.format_run_info())
    assert "'reader-x'" in text and f"waiting to read fd {a.fileno()}" in text
    assert "'waiter-x'" in text and "waiting on Event" in text
    assert "'napper-x'" in text and re.search(r"sleeping \((29\.\d|30\.0) s left\)", text)
    assert "greensock.sleep(30)" in text
    assert "hub: poller " + poller in text and "running (this greenlet)" in text
    greensock.killall(greenlets)
    a.close()
    b.close()


def test_run_info_tree_by_spawner(poller):
    tag = f"{poller}-{os.getpid()}"  # other tests' greenlets may still be alive in this process
    children = []

    def parent():
        child = greensock.spawn(greensock.sleep, 30)
        child.name = f"child-{tag}"
        children.append(child)
        greensock.sleep(30)

    p = greensock.spawn(parent)
    p.name = f"parent-{tag}"
    greensock.sleep(0.01)
    lines = greensock.util.format_run_info()
    # (the test's own source lines are in the stacks too: match at the start of a line)
    parent_line = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"- 'parent-{tag}'"))
    child_line = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"- 'child-{tag}'"))
    indent = len(lines[child_line]) - len(lines[child_line].lstrip())
    assert child_line > parent_line and indent > len(lines[parent_line]) - len(lines[parent_line].lstrip())
    greensock.killall([p, *children])


def test_signal_dump_prints_run_info():
    out = run_py("""
        import os, signal
        import greensock, greensock.util
        greensock.util.dump_on_signal(signal.SIGUSR1)
        g = greensock.spawn(greensock.sleep, 30)
        g.name = "stuck-one"
        greensock.sleep(0.01)
        os.kill(os.getpid(), signal.SIGUSR1)
        greensock.sleep(0.05)
    """)
    assert out.returncode == 0, out.stderr
    assert "'stuck-one'" in out.stderr and re.search(r"sleeping \((29\.\d|30\.0) s left\)", out.stderr)
    assert "hub: poller" in out.stderr
    with pytest.raises(TypeError, match="signum"):
        greensock.util.dump_on_signal("USR1")


# -- errors through logging ------------------------------------------------------------------------------
def test_greenlet_error_goes_to_the_greensock_logger(poller, caplog):
    def fail():
        raise KeyError("nope")

    with caplog.at_level(logging.ERROR, logger="greensock"):
        g = greensock.spawn(fail)
        g.name = "failing-z"
        g.join()
        greensock.get_hub().run_callback(lambda: 1 / 0)
        greensock.sleep(0.01)
    records = [r for r in caplog.records if r.name == "greensock"]
    assert len(records) == 2
    assert "'failing-z'" in records[0].getMessage() and records[0].exc_info[0] is KeyError
    assert records[1].exc_info[0] is ZeroDivisionError


def test_greenlet_error_reaches_stderr_once_without_logging_configured():
    out = run_py("""
        import greensock
        def fail():
            raise KeyError("only once")
        g = greensock.spawn(fail)
        g.name = "lonely"
        g.join()
    """)
    assert out.stderr.count("KeyError: 'only once'") == 1 and "'lonely'" in out.stderr


def test_error_reporter_can_be_replaced(poller):
    seen = []
    hub = greensock.get_hub()
    hub.error_reporter = lambda context, exc_type, exc, tb: seen.append((context, exc_type))
    hub.run_callback(lambda: 1 / 0)
    greensock.sleep(0.01)
    assert seen and seen[0][1] is ZeroDivisionError


# -- context variables ------------------------------------------------------------------------------------
request_id = contextvars.ContextVar("request_id", default="none")


def test_context_flows_into_spawned_greenlets_and_not_back(poller):
    seen = []

    def handle(sock, address):
        request_id.set(f"req-{address[1]}")
        inner = greensock.spawn(lambda: seen.append(request_id.get()))
        inner.join()
        pool = greensock.pool.Pool(2)
        pool.spawn(lambda: seen.append("pool " + request_id.get())).join()
        sock.sendall(b"done")

    import greensock.pool
    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    c = greensock.socket.create_connection(server.address)
    port = c.getsockname()[1]
    assert c.recv(10) == b"done"
    assert seen == [f"req-{port}", f"pool req-{port}"]
    assert request_id.get() == "none"  # nothing leaked back into the spawner's context
    c.close()
    server.stop()
