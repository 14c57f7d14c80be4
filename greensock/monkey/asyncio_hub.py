"""asyncio on the hub: an event loop per greenlet, so ``asyncio.run()`` works in any number
of greenlets and green threads at once.

CPython keeps the running loop per OS thread, and its C tasks and futures read it there;
every green thread shares one OS thread. This patch puts the running loop in greenlet-local
storage and uses asyncio's own pure-Python tasks, futures and helpers (the ``_py`` versions
asyncio ships beside the C ones), which read it through the patched functions. With
``patch_selectors`` the loops' selectors park only their greenlet.
"""
from __future__ import annotations

import sys

from ..local import local

_MODULES = ("asyncio.events", "asyncio.futures", "asyncio.tasks")


class _RunningLoop(local):
    loop_pid = (None, None)


def patch(events, futures, tasks) -> dict[str, dict[str, object]]:
    """Swap the C running-loop functions, Task and Future for asyncio's Python ones; return
    ``{module: {name: value}}`` of what changed (so ``asyncio``'s own namespace follows)."""
    changes: dict[str, dict[str, object]] = {}
    events._running_loop = _RunningLoop()  # noqa: SLF001 - asyncio's own name
    for module in (events, futures, tasks):
        swapped = {name[len("_py_"):]: getattr(module, name) for name in dir(module) if name.startswith("_py_")}
        for pure, real in (("_PyTask", "Task"), ("_PyFuture", "Future")):
            if hasattr(module, pure):
                swapped[real] = getattr(module, pure)
        for name, value in swapped.items():
            setattr(module, name, value)
        changes[module.__name__] = swapped
    package = sys.modules.get("asyncio")
    if package is not None:
        for swapped in changes.values():
            for name, value in swapped.items():
                if hasattr(package, name):
                    setattr(package, name, value)
    return changes


def apply() -> None:
    import asyncio.events
    import asyncio.futures
    import asyncio.tasks
    patch(asyncio.events, asyncio.futures, asyncio.tasks)
