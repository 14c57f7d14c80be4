"""``python -m greensock.serve module:handler``: serve a handler on every core."""
from __future__ import annotations

import argparse
import logging
import os

from ..server import StreamServer
from . import load_callable, serve_processes


def main(argv: list[str] | None = None) -> None:
    """Command line: serve ``module:handler(sock, address)`` on every core."""
    parser = argparse.ArgumentParser(prog="python -m greensock.serve", description=main.__doc__)
    parser.add_argument("handler", help="module:function called as handler(sock, address)")
    parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on (default %(default)s)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    parser.add_argument("--spawn", type=int, default=None, help="at most this many connections per worker")
    parser.add_argument("--backlog", type=int, default=None, help="listen backlog")
    parser.add_argument("--reuse-port", action="store_true", help="one SO_REUSEPORT socket per worker")
    args = parser.parse_args(argv)
    try:
        handler = load_callable(args.handler)
    except (ValueError, TypeError, ImportError, AttributeError) as e:
        parser.error(str(e))
    if args.processes < 1:
        parser.error(f"--processes must be at least 1, not {args.processes}")
    try:
        server = StreamServer(args.bind, handler, backlog=args.backlog,
                              spawn="default" if args.spawn is None else args.spawn)
    except (ValueError, TypeError) as e:
        parser.error(f"--bind: {e}" if "listener" in str(e) else str(e))
    try:
        server.init_socket()
    except OSError as e:
        parser.exit(1, f"{parser.prog}: cannot listen on {args.bind}: {e}\n")
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    host, port = server.address[:2]
    print(f"greensock.serve: {args.handler} on {host}:{port} with {args.processes} processes (pid {os.getpid()})",
          flush=True)
    serve_processes(server, args.processes, reuse_port=args.reuse_port)


if __name__ == "__main__":
    main()
