"""Database drivers that bring their own waiting: made to wait through the hub.

psycopg 3 picks a C wait function that calls ``poll()`` itself (it only recognises
gevent's patching); its pure-Python ``wait_poll`` waits through ``select.poll``, which
``patch_select`` makes cooperative. psycopg2 waits inside libpq unless a wait callback is
installed; greensock's parks the greenlet on the connection's fd.
"""
from __future__ import annotations

from typing import Any

from ..fdwait import wait_read, wait_write
from ..selectors import DefaultSelector

__all__ = ["psycopg2_wait", "use_with_psycopg", "use_with_psycopg2"]


def psycopg2_wait(conn: Any, timeout: float | None = None) -> None:
    """psycopg2's wait callback: drive ``conn.poll()``, parking on its fd in between."""
    import psycopg2.extensions as ext
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        if state == ext.POLL_READ:
            wait_read(conn.fileno(), timeout)
        elif state == ext.POLL_WRITE:
            wait_write(conn.fileno(), timeout)
        else:
            raise ext.OperationalError(f"psycopg2 connection poll() returned an unknown state {state!r}")


def use_with_psycopg2(extensions: Any) -> None:
    """Install the wait callback (``extensions`` is ``psycopg2.extensions``)."""
    extensions.set_wait_callback(psycopg2_wait)


def use_with_psycopg(waiting: Any) -> None:
    """Make psycopg 3 (``waiting`` is ``psycopg.waiting``) wait through patched ``poll``."""
    waiting.wait = waiting.wait_poll
    waiting.DefaultSelector = DefaultSelector  # wait_conn's, also if psycopg was imported first
