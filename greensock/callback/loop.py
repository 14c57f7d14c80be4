"""``Loop``: the IO::Async-style façade over the current thread's hub."""
from __future__ import annotations

import socket as _std
from collections.abc import Iterable
from typing import Any

from .. import socket as gsocket
from .._core.waitqueue import WaitQueue
from ..hub import Callback, Timer, get_hub
from .addresses import address_arg, family_arg, flags_arg, host_arg, port_arg, protocol_arg, socktype_arg
from .connector import ConnectHandle, resolver_for
from .listener import Listener
from .types import Handler, Host, Kind, Notifier, Service


def _optional_callable(kwargs: dict, *names: str) -> None:
    for name in names:
        value = kwargs.get(name)
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be callable, not {type(value).__name__}")


def service_arg(value, name: str):
    """A service: a port number, a service name, or None ("" means an ephemeral port)."""
    if value == "":
        return 0
    return port_arg(value, name)


def _check_listening(handle, **others) -> None:
    """``listen(handle=...)`` takes a socket that already listens, and nothing to bind."""
    if not isinstance(handle, gsocket.StdSocket):
        raise TypeError(f"handle must be a listening socket, not {type(handle).__name__}")
    given = [name for name, value in others.items() if value is not None]
    if given:
        raise TypeError(f"give either handle or {', '.join(given)}, not both: a handle is already bound")
    try:
        listening = handle.getsockopt(_std.SOL_SOCKET, _std.SO_ACCEPTCONN)
    except OSError as e:
        raise ValueError(f"handle must be a listening socket: {e}") from None
    if not listening:
        raise ValueError("handle must be a listening socket: call listen() on it first")


def _addresses(addrs, addr) -> list | None:
    if addrs is not None and addr is not None:
        raise TypeError("give either addrs or addr, not both")
    if addr is not None:
        return [address_arg(addr, "addr")]
    if addrs is not None:
        if isinstance(addrs, (str, bytes)) or not hasattr(addrs, "__iter__"):
            raise TypeError(f"addrs must be a list of address tuples, not {type(addrs).__name__}")
        return [address_arg(a, "addrs") for a in addrs]
    return None


class Loop:
    """Connect, listen, timers and notifiers on the current thread's hub.

    Any number of ``Loop`` objects share one hub, so callback-style and green code run
    side by side.
    """

    def __init__(self) -> None:
        self._hub = get_hub()
        self._notifiers: set = set()
        self._stop_requested = False
        self._stopped = WaitQueue(self, lambda: self._stop_requested)

    # -- connections ---------------------------------------------------------------------
    def connect(self, *, host: Host | None = None, service: Service | None = None, addrs: Iterable | None = None,
                addr: Any = None, family: Kind = 0, socktype: Kind = 0, protocol: Kind = 0, flags: int = 0,
                local_host: Host | None = None, local_service: Service | None = None,
                timeout: float | None = None, on_connected: Handler | None = None,
                on_connect_error: Handler | None = None, on_resolve_error: Handler | None = None,
                on_fail: Handler | None = None) -> ConnectHandle:
        """Connect to the first address that works; see the IO::Async::Connector document."""
        _optional_callable(locals(), "on_connected", "on_connect_error", "on_resolve_error", "on_fail")
        family = family_arg(family)
        socktype = socktype_arg(socktype)
        protocol = protocol_arg(protocol)
        flags = flags_arg(flags)
        host = host_arg(host, "host")
        service = service_arg(service, "service")
        local_host = host_arg(local_host, "local_host")
        local_service = service_arg(local_service, "local_service")
        if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)
                                    or timeout < 0):
            raise ValueError(f"timeout must be None or a number >= 0, not {timeout!r}")
        peers = _addresses(addrs, addr)
        resolve = None
        local: list = []
        if peers is None:
            if host is None or service is None:
                raise TypeError("connect needs host and service, or addrs, or addr")
            if not socktype and not protocol:
                socktype = _std.SOCK_STREAM  # without a hint, connect streams
            resolve = resolver_for(host, service, local_host, local_service, family, socktype, protocol, flags)
        elif local_host is not None or local_service is not None:
            local = [address_arg(ai, "local address") for ai in
                     _std.getaddrinfo(local_host, local_service or 0, family, socktype, protocol,
                                      flags | _std.AI_PASSIVE | _std.AI_NUMERICHOST)]
        return ConnectHandle(peers=peers, local=local, resolve=resolve, timeout=timeout,
                             on_connected=on_connected, on_connect_error=on_connect_error,
                             on_resolve_error=on_resolve_error, on_fail=on_fail)

    def listen(self, *, host: Host | None = None, service: Service | None = None, addrs: Iterable | None = None,
               addr: Any = None, handle: _std.socket | None = None, family: Kind = 0,
               socktype: Kind = _std.SOCK_STREAM, protocol: Kind = 0, flags: int = 0, queuesize: int = 3,
               reuseaddr: bool = True, on_accept: Handler | None = None, on_listen: Handler | None = None,
               on_listen_error: Handler | None = None, on_resolve_error: Handler | None = None,
               on_fail: Handler | None = None) -> Listener:
        """Listen on every address given or resolved; ``on_accept(client)`` per connection."""
        if not callable(on_accept):
            raise TypeError(f"on_accept must be callable, not {type(on_accept).__name__}")
        _optional_callable(locals(), "on_listen", "on_listen_error", "on_resolve_error", "on_fail")
        family = family_arg(family)
        socktype = socktype_arg(socktype)
        protocol = protocol_arg(protocol)
        flags = flags_arg(flags)
        host = host_arg(host, "host")
        service = service_arg(service, "service")
        if not isinstance(queuesize, int) or isinstance(queuesize, bool) or queuesize < 0:
            raise ValueError(f"queuesize must be an int >= 0, not {queuesize!r}")
        if handle is not None:
            _check_listening(handle, host=host, service=service, addrs=addrs, addr=addr)
        given = _addresses(addrs, addr)
        listener = Listener(on_accept=on_accept, on_listen=on_listen, on_listen_error=on_listen_error,
                            on_resolve_error=on_resolve_error, on_fail=on_fail, queuesize=queuesize or 3,
                            reuseaddr=bool(reuseaddr))
        if handle is not None:
            listener.adopt(handle)
            return listener
        if given is not None:
            listener.listen_all(given)
            return listener
        if service is None:
            raise TypeError("listen needs service, or addrs, or addr, or handle")
        listener.resolve_then_listen(host, service, family, socktype, protocol, flags)
        return listener

    # -- notifiers ---------------------------------------------------------------------------
    def add(self, notifier: Notifier) -> None:
        """Start a notifier (a Stream): it reads and writes from now on."""
        if not hasattr(notifier, "added_to_loop"):
            raise TypeError(f"cannot add {type(notifier).__name__} to a Loop")
        if notifier in self._notifiers:
            raise ValueError(f"{notifier!r} is already in this loop")
        notifier.added_to_loop(self)
        self._notifiers.add(notifier)

    def remove(self, notifier: Notifier) -> None:
        """Stop a notifier without closing it."""
        if notifier not in self._notifiers:
            raise ValueError(f"{notifier!r} is not in this loop")
        self._notifiers.discard(notifier)
        notifier.removed_from_loop()

    def discard(self, notifier: Notifier) -> None:
        """Forget a notifier that closed itself (no error if it is not here)."""
        self._notifiers.discard(notifier)

    @property
    def notifiers(self) -> list:
        return list(self._notifiers)

    # -- running -----------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Run the hub until ``stop()`` is called (LoopExit if nothing can ever happen)."""
        try:
            self._stopped.wait_until(lambda: self._stop_requested)
        finally:
            self._stop_requested = False

    def stop(self) -> None:
        """Make the current (or next) ``run_forever()`` return."""
        self._stop_requested = True
        self._stopped.notify()

    def run_once(self, timeout: float | None = None) -> None:
        """Run one turn of the hub: pending callbacks, then wait up to ``timeout`` seconds
        for an event, and dispatch what arrived (fd events, due timers)."""
        if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)
                                    or timeout < 0):
            raise ValueError(f"timeout must be a number >= 0 or None, not {timeout!r}")
        self._hub.turn(timeout)

    def call_soon(self, callback: Handler, *args: Any) -> Callback:
        """Run ``callback(*args)`` in the hub soon; returns a handle with ``cancel()``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        return self._hub.run_callback(callback, *args)

    def call_later(self, seconds: float, callback: Handler, *args: Any) -> Timer:
        """Run ``callback(*args)`` in the hub after ``seconds``; returns a handle with ``cancel()``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
        return self._hub.call_later(seconds, callback, *args)
