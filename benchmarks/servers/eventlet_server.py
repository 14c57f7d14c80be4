"""Echo server: eventlet green sockets (peer)."""
import sys
import warnings

warnings.simplefilter("ignore")
import eventlet  # noqa: E402


def echo(sock):
    recv, sendall = sock.recv, sock.sendall
    while True:
        data = recv(65536)
        if not data:
            break
        sendall(data)
    sock.close()


listener = eventlet.listen(("127.0.0.1", int(sys.argv[1])), backlog=4096)
pool = eventlet.GreenPool(100000)
while True:
    conn, _ = listener.accept()
    pool.spawn_n(echo, conn)
