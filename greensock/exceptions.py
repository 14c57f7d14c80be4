"""Exceptions the hub raises to explain what went wrong."""
from __future__ import annotations

from greenlet import GreenletExit

__all__ = ["GreenletExit", "LoopExit", "BlockingSwitchOutError", "ConcurrentObjectUseError"]


class LoopExit(Exception):
    """The main greenlet waits for something that can never happen.

    Nothing is runnable, no fd is watched and no timer is pending, so the wait would
    last forever. The hub stays usable afterwards.
    """


class BlockingSwitchOutError(RuntimeError):
    """Code running in the hub greenlet (a callback) tried to block.

    The hub cannot wait for itself: spawn a greenlet for work that blocks.
    """


class ConcurrentObjectUseError(RuntimeError):
    """A second greenlet tried to wait on an fd direction another greenlet waits on."""
