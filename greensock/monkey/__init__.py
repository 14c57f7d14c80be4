"""Make the standard library cooperative, so synchronous libraries run concurrently unchanged.

Call ``patch_all()`` first thing, before importing the libraries it should affect::

    from greensock import monkey
    monkey.patch_all()

Each ``patch_<name>()`` replaces a few module attributes with greensock's cooperative
versions and records the originals (``get_original``). Patching twice is harmless.
"""
from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import greensock.fdwait
import greensock.local  # noqa: F401

# Every greensock module that captures a standard function must do so before anything
# is patched (the thread pool needs the real ``start_new_thread``, the hub the real poller).
import greensock.os
import greensock.resolver
import greensock.select
import greensock.selectors
import greensock.signal
import greensock.socket
import greensock.thread
import greensock.threadpool

from . import reimport

__all__ = ["MonkeyPatchWarning", "patch_all", "patch_socket", "patch_dns", "patch_time", "patch_select",
           "patch_selectors", "patch_ssl", "patch_thread", "patch_os", "patch_subprocess", "patch_signal",
           "patch_queue", "patch_multiprocessing", "patch_asyncio", "patch_psycopg", "is_module_patched",
           "is_object_patched", "get_original"]


class MonkeyPatchWarning(RuntimeWarning):
    """Patching happened too late for some modules to see it."""


_MISSING = object()
_saved: dict[str, dict[str, object]] = {}  # module name -> {attribute: original value}
_done: set[str] = set()  # the patch_<name> functions that have run, and the modules they changed


def _patch(module, name: str, value, record_as: str | None = None, fresh=None) -> None:
    """Set ``module.name`` to ``value`` (deleting it for ``_MISSING``), keeping the first original.

    The replacement is applied again if the module is imported afresh: ``value``, or
    ``fresh(new_module)`` when the value must come from the new module itself.
    """
    saved = _saved.setdefault(record_as or module.__name__, {})
    saved.setdefault(name, getattr(module, name, _MISSING))
    _set(module, name, value)
    if record_as is None:
        reimport.remember(module.__name__, name, lambda new: _set(new, name, fresh(new) if fresh else value))


def _set(module, name: str, value) -> None:
    if value is _MISSING:
        if hasattr(module, name):
            delattr(module, name)
    else:
        setattr(module, name, value)


def _once(name: str, *modules: str) -> bool:
    """True the first time the patch called ``name`` runs; marks it and its modules patched."""
    if name in _done:
        return False
    _done.add(name)
    _done.update(modules)
    return True


def is_module_patched(name: str) -> bool:
    """Whether ``patch_<name>()`` ran, or a module of that name was changed by one."""
    return name in _done


def is_object_patched(module_name: str, name: str) -> bool:
    """Whether ``module_name.name`` was replaced by greensock."""
    return name in _saved.get(module_name, {})


def get_original(module_name: str, item_name: str | list[str] | tuple[str, ...]) -> Any:
    """The value ``module_name.item_name`` had before patching (a list for a list of names)."""
    if isinstance(item_name, str):
        return _original(module_name, item_name)
    return [_original(module_name, name) for name in item_name]


def _original(module_name: str, name: str):
    saved = _saved.get(module_name, {})
    if name in saved:
        value = saved[name]
        if value is _MISSING:
            raise AttributeError(f"module {module_name!r} had no attribute {name!r} before patching")
        return value
    return getattr(importlib.import_module(module_name), name)


# -- one function per module -------------------------------------------------------------------

def patch_socket() -> None:
    """``socket.socket`` becomes greensock's; ``create_connection``, ``socketpair``,
    ``fromfd``, ``create_server`` and ``accept`` build on it, so they cooperate too."""
    if not _once("socket", "socket"):
        return
    import socket

    from .. import socket as gsocket
    _patch(socket, "socket", gsocket.socket)


def patch_dns() -> None:
    """Name resolution runs in the hub's thread pool (numeric hosts inline)."""
    if not _once("dns"):
        return
    import socket

    from .. import resolver
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        _patch(socket, name, getattr(resolver, name))


def patch_time() -> None:
    """``time.sleep`` parks only the current greenlet."""
    if not _once("time", "time"):
        return
    import time

    from ..hub import sleep
    _patch(time, "sleep", sleep)


def patch_select() -> None:
    """``select.select``, ``select.poll`` and ``select.epoll`` cooperate."""
    if not _once("select", "select"):
        return
    import select

    from .. import select as gselect
    for name in ("select", "poll", "epoll"):
        if hasattr(select, name):
            _patch(select, name, getattr(gselect, name))
    for name in ("devpoll", "kqueue", "kevent"):
        if hasattr(select, name):
            _patch(select, name, _MISSING)


def patch_selectors() -> None:
    """Every selector class, and ``DefaultSelector``, cooperates."""
    if not _once("selectors", "selectors"):
        return
    import selectors

    from .. import selectors as gselectors
    for name in ("SelectSelector", "PollSelector", "EpollSelector", "DefaultSelector"):
        if hasattr(selectors, name):
            _patch(selectors, name, getattr(gselectors, name))
    for name in ("DevpollSelector", "KqueueSelector"):
        if hasattr(selectors, name):
            _patch(selectors, name, _MISSING)


def patch_ssl() -> None:
    """Every ``ssl.SSLContext``, whenever and by whomever created, wraps into cooperative sockets.

    Warns (``MonkeyPatchWarning``) when ``ssl`` was already imported: sockets wrapped
    before this call stay blocking.
    """
    if not _once("ssl", "ssl"):
        return
    early = _imported_too_early()
    import ssl

    from .. import ssl as gssl
    _patch(ssl.SSLContext, "sslsocket_class", gssl.SSLSocket, record_as="ssl.SSLContext")
    if hasattr(ssl, "wrap_socket"):
        _patch(ssl, "wrap_socket", gssl.wrap_socket)
    if early:
        warnings.warn(
            "greensock.monkey patched ssl after these modules were imported: " + ", ".join(early) + ". "
            "TLS sockets they created before patching stay blocking; call greensock.monkey.patch_all() "
            "before importing them.", MonkeyPatchWarning, stacklevel=3)


def _imported_too_early() -> list[str]:
    """``ssl`` (if imported) and the imported modules that hold it or its names."""
    ssl = sys.modules.get("ssl")
    if ssl is None:
        return []
    owned = {id(v) for v in vars(ssl).values() if getattr(v, "__module__", None) == "ssl"}
    names = ["ssl"]
    for name, mod in list(sys.modules.items()):
        if mod is None or name == "ssl" or name.startswith(("greensock", "_")):
            continue
        try:
            values = list(vars(mod).values())
        except TypeError:
            continue
        if any(v is ssl or id(v) in owned for v in values):
            names.append(name)
    return names


def patch_thread() -> None:
    """Threads become greenlets; ``_thread``/``threading`` locks, ``local`` and
    everything built on them (``Event``, ``Condition``, ``Semaphore``, ``Timer``,
    ``Thread.join``) cooperate. Greensock's own thread pool keeps real threads."""
    if not _once("thread", "thread", "_thread", "threading"):
        return
    import _thread
    import threading

    from .. import thread as gthread
    from . import threads
    for module in (_thread, threading):
        prefix = "_" if module is threading else ""
        _patch(module, prefix + "allocate_lock", gthread.allocate_lock)
        _patch(module, "get_ident", gthread.get_ident)
    _patch(_thread, "LockType", gthread.LockType)
    _patch(_thread, "start_new_thread", gthread.start_new_thread)
    if hasattr(_thread, "start_new"):
        _patch(_thread, "start_new", gthread.start_new_thread)
    _patch(_thread, "_count", gthread.count)
    _patch(_thread, "_local", gthread.local)
    _patch(_thread, "RLock", threading._PyRLock)  # type: ignore[attr-defined] # noqa: SLF001 - the standard library's own name
    _patch(threading, "Lock", gthread.Lock if sys.version_info >= (3, 13) else gthread.allocate_lock)
    if hasattr(_thread, "lock"):
        _patch(_thread, "lock", gthread.Lock)
    _patch(_thread, "interrupt_main", greensock.signal.interrupt_main)
    _patch(threading, "excepthook", threads.excepthook)
    _patch(threading, "__excepthook__", threads.excepthook)
    _patch(threading, "_CRLock", None)
    _patch(threading, "local", gthread.local)
    _patch(threading, "_DummyThread", threads.make_dummy_thread_class(threading))
    if hasattr(threading, "_start_joinable_thread"):  # Python 3.13+
        _patch(_thread, "start_joinable_thread", gthread.start_joinable_thread)
        _patch(threading, "_start_joinable_thread", gthread.start_joinable_thread)
        _patch(threading, "_ThreadHandle", gthread.ThreadHandle)
        _patch(_thread, "_ThreadHandle", gthread.ThreadHandle)
        _patch(threading, "_make_thread_handle", gthread.make_thread_handle)
        _patch(_thread, "_make_thread_handle", gthread.make_thread_handle)
        # Per green thread, so a dummy thread leaves ``_active`` when its greenlet ends.
        _patch(threading, "_thread_local_info", gthread.local())
        original_shutdown = threading._thread_shutdown  # type: ignore[attr-defined] # noqa: SLF001 - the standard library's own name

        def _thread_shutdown() -> None:
            gthread.join_nondaemon_threads()
            original_shutdown()
        _patch(threading, "_thread_shutdown", _thread_shutdown)
    else:
        _patch(threading, "_start_new_thread", gthread.start_new_thread)
        _patch(threading, "_set_sentinel", gthread.set_sentinel)
        _patch(_thread, "_set_sentinel", gthread.set_sentinel)


def patch_os() -> None:
    """``os.waitpid``, ``os.wait``, and ``os.read``/``os.write`` on pipes park only the
    current greenlet.

    ``os.fork`` needs nothing: greensock's at-fork hooks give the child a new poller,
    wake-up fd and thread pool whether or not anything was patched.
    """
    if not _once("os", "os"):
        return
    import os

    from .. import os as gos
    _patch(os, "waitpid", gos.waitpid)
    _patch(os, "wait", gos.wait)
    _patch(os, "read", gos.read)
    _patch(os, "write", gos.write)


def patch_subprocess() -> None:
    """``Popen.communicate`` waits through a cooperative selector; with ``patch_os``
    (which ``patch_all`` applies), ``Popen.wait`` parks only the current greenlet."""
    if not _once("subprocess", "subprocess"):
        return
    import subprocess

    from .. import selectors as gselectors
    if hasattr(subprocess, "_PopenSelector"):
        _patch(subprocess, "_PopenSelector", gselectors.PollSelector)


def patch_signal() -> None:
    """Python signal handlers may block: arriving in the hub, they run in a new greenlet."""
    if not _once("signal", "signal"):
        return
    import signal

    from .. import signal as gsignal
    _patch(signal, "signal", gsignal.signal)
    _patch(signal, "getsignal", gsignal.getsignal)


def patch_queue() -> None:
    """``queue.SimpleQueue`` (and ``_queue.SimpleQueue``) becomes the pure-Python one built
    on ``threading`` (the C one blocks the thread); with ``patch_thread`` every queue class
    cooperates."""
    if not _once("queue", "queue"):
        return
    import _queue
    import queue
    pure = queue._PySimpleQueue  # type: ignore[attr-defined] # noqa: SLF001 - the standard library's own name
    _patch(queue, "SimpleQueue", pure, fresh=lambda module: module._PySimpleQueue)  # noqa: SLF001 - the standard library's own name
    _patch(_queue, "SimpleQueue", pure)


def patch_multiprocessing() -> None:
    """multiprocessing's semaphores and locks (``sem_wait`` in C) park only the calling
    greenlet: a contended acquire runs in the hub's thread pool. Now if imported, else
    when imported."""
    if not _once("multiprocessing", "multiprocessing"):
        return
    from . import semlock
    module = sys.modules.get("multiprocessing.synchronize")
    if module is not None:
        semlock.patch(module)
    reimport.remember("multiprocessing.synchronize", "greensock", semlock.patch)


def patch_asyncio() -> None:
    """``asyncio.run()`` in any number of greenlets and green threads at once: the running
    loop is per greenlet, and asyncio uses its pure-Python tasks and futures (which read it
    there). With ``patch_selectors`` each loop waits by parking only its greenlet."""
    if not _once("asyncio", "asyncio"):
        return
    from . import asyncio_hub
    asyncio_hub.apply()


def patch_psycopg() -> None:
    """psycopg 3 and psycopg2 wait through the hub: now if imported, else when imported.

    psycopg 3 gets its ``poll``-based wait function (it needs ``patch_select``, which
    ``patch_all`` applies); psycopg2 a wait callback that parks on the connection's fd.
    Their connection pools then cooperate too.
    """
    if not _once("psycopg", "psycopg", "psycopg2"):
        return
    from . import drivers
    for module_name, apply in (("psycopg.waiting", drivers.use_with_psycopg),
                               ("psycopg2.extensions", drivers.use_with_psycopg2)):
        module = sys.modules.get(module_name)
        if module is not None:
            apply(module)
        reimport.remember(module_name, "greensock", apply)  # imported later (or again): apply then


def patch_all(socket: bool = True, dns: bool = True, time: bool = True, select: bool = True,
              selectors: bool = True, ssl: bool = True, thread: bool = True, os: bool = True,
              subprocess: bool = True, signal: bool = True, queue: bool = True, multiprocessing: bool = True,
              asyncio: bool = True, psycopg: bool = True) -> None:
    """Patch every module named by a true argument (all by default)."""
    flags = dict(socket=socket, dns=dns, time=time, select=select, selectors=selectors, ssl=ssl,
                 thread=thread, os=os, subprocess=subprocess, signal=signal, queue=queue,
                 multiprocessing=multiprocessing, asyncio=asyncio, psycopg=psycopg)
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
    # ssl first: its warning must see what was imported before greensock touched anything.
    order = ("ssl", "thread", "os", "time", "socket", "dns", "select", "selectors", "queue", "subprocess", "signal",
             "multiprocessing", "asyncio", "psycopg")
    for name in order:
        if flags[name]:
            globals()[f"patch_{name}"]()
