"""Echo server: a plain greensock accept loop plus spawn."""
import sys

import greensock
from greensock import socket


def echo(sock):
    recv, sendall = sock.recv, sock.sendall
    while True:
        data = recv(65536)
        if not data:
            break
        sendall(data)
    sock.close()


listener = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=4096)
while True:
    conn, _ = listener.accept()
    greensock.spawn(echo, conn)
