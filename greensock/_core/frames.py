"""The methods that stay Python functions in the compiled build.

Compiled functions have no frames. The blocking monitor, the run report and the
``LoopExit`` message tell what a greenlet is doing from its frames: the hub's loop, a
greenlet joining another. Those methods live here, in a module that is never compiled, as
mixins of ``Hub`` and ``Greenlet``; what they call is compiled. Each costs one frame per
hub or per join, not per switch. (``self`` is typed ``Any``: these are halves of classes
defined elsewhere.)
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from greenlet import getcurrent

from .timers import TIMED_OUT


class HubFrames:
    """``Hub.run``: the hub greenlet's outermost frame."""

    def run(self: Any) -> None:
        self._run_loop()


class GreenletFrames:
    """``Greenlet.join``, whose frame the run report reads. (``Greenlet.run`` is compiled: a
    Python frame there would cost every greenlet its own frame stack, even one that runs a
    C function; the monitor finds a running Greenlet by its function instead.)"""

    def join(self: Any, timeout: float | None = None) -> None:
        """Wait until the greenlet finishes, or ``timeout`` seconds pass."""
        if self._done:
            return
        hub = self._hub
        switch = getcurrent().switch
        self._links[switch] = (True, None)
        deadline = None if timeout is None else monotonic() + timeout
        try:
            while not self._done:
                if hub.park(None if deadline is None else max(0.0, deadline - monotonic())) is TIMED_OUT:
                    return
        finally:
            self._links.pop(switch, None)
