"""The hub's public surface: what every layer above the hub (and a driver that brings
its own fds) may use. The implementation lives in ``greensock._core``; see
``docs/hub.rst`` for each name and ``docs/internals.rst`` for how the loop works."""
from ._core.fdstate import HANGUP, CallbackWaiter, FdState
from ._core.hub import TIMED_OUT, Hub, all_hubs, current_hub, get_hub, report_error, set_hub, sleep
from ._core.timers import Callback, Timer

__all__ = ["Hub", "get_hub", "set_hub", "current_hub", "all_hubs", "sleep", "TIMED_OUT", "FdState", "CallbackWaiter",
           "HANGUP", "Callback", "Timer", "report_error"]
