"""greensock: concurrent network programs in plain synchronous style, on greenlets."""
from greenlet import GreenletExit, getcurrent

from . import compiled  # noqa: F401 - first: GREENSOCK_PURE_PYTHON must act before the hot modules load
from .exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit
from .greenlet import Greenlet, joinall, killall, spawn, spawn_later, wait, wait_iter
from .hub import Hub, current_hub, get_hub, set_hub, sleep
from .threadpool import ThreadPool
from .timeout import Timeout, with_timeout

__version__ = "0.2.0"

__all__ = [
    "BlockingSwitchOutError", "ConcurrentObjectUseError", "Greenlet", "GreenletExit", "Hub",
    "LoopExit", "ThreadPool", "Timeout", "current_hub", "get_hub", "getcurrent", "joinall", "killall",
    "set_hub", "sleep", "spawn", "spawn_later", "wait", "wait_iter", "with_timeout",
]


def _monitor_from_environment() -> None:
    """``GREENSOCK_MONITOR=<seconds>`` turns the blocking monitor on at import."""
    import os
    value = os.environ.get("GREENSOCK_MONITOR", "").strip()
    if not value:
        return
    try:
        threshold = float(value)
    except ValueError:
        raise ValueError(f"GREENSOCK_MONITOR must be a number of seconds, not {value!r}") from None
    from . import monitor
    monitor.start(threshold)


_monitor_from_environment()
