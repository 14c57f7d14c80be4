"""Real client libraries under ``patch_all()``, against real local servers.

Each scenario runs in a fresh interpreter (patching is process-wide). Every one proves
concurrency twice over: a ticker greenlet keeps ticking while the clients wait, and
the total time is far below what the same requests take one after another (each
request is made slow on purpose, server-side). Every reply is checked.
"""
from __future__ import annotations

from test_monkey import run_patched

HTTP_SERVER = """
import http.server, json, socketserver
class SlowHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(0.5)
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True
server = Server(("127.0.0.1", 0), SlowHandler)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
"""


def test_requests_200_concurrent_gets_against_http_server():
    out = run_patched(HTTP_SERVER, """
        import requests
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=200)
        session.mount("http://", adapter)
        def get(i):
            r = session.get(f"http://127.0.0.1:{port}/item/{i}", timeout=30)
            r.raise_for_status()
            return r.json()["path"]
        t0 = time.monotonic()
        n = len(ticks)
        gs = [greensock.spawn(get, i) for i in range(200)]
        paths = [g.get(timeout=60) for g in gs]
        elapsed = time.monotonic() - t0
        assert paths == [f"/item/{i}" for i in range(200)]
        assert elapsed < 10, elapsed            # one after another: 200 x 0.5 s = 100 s
        assert len(ticks) - n >= 20
        print("ok", round(elapsed, 2))
    """, timeout=90)
    assert out.startswith("ok")


def test_http_client_and_urllib_request_concurrently():
    out = run_patched(HTTP_SERVER, """
        import http.client, json, urllib.request
        def with_http_client(i):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/hc/{i}")
            resp = conn.getresponse()
            assert resp.status == 200
            path = json.loads(resp.read())["path"]
            conn.close()
            return path
        def with_urllib(i):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ul/{i}", timeout=30) as resp:
                return json.loads(resp.read())["path"]
        t0 = time.monotonic()
        n = len(ticks)
        gs = [greensock.spawn(with_http_client, i) for i in range(50)]
        gs += [greensock.spawn(with_urllib, i) for i in range(50)]
        paths = [g.get(timeout=60) for g in gs]
        elapsed = time.monotonic() - t0
        assert paths == [f"/hc/{i}" for i in range(50)] + [f"/ul/{i}" for i in range(50)]
        assert elapsed < 8, elapsed             # one after another: 100 x 0.5 s = 50 s
        assert len(ticks) - n >= 20
        print("ok")
    """, timeout=90)
    assert out.strip() == "ok"


SMTP_SERVER = """
import socketserver
received = {}
class SMTPHandler(socketserver.StreamRequestHandler):
    '''Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT; slow to accept mail.'''
    def reply(self, line):
        self.wfile.write(line.encode() + b"\\r\\n")
    def handle(self):
        self.reply("220 localhost test SMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline().decode().rstrip("\\r\\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline().decode().rstrip("\\r\\n")
                    if data == ".":
                        break
                    lines.append(data[1:] if data.startswith("..") else data)
                time.sleep(0.5)
                received[rcpts[0]] = (sender, "\\n".join(lines))
                self.reply("250 OK queued")
            elif verb == "QUIT" or not line:
                self.reply("221 Bye")
                return
            else:
                self.reply("502 not implemented")
class Server(socketserver.ThreadingTCPServer):
    request_queue_size = 128
    daemon_threads = True
smtp = Server(("127.0.0.1", 0), SMTPHandler)
threading.Thread(target=smtp.serve_forever, daemon=True).start()
"""


def test_smtplib_sends_concurrently():
    out = run_patched(SMTP_SERVER, """
        import smtplib
        from email.message import EmailMessage
        def send(i):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "a@example.test", f"user{i}@example.test", f"hello {i}"
            msg.set_content(f"message body {i}\\n.leading dot")
            with smtplib.SMTP("127.0.0.1", smtp.server_address[1], timeout=30) as client:
                client.send_message(msg)
        t0 = time.monotonic()
        n = len(ticks)
        gs = [greensock.spawn(send, i) for i in range(40)]
        for g in gs:
            g.get(timeout=60)
        elapsed = time.monotonic() - t0
        assert elapsed < 6, elapsed            # one after another: 40 x 0.5 s = 20 s
        assert len(ticks) - n >= 20
        for i in range(40):
            sender, body = received[f"<user{i}@example.test>"]
            assert sender == "<a@example.test>"
            assert f"Subject: hello {i}" in body and f"message body {i}" in body and ".leading dot" in body
        print("ok")
    """, timeout=90)
    assert out.strip() == "ok"


def test_redis_py_100_greenlets_against_real_redis(redis_server):
    out = run_patched(f"""
        import redis
        r = redis.Redis(host="127.0.0.1", port={redis_server}, socket_timeout=30)
        r.flushall()
        def user(i):
            r.set(f"key:{{i}}", f"value-{{i}}")
            assert r.get(f"key:{{i}}") == f"value-{{i}}".encode()
            r.incr("counter")
            r.rpush("log", i)
            # Blocks server-side for 0.5 s on this greenlet's own connection.
            assert r.blpop([f"empty:{{i}}"], timeout=0.5) is None
            return r.get(f"key:{{i}}")
        t0 = time.monotonic()
        n = len(ticks)
        gs = [greensock.spawn(user, i) for i in range(100)]
        values = [g.get(timeout=60) for g in gs]
        elapsed = time.monotonic() - t0
        assert values == [f"value-{{i}}".encode() for i in range(100)]
        assert int(r.get("counter")) == 100
        assert sorted(int(x) for x in r.lrange("log", 0, -1)) == list(range(100))
        assert elapsed < 8, elapsed           # one after another: 100 x 0.5 s = 50 s
        assert len(ticks) - n >= 20
        assert r.connection_pool._created_connections > 1
        print("ok")
    """, timeout=90)
    assert out.strip() == "ok"


def test_pubsub_with_redis_py(redis_server):
    out = run_patched(f"""
        import redis
        r = redis.Redis(host="127.0.0.1", port={redis_server})
        p = r.pubsub()
        p.subscribe("news")
        got = []
        def listen():
            for message in p.listen():
                if message["type"] == "message":
                    got.append(message["data"])
                    if len(got) == 3:
                        return
        g = greensock.spawn(listen)
        time.sleep(0.1)
        for i in range(3):
            r.publish("news", f"n{{i}}")
        g.get(timeout=10)
        assert got == [b"n0", b"n1", b"n2"], got
        print("ok")
    """, timeout=60)
    assert out.strip() == "ok"
