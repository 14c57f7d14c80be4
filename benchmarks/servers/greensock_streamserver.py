"""Echo server: greensock StreamServer with recv/sendall."""
import sys

from greensock.server import StreamServer


def echo(sock, address):
    recv, sendall = sock.recv, sock.sendall
    while True:
        data = recv(65536)
        if not data:
            return
        sendall(data)


StreamServer(("127.0.0.1", int(sys.argv[1])), echo, backlog=4096).serve_forever()
