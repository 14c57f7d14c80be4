"""The public API is fully annotated, and the package says so to type checkers (PEP 561)."""
from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import greensock

# The public modules; the drop-ins for standard modules (socket, ssl, select, selectors, os,
# signal, thread) take the standard modules' types (socket's additions are in socket.pyi).
PUBLIC_MODULES = [
    "greensock", "greensock.hub", "greensock.greenlet", "greensock.event", "greensock.lock",
    "greensock.queue", "greensock.pool", "greensock.threadpool", "greensock.timeout",
    "greensock.local", "greensock.fdwait", "greensock.exceptions", "greensock.monkey",
    "greensock.monkey.drivers", "greensock.server", "greensock.serve", "greensock.wsgi",
    "greensock.websocket", "greensock.monitor", "greensock.util", "greensock.asyncio",
    "greensock.callback", "greensock.resolver",
]
OPTIONAL = {"greensock.gunicorn": "gunicorn", "greensock.celery": "celery"}


def _callables(module):
    """(qualified name, function) for every public function and public method of a public class."""
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and obj.__module__.startswith("greensock"):
            for attr, value in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                elif isinstance(value, property):
                    value = value.fget
                if inspect.isfunction(value):
                    yield f"{obj.__module__}.{obj.__qualname__}.{attr}", value
        elif inspect.isfunction(obj) and obj.__module__.startswith("greensock"):
            yield f"{obj.__module__}.{obj.__qualname__}", obj


def _unannotated(fn) -> list[str]:
    missing = [p.name for p in inspect.signature(fn).parameters.values()
               if p.annotation is inspect.Parameter.empty and p.name not in ("self", "cls")]
    if "return" not in fn.__annotations__:
        missing.append("return")
    return missing


def _modules():
    for name in PUBLIC_MODULES:
        yield importlib.import_module(name)
    for name, requirement in OPTIONAL.items():
        try:
            importlib.import_module(requirement)
        except ImportError:
            continue
        yield importlib.import_module(name)


def public_gaps() -> dict:
    """{qualified name: [unannotated parameters, and "return"]} over the public API."""
    gaps = {}
    for module in _modules():
        for qualname, fn in _callables(module):
            missing = _unannotated(fn)
            if missing:
                gaps[qualname] = missing
    return gaps


def test_every_public_callable_is_annotated():
    # In a fresh interpreter: importing greensock.celery patches the standard library.
    code = "import json, test_typing; print(json.dumps(test_typing.public_gaps()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == {}


def test_the_package_is_marked_typed():
    root = Path(greensock.__file__).parent
    assert (root / "py.typed").is_file()
    assert (root / "socket.pyi").is_file()


@pytest.mark.parametrize("name", ["greensock.socket"])
def test_the_socket_stub_names_what_the_module_adds(name):
    stub = (Path(greensock.__file__).parent / "socket.pyi").read_text()
    module = importlib.import_module(name)
    added = [n for n in module.__all__ if n not in importlib.import_module("socket").__all__]
    for n in added:
        assert f"def {n}(" in stub or f" as {n}" in stub, n
