"""Bad input and faults: a clear error at the call, callbacks always later, never a spin."""
import socket as std_socket
import subprocess
import sys

import pytest
from callback_helpers import Recorder, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import greensock
from greensock import socket
from greensock.callback import EventSocket, LineFilter, Loop, SocketFactory, StreamFilter, TCPClient, TCPServer
from greensock.server import DatagramServer, ServerError, StreamServer


def listening():
    s = std_socket.create_server(("127.0.0.1", 0))
    return s, s.getsockname()


# -- arguments accepted, then a background greenlet died: now each raises at the call ------------------------------
@pytest.mark.parametrize("kwargs, kind, name", [
    (dict(host=12, service="80"), TypeError, "host"),
    (dict(host="localhost", service=1.5), TypeError, "service"),
    (dict(host="localhost", service=70000), ValueError, "service"),
    (dict(host="localhost", service="80", protocol="sctp"), ValueError, "protocol"),
    (dict(host="localhost", service="80", protocol=[6]), TypeError, "protocol"),
    (dict(host="localhost", service="80", flags="x"), TypeError, "flags"),
    (dict(addr=(std_socket.AF_INET, std_socket.SOCK_STREAM, 0, "127.0.0.1:80")), ValueError, "addr"),
    (dict(addr=(std_socket.AF_INET, std_socket.SOCK_STREAM, 0, ("127.0.0.1", "80"))), ValueError, "port"),
    (dict(addr=(std_socket.AF_UNIX, std_socket.SOCK_STREAM, 0, 5)), TypeError, "addr"),
    (dict(addrs=[(std_socket.AF_INET, 1, 0)]), ValueError, "addrs"),
])
def test_loop_connect_rejects_bad_arguments_at_the_call(kwargs, kind, name):
    with pytest.raises(kind, match=name):
        Loop().connect(on_connected=print, **kwargs)


def test_loop_connect_accepts_protocol_names_and_ignores_trailing_address_items(poller):
    srv, addr = listening()
    loop = Loop()
    h = loop.connect(addr=(std_socket.AF_INET, "stream", "tcp", addr, "ignored", "too"))
    sock = h.get(timeout=5)
    assert sock.getpeername() == addr
    info = std_socket.getaddrinfo(*addr, std_socket.AF_INET, std_socket.SOCK_STREAM)[0]
    assert loop.connect(addr=info).get(timeout=5).getpeername() == addr  # getaddrinfo's 5-tuple
    sock.close()
    srv.close()


@pytest.mark.parametrize("kwargs, kind, name", [
    (dict(service=0, protocol="tcpx"), ValueError, "protocol"),
    (dict(service=0, flags="x"), TypeError, "flags"),
    (dict(addr=(2, 1, 0, "nope")), ValueError, "addr"),
    (dict(host=5, service=0), TypeError, "host"),
])
def test_loop_listen_rejects_bad_arguments_at_the_call(kwargs, kind, name):
    with pytest.raises(kind, match=name):
        Loop().listen(on_accept=print, **kwargs)


@pytest.mark.parametrize("make, kind, name", [
    (lambda: SocketFactory(on_success=print, on_failure=print, remote_address=5, remote_port=80),
     TypeError, "remote_address"),
    (lambda: SocketFactory(on_success=print, on_failure=print, bind_address=12), TypeError, "bind_address"),
    (lambda: SocketFactory(on_success=print, on_failure=print, bind_port=70000), ValueError, "bind_port"),
    (lambda: SocketFactory(on_success=print, on_failure=print, bind_port=1.5), TypeError, "bind_port"),
    (lambda: SocketFactory(on_success=print, on_failure=print, bind_port=-1), ValueError, "bind_port"),
    (lambda: SocketFactory(on_success=print, on_failure=print, remote_port=80), ValueError, "remote_port"),
    (lambda: SocketFactory(on_success=print, on_failure=print, socket_domain="appletalk"), ValueError,
     "socket_domain"),
    (lambda: SocketFactory(on_success=print, on_failure=print, socket_type=std_socket.SOCK_DGRAM,
                           socket_protocol="tcp"), ValueError, "socket_type"),
    (lambda: TCPClient(remote_address=5, remote_port=80, server_input=print), TypeError, "remote_address"),
    (lambda: TCPClient(remote_address="127.0.0.1", remote_port=1.5, server_input=print), TypeError,
     "remote_port"),
    (lambda: TCPClient(remote_address="127.0.0.1", remote_port=80, bind_address=12, server_input=print),
     TypeError, "bind_address"),
    (lambda: TCPClient(remote_address="127.0.0.1", remote_port=80, server_input=print, filter=42),
     TypeError, "filter"),
])
def test_factories_and_clients_reject_bad_addresses_at_the_call(make, kind, name):
    with pytest.raises(kind, match=name):
        make()


def test_socket_factory_takes_family_names_and_infers_udp(poller):
    got = []
    f = SocketFactory(on_success=lambda sock, *a: got.append(sock), on_failure=print, socket_domain="inet",
                      socket_type=std_socket.SOCK_DGRAM, bind_address="127.0.0.1")
    wait_for(lambda: got)
    assert got[0].type == std_socket.SOCK_DGRAM and f.getsockname()[0] == "127.0.0.1"
    assert f.ID() == f.id
    f.close()


def test_tcp_client_takes_a_filter_class(poller):
    srv, addr = listening()
    rec = Recorder()
    client = TCPClient(remote_address=addr[0], remote_port=addr[1], server_input=rec("input"),
                       connected=rec("connected"), filter=LineFilter)
    wait_for(lambda: "connected" in rec.names())
    conn, _ = srv.accept()
    conn.sendall(b"hello\r\n")
    wait_for(lambda: "input" in rec.names())
    assert rec.of("input") == [(client, "hello")]
    client.shutdown()
    conn.close()
    srv.close()


@pytest.mark.parametrize("answer", [None, "not a socket", "raise"])
def test_pre_connect_without_a_socket_disconnects(poller, answer, caplog):
    srv, addr = listening()
    rec = Recorder()
    given_socks = []

    def pre_connect(client, sock):
        given_socks.append(sock)
        if answer == "raise":
            raise RuntimeError("pre_connect failed")
        return answer

    client = TCPClient(remote_address=addr[0], remote_port=addr[1], server_input=rec("input"),
                       connected=rec("connected"), disconnected=rec("disconnected"), pre_connect=pre_connect)
    wait_for(lambda: given_socks)
    greensock.sleep(0.02)
    assert rec.events == [] and not client.connected
    assert given_socks[0].fileno() == -1  # closed, not leaked
    srv.close()


def test_sleep_and_spawn_later_check_their_delay():
    with pytest.raises(TypeError, match="seconds"):
        greensock.sleep("0.1")
    with pytest.raises(TypeError, match="seconds"):
        greensock.spawn_later("0.1", print)


# -- wrong values silently used: now refused, or used right -------------------------------------------------------
def test_listen_handle_with_a_service_is_an_error():
    srv, _ = listening()
    with pytest.raises(TypeError, match="handle or service"):
        Loop().listen(handle=srv, service=8080, on_accept=print)
    srv.close()


def test_writer_func_must_return_a_count(poller, caplog):
    a, b = std_socket.socketpair()

    class W(EventSocket):
        pass

    w = W(a)
    w.set_writer_func(lambda data: None)
    w.write(b"data")
    wait_for(lambda: w.closed)
    assert w.close_reason == "write_error"
    assert "must return the number of bytes" in caplog.text
    b.close()


# -- spins and hangs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["bound", "unbound"])
def test_listen_on_a_socket_that_does_not_listen_is_refused(state):
    s = std_socket.socket()
    if state == "bound":
        s.bind(("127.0.0.1", 0))
    with pytest.raises(ValueError, match="listening socket"):
        Loop().listen(handle=s, on_accept=print)
    s.close()


def test_stream_server_on_a_socket_that_does_not_listen_stops_with_a_clear_error(poller, caplog):
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    server = StreamServer(s, lambda sock, address: None)
    ticks = []
    ticker = greensock.spawn(lambda: [ticks.append(greensock.sleep(0.001)) for _ in range(5)])
    with pytest.raises(ServerError, match="Invalid argument"):
        server.serve_forever()
    ticker.join(timeout=5)
    assert len(ticks) == 5  # the hub kept running
    assert server.closed


def test_datagram_server_on_a_stream_socket_stops_with_a_clear_error(poller):
    s = std_socket.socket()
    server = DatagramServer(s, lambda data, address: None)
    with pytest.raises(ServerError):
        server.serve_forever()


def test_eventsocket_reset_with_a_pass_pending(poller, caplog, capsys):
    a, b = std_socket.socketpair()

    class E(EventSocket):
        def event_read(self):
            self.read(100)

    e = E(a)
    e.watch_read(True)  # schedules a pass
    EventSocket.reset()
    greensock.sleep(0.01)
    assert "closed epoll" not in caplog.text + capsys.readouterr().err
    e.watch_write(True)  # made before the reset: it joins the new loop
    assert a.fileno() in EventSocket.descriptor_map()
    e.close()
    EventSocket.reset()
    b.close()


# -- callbacks run later, in the hub --------------------------------------------------------------------------------
def test_tcp_client_shutdown_reports_disconnected_later(poller):
    srv, addr = listening()
    rec = Recorder()
    client = TCPClient(remote_address=addr[0], remote_port=addr[1], server_input=rec("input"),
                       connected=rec("connected"), disconnected=rec("disconnected"))
    wait_for(lambda: "connected" in rec.names())
    client.shutdown()
    assert "disconnected" not in rec.names()  # not inside shutdown()
    wait_for(lambda: "disconnected" in rec.names())
    srv.close()


def test_tcp_server_session_shutdown_from_green_code_reports_later(poller):
    rec = Recorder()
    sessions = []
    server = TCPServer(port=0, address="127.0.0.1", client_input=rec("input"),
                       client_connected=lambda session: sessions.append(session),
                       client_disconnected=rec("disconnected"))
    conn = socket.create_connection(("127.0.0.1", server.port))
    wait_for(lambda: sessions)
    sessions[0].shutdown()  # from this greenlet
    assert rec.names() == []
    wait_for(lambda: "disconnected" in rec.names())
    conn.close()
    server.shutdown()


def test_eventsocket_write_callable_runs_in_the_hub_after_the_call(poller):
    a, b = std_socket.socketpair()

    class W(EventSocket):
        pass

    w = W(a)
    where = []
    w.write(lambda: where.append(greensock.getcurrent() is greensock.get_hub()))
    assert where == []
    wait_for(lambda: where)
    assert where == [True]
    w.close()
    b.close()


def test_eventsocket_event_methods_and_post_loop_callbacks_run_in_the_hub(poller):
    a, b = std_socket.socketpair()
    where = []

    class R(EventSocket):
        def event_read(self):
            where.append(("read", greensock.getcurrent() is greensock.get_hub()))
            self.read(100)

    r = R(a)
    r.watch_read(True)
    b.send(b"x")
    plc_where = []

    def plc(descriptors, other):
        plc_where.append(greensock.getcurrent() is greensock.get_hub())
        return not where

    EventSocket.set_post_loop_callback(plc)
    EventSocket.event_loop()
    assert where and all(in_hub for _, in_hub in where) and all(plc_where)
    EventSocket.set_post_loop_callback(None)
    r.close()
    EventSocket.reset()
    b.close()


@pytest.mark.parametrize("handle_kind", ["standard", "greensock"])
def test_listen_handle_on_listen_comes_first_and_clients_are_green(poller, handle_kind):
    srv = std_socket.create_server(("127.0.0.1", 0)) if handle_kind == "standard" else \
        socket.create_server(("127.0.0.1", 0))
    addr = srv.getsockname()
    conns = [std_socket.create_connection(addr) for _ in range(3)]  # already waiting
    rec = Recorder()
    listener = Loop().listen(handle=srv, on_listen=rec("listen"), on_accept=rec("accept"))
    wait_for(lambda: rec.names().count("accept") == 3)
    assert rec.names()[0] == "listen"
    assert all(isinstance(args[0], socket.socket) for args in rec.of("accept"))
    listener.close()
    for c in conns:
        c.close()


def test_have_epoll_follows_the_hubs_poller(poller):
    assert EventSocket.have_epoll() is (poller == "epoll")


# -- the seeds' missing pieces --------------------------------------------------------------------------------------
def test_socket_factory_event_renames_callbacks(poller):
    first, second = [], []
    f = SocketFactory(on_success=lambda *a: first.append(a), on_failure=print, bind_address="127.0.0.1",
                      socket_type=std_socket.SOCK_DGRAM)
    f.event(on_success=lambda *a: second.append(a))
    wait_for(lambda: second)
    assert first == []
    with pytest.raises(TypeError, match="on_failure"):
        f.event(on_failure=3)
    f.close()


def test_other_fds_setter_replaces_the_map(poller):
    r1, w1 = std_socket.socketpair()
    r2, w2 = std_socket.socketpair()
    EventSocket.add_other_fds({r1.fileno(): print})
    assert EventSocket.other_fds({r2.fileno(): print}) == {r2.fileno(): print}
    with pytest.raises(TypeError, match="fdmap"):
        EventSocket.other_fds([1])
    EventSocket.reset()
    for s in (r1, w1, r2, w2):
        s.close()


# -- command line and servers ---------------------------------------------------------------------------------------
def test_serve_cli_bind_without_a_port_is_an_argument_error():
    out = subprocess.run([sys.executable, "-m", "greensock.serve", "examples.echo_server:handle",
                          "--bind", "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--bind" in out.stderr and "Traceback" not in out.stderr


def test_serve_forever_honours_a_stop_already_called(poller):
    finished = []

    def handle(sock, address):
        greensock.sleep(0.3)
        finished.append(address)

    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    runner = greensock.spawn(server.serve_forever)
    conn = socket.create_connection(server.address)
    wait_for(lambda: len(server.pool) == 1)
    stopper = greensock.spawn(server.stop, 5)  # a grace the default (1 s) would cut short
    stopper.join(timeout=10)
    runner.join(timeout=10)
    assert len(finished) == 1
    conn.close()


def test_serve_logs_a_replaced_worker(tmp_path):
    code = f"""
import logging, os, signal, sys, time
sys.path.insert(0, {str(tmp_path)!r})
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
from greensock.server import StreamServer
from greensock.serve import serve_processes
import greensock
server = StreamServer(("127.0.0.1", 0), lambda s, a: None)
def killer():
    greensock.sleep(0.5)
    for line in os.popen("pgrep -P %d" % os.getpid()).read().split()[:1]:
        os.kill(int(line), signal.SIGKILL)
    greensock.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
greensock.spawn(killer)
serve_processes(server, 2)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "greensock.serve worker" in out.stdout and "starting a new one" in out.stdout, out.stdout + out.stderr
    assert "shutting down" in out.stdout and "all workers stopped" in out.stdout


# -- property-based: filters ------------------------------------------------------------------------------------------
def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for p in points + [len(data)]:
        pieces.append(data[start:p])
        start = p
    return pieces


lines = st.lists(st.binary(max_size=30).filter(lambda b: b"\r" not in b and b"\n" not in b), max_size=20)
terminators = st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\r"])


@settings(max_examples=200, deadline=None)
@given(records=lines, terminator=terminators, cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_line_filter_gives_the_same_records_however_the_input_is_chunked(records, terminator, cuts):
    data = b"".join(r + terminator for r in records)
    whole = LineFilter(encoding=None).get(data)
    f = LineFilter(encoding=None)
    pieces = []
    for chunk in chunked(data, cuts):
        pieces.extend(f.get(chunk))
    assert whole == pieces == records


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=0), max_size=10),
       limit=st.integers(min_value=1, max_value=40))
def test_line_filter_never_returns_a_record_over_max_length(data, cuts, limit):
    f = LineFilter(encoding=None, max_length=limit)
    for chunk in chunked(data, cuts):
        try:
            records = f.get(chunk)
        except ValueError:
            continue
        assert all(len(r) <= limit for r in records)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_stream_filter_passes_bytes_through_whatever_the_chunks(data, cuts):
    f = StreamFilter()
    assert b"".join(b for chunk in chunked(data, cuts) for b in f.get(chunk)) == data


# -- property-based: a wrong type or value for any argument is refused at the call, naming it ---------------------
WRONG = st.one_of(st.integers(min_value=-(2 ** 70), max_value=-1), st.floats(allow_nan=True), st.just(True),
                  st.binary(max_size=3), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2),
                                                                                                  st.integers()),
                  st.just(object()))

CALLS = {
    "Loop.connect": (lambda **kw: Loop().connect(**{"host": "127.0.0.1", "service": "1", **kw}),
                     ["host", "service", "family", "socktype", "protocol", "flags", "timeout", "on_connected",
                      "on_connect_error", "on_fail", "local_host"]),
    "Loop.listen": (lambda **kw: Loop().listen(**{"on_accept": print, "host": "127.0.0.1", "service": 0, **kw}),
                    ["host", "service", "family", "socktype", "protocol", "flags", "queuesize", "on_accept",
                     "on_listen", "on_fail"]),
    "SocketFactory": (lambda **kw: SocketFactory(**{"on_success": print, "on_failure": print,
                                                   "bind_address": "127.0.0.1", **kw}),
                      ["on_success", "on_failure", "socket_domain", "socket_type", "socket_protocol", "bind_address",
                       "bind_port", "remote_address", "listen_queue"]),
    "TCPClient": (lambda **kw: TCPClient(**{"remote_address": "127.0.0.1", "remote_port": 1, "server_input": print,
                                            **kw}),
                  ["remote_address", "remote_port", "server_input", "connected", "connect_error", "disconnected",
                   "pre_connect", "args", "connect_timeout", "domain", "bind_address", "bind_port", "filter"]),
    "TCPServer": (lambda **kw: TCPServer(**{"port": 0, "address": "127.0.0.1", "client_input": print, **kw}),
                  ["port", "address", "domain", "client_input", "client_connected", "client_error", "concurrency"]),
    "LineFilter": (lambda **kw: LineFilter(**kw), ["literal", "input_literal", "input_regexp", "output_literal",
                                                  "encoding", "max_length"]),
    "StreamServer": (lambda **kw: StreamServer(**{"listener": ("127.0.0.1", 0), "handle": print, **kw}),
                     ["listener", "handle", "backlog", "spawn"]),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_wrong_argument_is_refused_at_the_call_naming_it(call, data, caplog):
    make, names = CALLS[call]
    name = data.draw(st.sampled_from(names))
    value = data.draw(WRONG)
    caplog.clear()
    try:
        made = make(**{name: value})
    except (TypeError, ValueError) as e:
        # It names the argument (or the one it clashes with, e.g. remote_port for remote_address).
        assert any(n in str(e) for n in names + [name.split("_")[-1]]), f"{call}({name}={value!r}): {e}"
    else:
        # Accepted: then it must really be fine (no failure waiting in the hub).
        greensock.sleep(0.005)
        for close in ("close", "shutdown", "cancel"):
            if hasattr(made, close):
                getattr(made, close)()
                break
    greensock.sleep(0)
    failures = [r for r in caplog.records if r.name == "greensock"]  # what escaped into the hub
    assert not failures, f"{call}({name}={value!r}) left a failure in the hub:\n{caplog.text}"


# -- leaks ------------------------------------------------------------------------------------------------------------
def test_no_leak_over_many_connections():
    code = r"""
import gc, os, resource
import greensock
from greensock import socket
from greensock.server import StreamServer

def handle(sock, address):
    data = sock.recv(100)
    sock.sendall(data)

server = StreamServer(("127.0.0.1", 0), handle)
server.start()
address = server.address

def cycle(n):
    for i in range(n):
        c = socket.create_connection(address)
        c.sendall(b"ping %d" % i)
        assert c.recv(100) == b"ping %d" % i
        c.close()

def counts():
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    greenlets = sum(1 for o in gc.get_objects() if isinstance(o, greensock.Greenlet) and not o.dead)
    return fds, greenlets, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

clients = [greensock.spawn(cycle, 500) for _ in range(4)]
greensock.joinall(clients, raise_error=True)
base = counts()
clients = [greensock.spawn(cycle, 5000) for _ in range(4)]
greensock.joinall(clients, raise_error=True)
greensock.sleep(0.05)
after = counts()
print(base, after)
assert after[0] == base[0], (base, after)
assert after[1] == base[1], (base, after)
assert after[2] - base[2] < 20 * 1024, (base, after)   # KiB of peak RSS
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr


def test_filters_check_their_arguments():
    with pytest.raises((TypeError, ValueError), match="max_length"):
        LineFilter(max_length="10")
