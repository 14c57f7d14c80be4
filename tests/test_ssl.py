"""Cooperative TLS with a certificate the test generates, alongside other greenlets."""
import os
import shutil
import subprocess

import pytest

import greensock
from greensock import sleep, socket, spawn
from greensock import ssl as gssl
from greensock.event import Event


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate and key for 'localhost'."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed, so no test certificate can be made")
    d = tmp_path_factory.mktemp("tls")
    certfile, keyfile = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", keyfile, "-out", certfile], check=True, capture_output=True, timeout=60)
    return certfile, keyfile


def tls_echo_server(cert):
    ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    srv = socket.create_server(("127.0.0.1", 0))

    def handle(raw):
        with ctx.wrap_socket(raw, server_side=True) as s:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                s.sendall(data)

    def serve():
        while True:
            raw, _ = srv.accept()
            spawn(handle, raw)

    return srv, spawn(serve)


def client_context(cert):
    ctx = gssl.create_default_context(cafile=cert[0])
    assert isinstance(ctx, gssl.SSLContext)
    return ctx


def test_tls_round_trips_concurrently_with_a_ticker(poller, cert):
    """Five TLS clients meet at a barrier mid-stream: only concurrent serving can pass it."""
    srv, server = tls_echo_server(cert)
    ticks = []
    ticker = spawn(lambda: [ticks.append(1) or sleep(0.001) for _ in range(10 ** 6)])
    ctx = client_context(cert)
    halves = [os.urandom(1024 * 1024) for _ in range(2)]
    at_midpoint = []
    everyone_there = Event()

    def exchange(c, payload):
        spawn(c.sendall, payload)
        got = bytearray()
        while len(got) < len(payload):
            got += c.recv(65536)
        return bytes(got) == payload

    def client(i):
        with ctx.wrap_socket(socket.create_connection(srv.getsockname()), server_hostname="localhost") as c:
            assert isinstance(c, gssl.SSLSocket) and c.version().startswith("TLS")
            ok = exchange(c, halves[0])
            at_midpoint.append(i)
            if len(at_midpoint) == 5:
                everyone_there.set()
            everyone_there.wait()
            ticks_before = len(ticks)
            sleep(0.01)
            assert len(ticks) > ticks_before  # the ticker runs while clients hold open TLS sessions
            return ok and exchange(c, halves[1])

    clients = [spawn(client, i) for i in range(5)]
    greensock.joinall(clients, timeout=60, raise_error=True)
    assert all(c.value for c in clients) and sorted(at_midpoint) == list(range(5))
    ticker.kill()
    server.kill()
    srv.close()


def test_tls_verification_failure_and_hostname(cert):
    srv, server = tls_echo_server(cert)
    ctx = gssl.create_default_context()  # does not trust our self-signed certificate
    with pytest.raises(gssl.SSLCertVerificationError):
        ctx.wrap_socket(socket.create_connection(srv.getsockname()), server_hostname="localhost")
    ctx = client_context(cert)
    with pytest.raises(gssl.SSLCertVerificationError):
        ctx.wrap_socket(socket.create_connection(srv.getsockname()), server_hostname="not-localhost")
    server.kill()
    srv.close()


def test_tls_timeout_while_the_server_stalls(cert):
    srv = socket.create_server(("127.0.0.1", 0))
    ctx = client_context(cert)
    raw = socket.create_connection(srv.getsockname())
    raw.settimeout(0.1)
    with pytest.raises((TimeoutError, gssl.SSLError)):
        ctx.wrap_socket(raw, server_hostname="localhost")  # nobody answers the handshake
    raw.close()
    srv.close()


def test_tls_unwrap_and_deferred_handshake(poller, cert):
    sctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(*cert)
    a, b = socket.socketpair()

    def server():
        s = sctx.wrap_socket(b, server_side=True, do_handshake_on_connect=False)
        s.do_handshake()
        assert s.recv(100) == b"secret"
        plain = s.unwrap()
        plain.sendall(b"plain again")
        return True

    g = spawn(server)
    c = client_context(cert).wrap_socket(a, server_hostname="localhost", do_handshake_on_connect=False)
    c.do_handshake()
    c.sendall(b"secret")
    plain = c.unwrap()
    assert plain.recv(100) == b"plain again"
    assert g.get(timeout=10)
    plain.close()


def test_wrap_socket_and_standard_socket_adoption(cert):
    import socket as std_socket
    srv, server = tls_echo_server(cert)
    raw = std_socket.create_connection(srv.getsockname())
    with gssl.wrap_socket(raw, ca_certs=cert[0], cert_reqs=gssl.CERT_REQUIRED) as c:
        assert isinstance(c, socket.socket)
        c.sendall(b"hello")
        assert c.recv(100) == b"hello"
    with pytest.raises(ValueError, match="certfile"):
        gssl.wrap_socket(socket.socket(), server_side=True)
    with pytest.raises(TypeError, match="purpose"):
        gssl.create_default_context("server")
    server.kill()
    srv.close()
