"""POE SocketFactory, Client::TCP, Server::TCP and filters, following the documents and POE's tests."""
import errno
import os
import socket as std_socket

import pytest
from callback_helpers import Recorder, wait_for

import greensock
from greensock.callback import LineFilter, RecordTooLong, SocketFactory, StreamFilter, TCPClient, TCPServer


def closed_port():
    s = std_socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- SocketFactory ---------------------------------------------------------------------------
def test_listening_and_connecting_inet(poller):
    rec = Recorder()
    server = SocketFactory(bind_address="127.0.0.1", bind_port=0, on_success=rec("accept"), on_failure=rec("fail"))
    host, port = server.getsockname()  # valid at once
    assert host == "127.0.0.1" and port > 0
    client = SocketFactory(remote_address="127.0.0.1", remote_port=port, on_success=rec("connect"),
                           on_failure=rec("fail"))
    assert rec.events == []  # events come after the constructor has returned
    wait_for(lambda: rec.of("accept") and rec.of("connect"))
    sock, address, peer_port, wheel_id = rec.of("connect")[0]
    assert (address, peer_port, wheel_id) == ("127.0.0.1", port, client.id)
    accepted, address, peer_port, wheel_id = rec.of("accept")[0]
    assert address == "127.0.0.1" and peer_port == sock.getsockname()[1] and wheel_id == server.id
    assert server.id != client.id and server.ID() == server.id
    sock.sendall(b"hi")
    assert accepted.recv(10) == b"hi"
    for s in (sock, accepted):
        s.close()
    server.close()


def test_connect_refused_is_a_failure_event(poller):
    rec = Recorder()
    factory = SocketFactory(remote_address="127.0.0.1", remote_port=closed_port(), on_success=rec("ok"),
                            on_failure=rec("fail"))
    wait_for(lambda: rec.events)
    assert rec.of("fail") == [("connect", errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED), factory.id)]


def test_bind_failure_and_bad_host_and_service(poller):
    busy = std_socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rec = Recorder()
    SocketFactory(bind_address="127.0.0.1", bind_port=busy.getsockname()[1], on_success=rec("ok"),
                  on_failure=rec("bind"))
    SocketFactory(remote_address="no-such-host.invalid", remote_port=80, on_success=rec("ok"),
                  on_failure=rec("host"))
    SocketFactory(remote_address="127.0.0.1", remote_port="no-such-service", on_success=rec("ok"),
                  on_failure=rec("service"))
    wait_for(lambda: len(rec.events) == 3, timeout=20)
    assert rec.of("bind")[0][:2] == ("bind", errno.EADDRINUSE)
    assert rec.of("host")[0][:2] == ("inet_aton", errno.EADDRNOTAVAIL)
    assert rec.of("service")[0][:2] == ("getservbyname", errno.EADDRNOTAVAIL)
    busy.close()


def test_service_name_ports_and_reuse(poller):
    rec = Recorder()
    factory = SocketFactory(bind_address="127.0.0.1", bind_port=0, reuse="yes", on_success=rec("ok"),
                            on_failure=rec("fail"))
    assert factory.sock.getsockopt(std_socket.SOL_SOCKET, std_socket.SO_REUSEADDR)
    plain = SocketFactory(bind_address="127.0.0.1", on_success=rec("ok"), on_failure=rec("fail"))
    assert not plain.sock.getsockopt(std_socket.SOL_SOCKET, std_socket.SO_REUSEADDR)  # reuse defaults to off
    with pytest.raises(ValueError, match="reuse"):
        SocketFactory(bind_address="127.0.0.1", reuse="maybe", on_success=print, on_failure=print)
    factory.close()
    plain.close()


def test_listen_queue_is_clamped_to_somaxconn():
    f = SocketFactory(bind_address="127.0.0.1", listen_queue=10 ** 6, on_success=print, on_failure=print)
    assert f._queue == std_socket.SOMAXCONN
    f.close()


def test_udp_unconnected_and_connected(poller):
    rec = Recorder()
    a = SocketFactory(socket_protocol="udp", bind_address="127.0.0.1", on_success=rec("a"), on_failure=rec("fail"))
    b = SocketFactory(socket_protocol="udp", bind_address="127.0.0.1", remote_address="127.0.0.1",
                      remote_port=a.getsockname()[1], on_success=rec("b"), on_failure=rec("fail"))
    wait_for(lambda: rec.of("a") and rec.of("b"))
    sa, addr, port, wid = rec.of("a")[0]
    assert (addr, port, wid) == (None, None, a.id) and sa.type == std_socket.SOCK_DGRAM
    sb, addr, port, _ = rec.of("b")[0]
    assert (addr, port) == ("127.0.0.1", a.getsockname()[1])
    sb.send(b"datagram")
    assert sa.recvfrom(100)[0] == b"datagram"
    assert b.id != a.id


def test_unix_listen_and_connect(tmp_path):
    path = str(tmp_path / "poe.sock")
    rec = Recorder()
    SocketFactory(socket_domain=std_socket.AF_UNIX, bind_address=path, on_success=rec("accept"),
                  on_failure=rec("fail"))
    SocketFactory(socket_domain=std_socket.AF_UNIX, remote_address=path, on_success=rec("connect"),
                  on_failure=rec("fail"))
    wait_for(lambda: rec.of("accept") and rec.of("connect"))
    assert rec.of("accept")[0][1:3] == (None, None)  # an unnamed AF_UNIX peer
    assert rec.of("connect")[0][1:3] == (path, None)
    missing = Recorder()
    SocketFactory(socket_domain=std_socket.AF_UNIX, remote_address=str(tmp_path / "missing"),
                  on_success=missing("ok"), on_failure=missing("fail"))
    wait_for(lambda: missing.events)
    assert missing.of("fail")[0][:2] == ("connect", errno.ENOENT)


def test_ipv6_when_available(poller):
    if not std_socket.has_ipv6:
        pytest.skip("no IPv6 support in this Python")
    rec = Recorder()
    try:
        server = SocketFactory(socket_domain=std_socket.AF_INET6, bind_address="::1", on_success=rec("accept"),
                               on_failure=rec("fail"))
        wait_for(lambda: server.getsockname() or rec.of("fail"))
    except AssertionError:
        pytest.skip("::1 is not usable here")
    if rec.of("fail"):
        pytest.skip(f"::1 is not usable here: {rec.of('fail')}")
    SocketFactory(socket_domain=std_socket.AF_INET6, remote_address="::1", remote_port=server.getsockname()[1],
                  on_success=rec("connect"), on_failure=rec("fail"))
    wait_for(lambda: rec.of("accept") and rec.of("connect"))
    assert rec.of("connect")[0][1] == "::1"


def test_pause_and_resume_accept(poller):
    rec = Recorder()
    server = SocketFactory(bind_address="127.0.0.1", on_success=rec("accept"), on_failure=rec("fail"))
    server.pause_accept()
    c = std_socket.create_connection(server.getsockname())
    greensock.sleep(0.05)
    assert rec.of("accept") == []
    server.resume_accept()
    wait_for(lambda: rec.of("accept"))
    c.close()
    server.close()


def test_unsupported_domain_and_protocol_raise_at_the_call():
    with pytest.raises(ValueError, match="socket_domain"):
        SocketFactory(socket_domain=12345, on_success=print, on_failure=print)
    with pytest.raises(ValueError, match="socket_protocol"):
        SocketFactory(socket_protocol="sctp", on_success=print, on_failure=print)
    with pytest.raises(TypeError, match="on_failure"):
        SocketFactory(on_success=print, on_failure=None)
    with pytest.raises(ValueError, match="remote_port"):
        SocketFactory(remote_address="127.0.0.1", on_success=print, on_failure=print)


# -- filters --------------------------------------------------------------------------------
def test_line_filter_defaults():
    f = LineFilter()
    assert [f.get(c) for c in (b"a\r", b"b\n", b"c\r\n", b"d\n\r")] == [["a"], ["b"], ["c"], ["d"]]
    assert f.put(["x"]) == b"x\r\n"
    f = LineFilter()
    assert f.get(b"a\r\nb\nc\rd\n\re\n\nf") == ["a", "b", "c", "d", "e", ""] and f.get_pending() == b"f"
    f = LineFilter()
    assert f.get(b"a\r") + f.get(b"\nb\n") == ["a", "b"]  # a CR/LF split across chunks is one terminator


def test_line_filter_options():
    assert LineFilter(literal="x").get(b"1x2x3") == ["1", "2"]
    assert LineFilter(literal="|").put(["a"]) == b"a|"
    f = LineFilter(input_literal="||", output_literal="\n")
    assert f.get(b"a||b||") == ["a", "b"] and f.put(["c"]) == b"c\n"
    assert LineFilter(input_regexp=r"[,;]").get(b"a,b;c") == ["a", "b"]
    assert LineFilter(input_regexp=rb"\d", encoding=None).get(b"a1b2") == [b"a", b"b"]
    clone = LineFilter(literal="x").clone()
    assert clone.get(b"ax") == ["a"]
    with pytest.raises(ValueError):
        LineFilter(literal="x", input_literal="y")
    with pytest.raises(ValueError):
        LineFilter(literal="")
    with pytest.raises(ValueError, match="max_length"):
        LineFilter(max_length=0)
    with pytest.raises(TypeError, match="output_literal"):
        LineFilter(output_literal=5)


def test_line_filter_max_length_discards_the_record():
    f = LineFilter(max_length=4)
    with pytest.raises(ValueError):
        f.get(b"123456")
    assert f.get(b"78\nok\n") == ["ok"]
    with pytest.raises(RecordTooLong) as info:
        f.get(b"fine\ntoolong\nnext\n")
    assert isinstance(info.value, ValueError) and info.value.records == ["fine", "next"]


def test_line_filter_refuses_a_bad_regexp_naming_it():
    with pytest.raises(ValueError, match="input_regexp"):
        LineFilter(input_regexp=b"(")



def test_stream_filter():
    f = StreamFilter()
    assert f.get(b"") == [] and f.get(b"abc") == [b"abc"] and f.put([b"a", b"b"]) == b"ab"
    assert isinstance(f.clone(), StreamFilter)


# -- Client::TCP and Server::TCP -----------------------------------------------------------
def rot13(text):
    import codecs
    return codecs.encode(text, "rot13")


def make_server(rec, **kw):
    kw.setdefault("client_input", lambda session, line: session.put(rot13(line)) if line != "quit"
                  else session.shutdown())
    return TCPServer(address="127.0.0.1", port=0, client_connected=rec("s_connected"),
                     client_disconnected=rec("s_disconnected"), client_flushed=rec("s_flushed"),
                     client_error=rec("s_error"), **kw)


def test_client_server_round_trip_and_event_order(poller):
    rec = Recorder()
    server = make_server(rec, started=rec("s_started"), client_args=("arg",))
    assert server.port > 0

    def on_input(client, line):
        rec("c_input")(client, line)
        client.put("quit")

    client = TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=on_input,
                       started=rec("c_started"), args=(1, 2),
                       connected=lambda c, sock, addr, port: (rec("c_connected")(c, addr, port),
                                                              c.put("this is a test")),
                       server_error=rec("c_error"), server_flushed=rec("c_flushed"),
                       disconnected=rec("c_disconnected"))
    wait_for(lambda: "c_disconnected" in rec.names())
    names = rec.names()
    assert names.index("s_started") < names.index("s_connected")
    assert names.index("c_started") < names.index("c_connected") < names.index("c_input")
    assert rec.of("c_started")[0] == (client, 1, 2)
    assert rec.of("s_connected")[0][1:] == ("arg",)
    assert rec.of("c_connected")[0][1:] == ("127.0.0.1", server.port)
    assert rec.of("c_input")[0][1] == "guvf vf n grfg"
    assert rec.of("c_error")[0][1:] == ("read", 0, "")  # EOF
    assert names.index("c_error") < names.index("c_disconnected")
    assert not client.connected
    wait_for(lambda: "s_disconnected" in rec.names())
    server.shutdown()


def test_connect_error_on_a_port_nobody_listens_on(poller):
    rec = Recorder()
    TCPClient(remote_address="127.0.0.1", remote_port=closed_port(), server_input=rec("input"),
              connected=rec("connected"), connect_error=rec("connect_error"))
    wait_for(lambda: rec.events)
    assert rec.names() == ["connect_error"]
    assert rec.of("connect_error")[0][1:3] == ("connect", errno.ECONNREFUSED)


def test_connect_timeout_is_etimedout(poller):
    blocker = std_socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(0)
    fillers = []
    for _ in range(8):
        f = std_socket.socket()
        f.setblocking(False)
        f.connect_ex(blocker.getsockname())
        fillers.append(f)
    rec = Recorder()
    TCPClient(remote_address="127.0.0.1", remote_port=blocker.getsockname()[1], server_input=rec("input"),
              connect_timeout=0.2, connected=rec("connected"), connect_error=rec("connect_error"))
    wait_for(lambda: rec.events, timeout=10)
    if rec.names() == ["connected"]:
        pytest.skip("the kernel accepted instead of dropping the SYN")
    assert rec.of("connect_error")[0][1:] == ("connect", errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))
    for f in fillers:
        f.close()
    blocker.close()


def test_reconnect_drops_without_disconnected_and_connect_changes_address(poller):
    rec = Recorder()
    s1 = make_server(rec)
    s2 = make_server(rec)
    client = TCPClient(remote_address="127.0.0.1", remote_port=s1.port, server_input=rec("input"),
                       connected=lambda c, *a: rec("connected")(a[-1]), disconnected=rec("disconnected"))
    wait_for(lambda: rec.of("connected"))
    assert rec.of("connected")[0] == (s1.port,)
    client.connect("127.0.0.1", s2.port)
    wait_for(lambda: len(rec.of("connected")) == 2)
    assert rec.of("connected")[1] == (s2.port,)
    client.reconnect()
    wait_for(lambda: len(rec.of("connected")) == 3)
    assert rec.of("connected")[2] == (s2.port,) and "disconnected" not in rec.names()
    client.put("hello")
    wait_for(lambda: rec.of("input"))
    assert rec.of("input")[0][1] == "uryyb"
    client.shutdown()
    wait_for(lambda: "disconnected" in rec.names())
    client.reconnect(delay=0.01)
    wait_for(lambda: len(rec.of("connected")) == 4)
    client.shutdown()
    s1.shutdown()
    s2.shutdown()


def test_shutdown_flushes_pending_output_then_disconnects(poller):
    rec = Recorder()
    received = []
    server = make_server(rec, client_input=lambda s, line: received.append(line))
    big = "x" * 200_000

    def connected(client, *a):
        for _ in range(20):
            client.put(big)
        client.shutdown()

    TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"), connected=connected,
              server_flushed=rec("flushed"), disconnected=rec("disconnected"))
    wait_for(lambda: "disconnected" in rec.names(), timeout=20)
    assert rec.names()[-2:] == ["flushed", "disconnected"]
    wait_for(lambda: len(received) == 20, timeout=20)
    assert all(line == big for line in received)
    server.shutdown()


def test_shutdown_while_connecting_makes_no_callbacks(poller):
    rec = Recorder()
    server = make_server(rec)
    client = TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
                       connected=rec("connected"), connect_error=rec("connect_error"),
                       disconnected=rec("disconnected"), started=lambda c: c.shutdown())
    greensock.sleep(0.1)
    assert [n for n in rec.names() if not n.startswith("s_")] == []
    assert not client.connected and client.shutting_down
    server.shutdown()


def test_put_while_not_connected_raises():
    client = TCPClient(remote_address="127.0.0.1", remote_port=closed_port(), server_input=print,
                       connect_error=lambda *a: None)
    with pytest.raises(RuntimeError):
        client.put("early")
    client.shutdown()


def test_pre_connect_can_replace_or_refuse_the_socket(poller):
    rec = Recorder()
    server = make_server(rec)
    seen = []

    def pre_connect(client, sock):
        seen.append(sock.fileno() >= 0)
        return sock

    TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
              pre_connect=pre_connect, connected=lambda c, *a: c.put("abc"))
    wait_for(lambda: rec.of("input"))
    assert seen == [True]
    refused = Recorder()
    TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=refused("input"),
              pre_connect=lambda c, s: None, connected=refused("connected"))
    greensock.sleep(0.05)
    assert refused.events == []
    server.shutdown()


def test_watermarks_fire_when_crossed(poller):
    rec = Recorder()
    server = make_server(rec, client_input=lambda s, line: None)

    def connected(client, *a):
        rec("put_returned")(client.put("y" * 300_000))

    TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
              connected=connected, high_mark=100_000, low_mark=1000,
              server_high=rec("high"), server_low=rec("low"), server_flushed=rec("flushed"))
    wait_for(lambda: "flushed" in rec.names(), timeout=20)
    assert rec.of("put_returned")[0][0] is True
    names = [n for n in rec.names() if n in ("high", "low", "flushed")]
    assert names == ["high", "low", "flushed"]
    server.shutdown()


def test_record_longer_than_the_filter_maximum(poller):
    rec = Recorder()
    server = make_server(rec, client_input=lambda s, line: s.put("z" * 5000))
    client = TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
                       filter=LineFilter(max_length=100), connected=lambda c, *a: c.put("go"),
                       server_error=rec("error"), disconnected=rec("disconnected"))
    wait_for(lambda: "disconnected" in rec.names())
    assert rec.of("error")[0][1:3] == ("read", errno.EMSGSIZE) and rec.of("input") == []
    assert not client.connected
    server.shutdown()


def test_client_constructor_checks_its_arguments():
    with pytest.raises(TypeError, match="server_input"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=None)
    with pytest.raises(TypeError, match="connected"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=print, connected="yes")
    with pytest.raises(ValueError, match="watermark"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=print, high_mark=10)
    with pytest.raises(TypeError, match="filter"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=print, filter="POE::Filter::Line")
    with pytest.raises(ValueError, match="connect_timeout"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=print, connect_timeout=0)
    with pytest.raises(TypeError, match="args"):
        TCPClient(remote_address="127.0.0.1", remote_port=1, server_input=print, args="abc")


@pytest.mark.parametrize("limit", [1, 4])
def test_server_concurrency_limit(poller, limit):
    active, peak = [], []

    def on_connect(session):
        active.append(session)
        peak.append(len(active))

    def on_disconnect(session):
        active.remove(session)

    server = TCPServer(address="127.0.0.1", concurrency=limit, client_input=lambda s, line: s.shutdown(),
                       client_connected=on_connect, client_disconnected=on_disconnect)
    rec = Recorder()
    clients = [TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
                         connected=lambda c, *a: c.put("bye"), disconnected=rec("disconnected"))
               for _ in range(8)]
    wait_for(lambda: len(rec.of("disconnected")) == 8, timeout=20)
    assert max(peak) == limit
    server.set_concurrency(-1)
    with pytest.raises(ValueError, match="concurrency"):
        server.set_concurrency(0)
    server.shutdown()
    assert clients


def test_server_session_attributes_pre_connect_and_filter(poller):
    rec = Recorder()
    sessions = []

    def pre(session, sock):
        sessions.append(session)
        return sock

    server = TCPServer(address="127.0.0.1", client_input=lambda s, r: s.put(r[::-1]), client_pre_connect=pre,
                       client_filter=LineFilter(literal="\n"))
    c = std_socket.create_connection(("127.0.0.1", server.port))
    c.sendall(b"abc\n")
    wait_for(lambda: sessions)
    s = sessions[0]
    assert s.remote_address == "127.0.0.1" and s.remote_port == c.getsockname()[1] and s.id > 0
    greensock.sleep(0.02)
    assert c.recv(100) == b"cba\n"
    c.close()
    server.shutdown()
    assert rec.events == []


def test_server_listener_error_goes_to_error_callback(poller):
    busy = std_socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rec = Recorder()
    TCPServer(address="127.0.0.1", port=busy.getsockname()[1], client_input=print, error=rec("error"))
    wait_for(lambda: rec.events)
    server, op, num, text = rec.of("error")[0]
    assert op == "bind" and num == errno.EADDRINUSE
    busy.close()


def test_server_constructor_checks():
    with pytest.raises(TypeError, match="client_input"):
        TCPServer(client_input=None)
    with pytest.raises(ValueError, match="concurrency"):
        TCPServer(client_input=print, concurrency=0)
    with pytest.raises(TypeError, match="client_filter"):
        TCPServer(client_input=print, client_filter=object())


def test_client_binds_locally_and_shutdown_on_error_can_be_turned_off(poller):
    rec = Recorder()
    bound = []
    server = make_server(rec, client_input=lambda s, line: s.put(line) if line != "close" else s.shutdown())

    def connected(client, sock, *a):
        bound.append(sock.getsockname())
        client.shutdown_on_error = False
        client.put("close")

    client = TCPClient(remote_address="127.0.0.1", remote_port=server.port, server_input=rec("input"),
                       bind_address="127.0.0.1", bind_port=0, connected=connected,
                       server_error=rec("error"), disconnected=rec("disconnected"))
    wait_for(lambda: rec.of("error"))
    greensock.sleep(0.05)
    assert bound[0][0] == "127.0.0.1"
    assert "disconnected" not in rec.names() and client.connected  # it stayed up after EOF
    client.shutdown()
    wait_for(lambda: "disconnected" in rec.names())
    server.shutdown()
