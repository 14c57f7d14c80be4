"""The blocking monitor: say which greenlet stops the hub from turning, and where.

    import greensock.monitor
    greensock.monitor.start(threshold=0.1)     # or GREENSOCK_MONITOR=0.1 in the environment

One real thread (never a greenlet, also under ``patch_all()``) looks at every hub a few
times per ``threshold``. A hub whose turn count has not moved for longer than
``threshold`` seconds while it is not waiting in its poller, and while something waits
on it (callbacks, timers, fds) or code runs in the hub greenlet itself, is stalled: the
monitor logs one WARNING per stall on the ``greensock.monitor`` logger, with how long,
which greenlet runs (its name and where it was spawned) and its current stack, read from
the frame that thread is executing.
"""
from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from _thread import get_ident
from types import CodeType, FrameType

from .greenlet import Greenlet
from .hub import Hub, all_hubs
from .monkey import get_original

__all__ = ["start", "stop", "running", "thread_ident", "describe_running"]

log = logging.getLogger("greensock.monitor")

# The real ones, also when the standard library is patched.
_sleep = get_original("time", "sleep")
_start_thread = get_original("_thread", "start_new_thread")
_monotonic = get_original("time", "monotonic")

class _State:
    """The monitor's settings; each start or stop begins a new generation, which ends the old thread."""

    generation = 0
    threshold: float | None = None
    thread: int | None = None


_state = _State()
_RUN_CODES = {Hub.run.__code__}
_GREENLET_RUN = Greenlet.run.__code__


def start(threshold: float = 0.1) -> None:
    """Start watching every hub (again, with a new threshold, if already started)."""
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not threshold > 0:
        raise ValueError(f"threshold must be a number of seconds > 0, not {threshold!r}")
    _state.generation += 1
    _state.threshold = float(threshold)
    _start_thread(_watch, (_state.generation, float(threshold)))


def stop() -> None:
    """Stop the monitor thread (it ends within one period)."""
    _state.generation += 1
    _state.threshold = None


def running() -> bool:
    return _state.threshold is not None


def thread_ident() -> int | None:
    """The monitor thread's ident while it runs."""
    return _state.thread


def describe_running(frame: FrameType) -> str:
    """Which greenlet a thread's current ``frame`` belongs to: the hub, a Greenlet (name and
    spawn site), or another greenlet."""
    outer = frame
    while outer.f_back is not None:
        outer = outer.f_back
    code = outer.f_code
    if code in _RUN_CODES:
        return "the hub greenlet itself (a callback, timer or fd callback)"
    g = outer.f_locals.get("self") if code is _GREENLET_RUN else _running_greenlet_of(code)
    if isinstance(g, Greenlet):
        file, line = g.spawned_at
        return f"greenlet {g.name!r} (spawned at {file}:{line})"
    return f"a greenlet running {code.co_qualname if hasattr(code, 'co_qualname') else code.co_name}()"


def _running_greenlet_of(code: CodeType) -> Greenlet | None:
    """The running Greenlet whose function's code is ``code``, if exactly one: compiled,
    ``Greenlet.run`` has no frame, so the outermost frame is the function itself."""
    found = [g for g in gc.get_objects()
             if isinstance(g, Greenlet) and g and g.gr_frame is None
             and getattr(g.function, "__code__", None) is code]
    return found[0] if len(found) == 1 else None


def _busy(hub: Hub) -> bool:
    """Something waits on the hub: it should be turning."""
    return bool(hub.pending_callbacks() or hub.holds or hub.pending_timers())


def _watch(generation: int, threshold: float) -> None:
    _state.thread = get_ident()
    period = max(0.005, threshold / 2)  # a stall is seen within 1.5 thresholds
    seen: dict[int, tuple[int, float]] = {}  # id(hub) -> (turns, when they last moved)
    reported: set[int] = set()
    while _state.generation == generation:
        _sleep(period)
        now = _monotonic()
        frames = sys._current_frames()  # noqa: SLF001 - the standard way to see another thread's frame
        for hub in all_hubs():
            key = id(hub)
            turns = hub.turns
            last = seen.get(key)
            if last is None or last[0] != turns or hub.polling or not hub:
                seen[key] = (turns, now)
                reported.discard(key)
                continue
            stalled = now - last[1]
            if stalled <= threshold or key in reported:
                continue
            frame = frames.get(hub.thread_id)
            if frame is None:
                continue
            in_hub = describe_running(frame).startswith("the hub")
            if not (in_hub or _busy(hub)):
                continue
            reported.add(key)
            stack = "".join(traceback.format_stack(frame))
            log.warning("the hub of thread %d has not turned for %.3f s so far (threshold %.3f s): %s is running "
                        "and has not yielded; its stack:\n%s", hub.thread_id, stalled, threshold,
                        describe_running(frame), stack)
        del frames
    if _state.generation != generation and _state.threshold is None:
        _state.thread = None


def _restart_after_fork() -> None:
    if _state.threshold is not None:
        start(_state.threshold)


os.register_at_fork(after_in_child=_restart_after_fork)
