"""IO::Async Connector, Listener and Stream, paragraph by paragraph, over loopback and AF_UNIX."""
import errno
import os
import socket as std_socket

import pytest
from callback_helpers import Recorder, wait_for

import greensock
from greensock import socket
from greensock.callback import Loop, Stream


def listening(host="127.0.0.1"):
    s = std_socket.create_server((host, 0))
    return s, s.getsockname()


def refused_address():
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    addr = s.getsockname()
    s.close()
    return addr


# -- Connector: SYNOPSIS and DESCRIPTION ------------------------------------------------------
def test_synopsis_connect_by_host_and_service(poller):
    srv, addr = listening()
    rec = Recorder()
    loop = Loop()
    h = loop.connect(host="localhost", service=str(addr[1]), socktype="stream",
                     on_connected=rec("connected"), on_resolve_error=rec("resolve_error"),
                     on_connect_error=rec("connect_error"))
    assert rec.events == []  # callbacks never run inside connect()
    wait_for(lambda: rec.events)
    assert rec.names() == ["connected"]
    sock = rec.of("connected")[0][0]
    assert isinstance(sock, socket.socket) and sock.getpeername() == addr
    assert h.get(timeout=1) is sock
    sock.close()
    srv.close()


def test_addresses_are_tried_in_turn_with_on_fail_for_each(poller):
    srv, good = listening()
    bad1, bad2 = refused_address(), refused_address()
    rec = Recorder()
    loop = Loop()
    loop.connect(addrs=[(std_socket.AF_INET, std_socket.SOCK_STREAM, 0, bad1),
                        (std_socket.AF_INET, std_socket.SOCK_STREAM, 6, "", bad2),  # a getaddrinfo 5-tuple
                        ("inet", "stream", 0, good)],
                 on_connected=rec("connected"), on_connect_error=rec("connect_error"), on_fail=rec("fail"))
    wait_for(lambda: "connected" in rec.names())
    fails = rec.of("fail")
    assert [f[0] for f in fails] == ["connect", "connect"]
    assert [f[2] for f in fails] == [bad1, bad2]
    assert all(isinstance(f[3], OSError) and f[3].errno == errno.ECONNREFUSED for f in fails)
    assert rec.names() == ["fail", "fail", "connected"]
    rec.of("connected")[0][0].close()
    srv.close()


def test_connect_error_has_no_arguments_and_get_raises_connect_error(poller):
    rec = Recorder()
    h = Loop().connect(addr=(std_socket.AF_INET, std_socket.SOCK_STREAM, 0, refused_address()),
                       on_connected=rec("connected"), on_connect_error=rec("connect_error"), on_fail=rec("fail"))
    wait_for(lambda: "connect_error" in rec.names())
    assert rec.of("connect_error") == [()]
    with pytest.raises(ConnectionRefusedError):
        h.get(timeout=1)
    assert h.error.errno == errno.ECONNREFUSED


def test_socket_failure_reports_the_socket_call(poller):
    rec = Recorder()
    h = Loop().connect(addr=(9999, std_socket.SOCK_STREAM, 0, ("127.0.0.1", 1)), on_fail=rec("fail"),
                       on_connect_error=rec("connect_error"))
    wait_for(lambda: "connect_error" in rec.names())
    op, family, socktype, protocol, err = rec.of("fail")[0]
    assert (op, family, socktype, protocol) == ("socket", 9999, std_socket.SOCK_STREAM, 0)
    assert isinstance(err, OSError) and err.errno
    with pytest.raises(OSError):
        h.get(timeout=1)


def test_most_significant_error_is_connect_over_bind_over_socket(poller):
    busy = std_socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rec = Recorder()
    h = Loop().connect(addrs=[(9999, 1, 0, ("127.0.0.1", 1)),
                              (std_socket.AF_INET, std_socket.SOCK_STREAM, 0, refused_address())],
                       on_fail=rec("fail"), on_connect_error=rec("connect_error"))
    wait_for(lambda: "connect_error" in rec.names())
    assert [f[0] for f in rec.of("fail")] == ["socket", "connect"]
    with pytest.raises(ConnectionRefusedError):
        h.get(timeout=1)
    h = Loop().connect(addr=(std_socket.AF_INET, std_socket.SOCK_STREAM, 0, refused_address()),
                       local_host="127.0.0.1", local_service=str(busy.getsockname()[1]), on_fail=rec("fail2"))
    with pytest.raises(OSError) as info:
        h.get(timeout=2)
    assert info.value.errno == errno.EADDRINUSE and rec.of("fail2")[0][0] == "bind"
    busy.close()


def test_resolve_error_gets_the_message_and_nothing_else(poller):
    rec = Recorder()
    h = Loop().connect(host="no-such-host.invalid", service="80", on_connected=rec("connected"),
                       on_connect_error=rec("connect_error"), on_resolve_error=rec("resolve_error"))
    wait_for(lambda: rec.events, timeout=20)
    assert rec.names() == ["resolve_error"] and isinstance(rec.of("resolve_error")[0][0], str)
    with pytest.raises(std_socket.gaierror):
        h.get(timeout=1)


def test_unix_path_that_does_not_exist(tmp_path):
    rec = Recorder()
    h = Loop().connect(addr=("unix", "stream", 0, str(tmp_path / "missing")), on_fail=rec("fail"),
                       on_connect_error=rec("connect_error"))
    wait_for(lambda: "connect_error" in rec.names())
    assert rec.of("fail")[0][0] == "connect" and rec.of("fail")[0][3].errno == errno.ENOENT
    with pytest.raises(FileNotFoundError):
        h.get()


def test_empty_address_list_fails_at_once(poller):
    rec = Recorder()
    h = Loop().connect(addrs=[], on_connect_error=rec("connect_error"))
    wait_for(lambda: rec.events)
    assert rec.names() == ["connect_error"]
    with pytest.raises(OSError):
        h.get(timeout=1)


def test_cancel_stops_everything(poller):
    rec = Recorder()
    srv, addr = listening()
    h = Loop().connect(host="127.0.0.1", service=str(addr[1]), on_connected=rec("connected"),
                       on_connect_error=rec("connect_error"), on_fail=rec("fail"))
    h.cancel()
    greensock.sleep(0.05)
    assert rec.events == []
    with pytest.raises(OSError):
        h.get(timeout=1)
    srv.close()


def test_timeout_bounds_the_whole_attempt(poller):
    blocker = std_socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(0)
    fillers = []
    try:
        for _ in range(8):  # fill the backlog so the next SYN is dropped
            f = std_socket.socket()
            f.setblocking(False)
            f.connect_ex(blocker.getsockname())
            fillers.append(f)
        rec = Recorder()
        h = Loop().connect(addr=("inet", "stream", 0, blocker.getsockname()), timeout=0.2,
                           on_fail=rec("fail"), on_connect_error=rec("connect_error"))
        wait_for(lambda: "connect_error" in rec.names() or "connected" in rec.names(), timeout=10)
        if "connected" in rec.names():
            pytest.skip("the kernel accepted instead of dropping the SYN")
        op, sock, sockaddr, err = rec.of("fail")[-1]
        assert op == "connect" and sockaddr == blocker.getsockname() and err.errno == errno.ETIMEDOUT
        with pytest.raises(TimeoutError):
            h.get()
    finally:
        for f in fillers:
            f.close()
        blocker.close()


def test_local_binding_and_pairing(poller):
    srv, addr = listening()
    h = Loop().connect(host="127.0.0.1", service=addr[1], local_host="127.0.0.1", local_service="0")
    sock = h.get(timeout=5)
    assert sock.getsockname()[0] == "127.0.0.1"
    sock.close()
    srv.close()


def test_connect_bad_arguments():
    loop = Loop()
    with pytest.raises(TypeError, match="host and service"):
        loop.connect(host="x")
    with pytest.raises(TypeError, match="on_connected"):
        loop.connect(addr=(2, 1, 0, ("127.0.0.1", 1)), on_connected="nope")
    with pytest.raises(ValueError, match="socktype"):
        loop.connect(host="a", service="1", socktype="bogus")
    with pytest.raises(ValueError, match="addr"):
        loop.connect(addr=(1, 2))
    with pytest.raises(TypeError, match="either addrs or addr"):
        loop.connect(addr=(2, 1, 0, ("127.0.0.1", 1)), addrs=[])
    with pytest.raises(ValueError, match="timeout"):
        loop.connect(addr=(2, 1, 0, ("127.0.0.1", 1)), timeout=-1)


# -- Listener ---------------------------------------------------------------------------
def test_listener_synopsis_echo(poller):
    loop = Loop()

    def on_accept(client):
        def on_read(stream, buffer, eof):
            stream.write(bytes(buffer))
            del buffer[:]
            return False
        loop.add(Stream(handle=client, on_read=on_read))

    rec = Recorder()
    listener = loop.listen(host="127.0.0.1", service=0, socktype="stream", on_accept=on_accept,
                           on_listen=rec("listen"), on_resolve_error=rec("resolve_error"),
                           on_listen_error=rec("listen_error"))
    assert len(listener.sockets) == 1 and listener.sockname()[1] > 0  # valid at once
    assert rec.events == []
    with socket.create_connection(listener.sockname()) as c:
        c.sendall(b"echo me")
        assert c.recv(100) == b"echo me"
    assert rec.names() == ["listen"] and rec.of("listen")[0][0] is listener.sockets[0]
    listener.close()


def test_one_listening_socket_per_address_sharing_the_ephemeral_port(poller):
    rec = Recorder()
    loop = Loop()
    listener = loop.listen(service=0, on_accept=rec("accept"), on_listen=rec("listen"), on_fail=rec("fail"))
    wait_for(lambda: rec.events)
    families = sorted(s.family for s in listener.sockets)
    if std_socket.has_ipv6 and len(families) == 2:
        assert families == [std_socket.AF_INET, std_socket.AF_INET6]
        ports = {s.getsockname()[1] for s in listener.sockets}
        assert len(ports) == 1
        v6 = [s for s in listener.sockets if s.family == std_socket.AF_INET6][0]
        assert v6.getsockopt(std_socket.IPPROTO_IPV6, std_socket.IPV6_V6ONLY) == 1
    assert listener.sockname() == listener.sockets[0].getsockname()
    assert listener.sockets[0].getsockopt(std_socket.SOL_SOCKET, std_socket.SO_REUSEADDR)
    with socket.create_connection(("127.0.0.1", listener.sockname()[1])):
        wait_for(lambda: rec.of("accept"))
    listener.close()


def test_listen_failures_call_on_fail_and_on_listen_error(poller):
    busy = std_socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rec = Recorder()
    listener = Loop().listen(addr=("inet", "stream", 0, busy.getsockname()), reuseaddr=False,
                             on_accept=rec("accept"), on_fail=rec("fail"), on_listen_error=rec("listen_error"))
    wait_for(lambda: "listen_error" in rec.names())
    op, sock, sockaddr, err = rec.of("fail")[0]
    assert op == "bind" and sockaddr == busy.getsockname() and err.errno == errno.EADDRINUSE
    assert rec.of("listen_error") == [()] and listener.error.errno == errno.EADDRINUSE
    busy.close()


def test_several_addresses_skip_the_failing_one(poller):
    busy = std_socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rec = Recorder()
    listener = Loop().listen(addrs=[("inet", "stream", 0, busy.getsockname()), ("inet", "stream", 0, ("127.0.0.1", 0))],
                             reuseaddr=False, on_accept=rec("accept"), on_fail=rec("fail"), on_listen=rec("listen"))
    wait_for(lambda: "listen" in rec.names())
    assert [f[0] for f in rec.of("fail")] == ["bind"] and len(listener.sockets) == 1
    listener.close()
    busy.close()


def test_existing_handle_and_queuesize(poller):
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    rec = Recorder()
    address = s.getsockname()
    listener = Loop().listen(handle=s, on_accept=rec("accept"), on_listen=rec("listen"))
    assert listener.sockname() == address  # the standard socket was adopted, same fd
    with socket.create_connection(address):
        wait_for(lambda: rec.of("accept"))
    client = rec.of("accept")[0][0]
    assert isinstance(client, socket.socket)
    assert rec.names()[0] == "listen"
    client.close()
    listener.close()


def test_pause_and_resume_accepting(poller):
    rec = Recorder()
    listener = Loop().listen(host="127.0.0.1", service=0, on_accept=rec("accept"))
    listener.pause()
    c = socket.create_connection(listener.sockname())
    greensock.sleep(0.05)
    assert rec.of("accept") == []
    listener.resume()
    wait_for(lambda: rec.of("accept"))
    c.close()
    rec.of("accept")[0][0].close()
    listener.close()


def test_unix_listen_and_connect(tmp_path):
    path = str(tmp_path / "sock")
    rec = Recorder()
    loop = Loop()
    listener = loop.listen(addr=("unix", "stream", 0, path), on_accept=rec("accept"))
    h = loop.connect(addr=("unix", "stream", 0, path))
    client = h.get(timeout=5)
    wait_for(lambda: rec.of("accept"))
    assert client.getpeername() == path
    client.close()
    listener.close()


def test_listen_bad_arguments():
    loop = Loop()
    with pytest.raises(TypeError, match="on_accept"):
        loop.listen(service=0)
    with pytest.raises(TypeError, match="service"):
        loop.listen(on_accept=print)
    with pytest.raises(ValueError, match="queuesize"):
        loop.listen(service=0, on_accept=print, queuesize=-1)
    with pytest.raises(ValueError, match="family"):
        loop.listen(service=0, on_accept=print, family="appletalk")
    with pytest.raises(TypeError, match="handle"):
        loop.listen(handle="sock", on_accept=print)


# -- Stream ---------------------------------------------------------------------------------
def test_stream_on_read_consumes_lines_and_waits_for_more(poller):
    loop = Loop()
    a, b = socket.socketpair()
    lines = []

    def on_read(stream, buffer, eof):
        if b"\n" in buffer:
            line, _, _ = buffer.partition(b"\n")
            lines.append(bytes(line))
            del buffer[:len(line) + 1]
            return True  # call me again: there may be another line
        return False

    s = Stream(handle=a, on_read=on_read)
    loop.add(s)
    b.sendall(b"one\ntwo\nthr")
    wait_for(lambda: len(lines) == 2)
    assert s.buffer == b"thr"
    b.sendall(b"ee\n")
    wait_for(lambda: len(lines) == 3)
    assert lines == [b"one", b"two", b"three"]
    s.close_now()
    b.close()


def test_stream_eof_sequence_and_on_closed(poller):
    loop = Loop()
    a, b = socket.socketpair()
    rec = Recorder()

    def on_read(stream, buffer, eof):
        rec("read")(bytes(buffer), eof)
        del buffer[:]
        return False

    s = Stream(handle=a, on_read=on_read, on_read_eof=rec("eof"), on_closed=rec("closed"))
    loop.add(s)
    b.sendall(b"last")
    b.close()
    wait_for(lambda: "closed" in rec.names())
    assert rec.names() == ["read", "read", "eof", "closed"] or rec.names() == ["read", "eof", "closed"]
    assert rec.of("read")[-1] == (b"", True)
    assert s.closed and s not in loop.notifiers


def test_stream_close_on_read_eof_false_keeps_it_open(poller):
    loop = Loop()
    a, b = socket.socketpair()
    rec = Recorder()
    s = Stream(handle=a, on_read=lambda st, buf, eof: False, on_read_eof=rec("eof"), close_on_read_eof=False)
    loop.add(s)
    b.shutdown(std_socket.SHUT_WR)
    wait_for(lambda: rec.events)
    assert not s.closed
    s.write(b"still writable")
    assert b.recv(100) == b"still writable"
    s.close()
    b.close()


def test_stream_write_queue_callbacks_and_close_after_flush(poller):
    loop = Loop()
    a, b = socket.socketpair()
    a.setsockopt(std_socket.SOL_SOCKET, std_socket.SO_SNDBUF, 4096)
    rec = Recorder()
    s = Stream(handle=a, on_read=lambda *x: False, on_closed=rec("closed"))
    payload = os.urandom(2 * 1024 * 1024)
    s.write(payload, on_write=rec("write"), on_flush=rec("flush"))  # before add: queued
    loop.add(s)
    s.close()  # after pending writes
    with pytest.raises(RuntimeError):
        s.write(b"too late")
    got = bytearray()
    while True:
        chunk = b.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    assert got == payload
    wait_for(lambda: "closed" in rec.names())
    assert sum(n for _, n in rec.of("write")) == len(payload)
    assert rec.names()[-2:] == ["flush", "closed"]
    b.close()


def test_stream_close_now_drops_pending_writes_with_on_error(poller):
    loop = Loop()
    a, b = socket.socketpair()
    a.setsockopt(std_socket.SOL_SOCKET, std_socket.SO_SNDBUF, 4096)
    rec = Recorder()
    s = Stream(handle=a, on_read=lambda *x: False)
    loop.add(s)
    s.write(os.urandom(4 * 1024 * 1024), on_error=rec("error"))
    greensock.sleep(0.01)
    s.close_now()
    wait_for(lambda: rec.events)
    assert rec.of("error")[0][1].errno == errno.ECANCELED
    b.close()


def test_stream_write_error_reaches_on_write_error(poller):
    loop = Loop()
    a, b = socket.socketpair()
    rec = Recorder()
    s = Stream(handle=a, on_read=lambda *x: False, on_write_error=rec("write_error"), autoflush=True)
    loop.add(s)
    b.close()
    s.write(b"x" * 100000, on_error=rec("error"))
    wait_for(lambda: "write_error" in rec.names())
    assert rec.of("write_error")[0][1].errno in (errno.EPIPE, errno.ECONNRESET)
    assert rec.names() == ["error", "write_error"]


def test_stream_read_error_reaches_on_read_error(poller):
    loop = Loop()
    srv, addr = listening()
    c = socket.create_connection(addr)
    peer, _ = srv.accept()
    rec = Recorder()
    s = Stream(handle=c, on_read=lambda *x: False, on_read_error=rec("read_error"))
    loop.add(s)
    peer.setsockopt(std_socket.SOL_SOCKET, std_socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.close()
    wait_for(lambda: rec.events)
    assert rec.of("read_error")[0][1].errno == errno.ECONNRESET
    s.close_now()
    srv.close()


def test_stream_read_len_limits_each_read(poller):
    loop = Loop()
    a, b = socket.socketpair()
    sizes = []

    def on_read(stream, buffer, eof):
        sizes.append(len(buffer))
        del buffer[:]
        return False

    loop.add(Stream(handle=a, on_read=on_read, read_len=3))
    b.sendall(b"abcdefgh")
    wait_for(lambda: sum(sizes) == 8)
    assert max(sizes) <= 3


def test_stream_bad_arguments():
    a, b = socket.socketpair()
    with pytest.raises(TypeError, match="on_read"):
        Stream(handle=a, on_read=None)
    with pytest.raises(TypeError, match="handle"):
        Stream(handle="sock", on_read=print)
    with pytest.raises(ValueError, match="read_len"):
        Stream(handle=a, on_read=print, read_len=0)
    with pytest.raises(TypeError, match="on_closed"):
        Stream(handle=a, on_read=print, on_closed=5)
    s = Stream(handle=a, on_read=print)
    with pytest.raises(TypeError, match="bytes"):
        s.write("text")
    loop = Loop()
    loop.add(s)
    with pytest.raises(ValueError):
        loop.add(s)
    loop.remove(s)
    with pytest.raises(ValueError):
        loop.remove(s)
    a.close()
    b.close()


# -- Loop -----------------------------------------------------------------------------------
def test_loop_timers_run_once_run_forever_stop(poller):
    loop = Loop()
    seen = []
    loop.call_soon(seen.append, "soon")
    h = loop.call_later(0.01, seen.append, "cancelled")
    h.cancel()
    loop.call_later(0.02, seen.append, "later")
    loop.call_later(0.03, loop.stop)
    loop.run_forever()
    assert seen == ["soon", "later"]
    loop.run_once(0.01)  # returns after one turn
    loop.stop()
    loop.run_forever()  # a stop before run_forever makes it return at once
    with pytest.raises(TypeError, match="callback"):
        loop.call_soon(42)
    with pytest.raises(ValueError, match="seconds"):
        loop.call_later(-1, print)


def test_callback_that_blocks_gets_blocking_switch_out_error(poller):
    loop = Loop()
    errors = []

    def callback():
        try:
            greensock.sleep(0.01)
        except greensock.BlockingSwitchOutError as e:
            errors.append(e)
        greensock.spawn(lambda: greensock.sleep(0.001) or errors.append("spawned ran"))

    loop.call_soon(callback)
    wait_for(lambda: len(errors) == 2)
    assert "spawn" in str(errors[0]) and errors[1] == "spawned ran"


def test_stream_sees_eof_arriving_with_the_last_data(poller):
    loop = Loop()
    a, b = socket.socketpair()
    rec = Recorder()

    def on_read(stream, buffer, eof):
        rec("read")(bytes(buffer), eof)
        del buffer[:]
        return False

    loop.add(Stream(handle=a, on_read=on_read, on_closed=rec("closed")))
    b.send(b"first")
    wait_for(lambda: rec.of("read"))
    b.send(b"last")
    b.close()
    wait_for(lambda: "closed" in rec.names())
    assert (b"", True) in rec.of("read")


EMFILE_LISTENER = """
import resource
resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
from greensock.callback import Loop, Stream
loop = Loop()

def on_accept(client):
    def on_read(stream, buffer, eof):
        stream.write(bytes(buffer))
        del buffer[:]
        return False
    loop.add(Stream(handle=client, on_read=on_read))

listener = loop.listen(host="127.0.0.1", service=0, queuesize=256, on_accept=on_accept)
print(listener.sockname()[1], flush=True)
loop.run_forever()
"""


def test_listener_backs_off_when_out_of_descriptors_and_recovers():
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", EMFILE_LISTENER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    clients = []
    try:
        port = int(p.stdout.readline())
        for _ in range(80):  # twice the listener's descriptor limit
            clients.append(std_socket.create_connection(("127.0.0.1", port), timeout=5))
        greensock.sleep(0.5)
        for c in clients:
            c.close()
        clients = []
        with std_socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.settimeout(10)
            c.sendall(b"alive")
            assert c.recv(100) == b"alive"
        assert p.poll() is None
    finally:
        for c in clients:
            c.close()
        p.kill()
        _, err = p.communicate(timeout=10)
    assert "backing off" in err and err.count("backing off") <= 3
