"""greensock.monkey: every scenario runs in a fresh interpreter, since patching is process-wide."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_py(code: str, *args: str, timeout: float = 40, expect_rc: int = 0) -> str:
    """Run ``code`` in a new interpreter; return its stdout, failing with its stderr."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == expect_rc, f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def run_patched(*parts: str, **kwargs) -> str:
    """``run_py`` on ``parts`` (each dedented) after ``patch_all()``, with a ticker greenlet
    appending to ``ticks``."""
    return run_py(PATCHED + "".join(textwrap.dedent(p) for p in parts), **kwargs)


PATCHED = """
from greensock import monkey
monkey.patch_all()
import time, threading, greensock
ticks = []
def _ticker():
    while True:
        time.sleep(0.01)
        ticks.append(1)
greensock.spawn(_ticker)
"""


def test_patch_all_is_idempotent_and_recorded():
    out = run_py("""
        import socket, time, select, threading, os
        std_socket, std_sleep = socket.socket, time.sleep
        from greensock import monkey
        assert not monkey.is_module_patched("socket")
        monkey.patch_all()
        monkey.patch_all()
        monkey.patch_socket()
        import greensock.socket, greensock.hub
        assert socket.socket is greensock.socket.socket
        assert time.sleep is greensock.hub.sleep
        assert monkey.get_original("socket", "socket") is std_socket
        assert monkey.get_original("time", ["sleep"]) == [std_sleep]
        assert monkey.get_original("os", "getpid") is os.getpid  # never patched: the current value
        for name in ("socket", "dns", "time", "select", "selectors", "ssl", "thread", "os", "subprocess",
                     "signal", "queue", "threading"):
            assert monkey.is_module_patched(name), name
        assert monkey.is_object_patched("socket", "getaddrinfo")
        assert monkey.is_object_patched("threading", "Lock")
        assert not monkey.is_object_patched("socket", "inet_aton")
        assert not hasattr(select, "kqueue")
        try:
            monkey.patch_all(socket="yes")
        except TypeError as e:
            print("TypeError:", e)
    """)
    assert "TypeError: socket must be a bool" in out


def test_partial_patch_leaves_the_rest_alone():
    run_py("""
        import socket, time
        sleep = time.sleep
        from greensock import monkey
        monkey.patch_all(time=False, thread=False)
        assert time.sleep is sleep and not monkey.is_module_patched("time")
        assert not monkey.is_module_patched("thread")
        import greensock.socket
        assert socket.socket is greensock.socket.socket
    """)


def test_ssl_imported_too_early_warns_naming_the_modules():
    out = run_py("""
        import warnings
        warnings.simplefilter("always")
        import ssl, http.client
        from greensock import monkey
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            monkey.patch_all()
        [w] = [w for w in caught if issubclass(w.category, monkey.MonkeyPatchWarning)]
        assert issubclass(monkey.MonkeyPatchWarning, RuntimeWarning)
        print(w.message)
        import greensock.ssl
        ctx = ssl.create_default_context()  # an original context still makes cooperative sockets
        assert ctx.sslsocket_class is greensock.ssl.SSLSocket
    """)
    assert "ssl" in out and "http.client" in out


def test_no_warning_when_patched_first():
    out = run_py("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from greensock import monkey
            monkey.patch_all()
            import ssl, http.client
        print(len([w for w in caught if issubclass(w.category, monkey.MonkeyPatchWarning)]))
    """)
    assert out.strip() == "0"


def test_threads_are_greenlets_and_run_concurrently():
    out = run_patched("""
        done = []
        def work(i):
            time.sleep(0.2)
            done.append(i)
        t0 = time.monotonic()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        assert sorted(done) == list(range(100))
        assert elapsed < 2.0, elapsed            # serially: 20 s
        assert len(ticks) >= 5, ticks             # the hub kept turning
        assert threading.current_thread() is threading.main_thread()
        assert threading.current_thread().name == "MainThread"
        assert not any(t.is_alive() for t in threads)
        print("ok", threading.active_count())
    """)
    assert out.split() == ["ok", "1"]


def test_locks_conditions_events_semaphores_cooperate():
    run_patched("""
        import _thread
        lock = threading.Lock()
        assert lock.acquire() and not lock.acquire(False)
        t0 = time.monotonic()
        assert lock.acquire(timeout=0.1) is False
        assert 0.09 < time.monotonic() - t0 < 1.0
        threading.Timer(0.05, lock.release).start()
        assert lock.acquire(timeout=2)               # released by another green thread
        lock.release()
        try:
            lock.acquire(False, 1)
        except ValueError as e:
            assert "non-blocking" in str(e)
        else:
            raise AssertionError("no ValueError")
        try:
            lock.release()
        except RuntimeError:
            pass
        rlock = threading.RLock()
        with rlock, rlock:
            pass
        cond = threading.Condition()
        items = []
        def consumer():
            with cond:
                cond.wait_for(lambda: items)
                items.append("seen")
        c = threading.Thread(target=consumer)
        c.start()
        time.sleep(0.05)
        with cond:
            items.append("x")
            cond.notify()
        c.join(2)
        assert items == ["x", "seen"], items
        sem = threading.BoundedSemaphore(2)
        running, peak = [0], [0]
        def limited():
            with sem:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                time.sleep(0.02)
                running[0] -= 1
        ts = [threading.Thread(target=limited) for _ in range(10)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        assert peak[0] == 2, peak
        ev = threading.Event()
        threading.Timer(0.05, ev.set).start()
        assert ev.wait(2)
        barrier = threading.Barrier(3)
        order = []
        def party(i):
            order.append(barrier.wait())
        ts = [threading.Thread(target=party, args=(i,)) for i in range(3)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        assert sorted(order) == [0, 1, 2]
        assert len(ticks) > 0
    """)


def test_local_is_per_greenlet():
    run_patched("""
        class Ctx(threading.local):
            def __init__(self, tag):
                self.tag = tag
                self.calls = 0
        loc = Ctx("init")
        loc.calls = 5
        seen = {}
        def worker(i):
            assert loc.tag == "init" and loc.calls == 0   # __init__ ran again for this greenlet
            loc.calls = i
            time.sleep(0.01)
            seen[i] = loc.calls
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        assert seen == {i: i for i in range(20)}, seen
        assert loc.calls == 5
        g = greensock.spawn(lambda: getattr(threading.local(), "x", None))
        assert g.get() is None
    """)


def test_deadlock_between_greenlets_is_loopexit_not_a_hang():
    out = run_py("""
        from greensock import monkey
        monkey.patch_all()
        import threading, greensock
        lock = threading.Lock()
        lock.acquire()
        try:
            lock.acquire()
        except greensock.LoopExit as e:
            print("LoopExit", "acquire" in str(e))
    """)
    assert out.split() == ["LoopExit", "True"]


def test_lock_released_by_a_real_thread_wakes_a_greenlet():
    run_patched("""
        from greensock import monkey
        real_start = monkey.get_original("_thread", "start_new_thread")
        lock = threading.Lock()
        lock.acquire()
        def release_later():
            import time as t
            monkey.get_original("time", "sleep")(0.2)
            lock.release()
        real_start(release_later, ())
        t0 = time.monotonic()
        n = len(ticks)
        assert lock.acquire(timeout=5)
        assert 0.15 < time.monotonic() - t0 < 3
        assert len(ticks) - n >= 3     # other greenlets ran while we waited
        lock.release()
    """)


def test_thread_pool_executor_and_queue():
    run_patched("""
        import concurrent.futures, queue
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            t0 = time.monotonic()
            results = list(pool.map(lambda i: (time.sleep(0.2), i * i)[1], range(100)))
        assert results == [i * i for i in range(100)]
        assert time.monotonic() - t0 < 2.0
        for q in (queue.Queue(), queue.LifoQueue(), queue.PriorityQueue(), queue.SimpleQueue()):
            threading.Timer(0.05, q.put, (42,)).start()
            assert q.get(timeout=2) == 42
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
            else:
                raise AssertionError(type(q))
        assert len(ticks) > 0
    """)


def test_socketserver_threading_mixin_serves_concurrently():
    out = run_patched("""
        import socket, socketserver
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline()
                time.sleep(0.3)
                self.wfile.write(line.upper())
        class Server(socketserver.ThreadingTCPServer):
            request_queue_size = 128
        with Server(("127.0.0.1", 0), Handler) as srv:
            port = srv.server_address[1]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            def client(i):
                with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                    c.sendall(b"hello %d\\n" % i)
                    return c.makefile("rb").readline()
            t0 = time.monotonic()
            gs = [greensock.spawn(client, i) for i in range(50)]
            replies = [g.get(timeout=10) for g in gs]
            elapsed = time.monotonic() - t0
            srv.shutdown()
        assert replies == [b"HELLO %d\\n" % i for i in range(50)]
        assert elapsed < 3.0, elapsed       # serially: 15 s
        print("ok", len(ticks) > 10)
    """)
    assert out.split() == ["ok", "True"]


def test_non_daemon_threads_finish_before_exit():
    out = run_py("""
        from greensock import monkey
        monkey.patch_all()
        import threading, time
        def late():
            time.sleep(0.2)
            print("late thread done", flush=True)
        threading.Thread(target=late).start()
        threading.Thread(target=lambda: time.sleep(60), daemon=True).start()
        print("main done", flush=True)
    """)
    assert out.split("\n")[:2] == ["main done", "late thread done"]


def test_thread_exceptions_reach_excepthook():
    out = run_patched("""
        seen = []
        threading.excepthook = lambda args: seen.append((type(args.exc_value).__name__, args.thread.name))
        t = threading.Thread(target=lambda: 1 / 0, name="boom")
        t.start()
        t.join()
        print(seen)
    """)
    assert out.strip() == "[('ZeroDivisionError', 'boom')]"


def test_subprocess_and_waitpid_do_not_block_the_hub():
    out = run_patched("""
        import subprocess, os, sys
        t0 = time.monotonic()
        n = len(ticks)
        procs = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"]) for _ in range(5)]
        assert [p.wait() for p in procs] == [0] * 5
        assert time.monotonic() - t0 < 2.5
        assert len(ticks) - n >= 10, len(ticks) - n
        # communicate() moves more than a pipe buffer each way while the hub keeps turning
        data = os.urandom(1 << 20)
        n = len(ticks)
        out, _ = subprocess.Popen([sys.executable, "-c",
                                   "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()[::-1])"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE).communicate(data, timeout=20)
        assert out == data[::-1]
        try:
            subprocess.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
        except subprocess.TimeoutExpired:
            pass
        pid = os.fork()
        if pid == 0:
            time.sleep(0.3)
            os._exit(7)
        n = len(ticks)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
        assert len(ticks) - n >= 10
        r, w = os.pipe()
        threading.Timer(0.2, os.write, (w, b"x")).start()
        n = len(ticks)
        assert os.read(r, 1) == b"x"          # a pipe read parks only this greenlet
        assert len(ticks) - n >= 5
        print("ok")
    """)
    assert out.strip() == "ok"


def test_fork_child_has_a_working_hub():
    out = run_patched("""
        import os, socket
        a, b = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            def echo():
                b.sendall(b.recv(100).upper())
            g = greensock.spawn(echo)
            time.sleep(0.05)
            g.join(5)
            os._exit(0 if g.successful() else 1)
        a.sendall(b"from parent")
        print(a.recv(100).decode(), os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    """)
    assert out.strip() == "FROM PARENT 0"


def test_signal_handler_may_block_and_its_exception_reaches_main():
    out = run_patched("""
        import os, signal
        got = []
        def handler(signum, frame):
            time.sleep(0.05)               # would be BlockingSwitchOutError in the hub
            got.append(signum)
        assert signal.signal(signal.SIGUSR1, handler) is not None
        assert signal.getsignal(signal.SIGUSR1) is handler
        greensock.spawn_later(0.05, os.kill, os.getpid(), signal.SIGUSR1)
        time.sleep(0.3)
        assert got == [signal.SIGUSR1], got
        def raiser(signum, frame):
            raise RuntimeError("from the handler")
        signal.signal(signal.SIGUSR2, raiser)
        greensock.spawn_later(0.05, os.kill, os.getpid(), signal.SIGUSR2)
        try:
            time.sleep(5)
        except RuntimeError as e:
            print(e)
    """)
    assert out.strip() == "from the handler"


def test_interrupt_main_from_a_green_thread():
    out = run_patched("""
        import _thread
        t = threading.Thread(target=_thread.interrupt_main)
        try:
            t.start()
            t.join()
        except KeyboardInterrupt:
            print("KeyboardInterrupt in main")
        t.join()
    """)
    assert out.strip() == "KeyboardInterrupt in main"


def test_select_poll_epoll_and_selectors_park_only_the_caller():
    run_patched("""
        import select, selectors, socket
        a, b = socket.socketpair()
        threading.Timer(0.2, b.send, (b"x",)).start()
        n = len(ticks)
        assert select.select([a], [], [], 5)[0] == [a]
        assert len(ticks) - n >= 5
        a.recv(1)
        for make in (select.poll, select.epoll):
            p = make()
            p.register(a.fileno(), select.POLLIN)
            threading.Timer(0.1, b.send, (b"y",)).start()
            n = len(ticks)
            events = p.poll(5 if make is select.epoll else 5000)
            assert events and events[0][0] == a.fileno(), events
            assert len(ticks) - n >= 3
            a.recv(1)
            assert p.poll(0) == []
        sel = selectors.DefaultSelector()
        assert type(sel).__module__ == "greensock.selectors"
        sel.register(a, selectors.EVENT_READ, "data")
        threading.Timer(0.1, b.send, (b"z",)).start()
        n = len(ticks)
        [(key, ev)] = sel.select(5)
        assert key.data == "data" and ev == selectors.EVENT_READ
        assert len(ticks) - n >= 3
        t0 = time.monotonic()
        a.recv(1)
        assert sel.select(0.1) == [] and time.monotonic() - t0 >= 0.09
    """)


def test_cli_runs_a_script_fully_patched(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import sys, socket, threading
        from greensock import monkey
        print(__name__, monkey.is_module_patched("socket"), sys.argv[1:], sys.argv[0].endswith("prog.py"))
        raise SystemExit(3)
    """))
    proc = subprocess.run([sys.executable, "-m", "greensock.monkey", str(script), "a", "-b"], capture_output=True,
                          text=True, timeout=30, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == "__main__ True ['a', '-b'] True"


def test_cli_runs_a_module_and_rejects_bad_usage(tmp_path):
    (tmp_path / "progmod.py").write_text("import sys, time\nfrom greensock import monkey\n"
                                         "print(__name__, monkey.is_module_patched('time'), sys.argv[1:])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, str(tmp_path)]))
    proc = subprocess.run([sys.executable, "-m", "greensock.monkey", "-m", "progmod", "x"], capture_output=True,
                          text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "__main__ True ['x']"
    proc = subprocess.run([sys.executable, "-m", "greensock.monkey"], capture_output=True, text=True, timeout=30,
                          env=env)
    assert proc.returncode == 2 and "usage" in proc.stderr


SHORT_CPYTHON_MODULES = ["test_select", "test_poll", "test_epoll", "test_thread", "test_queue", "test_socketserver",
                         "test_httplib", "test_telnetlib", "test_wsgiref"]


@pytest.mark.parametrize("module", SHORT_CPYTHON_MODULES)
def test_cpython_short_modules_pass_patched(module, tmp_path):
    """The stdlib runner on CPython's short test modules: no unexpected failure, no hang."""
    if importlib.util.find_spec("test.support") is None:
        pytest.skip("this Python was installed without its test package")
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-m", "greensock.testing.stdlib", module, "--json", str(out),
                           "--hang-after", "30"], capture_output=True, text=True, timeout=240,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [result] = json.loads(out.read_text())["results"]
    if "absent" in result:
        pytest.skip(result["absent"])
    assert result["hung"] == 0 and not result["unexpected"], result
    assert result["passed"] > 0


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool_map_imap_apply_and_terminate(method, tmp_path):
    script = tmp_path / "pool_script.py"  # spawn needs an importable main module
    script.write_text(textwrap.dedent("""
        from greensock import monkey
        monkey.patch_all()
        import multiprocessing, sys

        def square(x):
            return x * x

        if __name__ == "__main__":
            ctx = multiprocessing.get_context(sys.argv[1])
            with ctx.Pool(2) as pool:  # leaving the block terminates the pool
                print(pool.map(square, range(10)), list(pool.imap(square, range(4))),
                      pool.apply_async(square, (7,)).get(timeout=30))
            pool = ctx.Pool(2)
            print(sorted(pool.imap_unordered(square, range(5))))
            pool.close()
            pool.join()
            print("done")
    """))
    out = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["[0, 1, 4, 9, 16, 25, 36, 49, 64, 81] [0, 1, 4, 9] 49",
                                          "[0, 1, 4, 9, 16]", "done"]


def test_multiprocessing_lock_parks_only_the_waiting_greenlet():
    out = run_patched("""
        import multiprocessing
        lock = multiprocessing.Lock()
        lock.acquire()
        def waiter():
            with lock:  # contended: parks this greenlet, the hub keeps turning
                return "got it"
        w = greensock.spawn(waiter)
        greensock.sleep(0.3)
        n = len(ticks)
        lock.release()
        print(n >= 3, w.get(timeout=10), lock.acquire(timeout=0.1) and "free again")
    """)
    assert out.split("\n")[0] == "True got it free again"


def test_no_traceback_at_exit_from_finalizers_taking_locks():
    proc = subprocess.run([sys.executable, "-X", "dev", "-c", textwrap.dedent("""
        from greensock import monkey
        monkey.patch_all()
        import logging, threading
        handler = logging.StreamHandler()
        class TakesALock:
            def __del__(self):
                with threading.RLock():
                    pass
        kept = TakesALock()
    """)], capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
