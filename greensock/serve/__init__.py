"""Serving on every core: fork worker processes that share one listening socket.

    python -m greensock.serve module:handler --bind HOST:PORT --processes N

(the command line is in ``__main__.py``).
The parent binds the socket, forks N workers that each run the server, restarts a worker
that dies, and on SIGTERM or SIGINT asks every worker to stop gracefully (SIGTERM), then
waits for them (killing stragglers after a grace period).
"""
from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import time
from typing import Any

from ..hub import get_hub, sleep

__all__ = ["serve_processes", "load_callable"]

log = logging.getLogger("greensock.serve")

GRACE = 5.0  # seconds a worker gets to finish after SIGTERM before SIGKILL
RESTART_DELAY = 0.1  # between a worker's death and its replacement, so a crash loop cannot spin


def _run_worker(server, reuse_port_address) -> None:
    """In a forked child: serve until SIGTERM, then stop gracefully and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into SIGTERM
    hub = get_hub()

    def on_term(signum, frame):
        # A signal handler may run inside the hub's poll: hand the stop to a greenlet,
        # through the wake-up fd so the poll returns at once.
        from ..greenlet import spawn
        hub.run_callback_threadsafe(spawn, server.stop)

    signal.signal(signal.SIGTERM, on_term)
    if reuse_port_address is not None:
        from .. import socket as gsocket
        server.socket.close()
        server.socket = gsocket.create_server(reuse_port_address, reuse_port=True,
                                              backlog=getattr(server, "backlog", None) or 128)
    status = 0
    try:
        server.serve_forever()
    except BaseException:
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve_processes(server: Any, processes: int, reuse_port: bool = False) -> None:
    """Run ``server`` in ``processes`` forked workers until SIGTERM/SIGINT; supervise them.

    The workers share the parent's listening socket; with ``reuse_port=True`` each binds its
    own socket to the same address with SO_REUSEPORT, so the kernel spreads connections.
    """
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
        raise ValueError(f"processes must be an int >= 1, not {processes!r}")
    server.init_socket()
    address = server.socket.getsockname() if reuse_port else None
    stopping = []
    workers: dict[int, float] = {}

    def request_stop(signum, frame):
        stopping.append(signum)
        get_hub().run_callback_threadsafe(lambda: None)  # wake the poll so the loop sees it

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def fork_worker() -> None:
        pid = os.fork()
        if pid == 0:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _run_worker(server, address)
        workers[pid] = time.monotonic()

    def on_death(pid: int, status: int) -> None:
        if not stopping:
            log.warning("worker %d %s; starting a new one", pid, _describe_exit(status))

    try:
        for _ in range(processes):
            fork_worker()
        log.info("serving on %s with %d workers (pid %d)", server.address, processes, os.getpid())
        while not stopping:
            _reap(workers, on_death=on_death)
            if len(workers) < processes and not stopping:
                sleep(RESTART_DELAY)
                if not stopping:
                    fork_worker()
                continue
            sleep(0.05)
    finally:
        reason = signal.Signals(stopping[0]).name if stopping else "an error in the supervisor"
        log.info("shutting down %d workers (%s): SIGTERM, then SIGKILL after %.0f s", len(workers), reason, GRACE)
        for pid in list(workers):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        while workers and time.monotonic() < deadline:
            _reap(workers, on_death=lambda pid, status: None)
            if workers:
                time.sleep(0.02)
        for pid in list(workers):
            log.warning("worker %d did not stop within %.0f s; killing it", pid, GRACE)
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        log.info("all workers stopped")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()


def load_callable(spec: str) -> Any:
    """``"module:name"`` (``name`` may be dotted) imported from the current directory."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{spec!r} must look like 'module:name'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    target = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{spec} is not callable")
    return target


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(workers: dict, on_death) -> None:
    """Collect every worker that has exited, without blocking."""
    while workers:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            workers.clear()
            return
        if pid == 0:
            return
        if workers.pop(pid, None) is not None:
            on_death(pid, status)
