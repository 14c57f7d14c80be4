"""The benchmark tools work: the C load generator verifies echoes against greensock servers.

Only correctness is checked here (every byte echoed, no errors); speed is measured by
benchmarks/run.py, never asserted in a test.
"""
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler to build the load generator")


@pytest.fixture(scope="module")
def loadgen(tmp_path_factory):
    out = tmp_path_factory.mktemp("bin") / "loadgen"
    subprocess.run(["cc", "-O2", "-o", str(out), str(BENCH / "loadgen.c")], check=True, timeout=120)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(script):
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(BENCH / "servers" / script), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"{script} did not start: {proc.stderr.read()}")


@pytest.mark.parametrize("script", ["greensock_streamserver.py", "greensock_monitored.py", "greensock_spawn.py",
                                    "greensock_callback.py", "greensock_eventsocket.py"])
@pytest.mark.parametrize("mode,conns,size", [("pingpong", 20, 64), ("pingpong", 4, 16384), ("connrate", 10, 64)])
def test_greensock_echo_servers_echo_every_byte(loadgen, script, mode, conns, size):
    proc, port = serving(script)
    try:
        out = subprocess.run([str(loadgen), mode, "127.0.0.1", str(port), str(conns), str(size), "0.3", "0.1"],
                             capture_output=True, text=True, timeout=30)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["errors"] == 0 and result["per_s"] > 0
    finally:
        proc.kill()
        proc.wait()


def test_hold_mode_keeps_idle_connections(loadgen):
    proc, port = serving("greensock_streamserver.py")
    try:
        hold = subprocess.Popen([str(loadgen), "hold", "127.0.0.1", str(port), "50", "0", "2", "0"],
                                stdout=subprocess.PIPE, text=True)
        assert hold.stdout.readline().strip() == "held 50"
        hold.kill()
        hold.wait()
    finally:
        proc.kill()
        proc.wait()
