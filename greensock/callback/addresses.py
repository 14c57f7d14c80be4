"""Address helpers shared by the callback layer: names for families and socket types,
address tuples, and error arguments in POE's ``(errnum, errstr)`` form."""
from __future__ import annotations

import errno
import os
import socket as _std

FAMILIES = {"inet": _std.AF_INET, "inet6": _std.AF_INET6, "unix": getattr(_std, "AF_UNIX", None)}
SOCKTYPES = {"stream": _std.SOCK_STREAM, "dgram": _std.SOCK_DGRAM, "raw": _std.SOCK_RAW}


def family_arg(value, name: str = "family") -> int:
    """An address family given as an int or as "inet", "inet6" or "unix"."""
    if isinstance(value, str):
        if FAMILIES.get(value) is None:
            raise ValueError(f"{name} must be one of {sorted(FAMILIES)} or an int, not {value!r}")
        return FAMILIES[value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be an int or a name such as 'inet', not {type(value).__name__}")


def socktype_arg(value, name: str = "socktype") -> int:
    """A socket type given as an int or as "stream", "dgram" or "raw"."""
    if isinstance(value, str):
        if value not in SOCKTYPES:
            raise ValueError(f"{name} must be one of {sorted(SOCKTYPES)} or an int, not {value!r}")
        return SOCKTYPES[value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be an int or a name such as 'stream', not {type(value).__name__}")


def address_arg(addr, name: str) -> tuple:
    """Normalise ``(family, socktype, protocol, sockaddr)`` or a getaddrinfo 5-tuple."""
    if not isinstance(addr, (tuple, list)):
        raise TypeError(f"{name} must be a (family, socktype, protocol, sockaddr) tuple, not {type(addr).__name__}")
    if len(addr) == 5:
        family, socktype, protocol, _, sockaddr = addr
    elif len(addr) == 4:
        family, socktype, protocol, sockaddr = addr
    else:
        raise ValueError(f"{name} must have 4 items (family, socktype, protocol, sockaddr) "
                         f"or 5 as getaddrinfo returns them, not {len(addr)}")
    return (family_arg(family, name), socktype_arg(socktype, name), int(protocol or 0), sockaddr)


def os_error(exc: BaseException) -> OSError:
    """Any failure as an OSError with an errno (resolver errors keep theirs)."""
    if isinstance(exc, OSError):
        return exc
    return OSError(errno.EIO, str(exc))


def errnum_errstr(exc: BaseException) -> tuple[int, str]:
    """POE's pair: the numeric and text forms of an error."""
    err = os_error(exc)
    num = err.errno or 0
    return num, err.strerror or (os.strerror(num) if num > 0 else str(err))


def host_port(sockaddr) -> tuple:
    """A text host and port from a sockaddr; (path or None, None) for AF_UNIX."""
    if isinstance(sockaddr, tuple):
        return sockaddr[0], sockaddr[1]
    if isinstance(sockaddr, bytes):
        sockaddr = sockaddr.decode(errors="replace")
    return (sockaddr or None), None
