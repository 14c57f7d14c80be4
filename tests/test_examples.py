"""Every runnable example runs and says what it should."""
import signal
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args, timeout=60):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=EXAMPLES.parent)


def test_greenlet_demo():
    r = run(str(EXAMPLES / "greenlet_demo.py"))
    assert r.returncode == 0, r.stderr
    assert "9 steps in" in r.stdout and r.stdout.count("step") >= 9


def test_echo_server_demo():
    r = run(str(EXAMPLES / "echo_server.py"), "--demo")
    assert r.returncode == 0, r.stderr
    assert "100 clients echoed 10000 messages" in r.stdout


def test_echo_server_serves_plain_clients_until_ctrl_c():
    import socket
    p = subprocess.Popen([sys.executable, str(EXAMPLES / "echo_server.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        port = int(line.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"ping\n")
            assert c.recv(100) == b"ping\n"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=10)
        assert "bye" in out
    finally:
        if p.poll() is None:
            p.kill()


def test_fetch_many():
    start = time.monotonic()
    r = run(str(EXAMPLES / "fetch_many.py"), "100")
    assert r.returncode == 0, r.stderr
    assert "fetched 100 URLs" in r.stdout
    assert time.monotonic() - start < 30


def test_examples_directory_has_no_untested_script():
    tested = {"greenlet_demo.py", "echo_server.py", "fetch_many.py", "chat_server.py",
              "callback_echo_server.py", "tcp_client.py", "eventsocket_echo.py", "wsgi_hello.py",
              "websocket_chat.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} <= tested


def test_example_tcp_client():
    r = run(str(EXAMPLES / "tcp_client.py"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["from server: HTTP/1.0 200 OK", "from server: Server: greensock example",
                                     "from server: "]


def test_example_eventsocket_echo_demo():
    r = run(str(EXAMPLES / "eventsocket_echo.py"), "--demo")
    assert r.returncode == 0, r.stderr
    assert "20 green clients echoed 1000 lines through EventSocket" in r.stdout


def test_example_callback_echo_server_with_nc_style_clients():
    import socket as std_socket
    p = subprocess.Popen([sys.executable, str(EXAMPLES / "callback_echo_server.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline().rsplit(":", 1)[1])
        for i in range(3):
            with std_socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(b"line %d\n" % i)
                assert c.recv(100) == b"line %d\n" % i
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=10)
        assert "bye" in out
    finally:
        if p.poll() is None:
            p.kill()


def test_wsgi_hello_demo():
    r = run(str(EXAMPLES / "wsgi_hello.py"), "--demo")
    assert r.returncode == 0, r.stderr
    assert "200 of 200 slow requests answered" in r.stdout


def test_websocket_chat_demo():
    r = run(str(EXAMPLES / "websocket_chat.py"), "--demo")
    assert r.returncode == 0, r.stderr
    everyone = "['ann: hello from ann', 'bob: hello from bob', 'cid: hello from cid']"
    assert r.stdout.count(everyone) == 3, r.stdout


def test_echo_server_help_and_bad_arguments():
    r = run(str(EXAMPLES / "echo_server.py"), "--help")
    assert r.returncode == 0 and "--demo" in r.stdout
    r = run(str(EXAMPLES / "echo_server.py"), "not-a-port")
    assert r.returncode == 2 and "--demo" in r.stdout


def test_python_m_greensock_reports_version_poller_and_patches():
    import greensock
    r = run("-m", "greensock")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"greensock {greensock.__version__}"
    assert "poller: " in r.stdout and "patched: nothing" in r.stdout
    r = run("-m", "greensock.monkey", "-m", "greensock")
    assert "patched: socket, dns, time" in r.stdout


TUTORIAL = {
    "step1_clients.py": "50 answers in",
    "step2_timeouts.py": "silent client got b''",
    "step3_patching.py": "20 requests of 0.3 s in",
    "step4_wsgi.py": "GET /tutorial",
}


def test_every_tutorial_step_runs():
    assert {p.name for p in (EXAMPLES / "tutorial").glob("*.py")} == set(TUTORIAL)
    for name, expected in TUTORIAL.items():
        r = run(str(EXAMPLES / "tutorial" / name))
        assert r.returncode == 0 and expected in r.stdout, (name, r.stdout, r.stderr)
