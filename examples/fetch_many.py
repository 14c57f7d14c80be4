"""Fetch many URLs concurrently with plain sockets, from a small local HTTP server.

The server answers every request after a 50 ms pause, so fetching 100 URLs one after
another would take 5 s; concurrently it takes a little over 50 ms.

    python examples/fetch_many.py [COUNT]
"""
import sys
import time
from urllib.parse import urlsplit

import greensock
from greensock import socket


def http_server(listener: socket.socket) -> None:
    def handle(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1]
            greensock.sleep(0.05)  # a slow backend
            body = b"you asked for " + path
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    while True:
        conn, _ = listener.accept()
        greensock.spawn(handle, conn)


def fetch(url: str) -> bytes:
    """GET ``url`` over a plain socket (HTTP/1.0) and return the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=10) as conn:
        conn.sendall(f"GET {parts.path or '/'} HTTP/1.0\r\nHost: {parts.hostname}\r\n\r\n".encode())
        response = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200"):
        raise OSError(f"{url}: {head.splitlines()[0]!r}")
    return body


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    server = greensock.spawn(http_server, listener)
    port = listener.getsockname()[1]
    urls = [f"http://localhost:{port}/page/{i}" for i in range(count)]
    start = time.monotonic()
    jobs = [greensock.spawn(fetch, url) for url in urls]
    greensock.joinall(jobs, raise_error=True)
    elapsed = time.monotonic() - start
    for url, job in zip(urls, jobs, strict=True):
        assert job.value == b"you asked for " + urlsplit(url).path.encode()
    print(f"fetched {count} URLs in {elapsed:.2f}s (one after another: {count * 0.05:.1f}s)")
    server.kill()
    listener.close()


if __name__ == "__main__":
    main()
