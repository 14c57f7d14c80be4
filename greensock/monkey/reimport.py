"""Patches that survive a fresh import of a patched module.

Test suites (CPython's among them) import some modules afresh — remove them from
``sys.modules`` and import again — which would bring back the blocking originals. A
finder at the front of ``sys.meta_path`` notices the import of a module greensock has
patched and applies the same replacements as soon as the new module has run.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.abc import Loader, MetaPathFinder
from types import ModuleType

_replacements: dict[str, dict[str, Callable[[ModuleType], None]]] = {}  # module name -> {attribute: apply(new module)}


def remember(module_name: str, name: str, apply) -> None:
    """On a fresh import of ``module_name``, call ``apply(new_module)`` to patch ``name`` again."""
    _replacements.setdefault(module_name, {})[name] = apply
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


class _Finder(MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _replacements:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RepatchingLoader(spec.loader)
                return spec
        return None


class _RepatchingLoader(Loader):
    """Runs the real loader, then puts greensock's replacements back."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        for apply in _replacements.get(module.__name__, {}).values():
            apply(module)
