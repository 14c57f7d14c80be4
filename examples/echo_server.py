"""A green echo server: a plain accept loop that spawns one greenlet per connection.

    python examples/echo_server.py [PORT]   # serve until Ctrl-C (try: nc 127.0.0.1 PORT)
    python examples/echo_server.py --demo   # serve, run 100 concurrent clients, report, exit
"""
import sys
import time

import greensock
from greensock import socket


def handle(conn: socket.socket) -> None:
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def serve(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        greensock.spawn(handle, conn)


def client(address, n: int) -> int:
    with socket.create_connection(address) as conn:
        for i in range(n):
            msg = f"message {i}\n".encode()
            conn.sendall(msg)
            reply = b""
            while len(reply) < len(msg):
                reply += conn.recv(4096)
            assert reply == msg, (reply, msg)
    return n


def demo() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    server = greensock.spawn(serve, listener)
    start = time.monotonic()
    clients = [greensock.spawn(client, listener.getsockname(), 100) for _ in range(100)]
    greensock.joinall(clients, raise_error=True)
    total = sum(c.value for c in clients)
    elapsed = time.monotonic() - start
    print(f"100 clients echoed {total} messages in {elapsed:.2f}s "
          f"({total / elapsed:,.0f} round trips/s) in one thread")
    server.kill()
    listener.close()


def main() -> None:
    args = sys.argv[1:]
    if args == ["--demo"]:
        demo()
        return
    if args and (args[0] in ("-h", "--help") or not args[0].isdigit() or len(args) > 1):
        print(__doc__.strip())
        sys.exit(0 if args[0] in ("-h", "--help") else 2)
    port = int(args[0]) if args else 0
    listener = socket.create_server(("127.0.0.1", port), backlog=512)
    print(f"echo server on {listener.getsockname()[0]}:{listener.getsockname()[1]}", flush=True)
    try:
        serve(listener)
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
