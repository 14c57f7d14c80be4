"""Types of the cooperative ``socket`` drop-in: the standard module's, plus what it adds."""
from __future__ import annotations

import socket as _std
from socket import _GLOBAL_DEFAULT_TIMEOUT as _GLOBAL_DEFAULT_TIMEOUT
from socket import SocketIO as SocketIO
from socket import has_dualstack_ipv6 as has_dualstack_ipv6

from ._core.fdstate import FdState
from .fdwait import wait_read as wait_read
from .fdwait import wait_write as wait_write
from .resolver import getaddrinfo as getaddrinfo
from .resolver import getfqdn as getfqdn
from .resolver import gethostbyaddr as gethostbyaddr
from .resolver import gethostbyname as gethostbyname
from .resolver import gethostbyname_ex as gethostbyname_ex
from .resolver import getnameinfo as getnameinfo
from .resolver import is_numeric_host as is_numeric_host

StdSocket = _std.socket

class socket(_std.socket):
    fd_state: FdState
    def _accept(self) -> tuple[int, _std._RetAddress]: ...
    def accept(self) -> tuple[socket, _std._RetAddress]: ...

SocketType = socket

def socketpair(family: int | None = ..., type: int = ..., proto: int = ...) -> tuple[socket, socket]: ...
def fromfd(fd: int, family: int, type: int, proto: int = ...) -> socket: ...
def adopt(sock: _std.socket) -> socket: ...
def create_connection(address: tuple[str | None, int], timeout: float | None = ...,
                      source_address: _std._Address | None = ..., *, all_errors: bool = ...) -> socket: ...
def create_server(address: _std._Address, *, family: int = ..., backlog: int | None = ...,
                  reuse_port: bool = ..., dualstack_ipv6: bool = ...) -> socket: ...

# Every other public name is the standard module's (after the definitions above, which win).
from socket import *  # noqa: E402, F403
