"""Echo server: greensock EventSocket (Danga::Socket style)."""
import socket
import sys

from greensock.callback import EventSocket


class Listener(EventSocket):
    def event_read(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except BlockingIOError:
                return
            Echo(client).watch_read(True)


class Echo(EventSocket):
    def event_read(self):
        data = self.read(65536)
        if data is None:
            self.close()
        elif data:
            self.write(data)

    def event_hup(self):
        self.close()

    def event_err(self):
        self.close()


Listener(socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=4096)).watch_read(True)
EventSocket.event_loop()
