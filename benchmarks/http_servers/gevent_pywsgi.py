"""gevent.pywsgi serving hello world: python gevent_pywsgi.py PORT [--nodelay]

Stock pywsgi leaves Nagle on; with --nodelay each accepted socket gets TCP_NODELAY."""
import socket
import sys

from gevent import pywsgi
from hello import app


class NoDelayServer(pywsgi.WSGIServer):
    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


cls = NoDelayServer if "--nodelay" in sys.argv else pywsgi.WSGIServer
cls(("127.0.0.1", int(sys.argv[1])), app, log=None, backlog=2048).serve_forever()
