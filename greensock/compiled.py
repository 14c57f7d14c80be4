"""The optional compiled build: which greensock modules run compiled, and the switch to the sources.

Where Cython and a C compiler were present at install time, the hot modules (the hub, the
timers, sockets, greenlets, queues) were compiled from their own ``.py`` files, which stay
beside the compiled ones. ``GREENSOCK_PURE_PYTHON=1`` in the environment makes every
greensock module load from its ``.py`` source instead, for comparison or to see every
frame in a traceback; it must be set before greensock is first imported.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from types import ModuleType

__all__ = ["PURE_PYTHON_VARIABLE", "pure_python_forced", "compiled_modules"]

PURE_PYTHON_VARIABLE = "GREENSOCK_PURE_PYTHON"


def pure_python_forced() -> bool:
    """Whether the environment asks for the Python sources (any value but empty or 0)."""
    return os.environ.get(PURE_PYTHON_VARIABLE, "").strip() not in ("", "0")


def compiled_modules() -> list[str]:
    """The greensock modules this process loaded from compiled extensions."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith("greensock") and (getattr(module, "__file__", None) or "").endswith(suffixes))


class SourceFirst(MetaPathFinder):
    """Finds greensock's submodules by their ``.py`` files, passing over compiled files beside them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if path is None or not fullname.startswith("greensock."):
            return None
        leaf = fullname.rpartition(".")[2]
        for entry in path:
            source = os.path.join(entry, leaf + ".py")
            if os.path.isfile(source):
                return importlib.util.spec_from_file_location(fullname, source)
        return None


if pure_python_forced() and not any(isinstance(f, SourceFirst) for f in sys.meta_path):
    sys.meta_path.insert(0, SourceFirst())
