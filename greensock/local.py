"""``local``: attributes private to each greenlet, the cooperative ``threading.local``.

``greensock.monkey.patch_thread()`` puts it into ``_thread`` and ``threading``.
"""
from __future__ import annotations

import weakref
from _thread import RLock as _RealRLock

from greenlet import getcurrent

__all__ = ["local"]

class local:
    """Attributes private to each greenlet (the cooperative ``threading.local``).

    As the standard pure-Python implementation does, each access swaps in the current
    greenlet's ``__dict__``; a subclass's ``__init__`` runs again, with the
    constructor's arguments, the first time a greenlet touches the object.
    """

    __slots__ = ("_local__impl", "__dict__", "__weakref__")

    def __new__(cls, *args, **kw):
        if (args or kw) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        impl = _LocalImpl(args, kw)
        object.__setattr__(self, "_local__impl", impl)
        impl.dicts[getcurrent()] = object.__getattribute__(self, "__dict__")
        return self

    def __getattribute__(self, name):
        with _swapped(self):
            return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        with _swapped(self):
            return object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        with _swapped(self):
            return object.__delattr__(self, name)


class _LocalImpl:
    __slots__ = ("dicts", "args", "kw", "lock", "vacant", "depth")

    def __init__(self, args, kw) -> None:
        self.dicts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.vacant: dict = {}  # what the object points at between accesses
        self.depth = 0  # accesses in progress (``__init__`` and properties nest them)
        self.args = args
        self.kw = kw
        self.lock = _RealRLock()


class _swapped:
    """Context manager: point ``obj.__dict__`` at the current greenlet's dict."""

    __slots__ = ("obj", "impl")

    def __init__(self, obj: local) -> None:
        self.obj = obj
        self.impl = object.__getattribute__(obj, "_local__impl")

    def __enter__(self) -> None:
        impl = self.impl
        impl.lock.acquire()
        impl.depth += 1
        cur = getcurrent()
        d = impl.dicts.get(cur)
        if d is None:
            d = {}
            impl.dicts[cur] = d
            object.__setattr__(self.obj, "__dict__", d)
            cls = type(self.obj)
            if cls.__init__ is not object.__init__:
                cls.__init__(self.obj, *impl.args, **impl.kw)
        else:
            object.__setattr__(self.obj, "__dict__", d)

    def __exit__(self, *exc) -> None:
        # Hold no greenlet's dict between accesses: it must go with its greenlet (3.13's
        # threading drops a dummy thread when that thread's local dict is freed).
        impl = self.impl
        impl.depth -= 1
        if not impl.depth:
            object.__setattr__(self.obj, "__dict__", impl.vacant)
        impl.lock.release()
