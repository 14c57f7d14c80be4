"""``python -m greensock``: one screen to paste into a bug report."""
from __future__ import annotations

import platform
import sys

import greenlet

import greensock
import greensock.socket  # the last of the modules the optional build compiles
from greensock import compiled, monkey


def report() -> list[str]:
    """The version, the Python, the build, the poller in use, and what is patched."""
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
        f"build: {_build()}",
        f"poller: {hub.poller_name} (set GREENSOCK_POLLER=epoll|poll|select to choose)",
        f"patched: {', '.join(patched) if patched else 'nothing (run your program with python -m greensock.monkey)'}",
        f"http extra: {', '.join(extras)}",
    ]


def _build() -> str:
    names = compiled.compiled_modules()
    if names:
        return f"compiled ({len(names)} modules: {', '.join(n.removeprefix('greensock.') for n in names)})"
    if compiled.pure_python_forced():
        return f"pure Python ({compiled.PURE_PYTHON_VARIABLE} is set)"
    return "pure Python (not compiled at install: no Cython or no C compiler)"


if __name__ == "__main__":
    sys.stdout.write("\n".join(report()) + "\n")
