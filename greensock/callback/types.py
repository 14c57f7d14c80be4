"""Type aliases the callback layer's signatures share."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# A user's callback: what it is called with is told where it is passed.
Handler = Callable[..., Any]
# A host, an IP address or (AF_UNIX) a path; bytes is a packed address.
Host = str | bytes
# A port number or a service name.
Service = int | str
# An address family, socket type or protocol: its number or its name ("inet", "stream", "tcp").
Kind = int | str


class Filter(Protocol):
    """A POE filter: bytes in, records out, and back."""

    def get(self, chunk: bytes) -> list: ...
    def put(self, records: list) -> bytes: ...
    def clone(self) -> Filter: ...


class Notifier(Protocol):
    """What a ``Loop`` can ``add``: a ``Stream``, or anything that starts when added."""

    def added_to_loop(self, loop: Any) -> None: ...
    def removed_from_loop(self) -> None: ...
