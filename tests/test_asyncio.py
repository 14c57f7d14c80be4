"""asyncio on the hub: asyncio.run() in many greenlets, and the green/coroutine bridge."""
import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_py(code: str, timeout: float = 60) -> str:
    """Run ``code`` (from a file, in a fresh interpreter); its stdout, failing with stderr."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(textwrap.dedent(code))
    try:
        out = subprocess.run([sys.executable, f.name], capture_output=True, text=True, timeout=timeout,
                             env=dict(os.environ, PYTHONPATH=ROOT))
    finally:
        os.unlink(f.name)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_asyncio_run_in_concurrent_greenlets_and_green_threads():
    out = run_py("""
        from greensock import monkey
        monkey.patch_all()
        import asyncio, threading, time
        import greensock

        async def work(name):
            got = []
            for i in range(5):
                await asyncio.sleep(0.05)
                got.append(f"{name}{i}")
            assert asyncio.current_task() is not None and asyncio.get_running_loop()
            return got

        results = {}
        def in_thread(name):
            results[name] = asyncio.run(work(name))

        start = time.monotonic()
        greenlets = [greensock.spawn(asyncio.run, work(n)) for n in "ab"]
        threads = [threading.Thread(target=in_thread, args=(n,)) for n in "cd"]
        for t in threads:
            t.start()
        ticks = []
        ticker = greensock.spawn(lambda: [ticks.append(greensock.sleep(0.02)) for _ in range(10)])
        greensock.joinall(greenlets + [ticker], raise_error=True)
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        print(greenlets[0].value[-1], greenlets[1].value[-1], results["c"][-1], results["d"][-1])
        print(elapsed < 0.25 * 4 * 0.8, len(ticks))
    """)
    first, second = out.splitlines()[:2]
    assert first == "a4 b4 c4 d4"
    assert second == "True 10"  # four loops of 0.25 s each ran together, and the hub kept turning


def test_green_code_awaits_aiohttp_while_a_green_server_answers():
    pytest.importorskip("aiohttp", reason="aiohttp is not installed")
    pytest.importorskip("httptools", reason="the http extra is not installed")
    out = run_py("""
        import asyncio, time
        import aiohttp
        import greensock, greensock.asyncio
        from greensock.wsgi import WSGIServer

        def app(environ, start_response):
            greensock.sleep(0.2)  # a slow green server
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["PATH_INFO"].encode()]

        server = WSGIServer(("127.0.0.1", 0), app, log=None, backlog=256)
        server.start()
        url = f"http://127.0.0.1:{server.server_port}"

        async def fetch(session, i):
            async with session.get(f"{url}/item{i}") as response:
                return await response.text()

        async def fetch_many(n):
            async with aiohttp.ClientSession() as session:
                return await asyncio.gather(*(fetch(session, i) for i in range(n)))

        start = time.monotonic()
        callers = [greensock.spawn(greensock.asyncio.wait, fetch_many(10)) for _ in range(3)]
        greensock.joinall(callers, raise_error=True)
        elapsed = time.monotonic() - start
        print(sorted(callers[0].value) == sorted(f"/item{i}" for i in range(10)), elapsed < 1.5)
        server.stop()
    """)
    assert out.split() == ["True", "True"]  # 30 requests of 0.2 s, all at once


def test_coroutines_call_green_code_and_errors_and_timeouts_cross_over():
    out = run_py("""
        import asyncio
        import greensock, greensock.asyncio
        from greensock import socket

        def green_fetch(port):
            with socket.create_connection(("127.0.0.1", port)) as c:
                c.sendall(b"ping")
                return c.recv(10)

        def echo_once(listener):
            conn, _ = listener.accept()
            conn.sendall(conn.recv(10))
            conn.close()

        async def main(port):
            return await greensock.asyncio.green(green_fetch, port)

        listener = socket.create_server(("127.0.0.1", 0))
        greensock.spawn(echo_once, listener)
        print(greensock.asyncio.wait(main(listener.getsockname()[1])))

        async def fails():
            raise KeyError("inside")
        try:
            greensock.asyncio.wait(fails())
        except KeyError as e:
            print("raised", e)
        try:
            greensock.asyncio.wait(asyncio.sleep(10), timeout=0.05)
        except greensock.Timeout:
            print("timed out")
        async def from_green_error():
            def boom():
                raise ValueError("green")
            try:
                await greensock.asyncio.green(boom)
            except ValueError as e:
                return str(e)
        print(greensock.asyncio.wait(from_green_error()))
        try:
            greensock.asyncio.wait("not a coroutine")
        except TypeError as e:
            print("TypeError", "coro" in str(e))
        print(greensock.get_hub().join(timeout=5))
    """)
    assert out.splitlines() == ["b'ping'", "raised 'inside'", "timed out", "green", "TypeError True", "True"]
