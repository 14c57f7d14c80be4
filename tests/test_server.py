"""StreamServer and DatagramServer over loopback; EMFILE survival; serving on every core."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import greensock
from greensock import sleep, socket, spawn
from greensock.event import Event
from greensock.pool import Pool
from greensock.server import DatagramServer, StreamServer, parse_address

ROOT = Path(__file__).resolve().parent.parent


def echo(sock, address):
    while True:
        data = sock.recv(65536)
        if not data:
            return
        sock.sendall(data)


def talk(address, msg=b"ping"):
    with socket.create_connection(address, timeout=10) as c:
        c.sendall(msg)
        return c.recv(65536)


def test_stream_server_echo_and_properties(poller):
    with StreamServer(("127.0.0.1", 0), echo) as server:
        assert server.started and server.server_host == "127.0.0.1" and server.server_port > 0
        results = [spawn(talk, server.address, b"m%d" % i) for i in range(50)]
        greensock.joinall(results, raise_error=True)
        assert [g.value for g in results] == [b"m%d" % i for i in range(50)]
    assert server.closed and not server.started


def test_listener_forms():
    assert parse_address("127.0.0.1:80") == ("127.0.0.1", 80)
    assert parse_address(":80") == ("0.0.0.0", 80)
    assert parse_address("[::1]:80") == ("::1", 80)
    assert parse_address(8080) == ("0.0.0.0", 8080)
    with pytest.raises(ValueError, match="listener"):
        parse_address("no-port")
    with pytest.raises(TypeError, match="listener"):
        StreamServer(3.5, echo)
    with pytest.raises(TypeError, match="handle"):
        StreamServer(("127.0.0.1", 0), "not callable")
    with pytest.raises(ValueError, match="backlog"):
        StreamServer(("127.0.0.1", 0), echo, backlog=-1)
    with pytest.raises(TypeError, match="spawn"):
        StreamServer(("127.0.0.1", 0), echo, spawn="lots")
    with pytest.raises(ValueError, match="spawn"):
        StreamServer(("127.0.0.1", 0), echo, spawn=0)
    with pytest.raises(TypeError, match="ssl_context"):
        StreamServer(("127.0.0.1", 0), echo, ssl_context="tls please")


def test_existing_listening_socket_standard_or_green():
    import socket as std_socket
    for make in (std_socket.create_server, socket.create_server):
        listener = make(("127.0.0.1", 0))
        with StreamServer(listener, echo) as server:
            assert isinstance(server.socket, socket.socket)
            assert talk(server.address) == b"ping"


@pytest.mark.parametrize("spawn_arg", [3, "pool", "callable"])
def test_concurrency_bound_by_a_pool(poller, spawn_arg):
    active, peak = [], []
    release = Event()

    def handler(sock, address):
        active.append(1)
        peak.append(len(active))
        release.wait()
        sock.sendall(b"done")
        active.pop()

    if spawn_arg == "pool":
        spawn_arg = Pool(3)
    elif spawn_arg == "callable":
        pool = Pool(3)
        spawn_arg = pool.spawn
    with StreamServer(("127.0.0.1", 0), handler, spawn=spawn_arg) as server:
        clients = [spawn(lambda: socket.create_connection(server.address).recv(10)) for _ in range(8)]
        sleep(0.1)
        assert len(active) == 3
        release.set()
        greensock.joinall(clients, timeout=10, raise_error=True)
        assert [c.value for c in clients] == [b"done"] * 8
        assert max(peak) == 3


def test_graceful_stop_lets_the_handler_finish_and_refuses_new_connections(poller):
    in_handler = Event()
    finished = []

    def handler(sock, address):
        in_handler.set()
        sleep(0.2)
        sock.sendall(b"finished")
        finished.append(1)

    server = StreamServer(("127.0.0.1", 0), handler)
    server.start()
    address = server.address
    client = spawn(lambda: socket.create_connection(address).recv(100))
    in_handler.wait(5)
    stopper = spawn(server.stop, timeout=5)
    sleep(0.01)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=2)
    stopper.join(timeout=10)
    assert client.get(timeout=5) == b"finished" and finished == [1]


def test_stop_timeout_kills_stragglers(poller):
    cleaned = []

    def stuck(sock, address):
        try:
            sleep(60)
        finally:
            cleaned.append(1)

    server = StreamServer(("127.0.0.1", 0), stuck)
    server.start()
    c = socket.create_connection(server.address)
    sleep(0.05)
    start = time.monotonic()
    server.stop(timeout=0.1)
    assert cleaned == [1] and len(server.pool) == 0
    assert time.monotonic() - start < 5
    assert c.recv(10) == b""  # the server closed the connection
    c.close()


def test_udp_echo(poller):
    server = DatagramServer("127.0.0.1:0", lambda data, addr: server.sendto(data[::-1], addr))
    server.start()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(5)
    for word in (b"abc", b"hello", b"x" * 1000):
        client.sendto(word, server.address)
        assert client.recvfrom(2048)[0] == word[::-1]
    server.stop()
    client.close()


def test_tls_server(tmp_path):
    import shutil
    import ssl as std_ssl
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed, so no test certificate can be made")
    cert, key = str(tmp_path / "c.pem"), str(tmp_path / "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    ctx = std_ssl.SSLContext(std_ssl.PROTOCOL_TLS_SERVER)  # a standard context works too
    ctx.load_cert_chain(cert, key)
    from greensock import ssl as gssl
    with StreamServer(("127.0.0.1", 0), echo, ssl_context=ctx) as server:
        cctx = gssl.create_default_context(cafile=cert)

        def client(i):
            with cctx.wrap_socket(socket.create_connection(server.address), server_hostname="localhost") as c:
                c.sendall(b"secure %d" % i)
                return c.recv(100)

        clients = [spawn(client, i) for i in range(5)]
        greensock.joinall(clients, timeout=30, raise_error=True)
        assert [c.value for c in clients] == [b"secure %d" % i for i in range(5)]


EMFILE_SERVER = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
    from greensock.server import StreamServer
    def echo(sock, address):
        while True:
            data = sock.recv(100)
            if not data:
                return
            sock.sendall(data)
    server = StreamServer(("127.0.0.1", 0), echo, backlog=512)
    server.init_socket()
    print(server.server_port, flush=True)
    server.serve_forever()
""")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_emfile_survival_with_low_cpu_while_backing_off():
    import socket as std_socket
    p = subprocess.Popen([sys.executable, "-c", EMFILE_SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT)
    clients = []
    try:
        port = int(p.stdout.readline())
        for _ in range(80):  # twice the server's descriptor limit
            clients.append(std_socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.3)
        cpu_before, wall_before = _cpu_seconds(p.pid), time.monotonic()
        time.sleep(1.0)
        cpu_share = (_cpu_seconds(p.pid) - cpu_before) / (time.monotonic() - wall_before)
        assert cpu_share < 0.5, f"the server spun at {cpu_share:.0%} CPU while out of descriptors"
        for c in clients:
            c.close()
        clients = []
        with std_socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(b"alive")
            assert c.recv(100) == b"alive"
        assert p.poll() is None
    finally:
        for c in clients:
            c.close()
        p.kill()
        _, err = p.communicate(timeout=10)
    assert "backing off" in err and err.count("backing off") <= 3


def _start_multiprocess(processes=2):
    handler = ROOT / "tests" / "pid_handler.py"
    assert handler.exists()
    p = subprocess.Popen([sys.executable, "-m", "greensock.serve", "pid_handler:handle", "--bind", "127.0.0.1:0",
                          "--processes", str(processes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT / "tests")
    line = p.stdout.readline()
    port = int(line.split("127.0.0.1:")[1].split()[0])
    return p, port


def _pids_seen(port, n=60):
    import socket as std_socket
    pids = set()
    for _ in range(n):
        with std_socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(b"?")
            pids.add(int(c.recv(100)))
    return pids


def test_multiprocess_workers_serve_restart_and_stop():
    p, port = _start_multiprocess(3)
    try:
        deadline = time.monotonic() + 20
        pids = set()
        while len(pids) < 3 and time.monotonic() < deadline:
            pids |= _pids_seen(port)
        assert len(pids) == 3, pids
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        replaced = set()
        while time.monotonic() < deadline + 10:
            replaced = _pids_seen(port, 30)
            if len(replaced - pids) >= 1 and victim not in replaced:
                break
            time.sleep(0.1)
        assert victim not in replaced and replaced - pids, (pids, replaced)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
        assert p.returncode == 0
        import socket as std_socket
        with pytest.raises(OSError):
            std_socket.create_connection(("127.0.0.1", port), timeout=2)
        for pid in pids | replaced:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def test_serve_command_line_errors():
    r = subprocess.run([sys.executable, "-m", "greensock.serve", "no_colon"], capture_output=True, text=True,
                       timeout=30, cwd=ROOT)
    assert r.returncode == 2 and "module:name" in r.stderr


def test_serve_forever_processes_rejects_bad_counts():
    server = StreamServer(("127.0.0.1", 0), echo)
    with pytest.raises(ValueError, match="processes"):
        server.serve_forever(processes=0)
    server.close()


def test_chat_server_example_with_several_clients():
    p = subprocess.Popen([sys.executable, str(ROOT / "examples" / "chat_server.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    import socket as std_socket
    try:
        port = int(p.stdout.readline().split("127.0.0.1:")[1].split()[0])
        users = [std_socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
        files = [u.makefile("r", encoding="utf-8") for u in users]
        assert all(f.readline().startswith("welcome") for f in files)
        assert files[0].readline().strip() == "* guest2 joined"
        assert files[0].readline().strip() == "* guest3 joined"
        assert files[1].readline().strip() == "* guest3 joined"
        users[0].sendall(b"/nick alice\n")
        assert files[0].readline().strip() == "* you are alice"
        for f in files[1:]:
            assert f.readline().strip() == "* guest1 is now alice"
        users[0].sendall(b"hello all\n")
        for f in files[1:]:
            assert f.readline().strip() == "<alice> hello all"
        users[1].sendall(b"/who\n")
        assert files[1].readline().strip() == "* here: alice, guest2, guest3"
        users[2].sendall(b"/quit\n")
        assert files[2].readline() == ""
        for f in files[:2]:
            assert f.readline().strip() == "* guest3 left"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=10)
        assert "bye" in out
    finally:
        if p.poll() is None:
            p.kill()
