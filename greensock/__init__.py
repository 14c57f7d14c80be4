"""greensock: concurrent network programs in plain synchronous style, on greenlets."""
from greenlet import GreenletExit, getcurrent

from .exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit
from .greenlet import Greenlet, joinall, killall, spawn, spawn_later, wait, wait_iter
from .hub import Hub, get_hub, set_hub
from .timeout import Timeout, with_timeout
from .waiting import sleep

__version__ = "0.1.0"

__all__ = [
    "BlockingSwitchOutError", "ConcurrentObjectUseError", "Greenlet", "GreenletExit", "Hub",
    "LoopExit", "Timeout", "get_hub", "getcurrent", "joinall", "killall", "set_hub", "sleep",
    "spawn", "spawn_later", "wait", "wait_iter", "with_timeout",
]
