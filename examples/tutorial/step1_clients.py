"""Tutorial step 1: many clients at once, written as plain sequential code.

Each greenlet connects, sends a line and reads the answer, exactly as a blocking program
would; greensock runs them all at once in one thread. A tiny local server answers after a
0.1 s pause, so 50 clients one after another would take 5 s; together they take 0.1 s.
"""
import time

import greensock
from greensock import socket


def slow_server(listener):
    def answer(conn):
        with conn:
            line = conn.recv(100)
            greensock.sleep(0.1)  # a slow service
            conn.sendall(b"you said " + line)
    while True:
        conn, _ = listener.accept()
        greensock.spawn(answer, conn)


def client(address, n):
    with socket.create_connection(address) as conn:
        conn.sendall(b"hello %d" % n)
        return conn.recv(100)


listener = socket.create_server(("127.0.0.1", 0), backlog=128)
greensock.spawn(slow_server, listener)
start = time.monotonic()
clients = [greensock.spawn(client, listener.getsockname(), n) for n in range(50)]
greensock.joinall(clients, raise_error=True)
print(f"{len(clients)} answers in {time.monotonic() - start:.2f}s, e.g. {clients[7].value!r}")
