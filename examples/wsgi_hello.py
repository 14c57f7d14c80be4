"""Serve a WSGI application with greensock's HTTP server.

    python examples/wsgi_hello.py [PORT]   # serve until Ctrl-C (try: curl http://127.0.0.1:PORT/)
    python examples/wsgi_hello.py --demo   # serve, send 200 concurrent slow requests, report, exit

Every request waits 0.2 s (say, for a database); 200 of them at once still take about
0.2 s in all, in one thread, because each request is a greenlet.
"""
import sys
import time

import greensock
from greensock import socket
from greensock.wsgi import WSGIServer


def application(environ, start_response):
    greensock.sleep(0.2)  # a slow backend
    body = f"Hello from greensock, {environ['REMOTE_ADDR']} asked for {environ['PATH_INFO']}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


def demo() -> None:
    server = WSGIServer(("127.0.0.1", 0), application, log=None, backlog=1024)
    server.start()
    start = time.monotonic()
    replies = [greensock.spawn(get, server.server_port, f"/item/{i}") for i in range(200)]
    greensock.joinall(replies, raise_error=True)
    elapsed = time.monotonic() - start
    ok = sum(r.value.startswith(b"HTTP/1.1 200 OK") for r in replies)
    print(f"{ok} of 200 slow requests answered in {elapsed:.2f}s (each takes 0.2s) in one thread")
    server.stop()


def main() -> None:
    if sys.argv[1:] == ["--demo"]:
        demo()
        return
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = WSGIServer(("127.0.0.1", port), application)
    print(f"serving on http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
