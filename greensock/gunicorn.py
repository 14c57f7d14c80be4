"""gunicorn workers on greensock: ``gunicorn -k greensock.gunicorn.Worker app:app``.

``Worker`` keeps gunicorn's own HTTP handling (as gunicorn's gevent worker does) on
greensock sockets, with ``worker_connections`` greenlets per worker. ``WSGIWorker`` runs
``greensock.wsgi.WSGIServer`` inside gunicorn instead (faster; gunicorn's keep-alive,
graceful timeout and loggers are used). Both call ``greensock.monkey.patch_all()`` when
the worker starts.
"""
from __future__ import annotations

import logging
import os
import socket
import warnings
from functools import partial
from types import FrameType
from typing import Any

try:
    from gunicorn.sock import ssl_context
    from gunicorn.workers.base_async import AsyncWorker
except ImportError as e:  # pragma: no cover - depends on what is installed
    raise ImportError("greensock.gunicorn needs gunicorn: pip install gunicorn") from e

from . import monkey
from .hub import get_hub, sleep
from .timeout import Timeout

__all__ = ["Worker", "WSGIWorker"]


class Worker(AsyncWorker):
    """gunicorn's HTTP handling, one greenlet per connection, on greensock."""

    def init_process(self) -> None:
        with warnings.catch_warnings():
            # gunicorn imports ssl before any worker exists, but it makes no TLS socket before
            # this point: every context wraps cooperatively once patched, so the warning about
            # ssl imported early does not apply here.
            warnings.filterwarnings("ignore", category=monkey.MonkeyPatchWarning)
            monkey.patch_all()
        from . import socket as gsocket
        self.sockets: list = [gsocket.socket(s.FAMILY, gsocket.SOCK_STREAM, fileno=s.sock.detach())
                              for s in self.sockets]
        super().init_process()

    def timeout_ctx(self) -> Timeout:
        return Timeout(self.cfg.keepalive, False)

    def _servers(self) -> list:
        from .pool import Pool
        from .server import StreamServer
        context = ssl_context(self.cfg) if self.cfg.is_ssl else None
        return [StreamServer(s, partial(self.handle, s), spawn=Pool(self.worker_connections), ssl_context=context)
                for s in self.sockets]

    def run(self) -> None:
        servers = self._servers()
        for server in servers:
            server.start()
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            sleep(1.0)
        self._stop(servers)

    def _stop(self, servers: list) -> None:
        """Stop accepting, let requests in flight finish for ``graceful_timeout``, then kill."""
        for server in servers:
            server.close()
        remaining = float(self.cfg.graceful_timeout)
        while remaining > 0 and any(len(server.pool) for server in servers):
            self.notify()
            sleep(min(1.0, remaining))
            remaining -= 1.0
        if any(len(server.pool) for server in servers):
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
        for server in servers:
            server.stop(timeout=0.01)

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        client.setblocking(True)
        super().handle(listener, client, addr)

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        # A signal may arrive while the hub polls: do the work in a greenlet of its own.
        get_hub().run_callback_threadsafe(_spawn, super().handle_quit, sig, frame)

    def handle_usr1(self, sig: int, frame: FrameType | None) -> None:
        get_hub().run_callback_threadsafe(_spawn, super().handle_usr1, sig, frame)


class WSGIWorker(Worker):
    """greensock's WSGI server inside a gunicorn worker."""

    def _servers(self) -> list:
        from .pool import Pool
        from .wsgi import WSGIServer
        context = ssl_context(self.cfg) if self.cfg.is_ssl else None
        access = logging.getLogger("gunicorn.access") if self.cfg.accesslog else None
        return [WSGIServer(s, self.wsgi, spawn=Pool(self.worker_connections), ssl_context=context, log=access,
                           error_log=logging.getLogger("gunicorn.error"),
                           keepalive_timeout=max(float(self.cfg.keepalive), 0.001),
                           max_request_line=self.cfg.limit_request_line or 8190,
                           max_headers=self.cfg.limit_request_fields or 100,
                           environ={"SERVER_SOFTWARE": "greensock gunicorn", "wsgi.multiprocess": True})
                for s in self.sockets]

    def _stop(self, servers: list) -> None:
        # Idle keep-alive connections close at once; requests in flight get the graceful timeout.
        for server in servers:
            server.stop(timeout=float(self.cfg.graceful_timeout))


def _spawn(fn, *args) -> None:
    from .greenlet import spawn
    spawn(fn, *args)
