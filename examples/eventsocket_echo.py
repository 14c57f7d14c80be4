"""A Danga::Socket-style echo server: subclass EventSocket, override the event methods.

    python examples/eventsocket_echo.py [PORT]     # serve until Ctrl-C
    python examples/eventsocket_echo.py --demo     # serve, run green clients against it, exit
"""
import socket
import sys

import greensock
from greensock.callback import EventSocket


class Listener(EventSocket):
    def __init__(self, sock):
        super().__init__(sock)
        self.watch_read(True)

    def event_read(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except BlockingIOError:
                return
            EchoClient(client)


class EchoClient(EventSocket):
    def __init__(self, sock):
        super().__init__(sock)
        self.watch_read(True)

    def event_read(self):
        data = self.read(65536)
        if data is None:  # EOF
            self.close("eof")
        elif data:
            self.write(data)  # queued and flushed by event_write if the socket is full

    def event_hup(self):
        self.close("hup")

    def event_err(self):
        self.close("err")


def demo(listen_sock) -> None:
    from greensock import socket as gsocket

    def client(i):
        with gsocket.create_connection(listen_sock.getsockname()) as c:
            for j in range(50):
                msg = f"client {i} line {j}\n".encode()
                c.sendall(msg)
                assert c.recv(100) == msg
        return 50

    clients = [greensock.spawn(client, i) for i in range(20)]
    greensock.joinall(clients, raise_error=True)
    print(f"20 green clients echoed {sum(c.value for c in clients)} lines through EventSocket")
    EventSocket.set_post_loop_callback(lambda descriptors, other_fds: False)
    EventSocket.add_timer(0, lambda: None)  # wake the loop so it consults the callback now


def main() -> None:
    port = 0 if sys.argv[1:] in ([], ["--demo"]) else int(sys.argv[1])
    sock = socket.create_server(("127.0.0.1", port))
    Listener(sock)
    if sys.argv[1:] == ["--demo"]:
        greensock.spawn(demo, sock)
    else:
        print(f"echo server on 127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:
        EventSocket.event_loop()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
