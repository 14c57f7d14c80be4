"""``python -m greensock.wsgi module:app``: serve a WSGI application, on every core if asked."""
from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys

from ..serve import load_callable, serve_processes
from . import WSGIServer


def main(argv: list[str] | None = None) -> None:
    """Command line: serve the WSGI application ``module:app``."""
    parser = argparse.ArgumentParser(prog="python -m greensock.wsgi", description=main.__doc__)
    parser.add_argument("app", help="module:name of the WSGI application")
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on (default %(default)s)")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1; 0: one per core)")
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    parser.add_argument("--access-log", default="-", help="'-' for stderr (the default), a file, or 'none'")
    args = parser.parse_args(argv)
    if args.processes < 0:
        parser.error(f"--processes must be >= 0, not {args.processes}")
    if bool(args.certfile) != bool(args.keyfile):
        parser.error("--certfile and --keyfile go together")
    try:
        application = load_callable(args.app)
    except (ValueError, TypeError, ImportError, AttributeError) as e:
        parser.error(str(e))
    context = None
    if args.certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(args.certfile, args.keyfile)
        except (OSError, ssl.SSLError) as e:
            parser.error(f"--certfile/--keyfile: {e}")
    if args.access_log == "-":
        access = sys.stderr
    elif args.access_log == "none":
        access = None
    else:
        access = open(args.access_log, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the server
    try:
        server = WSGIServer(args.bind, application, ssl_context=context, log=access)
    except (ValueError, TypeError) as e:
        parser.error(f"--bind: {e}")
    try:
        server.init_socket()
    except OSError as e:
        parser.exit(1, f"{parser.prog}: cannot listen on {args.bind}: {e}\n")
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    host, port = server.address[:2]
    processes = args.processes or os.cpu_count() or 1
    print(f"greensock.wsgi: {args.app} on {'https' if context else 'http'}://{host}:{port} "
          f"with {processes} process{'es' if processes > 1 else ''} (pid {os.getpid()})", file=sys.stderr, flush=True)
    if processes == 1:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    else:
        serve_processes(server, processes)


if __name__ == "__main__":
    main()
