"""Address helpers shared by the callback layer: names for families and socket types,
address tuples, and error arguments in POE's ``(errnum, errstr)`` form."""
from __future__ import annotations

import errno
import os
import socket as _std

FAMILIES: dict[str, int | None] = {"inet": _std.AF_INET, "inet6": _std.AF_INET6, "unix": getattr(_std, "AF_UNIX", None)}
SOCKTYPES = {"stream": _std.SOCK_STREAM, "dgram": _std.SOCK_DGRAM, "raw": _std.SOCK_RAW}
PROTOCOLS = {"tcp": _std.IPPROTO_TCP, "udp": _std.IPPROTO_UDP}
_PACKED_SIZES: dict[int, int] = {_std.AF_INET: 4, _std.AF_INET6: 16}


def family_arg(value, name: str = "family") -> int:
    """An address family given as an int or as "inet", "inet6" or "unix"."""
    if isinstance(value, str):
        family = FAMILIES.get(value)
        if family is None:
            raise ValueError(f"{name} must be one of {sorted(FAMILIES)} or an int, not {value!r}")
        return family
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 1 << 16:
            raise ValueError(f"{name} must be an address family (AF_*), not {value!r}")
        return value
    raise TypeError(f"{name} must be an int or a name such as 'inet', not {type(value).__name__}")


def socktype_arg(value, name: str = "socktype") -> int:
    """A socket type given as an int or as "stream", "dgram" or "raw"."""
    if isinstance(value, str):
        if value not in SOCKTYPES:
            raise ValueError(f"{name} must be one of {sorted(SOCKTYPES)} or an int, not {value!r}")
        return SOCKTYPES[value]
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 1 << 16:
            raise ValueError(f"{name} must be a socket type (SOCK_*), not {value!r}")
        return value
    raise TypeError(f"{name} must be an int or a name such as 'stream', not {type(value).__name__}")


def protocol_arg(value, name: str = "protocol") -> int:
    """A protocol number, or "tcp"/"udp"."""
    if isinstance(value, str):
        if value.lower() not in PROTOCOLS:
            raise ValueError(f"{name} must be one of {sorted(PROTOCOLS)} or an int, not {value!r}")
        return PROTOCOLS[value.lower()]
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 16:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"{name} must be a protocol number (IPPROTO_*), not {value!r}")
    raise TypeError(f"{name} must be an int or 'tcp'/'udp', not {type(value).__name__}")


def flags_arg(value, name: str = "flags") -> int:
    """getaddrinfo flags: an int >= 0."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int (AI_* flags), not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, not {value!r}")
    return value


def host_arg(value, name: str):
    """A host name or numeric address (str), or None."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str (a host name or address), not {type(value).__name__}")
    return value


def host_or_path_arg(value, name: str, domain: int | None = None):
    """A host name, a numeric or packed address, an AF_UNIX path, or None (POE's forms).

    Given the ``domain``, a packed (bytes) address must have its length: 4 or 16 bytes.
    """
    if value is not None and not isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a str (a host, an address or a path) or bytes (a packed address), "
                        f"not {type(value).__name__}")
    if isinstance(value, bytes) and domain in _PACKED_SIZES and len(value) != _PACKED_SIZES[domain]:
        raise ValueError(f"{name} as a packed address must have {_PACKED_SIZES[domain]} bytes for "
                         f"{_std.AddressFamily(domain).name}, not {len(value)}")
    if value == "":
        raise ValueError(f"{name} must not be empty")
    return value


def port_arg(value, name: str, allow_none: bool = True):
    """A port: an int 0-65535, a service name (str), or None."""
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{name} is required")
    if isinstance(value, str):
        if not value:
            raise ValueError(f"{name} must not be empty")
        return int(value) if value.isdigit() and int(value) <= 65535 else value
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int port or a service name, not {type(value).__name__}")
    if not 0 <= value <= 65535:
        raise ValueError(f"{name} must be a port between 0 and 65535, not {value!r}")
    return value


def sockaddr_arg(family: int, sockaddr, name: str):
    """Check that ``sockaddr`` has the shape ``family`` needs; return it as a tuple or path."""
    if family in (_std.AF_INET, _std.AF_INET6):
        size = (2,) if family == _std.AF_INET else (2, 3, 4)
        if not isinstance(sockaddr, (tuple, list)) or len(sockaddr) not in size:
            raise ValueError(f"{name}'s address for {_std.AddressFamily(family).name} must be a "
                             f"(host, port{'' if family == _std.AF_INET else '[, flowinfo, scope_id]'}) tuple, "
                             f"not {sockaddr!r}")
        host_arg(sockaddr[0], f"{name}'s host")
        port = sockaddr[1]
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"{name}'s port must be an int between 0 and 65535, not {port!r}")
        return tuple(sockaddr)
    if family == FAMILIES["unix"] and not isinstance(sockaddr, (str, bytes)):
        raise TypeError(f"{name}'s address for AF_UNIX must be a path (str or bytes), not {type(sockaddr).__name__}")
    return sockaddr


def address_arg(addr, name: str) -> tuple:
    """Normalise ``(family, socktype, protocol, sockaddr)`` or a getaddrinfo 5-tuple.

    As in IO::Async, elements after the sockaddr are ignored; a 5-tuple whose fourth item
    is a canonical name (a str) and fifth a sockaddr tuple is getaddrinfo's.
    """
    if not isinstance(addr, (tuple, list)):
        raise TypeError(f"{name} must be a (family, socktype, protocol, sockaddr) tuple, not {type(addr).__name__}")
    if len(addr) < 4:
        raise ValueError(f"{name} must have 4 items (family, socktype, protocol, sockaddr) "
                         f"or 5 as getaddrinfo returns them, not {len(addr)}")
    if len(addr) == 5 and isinstance(addr[3], str) and isinstance(addr[4], tuple):
        family, socktype, protocol, _, sockaddr = addr
    else:
        family, socktype, protocol, sockaddr = addr[:4]
    family = family_arg(family, name)
    return (family, socktype_arg(socktype, name), protocol_arg(protocol, name),
            sockaddr_arg(family, sockaddr, name))


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
