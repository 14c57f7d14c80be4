"""Run info: every thread, its hub, and every live greenlet with what it waits for.

    greensock.util.print_run_info()            # now, to stderr
    greensock.util.dump_on_signal(signal.SIGUSR1)  # kill -USR1 <pid> prints it
"""
from __future__ import annotations

import gc
import signal as _signal
import sys
import threading
import traceback
from typing import IO

from greenlet import greenlet

from ._core.waitqueue import WaitQueue
from .greenlet import Greenlet
from .hub import Hub, all_hubs, current_hub
from .thread import Lock as ThreadLock

__all__ = ["format_run_info", "print_run_info", "dump_on_signal"]

def waiting_on(g: greenlet) -> str:
    """What a parked greenlet waits for: read from its frames where the waiting function is
    Python in every build (a wait queue, a join, a thread lock), else asked of the hubs (an
    fd, a timer, a loop turn)."""
    frame = g.gr_frame
    while frame is not None:
        code = frame.f_code
        local = frame.f_locals
        if code is WaitQueue.wait_until.__code__:
            owner = local["self"].owner
            return f"parked: waiting on {type(owner).__name__} {owner!r}"
        if code is Greenlet.join.__code__:
            return f"parked: joining {local['self']!r}"
        if code is ThreadLock.acquire.__code__:
            return "parked: acquiring a thread lock"
        frame = frame.f_back
    for hub in all_hubs():
        what = hub.describe_wait(g)
        if what is not None:
            return f"parked: {what}"
    return "parked"


def _state(g: greenlet, current: greenlet) -> str:
    if g is current:
        return "running (this greenlet)"
    if isinstance(g, Greenlet) and not g:
        return "scheduled, not started"
    return waiting_on(g)


def _label(g: greenlet) -> str:
    if isinstance(g, Hub):
        return f"hub {g!r}"
    if isinstance(g, Greenlet):
        file, line = g.spawned_at
        return f"{g.name!r} {g!r}, spawned at {file}:{line}"
    run = getattr(g, "run", None)
    name = getattr(run, "__qualname__", None) or type(g).__name__
    return f"greenlet {name} at {id(g):#x}" + (" (a thread's root)" if g.parent is None else "")


def format_run_info(current: greenlet | None = None) -> list[str]:
    """Lines describing every thread, every hub and every live greenlet (a tree by spawner)."""
    from greenlet import getcurrent
    current = current or getcurrent()
    lines = []
    names = {t.ident: t.name for t in threading.enumerate()}
    hubs: dict[int, list[Hub]] = {}
    for hub in all_hubs():
        hubs.setdefault(hub.thread_id, []).append(hub)
    mine = current_hub()
    for ident in sys._current_frames():  # noqa: SLF001 - the standard way to list the OS threads
        lines.append(f"thread {ident} ({names.get(ident, '?')})")
        if not hubs.get(ident):
            lines.append("  no hub")
        for hub in hubs.get(ident, ()):
            fds = [f"{s.fd}{'r' if s.reader is not None else ''}{'w' if s.writer is not None else ''}"
                   for s in hub.fd_states()]
            activity = "idle in poll" if hub.polling else "running"
            role = "" if hub is mine or len(hubs[ident]) == 1 else " (not the thread's current hub)"
            lines.append(f"  hub{role}: poller {hub.poller_name}, turns {hub.turns}, {activity}, "
                         f"fds watched [{' '.join(fds)}], timers {hub.pending_timers()}, "
                         f"callbacks {hub.pending_callbacks()}, holds {hub.holds}")
    live = [o for o in gc.get_objects() if isinstance(o, greenlet) and not o.dead and not isinstance(o, Hub)]
    children: dict[int, list] = {}
    roots = []
    alive_ids = {id(g) for g in live}
    for g in live:
        spawner = g.spawner() if isinstance(g, Greenlet) and g.spawner is not None else None
        if spawner is not None and id(spawner) in alive_ids:
            children.setdefault(id(spawner), []).append(g)
        else:
            roots.append(g)
    lines.append(f"{len(live)} live greenlets (a tree by spawner):")

    def show(g: greenlet, depth: int) -> None:
        pad = "  " * depth
        lines.append(f"{pad}- {_label(g)}: {_state(g, current)}")
        frame = g.gr_frame if g is not current else sys._getframe(1)  # noqa: SLF001
        if frame is not None:
            for entry in traceback.format_stack(frame):
                for text in entry.rstrip("\n").split("\n"):
                    lines.append(f"{pad}    {text}")
        for child in children.get(id(g), ()):
            show(child, depth + 1)

    for g in roots:
        show(g, 1)
    return lines


def print_run_info(file: IO[str] | None = None) -> None:
    """Print ``format_run_info()`` to ``file`` (default stderr)."""
    out = sys.stderr if file is None else file
    out.write("\n".join(format_run_info()) + "\n")
    out.flush()


def dump_on_signal(signum: int = _signal.SIGUSR1) -> None:
    """Print the run info to stderr whenever ``signum`` arrives (for a process that seems stuck)."""
    if not isinstance(signum, int) or isinstance(signum, bool):
        raise TypeError(f"signum must be a signal number, not {type(signum).__name__}")
    _signal.signal(signum, lambda number, frame: print_run_info())
