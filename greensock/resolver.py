"""Name resolution that never blocks the hub: numeric hosts inline, names in the thread pool."""
from __future__ import annotations

import _socket

from .hub import get_hub

__all__ = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
           "getfqdn", "is_numeric_host"]

_getaddrinfo = _socket.getaddrinfo


def is_numeric_host(host: str | bytes | None) -> bool:
    """True for None, '' and literal IPv4/IPv6 addresses: resolving them needs no lookup."""
    if host is None or host == "" or host == b"":
        return True
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    try:
        _socket.inet_pton(_socket.AF_INET, host)
        return True
    except (OSError, ValueError):
        pass
    try:
        _socket.inet_pton(_socket.AF_INET6, host.split("%", 1)[0])
        return True
    except (OSError, ValueError):
        return False


def _in_thread(fn, *args):
    return get_hub().threadpool.apply(fn, args)


def getaddrinfo(host: str | bytes | None, port: str | bytes | int | None, family: int = 0, type: int = 0,
                proto: int = 0, flags: int = 0) -> list:
    """``socket.getaddrinfo`` off the hub; results hold plain ints like the standard one."""
    import socket as std
    if is_numeric_host(host):
        raw = _getaddrinfo(host, port, family, type, proto, flags)
    else:
        raw = _in_thread(_getaddrinfo, host, port, family, type, proto, flags)
    as_enum = std._intenum_converter  # type: ignore[attr-defined] # noqa: SLF001 - the standard library's own name
    return [(as_enum(f, std.AddressFamily), as_enum(t, std.SocketKind), p, c, a) for f, t, p, c, a in raw]


def gethostbyname(host: str) -> str:
    if is_numeric_host(host) and ":" not in str(host):
        return _socket.gethostbyname(host)
    return _in_thread(_socket.gethostbyname, host)


def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    return _in_thread(_socket.gethostbyname_ex, host)


def gethostbyaddr(ip: str) -> tuple[str, list[str], list[str]]:
    return _in_thread(_socket.gethostbyaddr, ip)


def getnameinfo(sockaddr: tuple, flags: int) -> tuple[str, str]:
    if not isinstance(sockaddr, tuple):
        del sockaddr  # the traceback keeps this frame: it must not keep the argument alive
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    if flags & _socket.NI_NUMERICHOST and flags & _socket.NI_NUMERICSERV:
        return _socket.getnameinfo(sockaddr, flags)
    return _in_thread(_socket.getnameinfo, sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """Like ``socket.getfqdn``, resolving off the hub."""
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        name = _socket.gethostname()
    try:
        hostname, aliases, _ = gethostbyaddr(name)
    except OSError:
        return name
    for candidate in [hostname, *aliases]:
        if "." in candidate:
            return candidate
    return hostname
