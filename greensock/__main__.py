"""``python -m greensock``: one screen to paste into a bug report."""
from __future__ import annotations

import platform
import sys

import greenlet

import greensock
from greensock import monkey


def report() -> list[str]:
    """The version, the Python, the poller in use, and what is patched."""
    hub = greensock.get_hub()
    patched = [name for name in ("socket", "dns", "time", "select", "selectors", "ssl", "thread", "os", "subprocess",
                                 "signal", "queue", "multiprocessing", "asyncio", "psycopg")
               if monkey.is_module_patched(name)]
    extras = []
    for module in ("httptools", "wsproto"):
        try:
            extras.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            extras.append(f"{module} not installed")
        except AttributeError:
            extras.append(f"{module} (version unknown)")
    return [
        f"greensock {greensock.__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}",
        f"greenlet {greenlet.__version__}",
        f"poller: {hub.poller_name} (set GREENSOCK_POLLER=epoll|poll|select to choose)",
        f"patched: {', '.join(patched) if patched else 'nothing (run your program with python -m greensock.monkey)'}",
        f"http extra: {', '.join(extras)}",
    ]


if __name__ == "__main__":
    sys.stdout.write("\n".join(report()) + "\n")
