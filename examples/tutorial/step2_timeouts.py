"""Tutorial step 2: a server that does not wait forever for a slow client.

``StreamServer`` runs ``handle`` in a greenlet per connection. A socket timeout bounds each
read; ``greensock.Timeout`` bounds a whole block of work. The demo connects a client that
answers and one that never speaks.
"""
import greensock
from greensock import socket
from greensock.server import StreamServer


def handle(conn, address):
    conn.settimeout(0.5)  # no read may wait longer than this
    try:
        with greensock.Timeout(2):  # and the whole conversation has 2 s
            name = conn.recv(100).strip()
            conn.sendall(b"hello, " + name + b"\n")
    except TimeoutError:
        print("a client said nothing for 0.5 s: dropped")
    except greensock.Timeout:
        print("a conversation took more than 2 s: dropped")


server = StreamServer(("127.0.0.1", 0), handle)
server.start()
polite = socket.create_connection(server.address)
silent = socket.create_connection(server.address)
polite.sendall(b"ada\n")
print(polite.recv(100).decode().strip())
greensock.sleep(0.7)  # the silent one is dropped meanwhile
print("silent client got", silent.recv(100))  # b"": the server closed it
server.stop()
