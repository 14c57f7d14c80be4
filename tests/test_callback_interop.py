"""Callback-style and green code on one hub, in one process, in both directions."""
from callback_helpers import Recorder, wait_for

import greensock
from greensock import socket
from greensock.callback import Loop, Stream, TCPClient, TCPServer
from greensock.server import StreamServer


def test_callback_server_with_green_clients(poller):
    loop = Loop()

    def on_accept(client):
        def on_read(stream, buffer, eof):
            stream.write(bytes(buffer).upper())
            del buffer[:]
            return False
        loop.add(Stream(handle=client, on_read=on_read, autoflush=True))

    # 30 clients connect at once: IO::Async's default queuesize of 3 would make this depend
    # on TCP retransmission timing, so give the burst a realistic backlog.
    listener = loop.listen(host="127.0.0.1", service=0, queuesize=64, on_accept=on_accept)

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
