"""Every test runs on a fresh hub; ``poller`` tests run once per poller backend."""
import shutil
import signal
import socket
import subprocess
import time

import pytest

import greensock
from greensock._core.poller import available

# Started as a background job, this process may have inherited SIGINT ignored, and so would
# every child it starts. The tests that press Ctrl-C need it delivered: give it a handler
# (reset to the default in children at exec, unlike an ignored signal).
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def fresh_hub():
    """Give each test its own hub and destroy it afterwards."""
    yield
    hub = greensock.current_hub()
    if hub is not None:
        hub.destroy()


@pytest.fixture(params=available())
def poller(request):
    """Install a hub using each available poller backend in turn."""
    greensock.set_hub(greensock.Hub(poller=request.param))
    return request.param


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, stopped after the test."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (.ci/run installs it with apt-get)")
    pytest.importorskip("redis", reason="redis-py is not installed (it is in the test extra)")
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("redis-server did not start")
    yield port
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
