"""The optional compiled build and the switch that forces the Python sources."""
from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

import greensock

CORE = Path(greensock.__file__).parent / "_core"
BUILT = any((CORE / f"hub{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)
PROBE = ("import greensock, greensock.socket, greensock.compiled as c, greensock.__main__ as m; "
         "print(c.compiled_modules()); print(m.report()[3])")


def probe(pure: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "GREENSOCK_PURE_PYTHON"}
    if pure:
        env["GREENSOCK_PURE_PYTHON"] = "1"
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_the_variable_forces_every_module_to_its_python_source():
    modules, build = probe(pure=True)
    assert modules == "[]"
    assert build == "build: pure Python (GREENSOCK_PURE_PYTHON is set)"


@pytest.mark.skipif(not BUILT, reason="this install was not compiled (no Cython or no C compiler at install time)")
def test_the_compiled_build_loads_the_hot_modules():
    modules, build = probe(pure=False)
    for name in ("greensock._core.hub", "greensock._core.timers", "greensock.greenlet", "greensock.socket"):
        assert name in modules
    assert build.startswith("build: compiled (")


def test_the_modules_whose_frames_diagnostics_read_stay_python():
    from greensock._core import frames, waitqueue
    from greensock.thread import Lock
    for module in (frames, waitqueue):
        assert module.__file__.endswith(".py")
    assert Lock.acquire.__code__.co_filename.endswith("thread.py")
