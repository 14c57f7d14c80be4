"""WSGI applications the HTTP tests serve (run in a server process)."""
import json
import os
import sys
import tempfile
from wsgiref.validate import validator

import greensock


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def sized(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"sized"]


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def echo_lines(environ, start_response):
    lines = list(environ["wsgi.input"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(lines)).encode(), b":", b"".join(lines)]


def chunks(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return (b"part%d;" % i for i in range(5))


def write_callable(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written;")
    return [b"returned"]


def fail_early(environ, start_response):
    raise RuntimeError("secret detail")


def fail_late(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first"
    raise RuntimeError("after headers")


def no_start(environ, start_response):
    return [b"a body without start_response"]


def slow(environ, start_response):
    greensock.sleep(0.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slept"]


def environ_keys(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    shown = {k: v for k, v in environ.items() if isinstance(v, (str, bool, int, tuple))}
    return [json.dumps(shown).encode()]


_FILE = os.path.join(tempfile.gettempdir(), f"greensock-wsgi-file-{os.getpid()}")


def file_wrapper(environ, start_response):
    if not os.path.exists(_FILE):
        with open(_FILE, "wb") as f:
            f.write(bytes(range(256)) * 1000)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](open(_FILE, "rb"))


def websocket_echo(environ, start_response):
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"not a websocket"]
    while True:
        message = ws.receive()
        if message is None:
            return []
        if message == "close-please":
            ws.close(4001, "asked")
            return []
        ws.send(message)


def sized_echo(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # validate wants a size
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


ROUTES = {"/": hello, "/sized": sized, "/echo": echo, "/lines": echo_lines, "/chunks": chunks, "/write": write_callable,
          "/fail-early": fail_early, "/fail-late": fail_late, "/no-start": no_start, "/slow": slow,
          "/environ": environ_keys, "/file": file_wrapper, "/ws": websocket_echo,
          "/validated": validator(hello), "/validated-echo": validator(sized_echo)}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such page"]
    return handler(environ, start_response)


if __name__ == "__main__":  # python apps.py '{"header_timeout": 0.5}': serve, print the port
    from greensock.wsgi import WSGIServer
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    access = options.pop("access_log", None)
    server = WSGIServer(("127.0.0.1", 0), app, log=open(access, "a", buffering=1) if access else None,
                        **options)
    server.init_socket()
    print("PORT", server.server_port, flush=True)
    server.serve_forever()
