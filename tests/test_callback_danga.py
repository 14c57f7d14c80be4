"""EventSocket (Danga::Socket): the document's methods and Danga's own test behaviours."""
import socket as std_socket
import time

import pytest
from callback_helpers import wait_for

import greensock
from greensock.callback import EventSocket


@pytest.fixture(autouse=True)
def clean_registry():
    EventSocket.reset()
    yield
    EventSocket.reset()


class Server(EventSocket):
    """Accepts connections and wraps each in ``handler``."""

    def __init__(self, sock, handler):
        super().__init__(sock)
        self.handler = handler
        self.accepted = []
        self.watch_read(True)

    def event_read(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except BlockingIOError:
                return
            self.accepted.append(self.handler(client))


class Echo(EventSocket):
    def __init__(self, sock):
        super().__init__(sock)
        self.watch_read(True)

    def event_read(self):
        data = self.read(4096)
        if data is None:
            self.close("eof")
        elif data:
            self.write(data)

    def event_hup(self):
        self.close("hup")

    def event_err(self):
        self.close("err")


def listener():
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_events_like_danga_t10(poller):
    """HaveEpoll; nonblocking connect gets event_write; read/push_back_read; descriptor map."""
    assert EventSocket.have_epoll() is (poller == "epoll")  # the hub's poller, as GREENSOCK_POLLER chose it
    assert EventSocket.watched_sockets() == 0
    ls = listener()
    received = []

    class ClientIn(EventSocket):
        def __init__(self, sock):
            super().__init__(sock)
            self.watch_read(True)

        def event_read(self):
            first = self.read(5)
            if not first:
                return
            received.append(first)
            self.push_back_read(b"lo")
            received.append(self.read(3))  # asks for more than was pushed back
            self.push_back_read(b"Hello")
            received.append(self.read(3))
            received.append(self.read(2))
            rest = b""
            while not rest.endswith(b"\n"):
                rest += self.read(500) or b""
            received.append(rest)
            self.watch_read(False)

    server = Server(ls, ClientIn)
    writes = []

    class ClientOut(EventSocket):
        def event_write(self):
            writes.append(1)
            self.write(b"Hello!\n")
            self.watch_write(False)

    c = std_socket.socket()
    c.setblocking(False)
    c.connect_ex(ls.getsockname())
    out = ClientOut(c)
    out.watch_write(True)
    assert EventSocket.watched_sockets() == 2
    wait_for(lambda: len(received) == 5)
    assert received == [b"Hello", b"lo", b"Hel", b"lo", b"!\n"]
    assert writes == [1]
    client_in = server.accepted[0]
    assert client_in.peer_addr_string() == f"127.0.0.1:{c.getsockname()[1]}"
    assert client_in.local_addr_string() == f"127.0.0.1:{ls.getsockname()[1]}"
    assert client_in.peer_ip_string() == "127.0.0.1" and client_in.local_ip_string() == "127.0.0.1"
    dm = EventSocket.descriptor_map()
    assert len(dm) == 3 and dm[client_in.sock.fileno()] is client_in
    dm.clear()
    assert EventSocket.watched_sockets() == 3  # descriptor_map() returned a copy
    EventSocket.reset()
    assert EventSocket.watched_sockets() == 0


def test_post_loop_callback_and_loop_timeout_like_t05(poller):
    EventSocket.set_loop_timeout(50)
    calls = []

    def plc(descriptor_map, other_fds):
        calls.append(time.monotonic())
        return len(calls) < 4

    EventSocket.set_post_loop_callback(plc)
    a, b = std_socket.socketpair()

    class Idle(EventSocket):
        pass

    Idle(a)  # something to keep the loop waiting for
    start = time.monotonic()
    EventSocket.event_loop()
    assert len(calls) == 4
    assert time.monotonic() - start >= 0.1  # three waits of up to 50 ms each had nothing to do
    b.close()


def test_loop_timeout_minus_one_returns_at_once(poller):
    EventSocket.set_loop_timeout(-1)
    n = []
    EventSocket.set_post_loop_callback(lambda dm, of: len(n) < 100 and not n.append(1))
    start = time.monotonic()
    EventSocket.event_loop()
    assert len(n) == 100 and time.monotonic() - start < 5
    with pytest.raises(ValueError, match="ms"):
        EventSocket.set_loop_timeout(-5)


def test_timers_fire_in_order_and_cancel(poller):
    fired = []
    EventSocket.add_timer(0.03, lambda: fired.append("c"))
    EventSocket.add_timer(0.01, lambda: fired.append("a"))
    t = EventSocket.add_timer(0.02, lambda: fired.append("cancelled"))
    EventSocket.add_timer(0.02, lambda: fired.append("b"))
    t.cancel()
    EventSocket.set_post_loop_callback(lambda dm, of: len(fired) < 3)
    EventSocket.event_loop()
    assert fired == ["a", "b", "c"]


def test_per_object_post_loop_callbacks(poller):
    a, b = std_socket.socketpair()
    fired = set()

    class Obj(EventSocket):
        pass

    x, y = Obj(a), Obj(b)
    x.set_post_loop_callback(lambda dm, of: fired.add("x") or "y" not in fired)
    y.set_post_loop_callback(lambda dm, of: fired.add("y") or "x" not in fired)
    EventSocket.set_loop_timeout(10)
    EventSocket.event_loop()
    assert fired == {"x", "y"}


def test_close_race_like_t12(poller):
    """Two objects whose event_write closes the other: only one survives, no errors."""
    a1, a2 = std_socket.socketpair()
    history = []

    class Racer(EventSocket):
        sibling = None

        def event_write(self):
            history.append(self.sock.fileno() if self.sock else None)
            if self.sibling is not None:
                self.sibling.close("sibling")
            self.watch_write(False)

    r1, r2 = Racer(a1), Racer(a2)
    r1.sibling, r2.sibling = r2, r1
    r1.watch_write(True)
    r2.watch_write(True)
    EventSocket.set_loop_timeout(10)
    EventSocket.set_post_loop_callback(lambda dm, of: not history)
    EventSocket.event_loop()
    assert len(history) == 1
    survivor = r1 if not r1.closed else r2
    assert EventSocket.descriptor_map() == {survivor.sock.fileno(): survivor}


def test_write_semantics(poller):
    a, b = std_socket.socketpair()
    a.setsockopt(std_socket.SOL_SOCKET, std_socket.SO_SNDBUF, 4096)

    class W(EventSocket):
        pass

    w = W(a)
    order = []
    assert w.write(b"small") is True  # written at once, never queued
    assert w.write(lambda: order.append("ran at once")) is False  # queued: it runs in the hub, later
    assert order == [] and w.write_buf_size == 1
    greensock.sleep(0)
    assert order == ["ran at once"] and w.write_buf_size == 0
    big = b"x" * (4 * 1024 * 1024)
    assert w.write(big) is False and w._writing  # queued; write-watching switched on internally
    assert w.write(lambda: order.append("after big")) is False
    assert w.write_buf_size > 0
    got = bytearray()

    def drain():
        while len(got) < len(big) + 5:
            try:
                got.extend(b.recv(1 << 20))
            except BlockingIOError:
                greensock.sleep(0.001)

    b.setblocking(False)
    d = greensock.spawn(drain)
    wait_for(lambda: order == ["ran at once", "after big"], timeout=20)
    d.join(timeout=10)
    assert bytes(got) == b"small" + big and not w._writing  # draining turned watching off
    b.close()
    w.write(b"y" * 100000)  # the peer is gone: the write fails and closes the object
    wait_for(lambda: w.closed)
    assert w.write(b"after close") is True


def test_set_writer_func_and_tcp_cork(poller):
    ls = listener()
    c = std_socket.create_connection(ls.getsockname())
    s, _ = ls.accept()
    sent = []

    class W(EventSocket):
        pass

    w = W(c)
    w.set_writer_func(lambda data: sent.append(bytes(data)) or len(data))
    assert w.write(b"via writer") is True and sent == [b"via writer"]
    w.tcp_cork(True)
    if hasattr(std_socket, "TCP_CORK"):
        assert c.getsockopt(std_socket.IPPROTO_TCP, std_socket.TCP_CORK) == 1
    w.tcp_cork(False)
    with pytest.raises(TypeError):
        w.set_writer_func("nope")
    for x in (s, ls):
        x.close()
    w.close()


def test_read_returns_none_at_eof_and_empty_when_nothing(poller):
    a, b = std_socket.socketpair()

    class R(EventSocket):
        pass

    r = R(a)
    assert r.read(10) == b""
    b.sendall(b"data")
    greensock.sleep(0.01)
    assert r.read(10) == b"data"
    b.close()
    assert r.read(10) is None


def test_close_is_deferred_to_the_end_of_the_iteration(poller):
    a, b = std_socket.socketpair()

    class C(EventSocket):
        pass

    c = C(a)
    fd = a.fileno()
    c.close("done")
    assert c.closed and EventSocket.to_close() == [c] and fd in EventSocket.descriptor_map()
    assert a.fileno() == fd  # not really closed yet
    greensock.sleep(0.01)
    assert EventSocket.to_close() == [] and fd not in EventSocket.descriptor_map() and a.fileno() == -1
    c.close("again")  # idempotent
    b.close()


def test_steal_socket_removes_from_map_and_keeps_it_open(poller):
    a, b = std_socket.socketpair()

    class S(EventSocket):
        pass

    s = S(a)
    stolen = s.steal_socket()
    assert stolen is a and s.closed and EventSocket.watched_sockets() == 0
    assert s.steal_socket() is None
    stolen.sendall(b"still open")
    assert b.recv(100) == b"still open"
    a.close()
    b.close()


def test_default_events_raise_and_errors_do_not_stop_the_hub(poller, caplog):
    a, b = std_socket.socketpair()

    class Bare(EventSocket):
        pass

    bare = Bare(a)
    bare.watch_read(True)
    b.sendall(b"x")
    wait_for(lambda: "base class event_read" in caplog.text)
    bare.watch_read(False)
    assert greensock.spawn(lambda: "hub alive").get(timeout=1) == "hub alive"
    bare.close()
    b.close()


def test_hup_and_err_events(poller):
    ls = listener()
    c = std_socket.create_connection(ls.getsockname())
    s, _ = ls.accept()
    seen = []

    class H(EventSocket):
        def event_err(self):
            seen.append("err")
            self.close()

        def event_hup(self):
            seen.append("hup")
            self.close()

    H(c)
    s.setsockopt(std_socket.SOL_SOCKET, std_socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    wait_for(lambda: seen)
    assert seen[0] in ("err", "hup")
    ls.close()


def test_other_fds(poller):
    r, w = std_socket.socketpair()
    seen = []
    EventSocket.add_other_fds({r.fileno(): lambda fd: seen.append(fd) or r.recv(10)})
    assert r.fileno() in EventSocket.other_fds()
    w.sendall(b"ping")
    wait_for(lambda: seen)
    assert seen[0] == r.fileno()
    with pytest.raises(TypeError):
        EventSocket.add_other_fds([1, 2])
    r.close()
    w.close()


def test_profiling(poller):
    assert EventSocket.enable_profiling() is True
    ls = listener()
    Server(ls, Echo)
    from greensock import socket
    with socket.create_connection(ls.getsockname()) as c:
        c.sendall(b"profile me")
        c.settimeout(5)
        assert c.recv(100) == b"profile me"
    data = EventSocket.profiling_data()
    assert data["Server-read"][2] >= 1 and data["Echo-read"][2] >= 1
    assert all(len(v) == 3 for v in data.values())
    EventSocket.disable_profiling()


def test_echo_serves_green_clients_concurrently(poller):
    ls = listener()
    Server(ls, Echo)

    def client(i):
        from greensock import socket
        with socket.create_connection(ls.getsockname()) as c:
            for j in range(20):
                msg = b"%d-%d" % (i, j)
                c.sendall(msg)
                assert c.recv(100) == msg
        return i

    clients = [greensock.spawn(client, i) for i in range(20)]
    greensock.joinall(clients, timeout=20, raise_error=True)
    assert sorted(c.value for c in clients) == list(range(20))


def test_bad_input():
    with pytest.raises(TypeError, match="sock"):
        EventSocket("not a socket")
    with pytest.raises(TypeError, match="callback"):
        EventSocket.add_timer(1, "nope")
    with pytest.raises(ValueError, match="seconds"):
        EventSocket.add_timer(-1, print)
    a, b = std_socket.socketpair()
    e = EventSocket(a)
    with pytest.raises(TypeError, match="data"):
        e.write(12)
    with pytest.raises(ValueError):
        e.read(-1)
    assert "EventSocket" in e.as_string() and "open" in e.as_string()
    e.close()
    b.close()
