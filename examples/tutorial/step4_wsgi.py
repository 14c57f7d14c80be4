"""Tutorial step 4: serve a WSGI application (needs the http extra: pip install 'greensock[http]').

Any WSGI application works (Flask, Django...); this one is three lines. The demo asks it
a few questions over keep-alive HTTP/1.1 and stops.
"""
from greensock import monkey

monkey.patch_all()

import http.client  # noqa: E402 - after patching

from greensock.wsgi import WSGIServer  # noqa: E402


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()]


server = WSGIServer(("127.0.0.1", 0), application, log=None)
server.start()
conn = http.client.HTTPConnection("127.0.0.1", server.server_port)
for path in ("/", "/tutorial", "/done"):
    conn.request("GET", path)
    print(conn.getresponse().read().decode())
conn.close()
server.stop()
