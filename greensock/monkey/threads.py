"""What ``patch_thread`` adds to ``threading`` beyond ``greensock.thread``'s primitives."""
from __future__ import annotations

import sys
import traceback
import weakref

from greenlet import getcurrent

from ..thread import get_ident


def make_dummy_thread_class(threading):
    """A ``_DummyThread`` (what ``current_thread()`` gives a plain greenlet) whose entries in
    ``threading._active`` are swept once their greenlets are gone, so a server that logs
    from thousands of short greenlets does not keep a dummy thread for each."""
    base = threading._DummyThread  # noqa: SLF001 - the standard library's own name
    alive: dict[int, weakref.ref] = {}  # ident -> the greenlet behind that dummy
    sweep_at = [256]

    def sweep() -> None:
        active = threading._active  # noqa: SLF001 - the standard library's own name
        with threading._active_limbo_lock:  # noqa: SLF001 - the standard library's own name
            for ident, ref in list(alive.items()):
                if ref() is None:
                    del alive[ident]
                    if isinstance(active.get(ident), base):
                        del active[ident]
        sweep_at[0] = max(256, 2 * len(alive))

    class _DummyThread(base):
        def __init__(self) -> None:
            base.__init__(self)
            alive[self._ident] = weakref.ref(getcurrent())
            if len(alive) >= sweep_at[0]:
                sweep()

    return _DummyThread


def excepthook(args, /) -> None:
    """``threading.excepthook`` naming a thread-less greenlet by its green identity."""
    if args.exc_type is SystemExit:
        return
    if sys.stderr is not None:
        stderr = sys.stderr
    elif args.thread is not None and getattr(args.thread, "_stderr", None) is not None:
        stderr = args.thread._stderr  # noqa: SLF001 - the standard library's own name
    else:
        return
    name = args.thread.name if args.thread is not None else get_ident()
    print(f"Exception in thread {name}:", file=stderr, flush=True)
    traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback, file=stderr)
    stderr.flush()
