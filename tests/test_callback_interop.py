"""Callback-style and green code on one hub, in one process, in both directions."""
import signal
import subprocess
import sys
from pathlib import Path

from callback_helpers import Recorder, wait_for

import greensock
from greensock import socket
from greensock.callback import Loop, Stream, TCPClient, TCPServer
from greensock.server import StreamServer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_callback_server_with_green_clients(poller):
    loop = Loop()

    def on_accept(client):
        def on_read(stream, buffer, eof):
            stream.write(bytes(buffer).upper())
            del buffer[:]
            return False
        loop.add(Stream(handle=client, on_read=on_read, autoflush=True))

    listener = loop.listen(host="127.0.0.1", service=0, on_accept=on_accept)

    def green_client(i):
        with socket.create_connection(listener.sockname()) as c:
            for j in range(10):
                msg = b"green %d %d" % (i, j)
                c.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    got += c.recv(100)
                assert got == msg.upper()
        return i

    clients = [greensock.spawn(green_client, i) for i in range(30)]
    greensock.joinall(clients, timeout=20, raise_error=True)
    assert sorted(c.value for c in clients) == list(range(30))
    listener.close()


def test_green_server_with_tcpclient_clients(poller):
    def handle(sock, address):
        f = sock.makefile("rwb")
        for line in f:
            f.write(line[::-1].strip() + b"\r\n")
            f.flush()

    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    rec = Recorder()
    clients = [TCPClient(remote_address="127.0.0.1", remote_port=server.server_port, server_input=rec("input"),
                         connected=lambda c, *a, i=i: c.put(f"client{i}")) for i in range(10)]
    wait_for(lambda: len(rec.of("input")) == 10)
    assert sorted(r[1] for r in rec.of("input")) == sorted(f"client{i}"[::-1] for i in range(10))
    for c in clients:
        c.shutdown()
    server.stop()


def test_callback_may_spawn_greenlets_that_block(poller):
    rec = Recorder()

    def slow_reply(session, line):
        greensock.sleep(0.01)  # allowed: this runs in a greenlet
        session.put(f"slow {line}")

    server = TCPServer(address="127.0.0.1", client_input=lambda s, line: greensock.spawn(slow_reply, s, line))
    TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
              connected=lambda c, *a: c.put("hi"))
    wait_for(lambda: rec.of("input"))
    assert rec.of("input")[0][1] == "slow hi"
    server.shutdown()


def run(*args, timeout=60):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=EXAMPLES.parent)


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
