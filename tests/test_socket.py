"""Cooperative sockets over real loopback, on every poller backend."""
import errno
import hashlib
import os
import socket as std_socket
import threading
import time

import pytest

import greensock
from greensock import sleep, socket, spawn


def echo_server(family=socket.AF_INET, host="127.0.0.1"):
    """A green echo server; returns (listener, address, greenlet)."""
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(128)

    def handle(c):
        with c:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(data)

    def serve():
        while True:
            c, _ = srv.accept()
            spawn(handle, c)

    return srv, srv.getsockname(), spawn(serve)


def test_module_mirrors_the_standard_module_name_for_name():
    missing = [name for name in std_socket.__all__ if not hasattr(socket, name)]
    assert missing == []
    assert issubclass(socket.socket, std_socket.socket)
    assert socket.timeout is TimeoutError


def test_many_concurrent_connections_one_thread(poller):
    srv, addr, server = echo_server()
    results = {}

    def client(i):
        with socket.create_connection(addr) as c:
            for j in range(5):
                msg = f"client {i} message {j}".encode()
                c.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    got += c.recv(100)
                assert got == msg
        results[i] = True

    clients = [spawn(client, i) for i in range(200)]
    greensock.joinall(clients, timeout=20, raise_error=True)
    assert len(results) == 200
    server.kill()
    srv.close()


def test_large_payloads_both_directions_with_partial_writes(poller):
    size = 24 * 1024 * 1024
    up = os.urandom(size)
    down = os.urandom(size)
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)

    def receive(sock, n):
        h = hashlib.sha256()
        got = 0
        while got < n:
            chunk = sock.recv(1 << 20)
            assert chunk
            h.update(chunk)
            got += len(chunk)
        return h.hexdigest()

    g1 = spawn(a.sendall, up)
    g2 = spawn(b.sendall, down)
    r1 = spawn(receive, b, size)
    r2 = spawn(receive, a, size)
    greensock.joinall([g1, g2, r1, r2], timeout=60, raise_error=True)
    assert r1.value == hashlib.sha256(up).hexdigest()
    assert r2.value == hashlib.sha256(down).hexdigest()
    a.close()
    b.close()


def test_tcp_large_payload_with_makefile_and_recv_into(poller):
    srv, addr, server = echo_server()
    payload = os.urandom(8 * 1024 * 1024)
    with socket.create_connection(addr) as c:
        spawn(c.sendall, payload)
        buf = bytearray(len(payload))
        view = memoryview(buf)
        got = 0
        while got < len(payload):
            got += c.recv_into(view[got:], min(65536, len(payload) - got))
        assert buf == payload
    server.kill()
    srv.close()


def test_timeouts_follow_the_standard_library(poller):
    a, b = socket.socketpair()
    assert a.gettimeout() is None and a.getblocking()
    a.settimeout(0.05)
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out"):
        a.recv(10)
    assert 0.04 < time.monotonic() - start < 2
    a.setblocking(False)
    assert a.gettimeout() == 0.0 and a.timeout == 0.0
    with pytest.raises(BlockingIOError):
        a.recv(10)
    b.send(b"now")
    sleep(0.01)
    assert a.recv(10) == b"now"  # a non-blocking socket always tries the syscall
    with pytest.raises(ValueError):
        a.settimeout(-1)
    with pytest.raises(TypeError, match="timeout"):
        a.settimeout("1")
    a.close()
    b.close()


def test_default_timeout_applies_to_new_sockets():
    socket.setdefaulttimeout(0.5)
    try:
        s = socket.socket()
        assert s.gettimeout() == 0.5
        s.close()
    finally:
        socket.setdefaulttimeout(None)


def test_connect_timeout_against_a_full_backlog(poller):
    srv = std_socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    fillers = []
    try:
        with pytest.raises((TimeoutError, OSError)) as info:
            for _ in range(64):
                c = socket.socket()
                c.settimeout(0.2)
                fillers.append(c)
                c.connect(srv.getsockname())
        if not isinstance(info.value, TimeoutError):
            pytest.skip(f"the kernel refused instead of dropping SYNs: {info.value}")
    finally:
        for c in fillers:
            c.close()
        srv.close()


def test_refused_connect_reports_errno(poller):
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    addr = s.getsockname()
    s.close()
    c = socket.socket()
    with pytest.raises(ConnectionRefusedError) as info:
        c.connect(addr)
    assert info.value.errno == errno.ECONNREFUSED
    c.close()
    c = socket.socket()
    assert c.connect_ex(addr) == errno.ECONNREFUSED
    c.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(addr, timeout=2)


def test_peer_reset_reaches_the_reader(poller):
    srv = socket.create_server(("127.0.0.1", 0))
    c = socket.create_connection(srv.getsockname())
    s, _ = srv.accept()

    def reader():
        return c.recv(10)

    g = spawn(reader)
    sleep(0.01)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    g.join(timeout=5)
    assert isinstance(g.exception, ConnectionResetError)
    c.close()
    srv.close()


def test_half_close(poller):
    a, b = socket.socketpair()
    a.sendall(b"request")
    a.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = b.recv(100)
        if not chunk:
            break
        data += chunk
    assert data == b"request"
    b.sendall(b"reply after EOF")
    assert a.recv(100) == b"reply after EOF"
    a.close()
    b.close()


def test_eof_is_seen_after_a_short_read(poller):
    a, b = socket.socketpair()
    b.sendall(b"last words")
    b.close()
    assert a.recv(100) == b"last words"
    assert a.recv(100) == b""
    a.close()


def test_close_wakes_waiters_with_ebadf(poller):
    a, b = socket.socketpair()
    g = spawn(a.recv, 10)
    sleep(0.01)
    a.close()
    g.join(timeout=2)
    assert isinstance(g.exception, OSError) and g.exception.errno == errno.EBADF
    b.close()


def test_two_readers_get_a_clear_error(poller):
    a, b = socket.socketpair()
    g = spawn(a.recv, 10)
    sleep(0.01)
    with pytest.raises(greensock.ConcurrentObjectUseError):
        a.recv(10)
    b.send(b"x")
    assert g.get(timeout=2) == b"x"
    a.close()
    b.close()


def test_udp_send_and_receive(poller):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def serve():
        for _ in range(3):
            data, addr = server.recvfrom(1024)
            server.sendto(data.upper(), addr)

    g = spawn(serve)
    for word in (b"one", b"two", b"three"):
        client.sendto(word, server.getsockname())
        data, addr = client.recvfrom(1024)
        assert data == word.upper() and addr == server.getsockname()
    g.join(timeout=2)
    buf = bytearray(10)
    client.sendto(b"into", ("localhost", client.getsockname()[1]))
    n, _ = client.recvfrom_into(buf)
    assert buf[:n] == b"into"
    server.close()
    client.close()


def test_af_unix_stream(poller, tmp_path):
    path = str(tmp_path / "sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen()

    def serve():
        c, _ = srv.accept()
        with c:
            c.sendall(c.recv(100)[::-1])

    g = spawn(serve)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        c.sendall(b"abc")
        assert c.recv(100) == b"cba"
    g.join(timeout=2)
    srv.close()


def test_sendmsg_recvmsg_pass_fds(poller):
    a, b = socket.socketpair()
    r, w = os.pipe()
    spawn(a.sendmsg, [b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, r.to_bytes(4, "little"))])
    msg, anc, flags, addr = b.recvmsg(10, socket.CMSG_SPACE(4))
    assert msg == b"fd" and anc[0][1] == socket.SCM_RIGHTS
    passed = int.from_bytes(anc[0][2][:4], "little")
    os.write(w, b"through")
    assert os.read(passed, 10) == b"through"
    for fd in (r, w, passed):
        os.close(fd)
    a.close()
    b.close()


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 in this Python")
def test_ipv6_loopback(poller):
    try:
        srv, addr, server = echo_server(socket.AF_INET6, "::1")
    except OSError as e:
        pytest.skip(f"::1 is not configured here: {e}")
    with socket.create_connection(("::1", addr[1])) as c:
        c.sendall(b"six")
        assert c.recv(10) == b"six"
    server.kill()
    srv.close()


def test_makefile_line_reading(poller):
    a, b = socket.socketpair()
    spawn(lambda: [b.sendall(f"line {i}\n".encode()) or sleep(0) for i in range(50)] and b.close())
    with a.makefile("r", encoding="ascii") as f:
        lines = f.readlines()
    assert lines == [f"line {i}\n" for i in range(50)]
    a.close()


def test_sendfile(poller, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "payload.bin"
    path.write_bytes(data)
    a, b = socket.socketpair()

    def receive():
        got = bytearray()
        while len(got) < len(data):
            got += b.recv(1 << 20)
        return bytes(got)

    r = spawn(receive)
    with open(path, "rb") as f:
        assert a.sendfile(f) == len(data)
        assert f.tell() == len(data)
    assert r.get(timeout=20) == data
    a.close()
    b.close()


def test_dup_fromfd_and_detach(poller):
    a, b = socket.socketpair()
    d = a.dup()
    assert isinstance(d, socket.socket)
    f = socket.fromfd(b.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
    d.sendall(b"via dup")
    assert f.recv(100) == b"via dup"
    fd = d.detach()
    os.close(fd)
    for s in (a, b, f):
        s.close()


def test_accept_timeout_and_inheritance(poller):
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.05)
    with pytest.raises(TimeoutError):
        srv.accept()
    c = socket.create_connection(srv.getsockname())
    s, _ = srv.accept()
    assert isinstance(s, socket.socket) and s.gettimeout() is None
    for x in (c, s, srv):
        x.close()


def test_standard_socket_is_unaffected():
    s = std_socket.socket()
    assert not isinstance(s, socket.socket) and s.gettimeout() is None
    s.close()


def test_ticker_keeps_ticking_during_dns_and_thread_work():
    hub = greensock.get_hub()
    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            sleep(0.01)

    t = spawn(ticker)
    sleep(0)
    hub.threadpool.apply(time.sleep, (0.2,))
    assert len(ticks) >= 8
    before = len(ticks)
    infos = socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
    assert infos and all(isinstance(i[0], socket.AddressFamily) for i in infos)
    assert hub.threadpool.size >= 1  # the name was resolved in a thread
    assert socket.gethostbyname("localhost").startswith("127.")
    assert socket.getaddrinfo("127.0.0.1", 80)[0][4][0] == "127.0.0.1"
    t.kill()
    assert len(ticks) >= before


def test_thread_pool_results_errors_and_bad_input():
    from greensock.threadpool import ThreadPool
    pool = ThreadPool(3)
    results = [pool.spawn(lambda x: (time.sleep(0.01), x * 2)[1], i) for i in range(10)]
    assert [r.get(timeout=5) for r in results] == [i * 2 for i in range(10)]
    assert pool.size <= 3
    bad = pool.spawn(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        bad.get(timeout=5)
    assert pool.join(timeout=5)
    idents = {pool.apply(threading.get_ident) for _ in range(3)}
    assert threading.get_ident() not in idents
    with pytest.raises(ValueError, match="maxsize"):
        ThreadPool(0)
    with pytest.raises(TypeError, match="fn"):
        pool.spawn("not callable")
    pool.kill()


def test_select_and_selectors_cooperate(poller):
    from greensock import select, selectors
    a, b = socket.socketpair()
    ticks = []
    t = spawn(lambda: [ticks.append(1) or sleep(0.005) for _ in range(1000)])
    greensock.spawn_later(0.05, b.send, b"x")
    r, w, x = select.select([a], [], [], 2)
    assert r == [a] and len(ticks) >= 3
    assert select.select([a], [b], [], 0)[1] == [b]
    assert a.recv(1) == b"x"
    assert select.select([a], [], [], 0.01) == ([], [], [])
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, "data")
    greensock.spawn_later(0.02, b.send, b"y")
    ready = sel.select(2)
    assert ready[0][0].data == "data" and ready[0][1] == selectors.EVENT_READ
    assert sel.select(0) and a.recv(1) == b"y" and sel.select(0.01) == []
    p = select.poll()
    p.register(a, select.POLLIN)
    assert p.poll(10) == []
    b.send(b"z")
    assert p.poll(1000) == [(a.fileno(), select.POLLIN)]
    t.kill()
    sel.close()
    a.close()
    b.close()


def test_select_bad_input():
    from greensock import select
    with pytest.raises(TypeError):
        select.select(["x"], [], [], 0)
    with pytest.raises(ValueError):
        select.select([], [], [], -1)


def test_eof_arriving_with_the_last_data_on_a_registered_socket(poller):
    """Data and FIN in one edge: the short read must not hide the EOF (no hang)."""
    srv = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(srv.getsockname())
    b, _ = srv.accept()
    srv.close()
    first = spawn(a.recv, 100)  # registers the fd with the poller and waits
    sleep(0.01)
    b.send(b"x")
    assert first.get(timeout=2) == b"x"
    for _ in range(3):
        assert greensock.spawn(lambda: None).get(timeout=1) is None  # let the hub consume the edge state
    b.send(b"tail")
    b.close()  # FIN right behind the data
    with greensock.Timeout(5):
        assert a.recv(100) == b"tail"
        assert a.recv(100) == b""
    a.close()
