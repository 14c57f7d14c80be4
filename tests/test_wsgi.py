"""greensock.wsgi against real clients (requests, http.client, raw sockets), server in its own process."""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("httptools", reason="the http extra (httptools, wsproto) is not installed")
requests = pytest.importorskip("requests")

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "wsgi", "apps.py")
ROOT = os.path.dirname(HERE)


class Served:
    def __init__(self, options: dict) -> None:
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen([sys.executable, APPS, json.dumps(options)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT"):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def raw(self, data: bytes, timeout: float = 5.0) -> bytes:
        """Send ``data`` on a new connection, read until the server closes it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            return read_all(s)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def read_all(s) -> bytes:
    chunks = []
    while True:
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


@pytest.fixture
def server(request):
    served = Served(getattr(request, "param", {}))
    yield served
    served.stop()


# -- requests and http.client ----------------------------------------------------------------------------
def test_hello_with_requests_and_keep_alive(server):
    with requests.Session() as session:
        for _ in range(3):
            r = session.get(server.url + "/")
            assert r.status_code == 200 and r.text == "Hello, World!"
            assert r.headers["Content-Length"] == "13" and "Date" in r.headers
    raw = server.raw(b"GET /sized HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    # The application gave its own Content-Length: it is sent once.
    assert raw.endswith(b"sized") and raw.count(b"Content-Length") == 1 and raw.count(b"Date") == 1


def test_post_bodies_echoed_with_http_client(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for size in (0, 1, 65536, 1_000_003):
        body = os.urandom(size)
        conn.request("POST", "/echo", body=body)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == body
    conn.close()


def test_chunked_request_body_is_streamed(server):
    def gen():
        for i in range(50):
            yield b"line %d\n" % i
    r = requests.post(server.url + "/lines", data=gen())
    assert r.status_code == 200
    count, _, rest = r.content.partition(b":")
    assert count == b"50" and rest == b"".join(b"line %d\n" % i for i in range(50))


def test_response_without_length_is_chunked_on_11_and_closed_on_10(server):
    r = requests.get(server.url + "/chunks")
    assert r.headers.get("Transfer-Encoding") == "chunked" and r.text == "part0;part1;part2;part3;part4;"
    raw = server.raw(b"GET /chunks HTTP/1.0\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Connection: close" in head
    assert body == b"part0;part1;part2;part3;part4;"


def test_write_callable(server):
    assert requests.get(server.url + "/write").text == "written;returned"


def test_head_never_sends_a_body(server):
    raw = server.raw(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 13" in head and body == b""


def test_http_10_keep_alive_is_said(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        data = b""
        while b"Hello, World!" not in data:
            data += s.recv(4096)
        assert b"Connection: keep-alive" in data
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        rest = read_all(s)
        assert rest.count(b"Hello, World!") == 1 and b"Connection: close" in rest


def test_pipelined_requests_are_answered_in_order(server):
    data = b"".join(b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % p for p in (b"", b"chunks", b"missing"))
    raw = server.raw(data + b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlast")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)
    assert statuses == [b"200", b"200", b"404", b"200"]
    assert raw.index(b"Hello, World!") < raw.index(b"part0") < raw.index(b"no such page") < raw.rindex(b"last")


def test_expect_100_continue_only_when_the_body_is_read(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        data = b""
        while not data.endswith(b"hello"):
            data += s.recv(4096)
        assert data.startswith(b"HTTP/1.1 200")
    raw = server.raw(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                     b"Connection: close\r\n\r\n")
    assert b"100 Continue" not in raw and raw.startswith(b"HTTP/1.1 200")  # the body was never read


def test_environ_is_pep_3333(server):
    env = requests.get(server.url + "/environ?a=1&b=%20", headers={"X-Multi": "one"},
                       cookies={"c1": "v1"}).json()
    for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT",
                "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "wsgi.multithread",
                "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated"):
        assert key in env, key
    assert env["QUERY_STRING"] == "a=1&b=%20" and env["HTTP_X_MULTI"] == "one" and env["wsgi.url_scheme"] == "http"
    assert env["wsgi.input_terminated"] is True and env["REMOTE_ADDR"] == "127.0.0.1"
    raw = server.raw(b"GET /%65nviron HTTP/1.1\r\nHost: x\r\nX-Rep: a\r\nX-Rep: b\r\nX_Sneaky: 1\r\n"
                     b"Connection: close\r\n\r\n")
    env = json.loads(raw.partition(b"\r\n\r\n")[2])
    assert env["PATH_INFO"] == "/environ" and env["HTTP_X_REP"] == "a,b" and "HTTP_X_SNEAKY" not in env


def test_wsgiref_validator_is_satisfied(server):
    assert requests.get(server.url + "/validated").text == "Hello, World!"
    assert requests.post(server.url + "/validated-echo", data=b"x" * 1000).content == b"x" * 1000


def test_file_wrapper_sends_the_file(server):
    r = requests.get(server.url + "/file")
    assert r.content == bytes(range(256)) * 1000 and r.headers["Content-Length"] == "256000"


# -- errors -------------------------------------------------------------------------------------------------
def test_application_error_is_a_500_that_reveals_nothing(server):
    r = requests.get(server.url + "/fail-early")
    assert r.status_code == 500 and "secret" not in r.text and r.text.startswith("500")
    r = requests.get(server.url + "/no-start")
    assert r.status_code == 500
    err = server.stop()
    assert "secret detail" in err and "RuntimeError" in err  # the traceback went to the error log


def test_application_error_after_the_headers_closes_the_connection(server):
    raw = server.raw(b"GET /fail-late HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"first\r\n")  # no final chunk: truncated


# -- strict parsing ------------------------------------------------------------------------------------------
BAD = [
    (b"GARBAGE\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", b"400"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", b"501"),
    # chunked must be the last coding (RFC 9112, 6.3): 400, not 501
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", b"400"),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", b"505"),
    (b"GET / HTTP/3.1\r\nHost: x\r\n\r\n", b"505"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", b"431"),
    (b"GET / HTTP/1.1\r\nX: " + b"v" * 70000 + b"\r\n\r\n", b"431"),
]


@pytest.mark.parametrize("data, status", BAD, ids=[s.decode() + "-" + str(i) for i, (_, s) in enumerate(BAD)])
def test_malformed_requests_get_their_status_and_the_connection_closes(server, data, status):
    raw = server.raw(data)
    assert raw.split(b" ", 2)[1] == status, raw[:200]
    assert raw.count(b"HTTP/1.1 ") == 1  # nothing after it, not even a smuggled request


SMUGGLING = [
    # CL.TE and TE.CL: a body that holds a second request
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0\r\n\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
    b"5c\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n",
    # obfuscated Transfer-Encoding
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n"
    b"0\r\n\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: x\r\n\r\n"
    b"0\r\n\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nContent-Length: 4\r\n\r\n"
    b"0\r\n\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
]


@pytest.mark.parametrize("data", SMUGGLING)
def test_no_second_request_is_ever_smuggled_out_of_a_body(server, data):
    raw = server.raw(data)
    assert b"SERVER_PROTOCOL" not in raw  # /environ never ran
    assert raw.startswith(b"HTTP/1.1 4") or raw.startswith(b"HTTP/1.1 50") or raw.count(b"HTTP/1.1 ") == 1


# -- timeouts and concurrency ------------------------------------------------------------------------------------
@pytest.mark.parametrize("server", [{"header_timeout": 0.5, "keepalive_timeout": 0.5}], indirect=True)
def test_slow_headers_get_408_while_others_are_served(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        for _ in range(3):
            assert requests.get(server.url + "/").status_code == 200
        start = time.monotonic()
        raw = read_all(slow)
        assert raw.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 5
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = read_all(idle)  # the idle keep-alive connection closes after its timeout, silently
        assert raw.count(b"HTTP/1.1 200") == 1 and b"408" not in raw


def test_200_concurrent_slow_requests_finish_in_about_one_request_time(server):
    results = []

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/slow")
        results.append(conn.getresponse().read())
        conn.close()

    threads = [threading.Thread(target=one) for _ in range(200)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [b"slept"] * 200
    assert time.monotonic() - start < 200 * 0.5 / 4  # served concurrently, not one after another


# -- TLS and the access log -----------------------------------------------------------------------------------------
@pytest.fixture
def tls_files(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


def test_tls_and_the_cli(tls_files, tmp_path):
    cert, key = tls_files
    log = tmp_path / "access.log"
    proc = subprocess.Popen([sys.executable, "-m", "greensock.wsgi", "wsgi.apps:app", "--bind", "127.0.0.1:0",
                             "--certfile", str(cert), "--keyfile", str(key), "--access-log", str(log)],
                            cwd=HERE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        line = proc.stderr.readline()
        assert "https://" in line, line
        port = int(line.split("https://")[1].split()[0].rsplit(":", 1)[1])
        r = requests.get(f"https://127.0.0.1:{port}/environ", verify=str(cert))
        assert r.status_code == 200 and r.json()["wsgi.url_scheme"] == "https"
        deadline = time.monotonic() + 10  # the line is written just after the response is sent
        while time.monotonic() < deadline and not (log.exists() and log.read_text()):
            time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = log.read_text()
    assert '"GET /environ HTTP/1.1" 200 ' in text and text.startswith("127.0.0.1 - - [")


def test_access_log_lines(tmp_path):
    log = tmp_path / "access.log"
    served = Served({"access_log": str(log)})
    try:
        requests.get(served.url + "/?q=1")
        requests.get(served.url + "/missing")
        deadline = time.monotonic() + 10  # the line is written just after the response is sent
        while time.monotonic() < deadline and log.read_text().count("\n") < 2:
            time.sleep(0.01)
    finally:
        served.stop()
    lines = log.read_text().splitlines()
    pattern = re.compile(r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                         r'"GET (/\?q=1|/missing) HTTP/1\.1" (200 13|404 12) \d+\.\d{6}$')
    assert len(lines) == 2 and all(pattern.match(line) for line in lines), lines


def test_cli_argument_errors():
    out = subprocess.run([sys.executable, "-m", "greensock.wsgi", "wsgi.apps:app", "--bind", "127.0.0.1"],
                         cwd=HERE, capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 2 and "--bind" in out.stderr and "Traceback" not in out.stderr


# -- WebSocket --------------------------------------------------------------------------------------------------
websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")


def test_websocket_echo_text_binary_and_fragments(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", timeout=10)
    ws.send("hello")
    assert ws.recv() == "hello"
    ws.send_binary(b"\x00\x01binary")
    assert ws.recv() == b"\x00\x01binary"
    ws.send_frame(websocket.ABNF.create_frame("frag", websocket.ABNF.OPCODE_TEXT, fin=0))
    ws.send_frame(websocket.ABNF.create_frame("men", websocket.ABNF.OPCODE_CONT, fin=0))
    ws.send_frame(websocket.ABNF.create_frame("ted", websocket.ABNF.OPCODE_CONT, fin=1))
    assert ws.recv() == "fragmented"
    ws.ping(b"are you there")
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_PONG and frame.data == b"are you there"
    ws.close()


def test_websocket_close_codes(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", timeout=10)
    ws.send("close-please")
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 4001 and frame.data[2:] == b"asked"
    ws.close()


def test_websocket_protocol_error_closes_with_1002(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", timeout=10)
    bad = websocket.ABNF(fin=1, rsv1=1, opcode=websocket.ABNF.OPCODE_TEXT, data="x")  # RSV1 without an extension
    ws.send_frame(bad)
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1002


def test_websocket_message_over_the_limit_closes_with_1009(server):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", timeout=30)
    try:
        ws.send_binary(b"x" * (16 * 1024 * 1024 + 1))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close before it has read it all
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1009


def test_plain_request_to_a_websocket_route_gets_http(server):
    assert requests.get(server.url + "/ws").status_code == 400


# -- frameworks, served unchanged --------------------------------------------------------------------------------
def serve_cli(app: str, *extra: str):
    proc = subprocess.Popen([sys.executable, "-m", "greensock.monkey", "-m", "greensock.wsgi", app, "--bind",
                             "127.0.0.1:0", "--access-log", "none", *extra],
                            cwd=HERE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    line = proc.stderr.readline()
    if "http://" not in line:
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return proc, int(line.split("http://")[1].split()[0].rsplit(":", 1)[1])


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_flask_application_and_flask_sock_websocket():
    pytest.importorskip("flask_sock", reason="flask-sock is not installed")
    proc, port = serve_cli("wsgi.flask_app:app")
    try:
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/").text == "flask says hi"
        assert requests.post(url + "/echo", data=b"payload").content == b"payload"
        results = []
        threads = [threading.Thread(target=lambda: results.append(requests.get(url + "/slow").text))
                   for _ in range(20)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == ["slept"] * 20 and time.monotonic() - start < 20 * 0.5 / 4
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=10)
        ws.send("through simple-websocket")
        assert ws.recv() == "through simple-websocket"
        ws.send("bye")
        ws.close()
        assert requests.get(url + "/").text == "flask says hi"  # the server carries on
    finally:
        stop(proc)


def test_django_application():
    pytest.importorskip("django", reason="Django is not installed")
    proc, port = serve_cli("wsgi.django_app:app")
    try:
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/?name=greensock").text == "django says hi to greensock"
        assert requests.post(url + "/echo", data=b"x" * 100000).content == b"x" * 100000
    finally:
        stop(proc)


# -- gunicorn -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("worker", ["greensock.gunicorn.Worker", "greensock.gunicorn.WSGIWorker"])
def test_gunicorn_workers_serve_concurrently_and_stop_on_term(worker):
    pytest.importorskip("gunicorn", reason="gunicorn is not installed")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", worker, "-w", "2", "--bind", "127.0.0.1:0",
                             "--graceful-timeout", "5", "wsgi.apps:app"],
                            cwd=HERE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        port = None
        booted = 0
        lines = []
        while booted < 2:
            line = proc.stderr.readline()
            if not line:
                raise AssertionError("gunicorn exited:\n" + "".join(lines))
            lines.append(line)
            if "Listening at:" in line:
                port = int(line.rsplit(":", 1)[1].split()[0])
            if "Booting worker" in line:
                booted += 1
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/").text == "Hello, World!"
        results = []
        threads = [threading.Thread(target=lambda: results.append(requests.get(url + "/slow").text))
                   for _ in range(40)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == ["slept"] * 40 and time.monotonic() - start < 40 * 0.5 / 4
        assert requests.post(url + "/echo", data=b"y" * 300000).content == b"y" * 300000
        proc.terminate()
        assert proc.wait(timeout=20) == 0
        rest = proc.stderr.read()
        assert "MonkeyPatchWarning" not in "".join(lines) + rest and "Traceback" not in rest, rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- in this process: stop() and the missing extra -----------------------------------------------------------------
def test_stop_lets_requests_in_flight_finish_and_closes_idle_connections(poller):
    import greensock
    import greensock.socket as gsocket
    from greensock.wsgi import WSGIServer

    def app(environ, start_response):
        greensock.sleep(0.3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"finished"]

    server = WSGIServer(("127.0.0.1", 0), app, log=None, spawn=10, keepalive_timeout=60)
    server.start()
    idle = gsocket.create_connection(server.address)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"finished" in idle.recv(4096)  # now idle, kept alive for a minute
    busy = gsocket.create_connection(server.address)
    busy.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    greensock.sleep(0.05)  # the request is in flight
    server.stop(timeout=5)
    assert idle.recv(4096) == b""  # closed at once, not after 60 s
    reply = read_all_green(busy)
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"finished") and b"Connection: close" in reply
    idle.close()
    busy.close()


def read_all_green(sock) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_importing_without_the_http_extra_names_it():
    code = ("import sys; sys.modules['httptools'] = None\n"
            "try:\n import greensock.wsgi\nexcept ImportError as e:\n print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert "greensock[http]" in out.stdout


def test_cli_serves_on_several_processes_and_stops_on_term():
    proc = subprocess.Popen([sys.executable, "-m", "greensock.wsgi", "wsgi.apps:app", "--bind", "127.0.0.1:0",
                             "--processes", "2", "--access-log", "none"],
                            cwd=HERE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        line = proc.stderr.readline()
        assert "with 2 processes" in line, line
        port = int(line.split("http://")[1].split()[0].rsplit(":", 1)[1])
        for _ in range(20):  # new connections, spread over the workers by the kernel
            r = requests.get(f"http://127.0.0.1:{port}/", headers={"Connection": "close"})
            assert r.text == "Hello, World!"
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
